package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

func forEachVariant(t *testing.T, f func(t *testing.T, s *synthesized)) {
	for _, v := range variants {
		t.Run(v, func(t *testing.T) { f(t, synth(t, v)) })
	}
}

// TestEncryptorRoleTrust: each role trusts exactly its service principals,
// only for sts:AssumeRole, only from this account and (when configured)
// only from the given source ARN.
func TestEncryptorRoleTrust(t *testing.T) {
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		cases := []struct {
			role      string
			services  []string
			sourceArn string
		}{
			{s.id(s.stack.MediaPackageRole), []string{"mediapackage.amazonaws.com", "mediapackagev2.amazonaws.com"}, s.cfg.MediaPackageSourceArn},
			{s.id(s.stack.MediaConvertRole), []string{"mediaconvert.amazonaws.com"}, s.cfg.MediaConvertSourceArn},
		}
		roles := map[string]resource{}
		for _, r := range s.resources("AWS::IAM::Role") {
			roles[r.ID] = r
		}
		for _, c := range cases {
			r, ok := roles[c.role]
			if !ok {
				t.Fatalf("role %s missing", c.role)
			}
			var services []string
			for _, st := range statements(r.Props["AssumeRolePolicyDocument"]) {
				if st["Effect"] != "Allow" || !slices.Equal(strs(st["Action"]), []string{"sts:AssumeRole"}) {
					t.Errorf("%s: trust statement %v", c.role, st)
				}
				p := st["Principal"].(map[string]any)
				if len(p) != 1 || p["Service"] == nil {
					t.Errorf("%s: trust principal %v, want service principals only", c.role, p)
				}
				services = append(services, strs(p["Service"])...)
				cond, _ := st["Condition"].(map[string]any)
				eq, _ := cond["StringEquals"].(map[string]any)
				if ref(eq["aws:SourceAccount"]) != "AWS::AccountId" {
					t.Errorf("%s: aws:SourceAccount condition = %v, want this account", c.role, eq["aws:SourceAccount"])
				}
				like, _ := cond["ArnLike"].(map[string]any)
				got, _ := like["aws:SourceArn"].(string)
				if got != c.sourceArn {
					t.Errorf("%s: aws:SourceArn = %q, want %q", c.role, got, c.sourceArn)
				}
				wantOps := 1
				if c.sourceArn != "" {
					wantOps = 2
				}
				if len(cond) != wantOps {
					t.Errorf("%s: conditions %v", c.role, cond)
				}
			}
			sort.Strings(services)
			if !slices.Equal(services, c.services) {
				t.Errorf("%s trusts %v, want exactly %v", c.role, services, c.services)
			}
			if r.Props["ManagedPolicyArns"] != nil || r.Props["Policies"] != nil {
				t.Errorf("%s: unexpected managed or inline policies on the role itself", c.role)
			}
		}
	})
}

// wildcardFindings reports every Allow statement with a wildcard anywhere in
// an action ("*", "dynamodb:*", "kms:ReEncrypt*") or a Resource of "*", and
// any NotAction/NotResource. ARNs may contain wildcards (a log group's
// streams), so only a bare "*" resource counts.
func wildcardFindings(docs []policyDoc) []string {
	var out []string
	for _, p := range docs {
		for _, st := range statements(p.doc) {
			if st["NotAction"] != nil || st["NotResource"] != nil {
				out = append(out, p.where+": NotAction/NotResource")
			}
			if st["Effect"] != "Allow" {
				continue // a Deny may be as wide as it likes
			}
			for _, a := range strs(st["Action"]) {
				if strings.Contains(a, "*") {
					out = append(out, p.where+": Action "+a)
				}
			}
			for _, r := range list(st["Resource"]) {
				if r == "*" {
					out = append(out, p.where+": Resource *")
				}
			}
		}
	}
	return out
}

// TestNoWildcardGrants walks every identity and resource policy in the
// template (see resourcePolicies for why key policies are out of scope).
func TestNoWildcardGrants(t *testing.T) {
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		docs := append(s.identityPolicies(), s.resourcePolicies()...)
		if len(docs) < 4 {
			t.Fatalf("found only %d policies; the walker is not seeing the template", len(docs))
		}
		for _, f := range wildcardFindings(docs) {
			t.Error(f)
		}
	})
}

