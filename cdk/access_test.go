package main

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// Who may call what, proven on the synthesized template: the methods of both
// APIs, and an evaluation of the SPEKE API's resource policy together with
// the callers' identity policies, the way API Gateway combines them.

// apiMethod is one AWS::ApiGateway::Method with its full path and the function
// its integration invokes.
type apiMethod struct {
	api, verb, path, auth, integType, function string
}

func (s *synthesized) methods(t *testing.T) []apiMethod {
	t.Helper()
	resources := map[string]resource{}
	for _, r := range s.resources("AWS::ApiGateway::Resource") {
		resources[r.ID] = r
	}
	var fullPath func(id string) string
	fullPath = func(id string) string {
		r, ok := resources[id]
		if !ok {
			return "" // the API's root resource (GetAtt RootResourceId)
		}
		return path.Join(fullPath(ref(r.Props["ParentId"])), r.Props["PathPart"].(string))
	}
	functions := s.resources("AWS::Lambda::Function")
	var out []apiMethod
	for _, m := range s.resources("AWS::ApiGateway::Method") {
		integ, _ := m.Props["Integration"].(map[string]any)
		uri := joined(integ["Uri"])
		fn := ""
		for _, f := range functions {
			if strings.Contains(uri, "<"+f.ID+">") {
				fn = f.ID
			}
		}
		out = append(out, apiMethod{
			api: ref(m.Props["RestApiId"]), verb: m.Props["HttpMethod"].(string), path: fullPath(ref(m.Props["ResourceId"])),
			auth: fmt.Sprint(m.Props["AuthorizationType"]), integType: fmt.Sprint(integ["Type"]), function: fn,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].api+out[i].path+out[i].verb < out[j].api+out[j].path+out[j].verb })
	return out
}

// TestAPIMethods: the SPEKE API has exactly POST /copyProtection and GET
// /heartbeat (SPEKE function) and POST /export (read-only function), all
// SigV4; the players' API has exactly the four unsigned player routes, all
// on the read-only function. Every integration is a Lambda proxy.
func TestAPIMethods(t *testing.T) {
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		speke, ro := s.id(s.stack.Function), s.id(s.stack.ReadOnlyFunction)
		want := []apiMethod{
			{s.apiID(), "POST", SpekePath, "AWS_IAM", "AWS_PROXY", speke},
			{s.apiID(), "POST", ExportPath, "AWS_IAM", "AWS_PROXY", ro},
			{s.apiID(), "GET", HeartbeatPath, "AWS_IAM", "AWS_PROXY", speke},
			{s.playerAPIID(), "OPTIONS", ClearKeyLicensePath, "NONE", "AWS_PROXY", ro},
			{s.playerAPIID(), "POST", ClearKeyLicensePath, "NONE", "AWS_PROXY", ro},
			{s.playerAPIID(), "GET", PlayerKeyPath, "NONE", "AWS_PROXY", ro},
			{s.playerAPIID(), "OPTIONS", PlayerKeyPath, "NONE", "AWS_PROXY", ro},
		}
		sort.Slice(want, func(i, j int) bool {
			return want[i].api+want[i].path+want[i].verb < want[j].api+want[j].path+want[j].verb
		})
		if got := s.methods(t); !slices.Equal(got, want) {
			t.Errorf("methods\n got %v\nwant %v", got, want)
		}
		// The players' API is public by design: no resource policy that
		// could be mistaken for protection, and no API keys.
		players := resourceByID(t, s, "AWS::ApiGateway::RestApi", s.playerAPIID())
		if players.Props["Policy"] != nil || players.Props["ApiKeySourceType"] != nil {
			t.Errorf("players' API: %v", players.Props)
		}
		// API Gateway's own 4xx/5xx carry the CORS header when any
		// origin is allowed, so that players see the status.
		var cors []string
		for _, g := range s.resources("AWS::ApiGateway::GatewayResponse") {
			h, _ := g.Props["ResponseParameters"].(map[string]any)
			if ref(g.Props["RestApiId"]) == s.playerAPIID() && h["gatewayresponse.header.Access-Control-Allow-Origin"] == "'*'" {
				cors = append(cors, fmt.Sprint(g.Props["ResponseType"]))
			}
		}
		sort.Strings(cors)
		if want := []string{"DEFAULT_4XX", "DEFAULT_5XX"}; corsAnyOrigin(s.cfg.CORSAllowedOrigins) != slices.Equal(cors, want) ||
			len(cors) != len(s.resources("AWS::ApiGateway::GatewayResponse")) {
			t.Errorf("CORS gateway responses %v with origins %v", cors, s.cfg.CORSAllowedOrigins)
		}
		// Each function may be invoked only by its own API's methods.
		for _, p := range s.resources("AWS::Lambda::Permission") {
			fn, src := ref(p.Props["FunctionName"]), joined(p.Props["SourceArn"])
			api := s.apiID()
			if fn == ro && !strings.Contains(src, "/"+ExportPath) {
				api = s.playerAPIID()
			}
			if p.Props["Principal"] != "apigateway.amazonaws.com" || !strings.Contains(src, ":<"+api+">/") || strings.Contains(src, "test-invoke-stage") {
				t.Errorf("permission %s on %s from %s", p.ID, fn, src)
			}
		}
	})
}

