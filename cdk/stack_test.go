package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// placeholderDir holds a fake `bootstrap` so that synthesis does not need
// the real arm64 binary (the runtime-API test in ./runtimeapi exercises
// that). The asset only has to exist; its content is never executed here.
var placeholderDir string

func TestMain(m *testing.M) {
	flush := guardStderr()
	os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
	dir, err := os.MkdirTemp("", "cdk-bootstrap-")
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("placeholder\n"), 0o755); err != nil {
		panic(err)
	}
	placeholderDir = dir
	code := m.Run()
	jsii.Close()
	os.RemoveAll(dir)
	flush()
	os.Exit(code)
}

// Configurations under test. "secrets" also switches on every optional
// knob, so each optional branch of the stack is synthesized at least once.
const (
	extraPrincipal = "arn:aws:iam::111122223333:role/ExistingMediaConvertJobRole"
	mpSourceArn    = "arn:aws:mediapackagev2:us-east-1:123456789012:channelGroup/live/*"
	mcSourceArn    = "arn:aws:mediaconvert:us-east-1:123456789012:queues/Default"
	// License servers: one of each kind of principal.
	lsAccount    = "444455556666"
	lsRole       = "arn:aws:iam::777788889999:role/LicenseServer"
	lsService    = "ecs-tasks.amazonaws.com"
	lsExternalID = "drm-vendor-4711"
	playerURL    = "https://keys.example.com/player"
)

func variantConfig(name string) Config {
	c := DefaultConfig()
	c.BootstrapDir = placeholderDir
	switch name {
	case "dynamodb":
	case "secrets":
		c.KeyStore = KeyStoreSecretsManager
		c.AllowedPrincipalArns = []string{extraPrincipal}
		c.MediaPackageSourceArn = mpSourceArn
		c.MediaConvertSourceArn = mcSourceArn
		c.AlarmEmail = "ops@example.com"
		c.ReservedConcurrency = 20
		c.ThrottleRate, c.ThrottleBurst = 7, 11
		c.PlayerThrottleRate, c.PlayerThrottleBurst = 13, 17
		c.PlayerBaseURL = playerURL
		c.CORSAllowedOrigins = []string{"https://player.example.com", "http://localhost:8000"}
		c.LicenseServerPrincipals = []string{lsAccount, lsRole, lsService}
		c.LicenseServerExternalID = lsExternalID
	default:
		panic("unknown variant " + name)
	}
	return c
}

var variants = []string{"dynamodb", "secrets"}

// synthesized is one stack synthesized with the AwsSolutions checks on.
type synthesized struct {
	cfg   Config
	stack *KeyProviderStack
	tpl   map[string]any
}

var (
	synthMu    sync.Mutex
	synthCache = map[string]*synthesized{}
)

// synth builds each variant once per test binary: jsii round trips are the
// slow part, and every test only reads the result.
func synth(t *testing.T, variant string) *synthesized {
	t.Helper()
	synthMu.Lock()
	defer synthMu.Unlock()
	if s, ok := synthCache[variant]; ok {
		return s
	}
	s := synthConfig(t, variantConfig(variant), nil)
	synthCache[variant] = s
	return s
}