// TestWildcardWalkerCatches keeps TestNoWildcardGrants honest: the walker
// must flag each kind of wildcard it claims to.
func TestWildcardWalkerCatches(t *testing.T) {
	doc := map[string]any{"Statement": []any{
		map[string]any{"Effect": "Allow", "Action": "*", "Resource": "arn:x"},
		map[string]any{"Effect": "Allow", "Action": []any{"s3:GetObject", "dynamodb:*"}, "Resource": "arn:x"},
		map[string]any{"Effect": "Allow", "Action": "s3:GetObject", "Resource": []any{"arn:x", "*"}},
		map[string]any{"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:x"},
		map[string]any{"Effect": "Allow", "Action": "kms:GenerateDataKey*", "Resource": "arn:x:*"},
		map[string]any{"Effect": "Deny", "Action": "*", "Resource": "*"},
	}}
	got := wildcardFindings([]policyDoc{{where: "p", doc: doc}})
	want := []string{"p: Action *", "p: Action dynamodb:*", "p: Action kms:GenerateDataKey*", "p: NotAction/NotResource", "p: Resource *"}
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Fatalf("findings %v, want %v (and nothing for the Deny)", got, want)
	}
}

func jsonMarshalIndent(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }

// TestFunctionGrantsFollowKeyStore: each function's role can touch its own
// logs and the selected key store, nothing of the other store; only the
// read-only function can read the token secret.
func TestFunctionGrantsFollowKeyStore(t *testing.T) {
	logs := []string{"logs:CreateLogStream", "logs:PutLogEvents"}
	secretRead := []string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}
	want := map[string][2][]string{ // SPEKE function, read-only function
		"dynamodb": {
			append([]string{"dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem",
				"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"}, logs...),
			append(append([]string{"dynamodb:BatchGetItem", "dynamodb:DescribeTable", "kms:Decrypt"}, secretRead...), logs...),
		},
		"secrets": {append(secretRead, logs...), append(secretRead, logs...)},
	}
	for _, v := range variants {
		t.Run(v, func(t *testing.T) {
			s := synth(t, v)
			tables, secrets := s.resources("AWS::DynamoDB::Table"), s.resources("AWS::SecretsManager::Secret")
			token := s.id(s.stack.TokenSecret)
			for i, f := range []string{s.id(s.stack.Function), s.id(s.stack.ReadOnlyFunction)} {
				fn := resourceByID(t, s, "AWS::Lambda::Function", f)
				got := s.actionsOf(ref(fn.Props["Role"]))
				w := slices.Clone(want[v][i])
				sort.Strings(w)
				if !slices.Equal(got, w) {
					t.Errorf("%s actions %v, want %v", f, got, w)
				}
				vars := fn.Props["Environment"].(map[string]any)["Variables"].(map[string]any)
				if vars["KEY_SOURCE"] != s.cfg.KeyStore {
					t.Errorf("%s: KEY_SOURCE = %v, want %s", f, vars["KEY_SOURCE"], s.cfg.KeyStore)
				}
				switch s.cfg.KeyStore {
				case KeyStoreDynamoDB:
					if len(tables) != 1 || len(secrets) != 1 || ref(vars["TABLE_NAME"]) != tables[0].ID || vars["SECRET_ID"] != nil {
						t.Errorf("dynamodb variant: %d tables, %d secrets, env %v", len(tables), len(secrets), vars)
					}
				case KeyStoreSecretsManager:
					if len(tables) != 0 || len(secrets) != 2 || ref(vars["SECRET_ID"]) != s.id(s.stack.Secret) || vars["TABLE_NAME"] != nil {
						t.Errorf("secretsmanager variant: %d tables, %d secrets, env %v", len(tables), len(secrets), vars)
					}
				}
				if tok := ref(vars["PLAYBACK_TOKEN_SECRET_ID"]); (i == 1) != (tok == token) {
					t.Errorf("%s: PLAYBACK_TOKEN_SECRET_ID %v", f, vars["PLAYBACK_TOKEN_SECRET_ID"])
				}
			}
		})
	}
}

// readActions is everything the read-only function's role may be allowed:
// reads of the key store and the secrets, and writes to its own log group
// only (checked by resource). Anything else, Scan included, fails.
var readActions = map[string]bool{
	"dynamodb:BatchGetItem": true, "dynamodb:GetItem": true, "dynamodb:Query": true, "dynamodb:DescribeTable": true,
	"kms:Decrypt":                   true,
	"secretsmanager:GetSecretValue": true, "secretsmanager:DescribeSecret": true,
}