// caller is a principal as the resource policy sees it (aws:PrincipalArn),
// with its identity policy statements.
type caller struct {
	name        string
	arn         string
	sameAccount bool
	identity    []map[string]any
}

// broadIdentity is an identity policy allowing every execute-api action
// everywhere: an administrator, or a role someone was careless with.
var broadIdentity = []map[string]any{{"Effect": "Allow", "Action": "execute-api:*", "Resource": "*"}}

// globMatch is IAM's string matching: * any run of characters, ? one.
func globMatch(pattern, s string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(s)
}

// matches reports whether statement st covers the request. principal is
// nil for identity policies. Conditions other than ArnLike/ArnNotLike on
// aws:PrincipalArn fail the test: the evaluator must not ignore them.
func matches(t *testing.T, st map[string]any, principal *string, resource string) bool {
	t.Helper()
	if st["NotAction"] != nil || st["NotResource"] != nil || st["NotPrincipal"] != nil {
		t.Fatalf("evaluator does not model NotAction/NotResource/NotPrincipal: %v", st)
	}
	if !slices.ContainsFunc(strs(st["Action"]), func(a string) bool { return globMatch(strings.ToLower(a), "execute-api:invoke") }) {
		return false
	}
	if !slices.ContainsFunc(list(st["Resource"]), func(r any) bool { return globMatch(joined(r), resource) }) {
		return false
	}
	if principal != nil {
		p := st["Principal"]
		if m, ok := p.(map[string]any); ok {
			p = m["AWS"]
		}
		if !slices.ContainsFunc(list(p), func(x any) bool { return joined(x) == "*" || joined(x) == *principal }) {
			return false
		}
	}
	cond, _ := st["Condition"].(map[string]any)
	for op, v := range cond {
		keys, _ := v.(map[string]any)
		for k, vals := range keys {
			if k != "aws:PrincipalArn" || (op != "ArnLike" && op != "ArnNotLike") || principal == nil {
				t.Fatalf("evaluator does not model condition %s %s", op, k)
			}
			in := slices.ContainsFunc(list(vals), func(x any) bool { return globMatch(joined(x), *principal) })
			if (op == "ArnLike") != in {
				return false
			}
		}
	}
	return true
}

// allowed evaluates one call as API Gateway does for AWS_IAM methods with a
// resource policy: an explicit Deny in either policy wins; otherwise a
// same-account caller needs an Allow in either, a caller from another
// account an Allow in both.
func allowed(t *testing.T, resourcePolicy any, c caller, apiID, stage, verb, route string) bool {
	t.Helper()
	rpResource := "execute-api:/" + stage + "/" + verb + "/" + route
	idResource := "arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<" + apiID + ">/" + stage + "/" + verb + "/" + route
	var rpAllow, idAllow bool
	for _, st := range statements(resourcePolicy) {
		if matches(t, st, &c.arn, rpResource) {
			if st["Effect"] == "Deny" {
				return false
			}
			rpAllow = true
		}
	}
	for _, st := range c.identity {
		if matches(t, st, nil, idResource) {
			if st["Effect"] == "Deny" {
				return false
			}
			idAllow = true
		}
	}
	if c.sameAccount {
		return rpAllow || idAllow
	}
	return rpAllow && idAllow
}

func (s *synthesized) identityStatements(roleID string) []map[string]any {
	var out []map[string]any
	for _, p := range s.identityPolicies() {
		if slices.Contains(p.roles, roleID) {
			out = append(out, statements(p.doc)...)
		}
	}
	return out
}

