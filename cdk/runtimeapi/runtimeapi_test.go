// Package runtimeapi runs the real Lambda binary against a fake Lambda
// Runtime API, so the artefact that is deployed (main, the aws-lambda-go
// runtime loop, environment handling, proxy event decoding) is exercised,
// not only the handler in-process. It does not import the CDK, so it
// compiles in seconds.
package runtimeapi

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// repoRoot is two levels up from this package.
func repoRoot(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

var (
	buildOnce sync.Once
	buildErr  error
	skipMsg   string
	binDir    string
)

// buildBinary builds ./lambda once per test run, for the host and, when
// qemu-aarch64 is installed, for linux/arm64 with the flags of `make
// bootstrap`. It skips only while the lambda package has no main (before
// the service lands on the branch). RUNTIMEAPI_BINARY=<path> tests a
// prebuilt host binary instead.
func buildBinary(t testing.TB) (host, arm64 string) {
	t.Helper()
	root := repoRoot(t)
	if b := os.Getenv("RUNTIMEAPI_BINARY"); b != "" {
		// A prebuilt binary for this machine (e.g. to check a release
		// build); no build, no skip.
		return b, ""
	}
	buildOnce.Do(func() {
		list := exec.Command("go", "list", "-f", "{{.Name}}", "./lambda")
		list.Dir = root
		out, err := list.CombinedOutput()
		if name := strings.TrimSpace(string(out)); err != nil || name != "main" {
			skipMsg = fmt.Sprintf("./lambda is not a main package yet (go list: %q, %v)", name, err)
			return
		}
		binDir, buildErr = os.MkdirTemp("", "speke-runtimeapi-")
		if buildErr != nil {
			return
		}
		build := func(goarch, out string) error {
			cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, "./lambda")
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
			if b, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("go build %s: %v\n%s", goarch, err, b)
			}
			return nil
		}
		if buildErr = build(runtime.GOARCH, filepath.Join(binDir, "bootstrap-host")); buildErr != nil {
			return
		}
		if _, err := exec.LookPath("qemu-aarch64"); err == nil && runtime.GOARCH != "arm64" {
			buildErr = build("arm64", filepath.Join(binDir, "bootstrap-arm64"))
		}
	})
	if skipMsg != "" {
		t.Skip(skipMsg)
	}
	if runtime.GOOS != "linux" {
		t.Skip("the Lambda binary is built for linux")
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	host = filepath.Join(binDir, "bootstrap-host")
	if _, err := os.Stat(filepath.Join(binDir, "bootstrap-arm64")); err == nil {
		arm64 = filepath.Join(binDir, "bootstrap-arm64")
	}
	return host, arm64
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range []string{binDir, synthDir} {
		if d != "" {
			os.RemoveAll(d)
		}
	}
	os.Exit(code)
}

// invocation is one event handed out by the fake Runtime API and the
// binary's answer to it.
type invocation struct {
	id      string
	payload []byte
	done    chan result
}

type result struct {
	kind string // "response" or "error"
	body []byte
}

// fakeRuntime implements the parts of the Lambda Runtime API (2018-06-01)
// a Go function uses: next, response, error, and init error.
type fakeRuntime struct {
	t       testing.TB
	ln      net.Listener
	queue   chan *invocation
	mu      sync.Mutex
	pending map[string]*invocation
	initErr chan []byte
	n       int
}

func newFakeRuntime(t testing.TB) *fakeRuntime {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeRuntime{t: t, ln: ln, queue: make(chan *invocation), pending: map[string]*invocation{}, initErr: make(chan []byte, 1)}
	srv := &http.Server{Handler: http.HandlerFunc(f.serve)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return f
}

const prefix = "/2018-06-01/runtime/"

func (f *fakeRuntime) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, prefix)
	switch {
	case r.Method == http.MethodGet && path == "invocation/next":
		var inv *invocation
		select {
		case inv = <-f.queue:
		case <-r.Context().Done():
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		// A deadline far enough out that only a hung binary reaches it.
		h.Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(10*time.Second).UnixMilli()))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:speke-test")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-6740a1b2-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=0")
		w.Write(inv.payload)
	case r.Method == http.MethodPost && path == "init/error":
		b, _ := io.ReadAll(r.Body)
		select {
		case f.initErr <- b:
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		rest := strings.TrimPrefix(path, "invocation/")
		id, kind, ok := strings.Cut(rest, "/")
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		inv := f.pending[id]
		delete(f.pending, id)
		f.mu.Unlock()
		if !ok || inv == nil || (kind != "response" && kind != "error") {
			http.Error(w, "unknown invocation", http.StatusBadRequest)
			return
		}
		inv.done <- result{kind: kind, body: b}
		w.WriteHeader(http.StatusAccepted)
	default:
		http.Error(w, "not found", http.StatusNotFound)
	}
}