// readOnlyFindings reports every grant in docs to roleID that is not a read
// of a resource named in resources, or a write to its own log group.
func readOnlyFindings(docs []policyDoc, roleID, logGroup string, resources []string) []string {
	var out []string
	for _, p := range docs {
		if !slices.Contains(p.roles, roleID) {
			continue
		}
		for _, st := range statements(p.doc) {
			if st["Effect"] != "Allow" {
				continue
			}
			if st["NotAction"] != nil || st["NotResource"] != nil {
				out = append(out, p.where+": NotAction/NotResource")
			}
			var res []string
			for _, r := range list(st["Resource"]) {
				res = append(res, joined(r))
			}
			for _, a := range strs(st["Action"]) {
				switch {
				case a == "logs:CreateLogStream" || a == "logs:PutLogEvents":
					if !slices.Equal(res, []string{"<" + logGroup + ">"}) {
						out = append(out, fmt.Sprintf("%s: %s on %v, want only its own log group", p.where, a, res))
					}
				case !readActions[a]:
					out = append(out, fmt.Sprintf("%s: %s is not a read", p.where, a))
				default:
					for _, r := range res {
						if !slices.Contains(resources, r) {
							out = append(out, fmt.Sprintf("%s: %s on %s", p.where, a, r))
						}
					}
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// keyPolicyGrants lists the KMS key-policy statements naming roleID.
func (s *synthesized) keyPolicyGrants(roleID string) []policyDoc {
	var out []policyDoc
	for _, k := range s.resources("AWS::KMS::Key") {
		for _, st := range statements(k.Props["KeyPolicy"]) {
			p, _ := st["Principal"].(map[string]any)
			for _, x := range list(p["AWS"]) {
				if ref(x) == roleID {
					// In a key policy "*" means the key itself.
					c := maps.Clone(st)
					c["Resource"] = map[string]any{"Fn::GetAtt": []any{k.ID, "Arn"}}
					out = append(out, policyDoc{where: k.ID + ".KeyPolicy", doc: map[string]any{"Statement": []any{c}}, roles: []string{roleID}})
				}
			}
		}
	}
	return out
}

// TestReadOnlyFunctionCannotWrite: every action granted to the read-only
// function's role, in identity policies and in key policies, is a read of
// the key store, its CMK, or the token secret, or a write to its own logs:
// no PutItem, UpdateItem, DeleteItem, BatchWriteItem, Scan, PartiQL, no
// kms:Encrypt/GenerateDataKey, no secret writes, no wildcard. Key-policy
// grants must go through Secrets Manager (kms:ViaService).
func TestReadOnlyFunctionCannotWrite(t *testing.T) {
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		fn := resourceByID(t, s, "AWS::Lambda::Function", s.id(s.stack.ReadOnlyFunction))
		role := ref(fn.Props["Role"])
		lc, _ := fn.Props["LoggingConfig"].(map[string]any)
		keyRes := func(k string) string { return "<" + k + ">" }
		resources := []string{keyRes(s.id(s.stack.TokenSecret)), keyRes(s.id(s.stack.TokenKey))}
		if s.stack.Table != nil {
			resources = append(resources, keyRes(s.id(s.stack.Table)), keyRes(s.id(s.stack.KeyStoreKey)))
		}
		if s.stack.Secret != nil {
			resources = append(resources, keyRes(s.id(s.stack.Secret)), keyRes(s.id(s.stack.KeyStoreKey)))
		}
		kp := s.keyPolicyGrants(role)
		docs := append(s.identityPolicies(), kp...)
		if n := len(s.actionsOf(role)); n < 4 {
			t.Fatalf("only %d actions found for %s: the walker is not seeing its policies", n, role)
		}
		for _, f := range readOnlyFindings(docs, role, ref(lc["LogGroup"]), resources) {
			t.Error(f)
		}
		for _, p := range kp {
			for _, st := range statements(p.doc) {
				cond, _ := st["Condition"].(map[string]any)
				eq, _ := cond["StringEquals"].(map[string]any)
				if !strings.HasPrefix(joined(eq["kms:ViaService"]), "secretsmanager.") {
					t.Errorf("%s: key-policy grant without kms:ViaService secretsmanager: %v", p.where, st)
				}
			}
		}
		for _, f := range wildcardFindings(docs) {
			if strings.Contains(f, role) {
				t.Error(f)
			}
		}
		r := resourceByID(t, s, "AWS::IAM::Role", role)
		trust := statements(r.Props["AssumeRolePolicyDocument"])
		if len(trust) != 1 || fmt.Sprint(trust[0]["Principal"]) != "map[Service:lambda.amazonaws.com]" || r.Props["ManagedPolicyArns"] != nil {
			t.Errorf("read-only role %v", r.Props)
		}
	})
}

// TestReadOnlyFindingsCatch keeps TestReadOnlyFunctionCannotWrite honest.
func TestReadOnlyFindingsCatch(t *testing.T) {
	doc := map[string]any{"Statement": []any{
		map[string]any{"Effect": "Allow", "Action": []any{"dynamodb:BatchGetItem", "dynamodb:PutItem"}, "Resource": map[string]any{"Fn::GetAtt": []any{"T", "Arn"}}},
		map[string]any{"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": map[string]any{"Ref": "T"}},
		map[string]any{"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": map[string]any{"Ref": "K"}},
		map[string]any{"Effect": "Allow", "Action": "secretsmanager:PutSecretValue", "Resource": map[string]any{"Ref": "S"}},
		map[string]any{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": map[string]any{"Ref": "OtherTable"}},
		map[string]any{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"},
		map[string]any{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": map[string]any{"Ref": "L"}},
	}}
	got := readOnlyFindings([]policyDoc{{where: "p", doc: doc, roles: []string{"R"}}}, "R", "L", []string{"<T>", "<K>", "<S>"})
	if len(got) != 6 {
		t.Errorf("findings %q, want 6: PutItem, Scan, GenerateDataKey, PutSecretValue, the other table, logs on *", got)
	}
}

func resourceByID(t *testing.T, s *synthesized, typ, id string) resource {
	t.Helper()
	for _, r := range s.resources(typ) {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no %s %s", typ, id)
	return resource{}
}

func retained(r resource) bool {
	return r.Raw["DeletionPolicy"] == "Retain" && r.Raw["UpdateReplacePolicy"] == "Retain"
}

// TestTableProtections: the key table follows the key-source contract and
// cannot lose keys: PITR, customer-managed KMS, deletion protection, Retain.
func TestTableProtections(t *testing.T) {
	s := synth(t, "dynamodb")
	tbl := s.one(t, "AWS::DynamoDB::Table")
	p := tbl.Props
	ks := map[string]string{}
	for _, k := range list(p["KeySchema"]) {
		m := k.(map[string]any)
		ks[m["KeyType"].(string)] = m["AttributeName"].(string)
	}
	if ks["HASH"] != "contentId" || ks["RANGE"] != "kid" || len(ks) != 2 {
		t.Errorf("key schema %v, want contentId/kid", ks)
	}
	for _, a := range list(p["AttributeDefinitions"]) {
		if a.(map[string]any)["AttributeType"] != "S" {
			t.Errorf("attribute %v is not a string", a)
		}
	}
	if p["BillingMode"] != "PAY_PER_REQUEST" {
		t.Errorf("BillingMode %v", p["BillingMode"])
	}
	if pitr, _ := p["PointInTimeRecoverySpecification"].(map[string]any); pitr["PointInTimeRecoveryEnabled"] != true {
		t.Errorf("PITR %v", p["PointInTimeRecoverySpecification"])
	}
	sse, _ := p["SSESpecification"].(map[string]any)
	if sse["SSEEnabled"] != true || sse["SSEType"] != "KMS" || ref(sse["KMSMasterKeyId"]) != s.id(s.stack.KeyStoreKey) {
		t.Errorf("SSE %v, want the stack's customer-managed key", sse)
	}
	if p["DeletionProtectionEnabled"] != true {
		t.Error("DeletionProtectionEnabled is not true")
	}
	if !retained(tbl) {
		t.Error("table is not retained on delete/replace")
	}
	checkKeyStoreKey(t, s)
}

func checkKeyStoreKey(t *testing.T, s *synthesized) {
	t.Helper()
	key := resourceByID(t, s, "AWS::KMS::Key", s.id(s.stack.KeyStoreKey))
	if key.Props["EnableKeyRotation"] != true {
		t.Error("key store CMK has no rotation")
	}
	if !retained(key) {
		t.Error("key store CMK is not retained")
	}
}

// TestSecretProtections: the seed secret is retained, encrypted with the
// CMK, never rotated, and its value is not in the template.
func TestSecretProtections(t *testing.T) {
	s := synth(t, "secrets")
	sec := resourceByID(t, s, "AWS::SecretsManager::Secret", s.id(s.stack.Secret))
	if !retained(sec) {
		t.Error("secret is not retained")
	}
	if ref(sec.Props["KmsKeyId"]) != s.id(s.stack.KeyStoreKey) {
		t.Errorf("KmsKeyId %v", sec.Props["KmsKeyId"])
	}
	if sec.Props["SecretString"] != nil || sec.Props["GenerateSecretString"] != nil {
		t.Errorf("secret value is generated by CloudFormation or in the template: %v", sec.Props)
	}
	if n := len(s.resources("AWS::SecretsManager::RotationSchedule")); n != 0 {
		t.Errorf("%d rotation schedules; the seed must never rotate", n)
	}
	cr := s.one(t, "Custom::SpekeSeed")
	if ref(cr.Props["SecretId"]) != sec.ID || !retained(cr) || cr.Props["Format"] != nil {
		t.Errorf("seed writer resource %v", cr.Raw)
	}
	for _, f := range []string{s.id(s.stack.Function), s.id(s.stack.ReadOnlyFunction)} {
		fn := resourceByID(t, s, "AWS::Lambda::Function", f)
		if !slices.Contains(strs(fn.Raw["DependsOn"]), cr.ID) {
			t.Errorf("%s does not wait for the seed (DependsOn %v)", f, fn.Raw["DependsOn"])
		}
	}
	checkKeyStoreKey(t, s)
}

// TestTokenSecret: the playback-token secret is retained, encrypted with a
// CMK of its own (rotating, retained), never rotated, filled once by the
// writer with a bare base64 key, readable by the read-only function only,
// which waits for it.
func TestTokenSecret(t *testing.T) {
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		sec := resourceByID(t, s, "AWS::SecretsManager::Secret", s.id(s.stack.TokenSecret))
		key := resourceByID(t, s, "AWS::KMS::Key", s.id(s.stack.TokenKey))
		if !retained(sec) || !retained(key) || key.Props["EnableKeyRotation"] != true {
			t.Error("token secret or its key not retained, or the key does not rotate")
		}
		if ref(sec.Props["KmsKeyId"]) != key.ID || key.ID == s.id(s.stack.KeyStoreKey) {
			t.Errorf("token secret KmsKeyId %v, want its own key", sec.Props["KmsKeyId"])
		}
		if sec.Props["SecretString"] != nil || sec.Props["GenerateSecretString"] != nil {
			t.Errorf("secret value is generated by CloudFormation or in the template: %v", sec.Props)
		}
		for _, r := range s.resources("AWS::SecretsManager::RotationSchedule") {
			t.Errorf("rotation schedule %s", r.ID)
		}
		cr := s.one(t, "Custom::SpekePlaybackTokenKey")
		if ref(cr.Props["SecretId"]) != sec.ID || cr.Props["Format"] != "base64-32" || !retained(cr) {
			t.Errorf("token writer resource %v", cr.Raw)
		}
		ro := resourceByID(t, s, "AWS::Lambda::Function", s.id(s.stack.ReadOnlyFunction))
		if !slices.Contains(strs(ro.Raw["DependsOn"]), cr.ID) {
			t.Errorf("the read-only function does not wait for the token key (DependsOn %v)", ro.Raw["DependsOn"])
		}
		// Who can read it: the read-only function, and the writer (which
		// only describes and puts).
		for _, p := range s.identityPolicies() {
			for _, st := range statements(p.doc) {
				if !slices.ContainsFunc(list(st["Resource"]), func(r any) bool { return ref(r) == sec.ID }) {
					continue
				}
				reads := slices.Contains(strs(st["Action"]), "secretsmanager:GetSecretValue")
				if reads && !slices.Equal(p.roles, []string{ref(ro.Props["Role"])}) {
					t.Errorf("%s (roles %v) can read the token secret", p.where, p.roles)
				}
			}
		}
	})
}

// TestStageLogsNoBodies: on both APIs' stages, no data trace, execution
// logs at ERROR, an access log format made of identifiers only (no query
// string, where a player's token may travel), and each stage's throttling.
func TestStageLogsNoBodies(t *testing.T) {
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		stages := s.resources("AWS::ApiGateway::Stage")
		if len(stages) != 2 {
			t.Fatalf("%d stages, want 2", len(stages))
		}
		for _, stage := range stages {
			checkStage(t, s, stage)
		}
	})
}

func checkStage(t *testing.T, s *synthesized, stage resource) {
	t.Helper()
	st := stage.Props
	rate, burst := s.cfg.ThrottleRate, s.cfg.ThrottleBurst
	if ref(st["RestApiId"]) == s.playerAPIID() {
		rate, burst = s.cfg.PlayerThrottleRate, s.cfg.PlayerThrottleBurst
	}
	{
		if st["StageName"] != s.cfg.StageName {
			t.Errorf("StageName %v", st["StageName"])
		}
		ms := list(st["MethodSettings"])
		if len(ms) == 0 {
			t.Fatal("no MethodSettings")
		}
		for _, x := range ms {
			m := x.(map[string]any)
			if m["DataTraceEnabled"] != false {
				t.Errorf("DataTraceEnabled = %v, want false", m["DataTraceEnabled"])
			}
			if m["LoggingLevel"] != "ERROR" {
				t.Errorf("LoggingLevel = %v, want ERROR", m["LoggingLevel"])
			}
			if m["ThrottlingRateLimit"] != rate || m["ThrottlingBurstLimit"] != burst {
				t.Errorf("%s: throttling %v/%v, want %v/%v", stage.ID, m["ThrottlingRateLimit"], m["ThrottlingBurstLimit"], rate, burst)
			}
		}
		als, _ := st["AccessLogSetting"].(map[string]any)
		format, _ := als["Format"].(string)
		if format == "" || als["DestinationArn"] == nil {
			t.Fatalf("no access log: %v", als)
		}
		for _, bad := range []string{"$input", "body", "$method.request", "$context.requestOverride", "$context.responseOverride", "$util",
			"querystring", "$context.path", "authorization"} {
			if strings.Contains(strings.ToLower(format), strings.ToLower(bad)) {
				t.Errorf("access log format contains %q", bad)
			}
		}
	}
}

// TestFunctionShape: both service functions: the same asset, runtime,
// architecture, timeout inside API Gateway's 29 s, JSON logs with
// retention, reserved concurrency only when asked (SPEKE function), SERVE,
// and the SPEKE function signals the players' base URL.
func TestFunctionShape(t *testing.T) {
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		speke := resourceByID(t, s, "AWS::Lambda::Function", s.id(s.stack.Function)).Props
		ro := resourceByID(t, s, "AWS::Lambda::Function", s.id(s.stack.ReadOnlyFunction)).Props
		if fmt.Sprint(speke["Code"]) != fmt.Sprint(ro["Code"]) || ro["Code"] == nil {
			t.Errorf("the functions run different code: %v vs %v", speke["Code"], ro["Code"])
		}
		if _, has := ro["ReservedConcurrentExecutions"]; has {
			t.Error("the read-only function reserves concurrency")
		}
		checkFunction(t, s, ro, serveReadOnly)
		fn := speke
		checkFunction(t, s, fn, serveSpeke)
		rc, has := fn["ReservedConcurrentExecutions"]
		if s.cfg.ReservedConcurrency == 0 && has || s.cfg.ReservedConcurrency > 0 && rc != float64(s.cfg.ReservedConcurrency) {
			t.Errorf("ReservedConcurrentExecutions %v, want %d", rc, s.cfg.ReservedConcurrency)
		}
		vars := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
		want := "https://<" + s.playerAPIID() + ">.execute-api.<AWS::Region>.<AWS::URLSuffix>/" + s.cfg.StageName
		if s.cfg.PlayerBaseURL != "" {
			want = s.cfg.PlayerBaseURL
		}
		if got := joined(vars["PUBLIC_BASE_URL"]); got != want {
			t.Errorf("PUBLIC_BASE_URL %s, want %s", got, want)
		}
		roVars := ro["Environment"].(map[string]any)["Variables"].(map[string]any)
		if got, want := roVars["CORS_ALLOWED_ORIGINS"], strings.Join(s.cfg.CORSAllowedOrigins, ","); fmt.Sprint(got) != want && !(got == nil && want == "") {
			t.Errorf("CORS_ALLOWED_ORIGINS %v, want %q", got, want)
		}
	})
}

func checkFunction(t *testing.T, s *synthesized, fn map[string]any, serve string) {
	t.Helper()
	{
		if fn["Runtime"] != "provided.al2023" || !slices.Equal(strs(fn["Architectures"]), []string{"arm64"}) || fn["Handler"] != "bootstrap" {
			t.Errorf("runtime %v %v %v", fn["Runtime"], fn["Architectures"], fn["Handler"])
		}
		if to, _ := fn["Timeout"].(float64); to <= 0 || to >= 29 {
			t.Errorf("Timeout %v, want inside API Gateway's 29 s", fn["Timeout"])
		}
		if mem, _ := fn["MemorySize"].(float64); mem < 128 || mem > 256 {
			t.Errorf("MemorySize %v", fn["MemorySize"])
		}
		lc, _ := fn["LoggingConfig"].(map[string]any)
		if lc["LogFormat"] != "JSON" {
			t.Errorf("LogFormat %v", lc["LogFormat"])
		}
		lg := resourceByID(t, s, "AWS::Logs::LogGroup", ref(lc["LogGroup"]))
		if lg.Props["RetentionInDays"] != float64(s.cfg.LogRetentionDays) || !retained(lg) {
			t.Errorf("log retention %v, retained %v", lg.Props["RetentionInDays"], retained(lg))
		}
		vars := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
		if vars["SERVE"] != serve {
			t.Errorf("SERVE %v, want %s", vars["SERVE"], serve)
		}
	}
}

// TestOutputs: what the operator pastes into the media services.
func TestOutputs(t *testing.T) {
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		outs := s.tpl["Outputs"].(map[string]any)
		val := func(k string) string {
			o, ok := outs[k].(map[string]any)
			if !ok {
				t.Errorf("output %s missing", k)
				return ""
			}
			return joined(o["Value"])
		}
		stage := func(api string) string {
			return "https://<" + api + ">.execute-api.<AWS::Region>.<AWS::URLSuffix>/" + s.cfg.StageName
		}
		if got, want := val("SpekeEndpointUrl"), stage(s.apiID())+"/"+SpekePath; got != want {
			t.Errorf("SpekeEndpointUrl %s, want %s", got, want)
		}
		players := stage(s.playerAPIID())
		if s.cfg.PlayerBaseURL != "" {
			players = s.cfg.PlayerBaseURL
			if got := val("PlayerApiUrl"); got != stage(s.playerAPIID()) {
				t.Errorf("PlayerApiUrl %s", got)
			}
		}
		if got := val("PlayerBaseUrl"); got != players {
			t.Errorf("PlayerBaseUrl %s, want %s", got, players)
		}
		if val("PlaybackTokenSecretArn") != "<"+s.id(s.stack.TokenSecret)+">" || val("PlaybackTokenKeyArn") != "<"+s.id(s.stack.TokenKey)+">" {
			t.Error("token outputs do not point at the secret and its key")
		}
		if s.stack.LicenseServerRole != nil {
			if val("LicenseServerRoleArn") != "<"+s.id(s.stack.LicenseServerRole)+">" || val("ExportEndpointUrl") != stage(s.apiID())+"/"+ExportPath {
				t.Error("license-server outputs")
			}
		} else if outs["LicenseServerRoleArn"] != nil {
			t.Error("LicenseServerRoleArn output without a role")
		}
		if val("MediaPackageRoleArn") != "<"+s.id(s.stack.MediaPackageRole)+">" || val("MediaConvertRoleArn") != "<"+s.id(s.stack.MediaConvertRole)+">" {
			t.Error("role ARN outputs do not point at the roles")
		}
		if s.cfg.KeyStore == KeyStoreDynamoDB {
			val("KeyTableName")
		} else {
			val("SeedSecretArn")
		}
	})
}

