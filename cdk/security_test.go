package main

import (
	"encoding/json"
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

// TestAPIMethodIsIAMOnly: the API has exactly one method, POST
// /copyProtection, and it requires SigV4.
func TestAPIMethodIsIAMOnly(t *testing.T) {
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		methods := s.resources("AWS::ApiGateway::Method")
		if len(methods) != 1 {
			t.Fatalf("want exactly one API method (POST /copyProtection), got %d", len(methods))
		}
		m := methods[0].Props
		if m["AuthorizationType"] != "AWS_IAM" {
			t.Errorf("AuthorizationType = %v, want AWS_IAM", m["AuthorizationType"])
		}
		if m["HttpMethod"] != "POST" {
			t.Errorf("HttpMethod = %v, want POST", m["HttpMethod"])
		}
		res := s.one(t, "AWS::ApiGateway::Resource")
		if ref(m["ResourceId"]) != res.ID || res.Props["PathPart"] != SpekePath {
			t.Errorf("method is not on /%s: resource %v, path %v", SpekePath, m["ResourceId"], res.Props["PathPart"])
		}
		integ := m["Integration"].(map[string]any)
		if integ["Type"] != "AWS_PROXY" {
			t.Errorf("integration type %v, want AWS_PROXY", integ["Type"])
		}
	})
}

// TestResourcePolicy: the listed principals (the two roles plus configured
// extras) may invoke POST /copyProtection, and every other principal is
// explicitly denied on the whole API.
func TestResourcePolicy(t *testing.T) {
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		api := s.one(t, "AWS::ApiGateway::RestApi")
		want := []string{"<" + s.id(s.stack.MediaConvertRole) + ">", "<" + s.id(s.stack.MediaPackageRole) + ">"}
		want = append(want, s.cfg.AllowedPrincipalArns...)
		sort.Strings(want)

		var allows, denies int
		for _, st := range statements(api.Props["Policy"]) {
			principals := principalList(st["Principal"])
			switch st["Effect"] {
			case "Allow":
				allows++
				if !slices.Equal(principals, want) {
					t.Errorf("Allow principals %v, want %v", principals, want)
				}
				if r := strs(st["Resource"]); !slices.Equal(r, []string{"execute-api:/" + s.cfg.StageName + "/POST/" + SpekePath}) {
					t.Errorf("Allow resource %v, want only POST /%s of the stage", r, SpekePath)
				}
				if _, ok := st["Condition"]; ok {
					t.Errorf("Allow must not be conditional: %v", st["Condition"])
				}
			case "Deny":
				denies++
				if !slices.Equal(principals, []string{"*"}) {
					t.Errorf("Deny principals %v, want everyone (*)", principals)
				}
				if r := strs(st["Resource"]); !slices.Equal(r, []string{"execute-api:/*"}) {
					t.Errorf("Deny resource %v, want the whole API", r)
				}
				if a := strs(st["Action"]); !slices.Equal(a, []string{"execute-api:Invoke"}) {
					t.Errorf("Deny actions %v", a)
				}
				cond, _ := st["Condition"].(map[string]any)
				if len(cond) != 1 {
					t.Fatalf("Deny needs exactly one condition operator, got %v", cond)
				}
				notLike, _ := cond["ArnNotLike"].(map[string]any)
				if len(notLike) != 1 || notLike["aws:PrincipalArn"] == nil {
					t.Fatalf("Deny condition = %v, want ArnNotLike on aws:PrincipalArn only", cond)
				}
				var got []string
				for _, p := range list(notLike["aws:PrincipalArn"]) {
					got = append(got, joined(p))
				}
				sort.Strings(got)
				if !slices.Equal(got, want) {
					t.Errorf("Deny exempts %v, want exactly %v", got, want)
				}
			default:
				t.Errorf("unexpected statement %v", st)
			}
		}
		if allows != 1 || denies != 1 {
			t.Errorf("want one Allow and one Deny, got %d and %d", allows, denies)
		}
	})
}