// accessMatrix lists, for each caller (with its own identity policies,
// with execute-api:* attached, and with no identity policy at all, so that
// the resource policy decides alone), the SPEKE API routes it can call.
func (s *synthesized) accessMatrix(t *testing.T, resourcePolicy any) map[string][]string {
	t.Helper()
	var callers []caller
	roles := map[string]string{"MediaPackageRole": s.id(s.stack.MediaPackageRole), "MediaConvertRole": s.id(s.stack.MediaConvertRole)}
	if s.stack.LicenseServerRole != nil {
		roles["LicenseServerRole"] = s.id(s.stack.LicenseServerRole)
	}
	for name, id := range roles {
		callers = append(callers,
			caller{name, "<" + id + ">", true, s.identityStatements(id)},
			caller{name + "+broad", "<" + id + ">", true, append(s.identityStatements(id), broadIdentity...)},
			caller{name + "+none", "<" + id + ">", true, nil})
	}
	for _, a := range s.cfg.AllowedPrincipalArns {
		callers = append(callers, caller{"extra:" + a, a, false, broadIdentity})
	}
	callers = append(callers, caller{"admin", "arn:aws:iam::<AWS::AccountId>:role/Admin", true, broadIdentity})

	routes := [][2]string{{"POST", SpekePath}, {"GET", HeartbeatPath}, {"POST", ExportPath}}
	out := map[string][]string{}
	for _, c := range callers {
		got := []string{}
		for _, r := range routes {
			if allowed(t, resourcePolicy, c, s.apiID(), s.cfg.StageName, r[0], r[1]) {
				got = append(got, r[0]+" /"+r[1])
			}
		}
		out[c.name] = got
	}
	return out
}

func (s *synthesized) wantAccess() map[string][]string {
	enc := []string{"POST /" + SpekePath, "GET /" + HeartbeatPath}
	want := map[string][]string{"admin": {}}
	roles := map[string][]string{"MediaPackageRole": enc, "MediaConvertRole": enc}
	if s.stack.LicenseServerRole != nil {
		roles["LicenseServerRole"] = []string{"POST /" + ExportPath}
	}
	for name, routes := range roles {
		for _, suffix := range []string{"", "+broad", "+none"} {
			want[name+suffix] = routes
		}
	}
	for _, a := range s.cfg.AllowedPrincipalArns {
		want["extra:"+a] = enc
	}
	return want
}

func diffAccess(got, want map[string][]string) []string {
	var out []string
	for name, w := range want {
		if g, ok := got[name]; !ok || !slices.Equal(g, w) {
			out = append(out, fmt.Sprintf("%s can call %v, want %v", name, g, w))
		}
	}
	sort.Strings(out)
	return out
}

// TestRoleSeparation: encryptors (the two roles and the extra principals)
// can call POST /copyProtection and GET /heartbeat and not the export; the
// license-server role only the export; an administrator of the account
// nothing. It holds even when a caller's identity policy allows
// execute-api:* everywhere, so it rests on the resource policy.
func TestRoleSeparation(t *testing.T) {
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		api := resourceByID(t, s, "AWS::ApiGateway::RestApi", s.apiID())
		for _, d := range diffAccess(s.accessMatrix(t, api.Props["Policy"]), s.wantAccess()) {
			t.Error(d)
		}
	})
}

// TestRoleSeparationCatches keeps TestRoleSeparation honest: without any
// one of the resource policy's statements, some caller gets a route it must
// not have (or, without an Allow, loses one it needs). DenyEveryoneElse is
// the exception: for today's routes the per-route Denies cover it; it is
// there for a method added later (TestResourcePolicyShape checks it).
func TestRoleSeparationCatches(t *testing.T) {
	s := synth(t, "secrets")
	api := resourceByID(t, s, "AWS::ApiGateway::RestApi", s.apiID())
	sts := statements(api.Props["Policy"])
	if len(sts) < 5 {
		t.Fatalf("%d statements", len(sts))
	}
	for i, st := range sts {
		if st["Sid"] == "DenyEveryoneElse" {
			continue
		}
		mutated := map[string]any{"Statement": func() []any {
			var out []any
			for j, x := range sts {
				if j != i {
					out = append(out, x)
				}
			}
			return out
		}()}
		if len(diffAccess(s.accessMatrix(t, mutated), s.wantAccess())) == 0 {
			t.Errorf("dropping statement %v changes nothing the test sees", st["Sid"])
		}
	}
}

// TestResourcePolicyShape: no Allow is conditional or names a wildcard
// principal, and the catch-all Deny covers the whole API for everyone but
// the principals some Allow names.
func TestResourcePolicyShape(t *testing.T) {
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		api := resourceByID(t, s, "AWS::ApiGateway::RestApi", s.apiID())
		var catchAll bool
		var named, exempt []string
		for _, st := range statements(api.Props["Policy"]) {
			if st["Effect"] == "Allow" {
				p, _ := st["Principal"].(map[string]any)
				for _, x := range list(p["AWS"]) {
					named = append(named, joined(x))
				}
				if st["Condition"] != nil {
					t.Errorf("%v: Allow must not be conditional", st["Sid"])
				}
				if p, _ := st["Principal"].(map[string]any); slices.Contains(strs(p["AWS"]), "*") || st["Principal"] == "*" {
					t.Errorf("%v: Allow for everyone", st["Sid"])
				}
			}
			if st["Effect"] == "Deny" && slices.Equal(strs(st["Resource"]), []string{"execute-api:/*"}) {
				catchAll = true
				cond, _ := st["Condition"].(map[string]any)
				notLike, _ := cond["ArnNotLike"].(map[string]any)
				if len(cond) != 1 || len(notLike) != 1 {
					t.Errorf("catch-all Deny condition %v, want ArnNotLike aws:PrincipalArn only", cond)
				}
				for _, x := range list(notLike["aws:PrincipalArn"]) {
					exempt = append(exempt, joined(x))
				}
			}
		}
		sort.Strings(named)
		sort.Strings(exempt)
		if !catchAll || !slices.Equal(named, exempt) {
			t.Errorf("catch-all Deny on execute-api:/*: present %v, exempts %v, want exactly the allowed %v", catchAll, exempt, named)
		}
	})
}