// TestAlarms: SPEKE API 5xx, 4xx and p99 latency, players' API 5xx, both
// functions' errors and throttles, wired to the topic when an email is
// configured.
func TestAlarms(t *testing.T) {
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		got := map[string]bool{}
		for _, a := range s.resources("AWS::CloudWatch::Alarm") {
			key := a.Props["Namespace"].(string) + "/" + a.Props["MetricName"].(string)
			if es, ok := a.Props["ExtendedStatistic"]; ok {
				key += "/" + es.(string)
			}
			for _, d := range list(a.Props["Dimensions"]) {
				key += "@" + joined(d.(map[string]any)["Value"])
			}
			got[key] = true
			actions := list(a.Props["AlarmActions"])
			if (s.cfg.AlarmEmail != "") != (len(actions) == 1) {
				t.Errorf("%s: alarm actions %v with alarmEmail %q", a.ID, actions, s.cfg.AlarmEmail)
			}
		}
		fn, ro := "@<"+s.id(s.stack.Function)+">", "@<"+s.id(s.stack.ReadOnlyFunction)+">"
		for _, k := range []string{"AWS/ApiGateway/5XXError@Api", "AWS/ApiGateway/4XXError@Api", "AWS/ApiGateway/Latency/p99@Api",
			"AWS/Lambda/Errors" + fn, "AWS/Lambda/Throttles" + fn,
			"AWS/ApiGateway/5XXError@PlayerApi", "AWS/Lambda/Errors" + ro, "AWS/Lambda/Throttles" + ro} {
			if !got[k] {
				t.Errorf("no alarm on %s (have %v)", k, got)
			}
		}
		dash := s.one(t, "AWS::CloudWatch::Dashboard")
		body := joined(dash.Props["DashboardBody"])
		for _, w := range []string{`"` + metricNamespace + `","` + ExportedKeysMetric + `"`, "<" + s.id(s.stack.ReadOnlyFunction) + ">", `"PlayerApi"`} {
			if !strings.Contains(body, w) {
				t.Errorf("dashboard does not graph %s", w)
			}
		}
		if s.cfg.AlarmEmail != "" {
			topic := s.one(t, "AWS::SNS::Topic")
			if topic.Props["KmsMasterKeyId"] == nil {
				t.Error("alarm topic is not encrypted")
			}
			sub := s.one(t, "AWS::SNS::Subscription")
			if sub.Props["Endpoint"] != s.cfg.AlarmEmail || sub.Props["Protocol"] != "email" {
				t.Errorf("subscription %v", sub.Props)
			}
		}
	})
}