func principalList(p any) []string {
	if p == "*" {
		return []string{"*"}
	}
	m, _ := p.(map[string]any)
	var out []string
	for k, v := range m {
		if k != "AWS" {
			out = append(out, k+":?")
			continue
		}
		for _, x := range list(v) {
			out = append(out, joined(x))
		}
	}
	sort.Strings(out)
	return out
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

// TestEncryptorRolePermissions: the policies attached to each encryptor
// role allow execute-api:Invoke on POST /copyProtection of this API's stage
// and nothing else.
func TestEncryptorRolePermissions(t *testing.T) {
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		api := s.one(t, "AWS::ApiGateway::RestApi")
		wantArn := "arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<" + api.ID + ">/" + s.cfg.StageName + "/POST/" + SpekePath
		for _, role := range []string{s.id(s.stack.MediaPackageRole), s.id(s.stack.MediaConvertRole)} {
			var n int
			for _, p := range s.identityPolicies() {
				if !slices.Contains(p.roles, role) {
					continue
				}
				for _, st := range statements(p.doc) {
					n++
					if st["Effect"] != "Allow" || !slices.Equal(strs(st["Action"]), []string{"execute-api:Invoke"}) {
						t.Errorf("%s: statement %v, want Allow execute-api:Invoke only", role, st)
					}
					res := list(st["Resource"])
					if len(res) != 1 || joined(res[0]) != wantArn {
						t.Errorf("%s: resource %v, want %s", role, res, wantArn)
					}
					if st["NotAction"] != nil || st["NotResource"] != nil {
						t.Errorf("%s: NotAction/NotResource widen the grant: %v", role, st)
					}
				}
			}
			if n != 1 {
				t.Errorf("%s: %d statements, want exactly 1", role, n)
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

// TestFunctionGrantsFollowKeyStore: the function's role can touch its own
// logs and the selected key store, nothing of the other store.
func TestFunctionGrantsFollowKeyStore(t *testing.T) {
	logs := []string{"logs:CreateLogStream", "logs:PutLogEvents"}
	want := map[string][]string{
		"dynamodb": append([]string{"dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem",
			"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"}, logs...),
		"secrets": append([]string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}, logs...),
	}
	for _, v := range variants {
		t.Run(v, func(t *testing.T) {
			s := synth(t, v)
			// In the secrets variant the seed writer is a second function.
			fn := resourceByID(t, s, "AWS::Lambda::Function", s.id(s.stack.Function))
			got := s.actionsOf(ref(fn.Props["Role"]))
			w := want[v]
			sort.Strings(w)
			if !slices.Equal(got, w) {
				t.Errorf("function actions %v, want %v", got, w)
			}
			vars := fn.Props["Environment"].(map[string]any)["Variables"].(map[string]any)
			if vars["KEY_SOURCE"] != s.cfg.KeyStore {
				t.Errorf("KEY_SOURCE = %v, want %s", vars["KEY_SOURCE"], s.cfg.KeyStore)
			}
			tables, secrets := s.resources("AWS::DynamoDB::Table"), s.resources("AWS::SecretsManager::Secret")
			switch s.cfg.KeyStore {
			case KeyStoreDynamoDB:
				if len(tables) != 1 || len(secrets) != 0 || ref(vars["TABLE_NAME"]) != tables[0].ID || vars["SECRET_ID"] != nil {
					t.Errorf("dynamodb variant: %d tables, %d secrets, env %v", len(tables), len(secrets), vars)
				}
			case KeyStoreSecretsManager:
				if len(tables) != 0 || len(secrets) != 1 || ref(vars["SECRET_ID"]) != secrets[0].ID || vars["TABLE_NAME"] != nil {
					t.Errorf("secretsmanager variant: %d tables, %d secrets, env %v", len(tables), len(secrets), vars)
				}
			}
		})
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
	sec := s.one(t, "AWS::SecretsManager::Secret")
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
	if ref(cr.Props["SecretId"]) != sec.ID || !retained(cr) {
		t.Errorf("seed writer resource %v", cr.Raw)
	}
	fn := resourceByID(t, s, "AWS::Lambda::Function", s.id(s.stack.Function))
	if !slices.Contains(strs(fn.Raw["DependsOn"]), cr.ID) {
		t.Errorf("the function does not wait for the seed (DependsOn %v)", fn.Raw["DependsOn"])
	}
	checkKeyStoreKey(t, s)
}

// TestStageLogsNoBodies: no data trace, execution logs at ERROR, and an
// access log format made of identifiers only.
func TestStageLogsNoBodies(t *testing.T) {
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		st := s.one(t, "AWS::ApiGateway::Stage").Props
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
			if m["ThrottlingRateLimit"] != s.cfg.ThrottleRate || m["ThrottlingBurstLimit"] != s.cfg.ThrottleBurst {
				t.Errorf("throttling %v/%v, want %v/%v", m["ThrottlingRateLimit"], m["ThrottlingBurstLimit"], s.cfg.ThrottleRate, s.cfg.ThrottleBurst)
			}
		}
		als, _ := st["AccessLogSetting"].(map[string]any)
		format, _ := als["Format"].(string)
		if format == "" || als["DestinationArn"] == nil {
			t.Fatalf("no access log: %v", als)
		}
		for _, bad := range []string{"$input", "body", "$method.request", "$context.requestOverride", "$context.responseOverride", "$util"} {
			if strings.Contains(strings.ToLower(format), strings.ToLower(bad)) {
				t.Errorf("access log format contains %q", bad)
			}
		}
	})
}

// TestFunctionShape: runtime, architecture, timeout inside API Gateway's
// 29 s, JSON logs with retention, reserved concurrency only when asked.
func TestFunctionShape(t *testing.T) {
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		fn := resourceByID(t, s, "AWS::Lambda::Function", s.id(s.stack.Function)).Props
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
		if lg.Props["RetentionInDays"] != float64(s.cfg.LogRetentionDays) {
			t.Errorf("log retention %v", lg.Props["RetentionInDays"])
		}
		rc, has := fn["ReservedConcurrentExecutions"]
		if s.cfg.ReservedConcurrency == 0 && has || s.cfg.ReservedConcurrency > 0 && rc != float64(s.cfg.ReservedConcurrency) {
			t.Errorf("ReservedConcurrentExecutions %v, want %d", rc, s.cfg.ReservedConcurrency)
		}
		vars := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
		api := s.one(t, "AWS::ApiGateway::RestApi")
		want := "https://<" + api.ID + ">.execute-api.<AWS::Region>.<AWS::URLSuffix>/" + s.cfg.StageName
		if got := joined(vars["PUBLIC_BASE_URL"]); got != want {
			t.Errorf("PUBLIC_BASE_URL %s, want %s", got, want)
		}
	})
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
		api := s.one(t, "AWS::ApiGateway::RestApi")
		if got, want := val("SpekeEndpointUrl"), "https://<"+api.ID+">.execute-api.<AWS::Region>.<AWS::URLSuffix>/"+s.cfg.StageName+"/"+SpekePath; got != want {
			t.Errorf("SpekeEndpointUrl %s, want %s", got, want)
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

// TestAlarms: 5xx, 4xx, p99 latency, function errors and throttles, wired
// to the topic when an email is configured.
func TestAlarms(t *testing.T) {
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		got := map[string]bool{}
		for _, a := range s.resources("AWS::CloudWatch::Alarm") {
			key := a.Props["Namespace"].(string) + "/" + a.Props["MetricName"].(string)
			if es, ok := a.Props["ExtendedStatistic"]; ok {
				key += "/" + es.(string)
			}
			got[key] = true
			actions := list(a.Props["AlarmActions"])
			if (s.cfg.AlarmEmail != "") != (len(actions) == 1) {
				t.Errorf("%s: alarm actions %v with alarmEmail %q", a.ID, actions, s.cfg.AlarmEmail)
			}
		}
		for _, k := range []string{"AWS/ApiGateway/5XXError", "AWS/ApiGateway/4XXError", "AWS/ApiGateway/Latency/p99", "AWS/Lambda/Errors", "AWS/Lambda/Throttles"} {
			if !got[k] {
				t.Errorf("no alarm on %s (have %v)", k, got)
			}
		}
		if len(s.resources("AWS::CloudWatch::Dashboard")) != 1 {
			t.Error("no dashboard")
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
	before, after := base.one(t, "AWS::ApiGateway::Deployment").ID, changed.one(t, "AWS::ApiGateway::Deployment").ID
	if before == after {
		t.Errorf("deployment %s unchanged after an allow-list change", before)
	}
	stage := changed.one(t, "AWS::ApiGateway::Stage")
	if ref(stage.Props["DeploymentId"]) != after {
		t.Errorf("stage points at %v, want the new deployment %s", stage.Props["DeploymentId"], after)
	}
}