func synthConfig(t *testing.T, cfg Config, extra func(*KeyProviderStack)) *synthesized {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	stack := NewKeyProviderStack(app, StackName, &KeyProviderStackProps{Config: cfg})
	if extra != nil {
		extra(stack)
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	raw, err := json.Marshal(assertions.Template_FromStack(stack.Stack, nil).ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var tpl map[string]any
	if err := json.Unmarshal(raw, &tpl); err != nil {
		t.Fatal(err)
	}
	return &synthesized{cfg: cfg, stack: stack, tpl: tpl}
}

// ---- template helpers ----

type resource struct {
	ID    string
	Type  string
	Props map[string]any
	Raw   map[string]any
}

func (s *synthesized) resources(typ string) []resource {
	var out []resource
	for id, v := range s.tpl["Resources"].(map[string]any) {
		r := v.(map[string]any)
		if r["Type"] != typ {
			continue
		}
		props, _ := r["Properties"].(map[string]any)
		out = append(out, resource{ID: id, Type: typ, Props: props, Raw: r})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (s *synthesized) one(t *testing.T, typ string) resource {
	t.Helper()
	rs := s.resources(typ)
	if len(rs) != 1 {
		t.Fatalf("want exactly one %s, got %d", typ, len(rs))
	}
	return rs[0]
}

// ref returns the logical ID a {"Ref": id} or {"Fn::GetAtt": [id, ...]}
// points to, or "".
func ref(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if r, ok := m["Ref"].(string); ok {
		return r
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) > 0 {
		s, _ := ga[0].(string)
		return s
	}
	return ""
}

// list turns a policy field that may be a scalar or an array into a slice.
func list(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

func strs(v any) []string {
	var out []string
	for _, x := range list(v) {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// joined flattens an Fn::Join into a string, rendering other intrinsics
// as <Ref:id>, so that ARN shapes can be compared.
func joined(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if j, ok := x["Fn::Join"].([]any); ok {
			var parts []string
			for _, p := range j[1].([]any) {
				parts = append(parts, joined(p))
			}
			return strings.Join(parts, j[0].(string))
		}
		if r := ref(x); r != "" {
			return "<" + r + ">"
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func statements(doc any) []map[string]any {
	m, _ := doc.(map[string]any)
	var out []map[string]any
	for _, s := range list(m["Statement"]) {
		out = append(out, s.(map[string]any))
	}
	return out
}

// policyDoc is one IAM policy document the stack writes, and where.
type policyDoc struct {
	where string
	doc   any
	roles []string // roles it is attached to (identity policies)
}

// identityPolicies lists every identity policy in the template: standalone
// and managed policies, and policies inline in roles, users and groups.
func (s *synthesized) identityPolicies() []policyDoc {
	var out []policyDoc
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
		for _, r := range s.resources(typ) {
			var roles []string
			for _, x := range list(r.Props["Roles"]) {
				roles = append(roles, ref(x))
			}
			out = append(out, policyDoc{where: r.ID, doc: r.Props["PolicyDocument"], roles: roles})
		}
	}
	for _, typ := range []string{"AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"} {
		for _, r := range s.resources(typ) {
			for i, p := range list(r.Props["Policies"]) {
				out = append(out, policyDoc{where: fmt.Sprintf("%s.Policies[%d]", r.ID, i),
					doc: p.(map[string]any)["PolicyDocument"], roles: []string{r.ID}})
			}
		}
	}
	return out
}

// resourcePolicies lists the resource policies the stack writes, except KMS
// key policies: in a key policy Resource "*" means "this key", and CDK's
// default root statement (kms:* for the account) is what delegates the key
// to IAM at all. Key grants are checked through the identity policies.
func (s *synthesized) resourcePolicies() []policyDoc {
	var out []policyDoc
	for _, r := range s.resources("AWS::ApiGateway::RestApi") {
		out = append(out, policyDoc{where: r.ID + ".Policy", doc: r.Props["Policy"]})
	}
	for _, typ := range []string{"AWS::SNS::TopicPolicy", "AWS::SecretsManager::ResourcePolicy", "AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy"} {
		for _, r := range s.resources(typ) {
			d := r.Props["PolicyDocument"]
			if d == nil {
				d = r.Props["ResourcePolicy"]
			}
			out = append(out, policyDoc{where: r.ID, doc: d})
		}
	}
	return out
}

// actionsOf returns the Allow actions of all identity policies attached to
// the role with the given logical ID.
func (s *synthesized) actionsOf(roleID string) []string {
	set := map[string]bool{}
	for _, p := range s.identityPolicies() {
		if !slices.Contains(p.roles, roleID) {
			continue
		}
		for _, st := range statements(p.doc) {
			if st["Effect"] == "Allow" {
				for _, a := range strs(st["Action"]) {
					set[a] = true
				}
			}
		}
	}
	var out []string
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// apiID and playerAPIID are the logical IDs of the two REST APIs.
func (s *synthesized) apiID() string       { return s.id(s.stack.Api) }
func (s *synthesized) playerAPIID() string { return s.id(s.stack.PlayerApi) }

// byID returns the resources of typ whose given property references id.
func (s *synthesized) byRef(typ, prop, id string) []resource {
	var out []resource
	for _, r := range s.resources(typ) {
		if ref(r.Props[prop]) == id {
			out = append(out, r)
		}
	}
	return out
}

// id returns the logical ID of a construct's CloudFormation resource.
func (s *synthesized) id(c constructs.IConstruct) string {
	return *s.stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}