// process is one running bootstrap.
type process struct {
	rt     *fakeRuntime
	cmd    *exec.Cmd
	exited chan error
	stderr *bytes.Buffer
}

// startBinary runs bin (optionally under an emulator) with the Lambda
// environment of the deployed function and KEY_SOURCE=local, so nothing
// reaches AWS. DATA_DIR holds the test token key the player events' tokens
// are signed with (testdata/events/playback-token.key). extra entries
// ("NAME=value") override those defaults.
func startBinary(t testing.TB, bin string, extra []string, emulator ...string) *process {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		// No credentials, no endpoints, no local-server address from the
		// developer's shell: the binary must behave as it does in Lambda.
		if strings.HasPrefix(k, "AWS_") || k == "ADDR" || k == "DATA_DIR" || k == "KEY_SOURCE" || k == "TABLE_NAME" || k == "SECRET_ID" ||
			k == "SERVE" || k == "PLAYBACK_TOKEN_SECRET_ID" {
			continue
		}
		env = append(env, kv)
	}
	dataDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dataDir, "playback-token.key"), testTokenKey(t), 0o600); err != nil {
		t.Fatal(err)
	}
	env = append(env,
		"AWS_LAMBDA_FUNCTION_NAME=speke-test",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/speke-test",
		"AWS_LAMBDA_LOG_STREAM_NAME=2026/11/22/[$LATEST]0123456789abcdef",
		"AWS_LAMBDA_LOG_FORMAT=JSON",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		"_HANDLER=bootstrap",
		"LAMBDA_TASK_ROOT="+filepath.Dir(bin),
		"KEY_SOURCE=local",
		"DATA_DIR="+dataDir,
		"PUBLIC_BASE_URL=https://p9q8r7s6t5.execute-api.us-east-1.amazonaws.com/v1",
		"LOG_LEVEL=debug",
	)
	// os/exec uses the last value of a repeated name.
	return startProcess(t, bin, append(env, extra...), emulator...)
}

// startProcess runs bin with exactly env plus AWS_LAMBDA_RUNTIME_API
// pointing at a new fake Runtime API.
func startProcess(t testing.TB, bin string, env []string, emulator ...string) *process {
	t.Helper()
	rt := newFakeRuntime(t)
	args := append(append([]string{}, emulator...), bin)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(env, "AWS_LAMBDA_RUNTIME_API="+rt.ln.Addr().String())
	p := &process{rt: rt, cmd: cmd, exited: make(chan error, 1), stderr: &bytes.Buffer{}}
	cmd.Stdout = p.stderr // Lambda sends both streams to CloudWatch
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("binary output:\n%s", p.stderr.String())
		}
	})
	return p
}

// invoke hands one event to the binary and returns its answer. It fails on
// an init error, an exit, or a binary that never asks for the event.
func (p *process) invoke(t testing.TB, payload []byte) result {
	t.Helper()
	p.rt.mu.Lock()
	p.rt.n++
	inv := &invocation{id: fmt.Sprintf("0000000%d-aaaa-4bbb-8ccc-dddddddddddd", p.rt.n), payload: payload, done: make(chan result, 1)}
	p.rt.pending[inv.id] = inv
	p.rt.mu.Unlock()
	// A safety net against a hung binary, not a performance assertion.
	guard := time.NewTimer(60 * time.Second)
	defer guard.Stop()
	select {
	case p.rt.queue <- inv:
	case b := <-p.rt.initErr:
		t.Fatalf("binary reported an init error: %s", b)
	case err := <-p.exited:
		p.exited <- err
		t.Fatalf("binary exited before asking for an event: %v", err)
	case <-guard.C:
		t.Fatal("binary never called invocation/next")
	}
	select {
	case r := <-inv.done:
		return r
	case err := <-p.exited:
		p.exited <- err
		t.Fatalf("binary exited during the invocation: %v", err)
	case <-guard.C:
		t.Fatal("binary never answered the invocation")
	}
	return result{}
}