// TestRolePermissions: each encryptor role's identity policies allow
// execute-api:Invoke on exactly POST /copyProtection and GET /heartbeat of
// this API's stage, the license-server role's on exactly POST /export.
func TestRolePermissions(t *testing.T) {
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		arn := func(verb, route string) string {
			return "arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<" + s.apiID() + ">/" + s.cfg.StageName + "/" + verb + "/" + route
		}
		want := map[string][]string{
			s.id(s.stack.MediaPackageRole): {arn("POST", SpekePath), arn("GET", HeartbeatPath)},
			s.id(s.stack.MediaConvertRole): {arn("POST", SpekePath), arn("GET", HeartbeatPath)},
		}
		if s.stack.LicenseServerRole != nil {
			want[s.id(s.stack.LicenseServerRole)] = []string{arn("POST", ExportPath)}
		}
		for role, arns := range want {
			sts := s.identityStatements(role)
			if len(sts) != 1 {
				t.Errorf("%s: %d statements, want exactly 1", role, len(sts))
				continue
			}
			st := sts[0]
			if st["Effect"] != "Allow" || !slices.Equal(strs(st["Action"]), []string{"execute-api:Invoke"}) || st["Condition"] != nil {
				t.Errorf("%s: statement %v, want Allow execute-api:Invoke only", role, st)
			}
			var got []string
			for _, r := range list(st["Resource"]) {
				got = append(got, joined(r))
			}
			if !slices.Equal(got, arns) {
				t.Errorf("%s: resources %v, want %v", role, got, arns)
			}
		}
	})
}

// TestLicenseServerRoleTrust: the role trusts exactly the configured
// principals (accounts as their root, roles by ARN, services), account and
// role principals only with the external ID; with none configured there is
// no role and no principal is allowed the export.
func TestLicenseServerRoleTrust(t *testing.T) {
	forEachVariant(t, func(t *testing.T, s *synthesized) {
		if len(s.cfg.LicenseServerPrincipals) == 0 {
			if s.stack.LicenseServerRole != nil {
				t.Fatal("a license-server role without principals")
			}
			api := resourceByID(t, s, "AWS::ApiGateway::RestApi", s.apiID())
			for _, st := range statements(api.Props["Policy"]) {
				if st["Effect"] == "Allow" && slices.Contains(strs(st["Resource"]), "execute-api:/"+s.cfg.StageName+"/POST/"+ExportPath) {
					t.Errorf("export allowed to %v", st["Principal"])
				}
			}
			return
		}
		role := resourceByID(t, s, "AWS::IAM::Role", s.id(s.stack.LicenseServerRole))
		if role.Props["MaxSessionDuration"] != float64(3600) || role.Props["ManagedPolicyArns"] != nil || role.Props["Policies"] != nil {
			t.Errorf("role props %v", role.Props)
		}
		got := map[string]string{}
		for _, st := range statements(role.Props["AssumeRolePolicyDocument"]) {
			if st["Effect"] != "Allow" || !slices.Equal(strs(st["Action"]), []string{"sts:AssumeRole"}) {
				t.Errorf("trust statement %v", st)
			}
			p := st["Principal"].(map[string]any)
			if len(p) != 1 {
				t.Errorf("trust principal %v", p)
			}
			cond := fmt.Sprint(st["Condition"])
			for _, k := range []string{"AWS", "Service"} {
				for _, x := range list(p[k]) {
					got[joined(x)] = cond
				}
			}
		}
		ext := fmt.Sprint(map[string]any{"StringEquals": map[string]any{"sts:ExternalId": lsExternalID}})
		want := map[string]string{
			"arn:<AWS::Partition>:iam::" + lsAccount + ":root": ext,
			lsRole:    ext,
			lsService: fmt.Sprint(nil),
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("trust\n got %v\nwant %v", got, want)
		}
	})
}
