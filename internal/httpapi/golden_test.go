package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/drm/drmtest"
	"github.com/speke-go/keyprovider/internal/httpapi"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/speke"
)

var update = flag.Bool("update", false, "rewrite the golden response files in testdata/")

// TestGolden runs every testdata/speke/<version>/<name>.request.xml through
// the handler with a fixed seed and compares with <name>.response.xml.
func TestGolden(t *testing.T) {
	reqs, err := filepath.Glob("../../testdata/speke/*/*.request.xml")
	if err != nil || len(reqs) == 0 {
		t.Fatalf("no golden requests: %v", err)
	}
	h := newHandler(t)
	for _, req := range reqs {
		version := filepath.Base(filepath.Dir(req))[1:] // "v2.0" -> "2.0"
		name := strings.TrimSuffix(req, ".request.xml")
		t.Run(filepath.Base(filepath.Dir(req))+"/"+filepath.Base(name), func(t *testing.T) {
			body, err := os.ReadFile(req)
			if err != nil {
				t.Fatal(err)
			}
			res := post(t, h, version, string(body))
			if res.Code != http.StatusOK {
				t.Fatalf("status %d: %s", res.Code, res.Body.String())
			}
			if res.Header().Get("Content-Type") != "application/xml" || res.Header().Get("X-Speke-Version") != version {
				t.Fatalf("headers %v", res.Header())
			}
			got := res.Body.Bytes()
			// Beyond the snapshot: every carriage rule, by independent decoders.
			drmtest.CheckResponse(t, body, got, nil)
			golden := name + ".response.xml"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/httpapi -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("response differs from %s (rerun with -update if intended)\n%s", golden, got)
			}
		})
	}
}

var plainValueRE = regexp.MustCompile(`<[^/<>]*PlainValue>([^<]*)<`)

func plainValues(t *testing.T, body []byte) []string {
	t.Helper()
	var out []string
	for _, m := range plainValueRE.FindAllSubmatch(body, -1) {
		k, err := base64.StdEncoding.DecodeString(string(m[1]))
		if err != nil || len(k) != 16 {
			t.Fatalf("PlainValue %q is not a base64 16-byte key", m[1])
		}
		out = append(out, string(m[1]))
	}
	return out
}

// TestKeyStability: the same request gives the same keys; another content
// ID gives other keys; KIDs in another letter case give the same keys.
func TestKeyStability(t *testing.T) {
	h := newHandler(t)
	a := plainValues(t, post(t, h, "2.0", base).Body.Bytes())
	b := plainValues(t, post(t, h, "2.0", base).Body.Bytes())
	if len(a) != 2 || strings.Join(a, ",") != strings.Join(b, ",") {
		t.Fatalf("repeat request changed keys: %v vs %v", a, b)
	}
	if a[0] == a[1] {
		t.Fatal("two KIDs got one key")
	}
	upper := strings.ReplaceAll(base, kidV, strings.ToUpper(kidV))
	c := plainValues(t, post(t, h, "2.0", upper).Body.Bytes())
	if c[0] != a[0] {
		t.Fatal("upper-case KID got another key")
	}
	other := strings.Replace(base, `contentId="abc123"`, `contentId="abc124"`, 1)
	d := plainValues(t, post(t, h, "2.0", other).Body.Bytes())
	if d[0] == a[0] || d[1] == a[1] {
		t.Fatal("another content ID got the same key")
	}
}