// proxyResponse is the API Gateway REST proxy response (the fields of
// events.APIGatewayProxyResponse), decoded independently of the service's
// types.
type proxyResponse struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

func (r proxyResponse) header(name string) string {
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	for k, v := range r.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func (r proxyResponse) body(t *testing.T) []byte {
	t.Helper()
	if !r.IsBase64Encoded {
		return []byte(r.Body)
	}
	b, err := base64.StdEncoding.DecodeString(r.Body)
	if err != nil {
		t.Fatalf("isBase64Encoded body does not decode: %v", err)
	}
	return b
}

func loadEvent(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func invokeProxy(t *testing.T, p *process, event []byte) proxyResponse {
	t.Helper()
	r := p.invoke(t, event)
	if r.kind != "response" {
		t.Fatalf("binary reported a function error (proxy integrations must answer with a status code): %s", r.body)
	}
	var resp proxyResponse
	if err := json.Unmarshal(r.body, &resp); err != nil {
		t.Fatalf("response is not an API Gateway proxy response: %v\n%s", err, r.body)
	}
	return resp
}

const (
	nsCPIX = "urn:dashif:org:cpix"
	nsPSKC = "urn:ietf:params:xml:ns:keyprov:pskc"
)

// contentKeys returns kid -> base64 PlainValue of every
// cpix:ContentKey/cpix:Data/pskc:Secret/pskc:PlainValue, matched by
// namespace URI, never by prefix.
func contentKeys(t *testing.T, doc []byte) map[string]string {
	t.Helper()
	type plain struct {
		XMLName xml.Name
		Value   string `xml:",chardata"`
	}
	type secret struct {
		XMLName xml.Name
		Plain   []plain `xml:"urn:ietf:params:xml:ns:keyprov:pskc PlainValue"`
	}
	type data struct {
		XMLName xml.Name
		Secrets []secret `xml:"urn:ietf:params:xml:ns:keyprov:pskc Secret"`
	}
	type contentKey struct {
		Kid  string `xml:"kid,attr"`
		Data []data `xml:"urn:dashif:org:cpix Data"`
	}
	var cpix struct {
		XMLName xml.Name
		Keys    []contentKey `xml:"urn:dashif:org:cpix ContentKeyList>ContentKey"`
	}
	if err := xml.Unmarshal(doc, &cpix); err != nil {
		t.Fatalf("response is not XML: %v\n%s", err, doc)
	}
	if cpix.XMLName.Space != nsCPIX || cpix.XMLName.Local != "CPIX" {
		t.Fatalf("root element %v, want {%s}CPIX", cpix.XMLName, nsCPIX)
	}
	out := map[string]string{}
	for _, k := range cpix.Keys {
		for _, d := range k.Data {
			for _, s := range d.Secrets {
				for _, p := range s.Plain {
					out[strings.ToLower(k.Kid)] = strings.TrimSpace(p.Value)
				}
			}
		}
	}
	return out
}

// Functions of the deployed stack, by their SERVE mode.
const (
	fnSPEKE    = "speke"    // Function: SigV4 API, may create keys
	fnReadOnly = "readonly" // ReadOnlyFunction: players' API and POST /export
)

// playersContentID and playersKID are the content the player and export
// events ask for; issueForPlayers has the SPEKE function issue that key
// first, as an encryptor would before any player asks.
const (
	playersContentID = "movie 1"
	playersKID       = "98ee5596-cd3e-a20d-163a-e382420c6eff"
)

// eventCase is what the binary must answer to one event file.
type eventCase struct {
	fn           string // the function that serves the route (fnSPEKE or fnReadOnly)
	status       int
	spekeVersion string // echoed X-Speke-Version; "" for non-SPEKE routes
	kids         []string
	bodyContains string
	sameKeysAs   string // another event whose keys must be identical
	// check, if set, checks the answer against the key the SPEKE function
	// issued for playersContentID/playersKID (base64).
	check func(t *testing.T, resp proxyResponse, body []byte, issued string)
}

var cases = map[string]eventCase{
	"speke-v2.0.json":                 {fn: fnSPEKE, status: 200, spekeVersion: "2.0", kids: []string{"98ee5596-cd3e-a20d-163a-e382420c6eff"}},
	"speke-v2.0-base64.json":          {fn: fnSPEKE, status: 200, spekeVersion: "2.0", kids: []string{"98ee5596-cd3e-a20d-163a-e382420c6eff"}, sameKeysAs: "speke-v2.0.json"},
	"speke-v2.1.json":                 {fn: fnSPEKE, status: 200, spekeVersion: "2.1", kids: []string{"5c2e8f41-9a3b-4d6e-8f10-7b4a2c9d1e03"}},
	"speke-unsupported-version.json":  {fn: fnSPEKE, status: 422, bodyContains: "Unsupported SPEKE version"},
	"heartbeat.json":                  {fn: fnSPEKE, status: 200, check: checkHeartbeat},
	"client-key.json":                 {fn: fnReadOnly, status: 200, check: checkClientKey},
	"client-key-preflight.json":       {fn: fnReadOnly, status: 204, check: checkPreflight("GET")},
	"clearkey-license.json":           {fn: fnReadOnly, status: 200, check: checkLicense},
	"clearkey-license-preflight.json": {fn: fnReadOnly, status: 204, check: checkPreflight("POST")},
	"export.json":                     {fn: fnReadOnly, status: 200, check: checkExport},
}

func checkHeartbeat(t *testing.T, resp proxyResponse, body []byte, _ string) {
	if ct := resp.header("Content-Type"); !strings.HasPrefix(ct, "text/plain") || len(body) == 0 {
		t.Errorf("heartbeat: Content-Type %q, body %q; want a text/plain status message", ct, body)
	}
}

// playerOrigin is the Origin header of the player events.
const playerOrigin = "https://player.example.com"

func checkCORS(t *testing.T, resp proxyResponse) {
	t.Helper()
	if got := resp.header("Access-Control-Allow-Origin"); got != "*" && got != playerOrigin {
		t.Errorf("Access-Control-Allow-Origin %q: a page on %s could not read the answer", got, playerOrigin)
	}
}

func checkClientKey(t *testing.T, resp proxyResponse, body []byte, issued string) {
	checkCORS(t, resp)
	if ct := resp.header("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("Content-Type %q, want application/octet-stream", ct)
	}
	if base64.StdEncoding.EncodeToString(body) != issued {
		t.Errorf("the key URI answered %d bytes that are not the key the SPEKE function issued", len(body))
	}
}

func checkPreflight(method string) func(*testing.T, proxyResponse, []byte, string) {
	return func(t *testing.T, resp proxyResponse, _ []byte, _ string) {
		checkCORS(t, resp)
		if got := resp.header("Access-Control-Allow-Methods"); !strings.Contains(got, method) {
			t.Errorf("Access-Control-Allow-Methods %q lacks %s", got, method)
		}
		if got := strings.ToLower(resp.header("Access-Control-Allow-Headers")); !strings.Contains(got, "authorization") {
			t.Errorf("Access-Control-Allow-Headers %q lacks Authorization", got)
		}
	}
}

func checkLicense(t *testing.T, resp proxyResponse, body []byte, issued string) {
	checkCORS(t, resp)
	var lic struct {
		Keys []struct{ Kty, KID, K string }
	}
	if err := json.Unmarshal(body, &lic); err != nil || len(lic.Keys) != 1 {
		t.Fatalf("license %q: %v; want a JWK set with one key", body, err)
	}
	key, _ := base64.StdEncoding.DecodeString(issued)
	kid, _ := hex.DecodeString(strings.ReplaceAll(playersKID, "-", ""))
	k := lic.Keys[0]
	if k.Kty != "oct" || k.KID != base64.RawURLEncoding.EncodeToString(kid) || k.K != base64.RawURLEncoding.EncodeToString(key) {
		t.Errorf("license key kty=%q kid=%q is not the issued key for %s", k.Kty, k.KID, playersKID)
	}
}

// checkExport opens the encrypted answer with the private key of the
// test certificate, by the independent Python checker (cryptography).
func checkExport(t *testing.T, resp proxyResponse, body []byte, issued string) {
	if strings.Contains(string(body), "PlainValue") {
		t.Fatal("the export answer holds a PlainValue")
	}
	root := repoRoot(t)
	answer := filepath.Join(t.TempDir(), "answer.xml")
	if err := os.WriteFile(answer, body, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("python3", filepath.Join(root, "testdata", "cke", "decrypt_cpix.py"), filepath.Join(root, "testdata", "cke", "rsa2048.key.pem"), answer)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("decrypt_cpix.py: %v (%s)", err, err.(*exec.ExitError).Stderr)
	}
	var got map[string]string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("decrypt_cpix.py printed %q: %v", out, err)
	}
	if len(got) != 1 || got[playersKID] != issued {
		t.Errorf("the export holds %d keys, not the issued key for %s", len(got), playersKID)
	}
}

// testTokenKey is the HS256 key the player events' tokens are signed with.
// It is a test key, public in this repository: a deployed stack generates
// its own in Secrets Manager.
func testTokenKey(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "testdata", "events", "playback-token.key"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 32 {
		t.Fatalf("testdata/events/playback-token.key holds %d bytes, want 32", len(b))
	}
	return b
}

// TestEveryEventHasACase keeps testdata/events and the table in step: a new
// event file without an expectation fails here.
func TestEveryEventHasACase(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "testdata", "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
		if _, ok := cases[filepath.Base(f)]; !ok {
			t.Errorf("testdata/events/%s has no expectation in runtimeapi_test.go", filepath.Base(f))
		}
	}
	if len(names) != len(cases) {
		sort.Strings(names)
		t.Errorf("events %v, cases %d", names, len(cases))
	}
}