// TestNagClean: no unsuppressed AwsSolutions error or warning.
func TestNagClean(t *testing.T) {
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		for _, f := range findings(s.stack.Stack, metadataError, metadataWarning) {
			if strings.Contains(f.Message, "AwsSolutions-") {
				t.Errorf("%s: %s", f.Path, f.Message)
			}
		}
	})
}

// TestNagDetectsFindings keeps TestNagClean honest: a stack with a role
// using an AWS-managed policy must produce an AwsSolutions-IAM4 error.
func TestNagDetectsFindings(t *testing.T) {
	s := synthConfig(t, variantConfig("dynamodb"), func(k *KeyProviderStack) {
		awsiam.NewRole(k.Stack, jsii.String("Careless"), &awsiam.RoleProps{
			AssumedBy:       awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
			ManagedPolicies: &[]awsiam.IManagedPolicy{awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("AdministratorAccess"))},
		})
	})
	var iam4 []finding
	for _, f := range findings(s.stack.Stack, metadataError) {
		if strings.Contains(f.Message, "AwsSolutions-IAM4") {
			iam4 = append(iam4, f)
		}
	}
	if len(iam4) == 0 {
		t.Fatal("cdk-nag reported nothing for a role with AdministratorAccess: the checks are not running")
	}
	if f := wildcardFindings(s.identityPolicies()); len(f) != 0 {
		// Managed policies are not in the template, so the walker cannot
		// see them; cdk-nag (above) is what covers that case.
		t.Logf("walker findings: %v", f)
	}
}