// TestNoKeysInLogs sends requests (good, bad, and a panic-free error path)
// and checks that no key, body or PSSH reaches the log.
func TestNoKeysInLogs(t *testing.T) {
	var logs bytes.Buffer
	h := newLoggingHandler(t, &logs)
	res := post(t, h, "2.0", base)
	post(t, h, "2.0", edit(t, `version="2.3"`, `version="9"`))
	post(t, h, "", base)
	keysB64 := plainValues(t, res.Body.Bytes())
	out := logs.String()
	if strings.Count(out, "\n") != 3 {
		t.Fatalf("want 3 log lines, got:\n%s", out)
	}
	for _, k := range keysB64 {
		raw, _ := base64.StdEncoding.DecodeString(k)
		for _, enc := range []string{k, strings.TrimRight(k, "="), string(raw), hexString(raw)} {
			if strings.Contains(out, enc) {
				t.Fatalf("log contains key material:\n%s", out)
			}
		}
	}
	for _, s := range []string{"<cpix", "PSSH", "AAAA"} {
		if strings.Contains(out, s) {
			t.Fatalf("log contains body content %q:\n%s", s, out)
		}
	}
	for _, s := range []string{`"content_id":"abc123"`, `"keys":2`, `"status":200`, `"status":422`, `"speke_version":"2.0"`, `"request_id"`, `"latency_ms"`} {
		if !strings.Contains(out, s) {
			t.Errorf("log lacks %s:\n%s", s, out)
		}
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestRoutes(t *testing.T) {
	h := newHandler(t)
	tests := []struct {
		method, path string
		status       int
	}{
		{"GET", "/healthz", 200},
		{"GET", "/copyProtection", 405},
		{"PUT", "/copyProtection", 405},
		{"POST", "/healthz", 405},
		{"GET", "/", 404},
		{"POST", "/other", 404},
	}
	for _, tc := range tests {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		if w.Code != tc.status {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, w.Code, tc.status)
		}
	}
	// Content types: XML ones pass, others get 415.
	for ct, want := range map[string]int{
		"application/xml": 200, "application/xml; charset=UTF-8": 200, "text/xml": 200, "": 200,
		"application/json": 415, "application/xml; charset=latin1": 415, "text/plain": 415,
	} {
		r := httptest.NewRequest("POST", "/copyProtection", strings.NewReader(base))
		r.Header.Set("X-Speke-Version", "2.0")
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("Content-Type %q: %d, want %d", ct, w.Code, want)
		}
	}
}

// benchRequests are the request bodies every benchmark of the service uses
// (here, in internal/apigw and in internal/app), in testdata/bench/:
// 2 keys x 1 DRM (W3C common), and the MediaPackage PRESET-VIDEO-5 +
// PRESET-AUDIO-3 shape (8 keys, live, one period) asking every DRM system
// for everything it signals, as MediaPackage v2 CMAF does: Widevine +
// PlayReady with cenc, and Widevine + PlayReady + FairPlay with cbcs.
var benchRequests = []string{"2key-1drm", "8key-2drm", "8key-3drm"}

func benchBody(b *testing.B, name string) []byte {
	b.Helper()
	body, err := os.ReadFile("../../testdata/bench/" + name + ".request.xml")
	if err != nil {
		b.Fatal(err)
	}
	return body
}

func BenchmarkHandler(b *testing.B) {
	for _, name := range benchRequests {
		b.Run(name, func(b *testing.B) { benchHandler(b, newHandler(b), name) })
	}
}

// BenchmarkHandlerLedger is BenchmarkHandler with the source `make run`
// uses: the local source with its issuance ledger in a data directory.
// Every KID is a repeat after the first request, as for an encryptor that
// asks again, so the ledger costs a map lookup per KID.
func BenchmarkHandlerLedger(b *testing.B) {
	for _, name := range benchRequests {
		b.Run(name, func(b *testing.B) {
			src, err := keys.OpenLocal(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer src.Close()
			benchHandler(b, httpapi.New(speke.New(src, drm.NewDefaultRegistry(drm.Config{})), httpapi.Options{PublicBaseURL: testBaseURL}), name)
		})
	}
}

func benchHandler(b *testing.B, h http.Handler, name string) {
	body := benchBody(b, name)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	w := &benchWriter{}
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/copyProtection", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/xml")
		r.Header.Set("X-Speke-Version", "2.0")
		w.reset()
		h.ServeHTTP(w, r)
		if w.code != 200 {
			b.Fatalf("%d %s", w.code, w.body)
		}
	}
	b.ReportMetric(float64(len(w.body)), "resp-bytes")
}

// BenchmarkEtreeBaseline parses the 8-key x 3-DRM request with etree alone:
// the floor the handler benchmarks are compared with (the whole request
// costs this parse plus validation, keys, signaling and writing).
func BenchmarkEtreeBaseline(b *testing.B) {
	body := benchBody(b, "8key-3drm")
	b.ReportAllocs()
	for b.Loop() {
		if err := etree.NewDocument().ReadFromBytes(body); err != nil {
			b.Fatal(err)
		}
	}
}

// benchWriter is a ResponseWriter that keeps its buffers across requests,
// so the benchmark measures the handler rather than httptest's growth.
type benchWriter struct {
	h    http.Header
	code int
	body []byte
}

func (w *benchWriter) reset() {
	if w.h == nil {
		w.h = http.Header{}
	}
	clear(w.h)
	w.code, w.body = 0, w.body[:0]
}
func (w *benchWriter) Header() http.Header { return w.h }
func (w *benchWriter) WriteHeader(c int)   { w.code = c }
func (w *benchWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = 200
	}
	w.body = append(w.body, p...)
	return len(p), nil
}