func TestBinaryAgainstRuntimeAPI(t *testing.T) {
	host, arm64 := buildBinary(t)
	// One process with every route (SERVE unset), local keys.
	one := func(t *testing.T, bin string, emulator ...string) {
		p := startBinary(t, bin, nil, emulator...)
		runEvents(t, func(string) *process { return p }, nil)
	}
	t.Run("host", func(t *testing.T) { one(t, host) })
	t.Run("arm64-qemu", func(t *testing.T) {
		if arm64 == "" {
			t.Skip("qemu-aarch64 not installed (Debian package qemu-user)")
		}
		one(t, arm64, "qemu-aarch64")
	})
}

// runEvents feeds every event to the process of the function that serves
// it: first the SPEKE function's, in name order, then the read-only
// function's. Before the player and export events the SPEKE function
// issues their key (issueForPlayers). At the end the first SPEKE event is
// sent again: the second answer must carry the same keys (a warm
// environment and a cold one must agree). afterIssue, if set, runs once the
// SPEKE function's events are done and again at the end.
func runEvents(t *testing.T, fn func(string) *process, afterIssue func(t *testing.T)) {
	names := make([]string, 0, len(cases))
	for n := range cases {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		ri, rj := cases[names[i]].fn == fnReadOnly, cases[names[j]].fn == fnReadOnly
		if ri != rj {
			return rj
		}
		return names[i] < names[j]
	})
	keys := map[string]map[string]string{}
	issued := ""
	for _, name := range names {
		c := cases[name]
		if c.fn == fnReadOnly && issued == "" {
			issued = issueForPlayers(t, fn(fnSPEKE))
			if afterIssue != nil {
				afterIssue(t)
			}
		}
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			resp := invokeProxy(t, fn(c.fn), loadEvent(t, name))
			body := resp.body(t)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d; body:\n%s", resp.StatusCode, c.status, body)
			}
			if c.bodyContains != "" && !strings.Contains(string(body), c.bodyContains) {
				t.Errorf("body %q does not contain %q", body, c.bodyContains)
			}
			if c.check != nil {
				c.check(t, resp, body, issued)
			}
			if c.spekeVersion == "" {
				return
			}
			if got := resp.header("X-Speke-Version"); got != c.spekeVersion {
				t.Errorf("X-Speke-Version %q, want %q", got, c.spekeVersion)
			}
			if resp.header("X-Speke-User-Agent") == "" {
				t.Error("no X-Speke-User-Agent header")
			}
			if ct := resp.header("Content-Type"); !strings.HasPrefix(ct, "application/xml") {
				t.Errorf("Content-Type %q, want application/xml", ct)
			}
			got := contentKeys(t, body)
			for _, kid := range c.kids {
				k, err := base64.StdEncoding.DecodeString(got[kid])
				if err != nil || len(k) != 16 {
					t.Errorf("kid %s: PlainValue %q is not a 16-byte base64 key (%v)", kid, got[kid], err)
				}
			}
			if len(got) != len(c.kids) {
				t.Errorf("keys for %d kids, want %d", len(got), len(c.kids))
			}
			keys[name] = got
		})
	}
	for name, c := range cases {
		if c.sameKeysAs == "" || keys[name] == nil || keys[c.sameKeysAs] == nil {
			continue
		}
		if fmt.Sprint(keys[name]) != fmt.Sprint(keys[c.sameKeysAs]) {
			t.Errorf("%s and %s ask for the same content ID and KID but got different keys", name, c.sameKeysAs)
		}
	}
	t.Run("repeat", func(t *testing.T) {
		first := keys["speke-v2.0.json"]
		if first == nil {
			t.Skip("first SPEKE event failed")
		}
		resp := invokeProxy(t, fn(fnSPEKE), loadEvent(t, "speke-v2.0.json"))
		if again := contentKeys(t, resp.body(t)); fmt.Sprint(again) != fmt.Sprint(first) {
			t.Error("the same request gave a different key the second time")
		}
	})
	if afterIssue != nil {
		afterIssue(t)
	}
}

