package httpapi_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/httpapi"
)

// logLines decodes JSON log lines.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, l)
		}
		out = append(out, m)
	}
	buf.Reset()
	return out
}

// TestEveryRequestLogged: one line per request with its status, whatever
// answered it (route, 404, 405, health check), at a level that follows
// the status.
func TestEveryRequestLogged(t *testing.T) {
	var buf bytes.Buffer
	h := newLoggingHandler(t, &buf)
	long := "/" + strings.Repeat("é", 200)
	for _, tc := range []struct {
		method, path string
		status       int
		msg, level   string
		route, pth   string
	}{
		// The SPEKE route writes its own line (with the content ID).
		{"POST", "/copyProtection", 200, "copyProtection", "INFO", "", ""},
		{"GET", "/healthz", 200, "request", "DEBUG", "GET /healthz", ""},
		{"GET", "/nope", 404, "request", "WARN", "", "/nope"},
		{"GET", "/copyProtection", 405, "request", "WARN", "", "/copyProtection"},
		{"DELETE", "/healthz", 405, "request", "WARN", "", "/healthz"},
		{"GET", long, 404, "request", "WARN", "", long[:125] + "..."},
	} {
		var r *http.Request
		if tc.method == "POST" {
			r = httptest.NewRequest(tc.method, tc.path, strings.NewReader(base))
			r.Header.Set("X-Speke-Version", "2.0")
		} else {
			r = httptest.NewRequest(tc.method, tc.path, nil)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.status {
			t.Fatalf("%s %s = %d, want %d", tc.method, tc.path, w.Code, tc.status)
		}
		lines := logLines(t, &buf)
		if len(lines) != 1 {
			t.Fatalf("%s %s: %d log lines, want 1: %v", tc.method, tc.path, len(lines), lines)
		}
		l := lines[0]
		if l["msg"] != tc.msg || l["status"] != float64(tc.status) || l["level"] != tc.level {
			t.Errorf("%s %s: log line %v, want status %d at %s", tc.method, tc.path, l, tc.status, tc.level)
		}
		if tc.msg == "request" && (l["method"] != tc.method || tc.route != "" && l["route"] != tc.route || tc.route == "" && l["path"] != tc.pth) {
			t.Errorf("%s %s: route %v path %v, want %q %q", tc.method, tc.path, l["route"], l["path"], tc.route, tc.pth)
		}
		if id := w.Header().Get("X-Request-Id"); id == "" || l["request_id"] != id {
			t.Errorf("%s %s: X-Request-Id %q, logged request_id %v", tc.method, tc.path, id, l["request_id"])
		}
		if _, ok := l["latency_ms"]; !ok {
			t.Errorf("%s %s: no latency_ms", tc.method, tc.path)
		}
	}
}

// TestLogRequestsOuterOnly: a handler wrapped again (the app's router
// around the SPEKE handler) still logs each request once, with the route
// annotations and the request id the adapter set.
func TestLogRequestsOuterOnly(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mux := http.NewServeMux()
	mux.Handle("/", newLoggingHandler(t, &buf))
	h := httpapi.LogRequests(mux, log)
	r := httptest.NewRequest("POST", "/copyProtection", strings.NewReader(base))
	r.Header.Set("X-Speke-Version", "2.0")
	r = r.WithContext(httpapi.WithRequestID(r.Context(), "lambda-req-1"))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	lines := logLines(t, &buf)
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want 1: %v", len(lines), lines)
	}
	if l := lines[0]; l["status"] != float64(200) || l["content_id"] != "abc123" || l["request_id"] != "lambda-req-1" {
		t.Errorf("log line %v", l)
	}
	if w.Header().Get("X-Request-Id") != "lambda-req-1" {
		t.Errorf("X-Request-Id %q", w.Header().Get("X-Request-Id"))
	}
}

// TestLogRequestsPanic: a panic anywhere below is a 500 and one error
// line naming only the panic's type.
func TestLogRequestsPanic(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	h := httpapi.LogRequests(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("secret-ish value") }), log)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/x", nil))
	lines := logLines(t, &buf)
	if w.Code != 500 || len(lines) != 1 || lines[0]["level"] != "ERROR" || lines[0]["status"] != float64(500) || lines[0]["panic_type"] != "string" {
		t.Fatalf("status %d, log %v", w.Code, lines)
	}
	if strings.Contains(w.Body.String(), "secret") || strings.Contains(lines[0]["panic_type"].(string), "secret") {
		t.Fatal("panic value leaked")
	}
}