// TestCheckerCatchesOpenSystemBreakage: the carriage checker applied to the
// golden files must fail when the Clear Key signaling is wrong, or its pass
// means nothing.
func TestCheckerCatchesOpenSystemBreakage(t *testing.T) {
	h := newHandler(t)
	tests := []struct {
		name, request string
		old, new      string // replaced inside the decoded signaling
		elem          string // which element's base64 text to rewrite
		want          string
	}{
		{"Laurl without the dashif prefix", "v2.0/clearkey-vod", `dashif:Laurl xmlns:dashif="https://dashif.org/CPS"`, `x:Laurl xmlns:x="https://dashif.org/CPS"`, "ContentProtectionData", "want a cenc:, mspr: or dashif: prefix"},
		{"pssh in the default namespace", "v2.0/clearkey-vod", `cenc:pssh xmlns:cenc="urn:mpeg:cenc:2013"`, `pssh xmlns="urn:mpeg:cenc:2013"`, "ContentProtectionData", "want a cenc:, mspr: or dashif: prefix"},
		{"pssh of another KID in the CPD", "v2.0/clearkey-vod", "Y644JCDG7/AAAAAA==", "Y644JCDG7+AAAAAA==", "ContentProtectionData", "pssh"},
		{"AES-128 with a SAMPLE-AES method", "v2.0/aes128-live", "METHOD=AES-128", "METHOD=SAMPLE-AES", "HLSSignalingData", "METHOD"},
		{"AES-128 key URL of another KID", "v2.0/aes128-live", "100000000001\"", "100000000002\"", "HLSSignalingData", "URI"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := os.ReadFile("../../testdata/speke/" + tc.request + ".request.xml")
			if err != nil {
				t.Fatal(err)
			}
			version := strings.TrimPrefix(filepath.Dir(tc.request), "v")
			resp := post(t, h, version, string(req)).Body.String()
			if errs := drmtest.Check(req, []byte(resp), nil); len(errs) != 0 {
				t.Fatalf("unbroken response fails: %v", errs)
			}
			broken, n := rewriteBase64(t, resp, tc.elem, tc.old, tc.new)
			if n == 0 {
				t.Fatalf("%q not found in any %s", tc.old, tc.elem)
			}
			errs := drmtest.Check(req, []byte(broken), nil)
			if len(errs) == 0 || !strings.Contains(fmt.Sprint(errs), tc.want) {
				t.Fatalf("checker missed it: %v", errs)
			}
		})
	}
}

// rewriteBase64 decodes the text of every <…elem…> element, replaces old
// with new, and re-encodes it; it returns how many elements changed.
func rewriteBase64(t *testing.T, doc, elem, old, new string) (string, int) {
	t.Helper()
	re := regexp.MustCompile(`(<[^<>]*` + elem + `[^<>]*>)([^<]+)(<)`)
	n := 0
	out := re.ReplaceAllStringFunc(doc, func(m string) string {
		p := re.FindStringSubmatch(m)
		raw, err := base64.StdEncoding.DecodeString(p[2])
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), old) {
			return m
		}
		n++
		return p[1] + base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(raw), old, new, 1))) + p[3]
	})
	return out, n
}

// TestLogLinesBounded: request-derived text (a version header, a content
// type, an XML decoder message quoting element names, a quoted element
// name and namespace) never makes a log line longer than a few KiB.
func TestLogLinesBounded(t *testing.T) {
	var logs bytes.Buffer
	h := newLoggingHandler(t, &logs)
	long := strings.Repeat("n", 200<<10)
	post(t, h, strings.Repeat("9", 100<<10), base)
	post(t, h, "2.0", "<"+long+"></x>")
	post(t, h, "2.0", edit(t, `<cpix:PSSH/></cpix:DRMSystem>`, `<cpix:PSSH/><e:`+long[:100<<10]+` xmlns:e="urn:`+long[:100<<10]+`"/></cpix:DRMSystem>`))
	r := httptest.NewRequest(http.MethodPost, "/copyProtection", strings.NewReader(base))
	r.Header.Set("Content-Type", "application/"+long)
	h.ServeHTTP(httptest.NewRecorder(), r)
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("want 4 log lines, got %d", len(lines))
	}
	for i, l := range lines {
		if len(l) > 4<<10 {
			t.Errorf("line %d is %d bytes: %.300s...", i, len(l), l)
		}
		if !strings.Contains(l, `"status":`) {
			t.Errorf("line %d lost its fields: %.300s", i, l)
		}
	}
}