// issueForPlayers has the SPEKE function issue the key of the player
// events: speke-v2.0.json (same KID) for playersContentID. It returns the
// key, base64.
func issueForPlayers(t *testing.T, p *process) string {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(loadEvent(t, "speke-v2.0.json"), &ev); err != nil {
		t.Fatal(err)
	}
	body := ev["body"].(string)
	if !strings.Contains(body, `contentId="abc123"`) {
		t.Fatal(`speke-v2.0.json no longer asks for contentId="abc123"`)
	}
	ev["body"] = strings.Replace(body, `contentId="abc123"`, `contentId="`+playersContentID+`"`, 1)
	b, _ := json.Marshal(ev)
	resp := invokeProxy(t, p, b)
	if resp.StatusCode != 200 {
		t.Fatalf("issuing the players' key: %d %s", resp.StatusCode, resp.body(t))
	}
	k := contentKeys(t, resp.body(t))[playersKID]
	if k == "" {
		t.Fatal("issuing the players' key: no key in the answer")
	}
	return k
}

// TestFakeRuntimeProtocol checks the harness itself against a tiny stand-in
// client, so a harness bug is not mistaken for a service bug.
func TestFakeRuntimeProtocol(t *testing.T) {
	rt := newFakeRuntime(t)
	base := "http://" + rt.ln.Addr().String() + prefix
	clientDone := make(chan error, 1)
	go func() {
		resp, err := http.Get(base + "invocation/next")
		if err != nil {
			clientDone <- err
			return
		}
		payload, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		if resp.Header.Get("Lambda-Runtime-Deadline-Ms") == "" || resp.Header.Get("Lambda-Runtime-Invoked-Function-Arn") == "" || resp.Header.Get("Lambda-Runtime-Trace-Id") == "" {
			clientDone <- fmt.Errorf("missing runtime headers: %v", resp.Header)
			return
		}
		r, err := http.Post(base+"invocation/"+id+"/response", "application/json", bytes.NewReader(append([]byte("echo:"), payload...)))
		if err == nil {
			r.Body.Close()
		}
		clientDone <- err
	}()
	inv := &invocation{id: "harness-1", payload: []byte(`{"x":1}`), done: make(chan result, 1)}
	rt.mu.Lock()
	rt.pending[inv.id] = inv
	rt.mu.Unlock()
	rt.queue <- inv
	r := <-inv.done
	if err := <-clientDone; err != nil {
		t.Fatal(err)
	}
	if r.kind != "response" || string(r.body) != `echo:{"x":1}` {
		t.Errorf("got %s %q", r.kind, r.body)
	}
}

// BenchmarkColdStart measures a cold start as Lambda sees it: exec of the
// real binary with the deployed function's environment (local key source,
// so no AWS call), until its answer to the first SPEKE event is posted.
func BenchmarkColdStart(b *testing.B) {
	host, _ := buildBinary(b)
	event := loadEvent(b, "speke-v2.0.json")
	for b.Loop() {
		p := startBinary(b, host, nil)
		r := p.invoke(b, event)
		if r.kind != "response" {
			b.Fatalf("invocation error: %s", r.body)
		}
		_ = p.cmd.Process.Kill()
		<-p.exited
		p.exited <- nil // for the cleanup registered by startBinary
	}
}
