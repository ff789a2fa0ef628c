package runtimeapi

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The README's `sam local invoke` recipe cannot run here (SAM needs
// Docker), so TestSAMLocalInvokeRecipe applies SAM's documented rules to
// the template `make synth` writes and then runs the code SAM would find,
// with the environment SAM would build, against the fake Runtime API:
//
//   - Code location: SAM replaces the property named by the resource's
//     aws:asset:property metadata (here Code) with aws:asset:path,
//     relative to the template's directory. Without that metadata an
//     AWS::Lambda::Function with an S3 Code falls back to the template's
//     own directory. For provided.* runtimes the code directory must hold
//     an executable bootstrap.
//   - Environment: only variables the template declares on the function
//     get a value; --env-vars entries (keyed by logical ID, or
//     "Parameters" for every function) override them and are silently
//     ignored for undeclared names. Declared values SAM cannot resolve
//     (intrinsics) become "".
//   - The event is handed to the function as is, so it must be the proxy
//     event of a route the deployed API has, integrated with that
//     function.

// samRecipe is one `sam local invoke` command of the README.
type samRecipe struct {
	template, function, event, envVars string
}

// readmeSAM reads the fenced block of the README that contains `sam local
// invoke`: the env file its heredoc writes, keyed by path, and every sam
// local invoke command.
func readmeSAM(t *testing.T, root string) (envFiles map[string]string, recipes []samRecipe) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var block []string
	for _, fence := range strings.Split(string(b), "```")[1:] {
		if strings.Contains(fence, "sam local invoke") {
			block = strings.Split(fence, "\n")
			break
		}
	}
	if block == nil {
		t.Fatal("README.md has no code block with `sam local invoke`")
	}
	envFiles = map[string]string{}
	heredoc := regexp.MustCompile(`^cat > (\S+) <<'(\w+)'$`)
	for i := 0; i < len(block); i++ {
		line := strings.TrimSpace(block[i])
		if m := heredoc.FindStringSubmatch(line); m != nil {
			var body []string
			for i++; i < len(block) && strings.TrimSpace(block[i]) != m[2]; i++ {
				body = append(body, block[i])
			}
			envFiles[m[1]] = strings.Join(body, "\n")
			continue
		}
		for strings.HasSuffix(line, `\`) && i+1 < len(block) {
			i++
			line = strings.TrimSuffix(line, `\`) + " " + strings.TrimSpace(block[i])
		}
		if !strings.HasPrefix(line, "sam local invoke ") {
			continue
		}
		var r samRecipe
		f := strings.Fields(strings.TrimPrefix(line, "sam local invoke "))
		for j := 0; j < len(f); j++ {
			switch f[j] {
			case "-t", "--template":
				j++
				r.template = f[j]
			case "-e", "--event":
				j++
				r.event = f[j]
			case "-n", "--env-vars":
				j++
				r.envVars = f[j]
			default:
				if strings.HasPrefix(f[j], "-") {
					t.Fatalf("README sam command: option %s is not understood by this test; teach it", f[j])
				}
				r.function = f[j]
			}
		}
		recipes = append(recipes, r)
	}
	if len(recipes) == 0 {
		t.Fatal("README.md: no `sam local invoke` command found")
	}
	return envFiles, recipes
}

var (
	synthOnce sync.Once
	synthDir  string // removed by TestMain
	synthOut  string
	synthErr  error
)

// synthLikeMake runs the CDK app once per test binary the way `make synth`
// does, with bin as the function's bootstrap, and returns the output
// directory.
func synthLikeMake(t *testing.T, root, bin string) string {
	t.Helper()
	synthOnce.Do(func() {
		synthDir, synthErr = os.MkdirTemp("", "speke-sam-")
		if synthErr != nil {
			return
		}
		assetSrc := filepath.Join(synthDir, "asset-src")
		b, err := os.ReadFile(bin)
		if err == nil {
			err = os.Mkdir(assetSrc, 0o755)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(assetSrc, "bootstrap"), b, 0o755)
		}
		if err != nil {
			synthErr = err
			return
		}
		synthOut = filepath.Join(synthDir, "cdk.out")
		cmd := exec.Command("go", "run", "./cdk")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "BOOTSTRAP_DIR="+assetSrc, "CDK_OUTDIR="+synthOut, "CDK_CONTEXT_JSON={}",
			"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
		if b, err := cmd.CombinedOutput(); err != nil {
			synthErr = fmt.Errorf("go run ./cdk (as make synth): %v\n%s", err, b)
		}
	})
	if synthErr != nil {
		t.Fatal(synthErr)
	}
	return synthOut
}

type cfnResource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
	Metadata   map[string]any `json:"Metadata"`
}

func loadTemplate(t *testing.T, path string) map[string]cfnResource {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources map[string]cfnResource `json:"Resources"`
	}
	if err := json.Unmarshal(b, &tpl); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tpl.Resources
}

// refs lists the logical IDs an intrinsic value refers to (Ref, GetAtt),
// at any depth.
func refs(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			switch k {
			case "Ref":
				if s, ok := e.(string); ok {
					out = append(out, s)
				}
			case "Fn::GetAtt":
				if l, ok := e.([]any); ok && len(l) > 0 {
					if s, ok := l[0].(string); ok {
						out = append(out, s)
					}
				}
			default:
				out = append(out, refs(e)...)
			}
		}
	case []any:
		for _, e := range x {
			out = append(out, refs(e)...)
		}
	}
	return out
}

// apiRoute is one method of a REST API in the template.
type apiRoute struct {
	method, path string
	targets      []string // logical IDs its integration refers to
}

// apiRoutes rebuilds every API Gateway method's path from the resource
// tree (PathPart up to the API's root resource).
func apiRoutes(t *testing.T, res map[string]cfnResource) map[string]apiRoute {
	t.Helper()
	var path func(id string, depth int) string
	path = func(id string, depth int) string {
		r, ok := res[id]
		if !ok || r.Type != "AWS::ApiGateway::Resource" || depth > 20 {
			return "" // the RestApi's RootResourceId
		}
		parent := refs(r.Properties["ParentId"])
		if len(parent) != 1 {
			t.Fatalf("resource %s: ParentId %v", id, r.Properties["ParentId"])
		}
		return path(parent[0], depth+1) + "/" + fmt.Sprint(r.Properties["PathPart"])
	}
	out := map[string]apiRoute{}
	for _, r := range res {
		if r.Type != "AWS::ApiGateway::Method" {
			continue
		}
		owner := refs(r.Properties["ResourceId"])
		if len(owner) != 1 {
			t.Fatalf("method: ResourceId %v", r.Properties["ResourceId"])
		}
		p := path(owner[0], 0)
		if p == "" {
			p = "/"
		}
		m := fmt.Sprint(r.Properties["HttpMethod"])
		out[m+" "+p] = apiRoute{method: m, path: p, targets: refs(r.Properties["Integration"])}
	}
	return out
}

// samEnvironment is the environment SAM gives the function: its own AWS_*
// variables, then every declared variable with the override applied.
// dataRoot stands in for the container's /tmp.
func samEnvironment(t *testing.T, fnID string, fn cfnResource, envFile map[string]map[string]any, dataRoot string) []string {
	t.Helper()
	env := []string{
		"AWS_SAM_LOCAL=true",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + fmt.Sprint(fn.Properties["MemorySize"]),
		"AWS_LAMBDA_FUNCTION_TIMEOUT=" + fmt.Sprint(fn.Properties["Timeout"]),
		"AWS_LAMBDA_FUNCTION_HANDLER=" + fmt.Sprint(fn.Properties["Handler"]),
		"AWS_LAMBDA_FUNCTION_NAME=" + fnID,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=defaultkey",
		"AWS_SECRET_ACCESS_KEY=defaultsecret",
		"AWS_EC2_METADATA_DISABLED=true",
		"_HANDLER=" + fmt.Sprint(fn.Properties["Handler"]),
	}
	declared := map[string]any{}
	if e, ok := fn.Properties["Environment"].(map[string]any); ok {
		declared, _ = e["Variables"].(map[string]any)
	}
	override := map[string]any{}
	for _, key := range []string{"Parameters", fnID} {
		for k, v := range envFile[key] {
			if _, ok := declared[k]; !ok {
				t.Errorf("the env file sets %s for %s, but the template does not declare it on the function: SAM ignores it", k, key)
			}
			override[k] = v
		}
	}
	var names []string
	for k := range declared {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := declared[k]
		if o, ok := override[k]; ok {
			v = o
		}
		s, ok := v.(string)
		if !ok {
			s = "" // an intrinsic SAM cannot resolve
		}
		if strings.HasPrefix(s, "/tmp/") {
			s = filepath.Join(dataRoot, strings.TrimPrefix(s, "/tmp/"))
		}
		env = append(env, k+"="+s)
	}
	return env
}

func TestSAMLocalInvokeRecipe(t *testing.T) {
	host, _ := buildBinary(t)
	root := repoRoot(t)
	envFiles, recipes := readmeSAM(t, root)
	out := synthLikeMake(t, root, host)

	events := map[string]map[string]any{}
	files, _ := filepath.Glob(filepath.Join(root, "testdata", "events", "*.json"))
	for _, f := range files {
		var e map[string]any
		if err := json.Unmarshal(loadEvent(t, filepath.Base(f)), &e); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		events["testdata/events/"+filepath.Base(f)] = e
	}

	for _, r := range recipes {
		t.Run(r.function+"/"+strings.TrimSuffix(filepath.Base(r.event), ".json"), func(t *testing.T) {
			if !strings.HasPrefix(r.template, "cdk.out/") {
				t.Fatalf("template %s: make synth writes cdk.out/", r.template)
			}
			tplPath := filepath.Join(out, strings.TrimPrefix(r.template, "cdk.out/"))
			res := loadTemplate(t, tplPath)
			fn, ok := res[r.function]
			if !ok || fn.Type != "AWS::Lambda::Function" {
				var fns []string
				for id, x := range res {
					if x.Type == "AWS::Lambda::Function" {
						fns = append(fns, id)
					}
				}
				t.Fatalf("README names %s, which is not a function of %s; functions: %v", r.function, r.template, fns)
			}
			if fn.Metadata["aws:asset:property"] != "Code" {
				t.Fatalf("function metadata aws:asset:property = %v, want Code (SAM would look for the code in the template's directory)", fn.Metadata["aws:asset:property"])
			}
			assetPath, _ := fn.Metadata["aws:asset:path"].(string)
			if assetPath == "" || filepath.IsAbs(assetPath) {
				t.Fatalf("aws:asset:path = %v, want a path relative to the template", fn.Metadata["aws:asset:path"])
			}
			if rt := fmt.Sprint(fn.Properties["Runtime"]); !strings.HasPrefix(rt, "provided.") {
				t.Fatalf("runtime %s: this check knows the provided.* runtimes only", rt)
			}
			bootstrap := filepath.Join(filepath.Dir(tplPath), assetPath, "bootstrap")
			fi, err := os.Stat(bootstrap)
			if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
				t.Fatalf("SAM's code directory %s has no executable bootstrap: %v %v", filepath.Dir(bootstrap), fi, err)
			}

			if r.envVars == "" {
				t.Fatal("the README's command has no --env-vars; the deployed environment points at AWS resources")
			}
			raw, ok := envFiles[r.envVars]
			if !ok {
				t.Fatalf("--env-vars %s: the README block does not write that file", r.envVars)
			}
			var envFile map[string]map[string]any
			if err := json.Unmarshal([]byte(raw), &envFile); err != nil {
				t.Fatalf("env file %s is not SAM's JSON shape: %v\n%s", r.envVars, err, raw)
			}
			for key := range envFile {
				if key != "Parameters" && res[key].Type != "AWS::Lambda::Function" {
					t.Errorf("env file key %s is neither Parameters nor a function's logical ID", key)
				}
			}

			ev, ok := events[r.event]
			if !ok {
				t.Fatalf("event %s does not exist", r.event)
			}
			route := fmt.Sprint(ev["httpMethod"]) + " " + fmt.Sprint(ev["resource"])
			rt, ok := apiRoutes(t, res)[route]
			if !ok {
				t.Fatalf("event %s is for %s, which the deployed API does not have", r.event, route)
			}
			if !slices.Contains(rt.targets, r.function) {
				t.Fatalf("%s is integrated with %v, not with %s", route, rt.targets, r.function)
			}

			// Declared for SAM's sake only: deployed, an empty DATA_DIR is
			// unset, so KEY_SOURCE=local under Lambda still refuses to start.
			if vars, _ := fn.Properties["Environment"].(map[string]any); vars != nil {
				if v, ok := vars["Variables"].(map[string]any)["DATA_DIR"]; ok && v != "" {
					t.Errorf("DATA_DIR is deployed as %v; want it empty", v)
				}
			}

			// Run what SAM would run: the staged bootstrap with SAM's
			// environment, handed the README's event.
			env := samEnvironment(t, r.function, fn, envFile, t.TempDir())
			p := startProcess(t, bootstrap, append(env, "LAMBDA_TASK_ROOT="+filepath.Dir(bootstrap)))
			resp := invokeProxy(t, p, loadEvent(t, filepath.Base(r.event)))
			c := cases[filepath.Base(r.event)]
			if resp.StatusCode != c.status || c.status == 0 {
				t.Fatalf("the README's invocation answered %d, want %d:\n%s\nbinary output:\n%s", resp.StatusCode, c.status, resp.body(t), p.stderr)
			}
			if len(c.kids) > 0 && len(contentKeys(t, resp.body(t))) != len(c.kids) {
				t.Fatal("the README's invocation returned no content keys")
			}
			if c.check != nil {
				// No key was issued in this environment: a recipe for an
				// event that needs one (the key, license or export) fails.
				c.check(t, resp, resp.body(t), "")
			}
		})
	}

	// Every logical ID the README mentions is one of the template's.
	readme, _ := os.ReadFile(filepath.Join(root, "README.md"))
	res := loadTemplate(t, filepath.Join(out, "SpekeKeyProvider.template.json"))
	for _, id := range regexp.MustCompile("`(Function[0-9A-F]{8})`").FindAllStringSubmatch(string(readme), -1) {
		if res[id[1]].Type != "AWS::Lambda::Function" {
			t.Errorf("README mentions %s, which is not a function in the template", id[1])
		}
	}
}

// TestEventsMatchDeployedRoutes: every event in testdata/events is for a
// route the deployed APIs have (none is for a route only `make run`
// serves), every deployed route has an event, each event is shaped as API
// Gateway sends it, and its route is integrated with the function that
// serves it (the function whose SERVE mode is the event's case; the
// runtime-API tests show that function answers it and the other does not).
func TestEventsMatchDeployedRoutes(t *testing.T) {
	host, _ := buildBinary(t)
	root := repoRoot(t)
	out := synthLikeMake(t, root, host)
	res := loadTemplate(t, filepath.Join(out, "SpekeKeyProvider.template.json"))
	routes := apiRoutes(t, res)
	covered := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(root, "testdata", "events", "*.json"))
	for _, f := range files {
		name := filepath.Base(f)
		var e struct {
			Resource, Path, HTTPMethod string
			Headers                    map[string]string
			MultiValueHeaders          map[string][]string
			PathParameters             map[string]string
			RequestContext             struct {
				ResourcePath, HTTPMethod, Path, Stage, DomainName, APIID string
			}
		}
		if err := json.Unmarshal(loadEvent(t, name), &e); err != nil {
			t.Fatal(err)
		}
		route := e.HTTPMethod + " " + e.Resource
		rt, ok := routes[route]
		if !ok {
			t.Errorf("%s is for %s, which the deployed API does not have (routes: %v)", name, route, keys(routes))
		}
		rc := e.RequestContext
		if rc.ResourcePath != e.Resource || rc.HTTPMethod != e.HTTPMethod {
			t.Errorf("%s: requestContext says %s %s, the event %s", name, rc.HTTPMethod, rc.ResourcePath, route)
		}
		if rc.Stage == "" || rc.Path != "/"+rc.Stage+e.Path || !strings.HasPrefix(rc.DomainName, rc.APIID+".execute-api.") {
			t.Errorf("%s: requestContext stage %q path %q domainName %q apiId %q do not fit the path %s", name, rc.Stage, rc.Path, rc.DomainName, rc.APIID, e.Path)
		}
		if err := checkPathParameters(e.Resource, e.Path, e.PathParameters); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		for k, v := range e.Headers {
			if mv := e.MultiValueHeaders[k]; len(mv) == 0 || mv[len(mv)-1] != v {
				t.Errorf("%s: header %s is %q, multiValueHeaders has %q (API Gateway puts the last value in headers)", name, k, v, mv)
			}
		}
		if len(e.MultiValueHeaders) != len(e.Headers) {
			t.Errorf("%s: %d headers, %d multiValueHeaders", name, len(e.Headers), len(e.MultiValueHeaders))
		}
		covered[route] = true
		c, ok := cases[name]
		if !ok {
			continue // TestEveryEventHasACase fails
		}
		var serving []string
		for _, id := range rt.targets {
			if fn := res[id]; fn.Type == "AWS::Lambda::Function" {
				vars, _ := fn.Properties["Environment"].(map[string]any)
				v, _ := vars["Variables"].(map[string]any)
				serving = append(serving, fmt.Sprintf("%s (SERVE=%v)", id, v["SERVE"]))
				if v["SERVE"] == c.fn {
					serving = nil
					break
				}
			}
		}
		if serving != nil {
			t.Errorf("%s: %s is integrated with %v, not with the SERVE=%s function the test hands it to", name, route, serving, c.fn)
		}
	}
	for _, r := range keys(routes) {
		if !covered[r] {
			t.Errorf("no event in testdata/events for the deployed route %s", r)
		}
	}
}

// checkPathParameters: the path is percent-encoded as API Gateway REST
// APIs deliver it, and pathParameters hold the decoded value of each
// {name} segment of the resource, and nothing else.
func checkPathParameters(resource, path string, params map[string]string) error {
	rs, ps := strings.Split(resource, "/"), strings.Split(path, "/")
	if len(rs) != len(ps) {
		return fmt.Errorf("path %s does not match resource %s", path, resource)
	}
	want := map[string]string{}
	for i, r := range rs {
		seg, err := url.PathUnescape(ps[i])
		if err != nil || strings.ContainsAny(ps[i], " \"?#") {
			return fmt.Errorf("path segment %q is not percent-encoded", ps[i])
		}
		if strings.HasPrefix(r, "{") && strings.HasSuffix(r, "}") {
			want[strings.Trim(r, "{}")] = seg
		} else if r != ps[i] {
			return fmt.Errorf("path %s does not match resource %s", path, resource)
		}
	}
	if fmt.Sprint(want) != fmt.Sprint(params) || (len(want) == 0) != (params == nil) {
		return fmt.Errorf("pathParameters %v, want %v (decoded from %s; null when the resource has none)", params, want, path)
	}
	return nil
}

// TestPlayerEventTokens: the player events' tokens are HS256 tokens signed
// with testdata/events/playback-token.key, for the events' content, that
// do not expire for decades (so committed events keep working).
func TestPlayerEventTokens(t *testing.T) {
	key := testTokenKey(t)
	n := 0
	for name := range cases {
		var e struct{ Headers map[string]string }
		if err := json.Unmarshal(loadEvent(t, name), &e); err != nil {
			t.Fatal(err)
		}
		auth, ok := e.Headers["Authorization"]
		if !ok || strings.HasPrefix(auth, "AWS4-") {
			continue
		}
		n++
		var claims struct {
			ContentID string `json:"content_id"`
			jwt.RegisteredClaims
		}
		_, err := jwt.ParseWithClaims(strings.TrimPrefix(auth, "Bearer "), &claims, func(*jwt.Token) (any, error) { return key, nil },
			jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
		if err != nil {
			t.Errorf("%s: token: %v", name, err)
			continue
		}
		if claims.ContentID != playersContentID {
			t.Errorf("%s: token for content %q, want %q", name, claims.ContentID, playersContentID)
		}
		if claims.ExpiresAt.Before(time.Now().AddDate(50, 0, 0)) {
			t.Errorf("%s: token expires %v; mint a long-lived one for the test key", name, claims.ExpiresAt)
		}
	}
	if n != 2 {
		t.Errorf("%d events carry a bearer token, want 2 (the key and license requests)", n)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestREADMEListsEveryOutput: the README's outputs table names every
// output of the template make synth writes.
func TestREADMEListsEveryOutput(t *testing.T) {
	host, _ := buildBinary(t)
	root := repoRoot(t)
	out := synthLikeMake(t, root, host)
	b, err := os.ReadFile(filepath.Join(out, "SpekeKeyProvider.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct{ Outputs map[string]any }
	if err := json.Unmarshal(b, &tpl); err != nil {
		t.Fatal(err)
	}
	readme, _ := os.ReadFile(filepath.Join(root, "README.md"))
	_, section, ok := strings.Cut(string(readme), "### Outputs")
	if !ok {
		t.Fatal("README.md has no Outputs section")
	}
	section, _, _ = strings.Cut(section, "\n### ")
	var rows []string
	for _, l := range strings.Split(section, "\n") {
		if first, _, ok := strings.Cut(strings.TrimPrefix(l, "|"), "|"); ok && strings.HasPrefix(l, "|") {
			rows = append(rows, first) // the table's first column
		}
	}
	for name := range tpl.Outputs {
		if !slices.ContainsFunc(rows, func(r string) bool { return strings.Contains(r, "`"+name+"`") }) {
			t.Errorf("README's outputs table does not list the output %s", name)
		}
	}
	if len(tpl.Outputs) == 0 {
		t.Fatal("the template has no outputs")
	}
}