// TestCfnLint runs cfn-lint on each synthesized template.
func TestCfnLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatal("cfn-lint not found on PATH (install cfn-lint 1.x; .ci/run checks for it)")
	}
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		path := filepath.Join(t.TempDir(), StackName+".template.json")
		b, err := jsonMarshalIndent(s.tpl)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		// Errors fail; warnings (CDK's explicit DependsOn, W3005) do not.
		out, err := exec.Command(bin, "--non-zero-exit-code", "error", path).CombinedOutput()
		if err != nil {
			t.Errorf("cfn-lint: %v\n%s", err, out)
		}
	})
}

// TestPolicyChangeRedeploys: API Gateway applies a resource policy only
// with a new deployment. If a change of the allow-list did not change the
// Deployment's logical ID, a principal removed from the list would keep
// its access until some unrelated change redeployed the API.
func TestPolicyChangeRedeploys(t *testing.T) {
	base := synth(t, "dynamodb")
	cfg := variantConfig("dynamodb")
	cfg.AllowedPrincipalArns = []string{extraPrincipal}
	changed := synthConfig(t, cfg, nil)
	deployment := func(s *synthesized) string {
		d := s.byRef("AWS::ApiGateway::Deployment", "RestApiId", s.apiID())
		if len(d) != 1 {
			t.Fatalf("%d deployments of the SPEKE API", len(d))
		}
		return d[0].ID
	}
	before, after := deployment(base), deployment(changed)
	if before == after {
		t.Errorf("deployment %s unchanged after an allow-list change", before)
	}
	stage := changed.byRef("AWS::ApiGateway::Stage", "RestApiId", changed.apiID())
	if len(stage) != 1 || ref(stage[0].Props["DeploymentId"]) != after {
		t.Errorf("stage %v, want one pointing at the new deployment %s", stage, after)
	}
}
