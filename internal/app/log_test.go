package app_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestEveryRequestOneLine: through the handler `make run` serves (every
// route, one router), each request gets exactly one log line with its
// status: the router's 404 and 405, the health check, a SPEKE refusal and
// a player's refused key request.
func TestEveryRequestOneLine(t *testing.T) {
	var buf bytes.Buffer
	h := localHandler(t, t.TempDir(), slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	for _, tc := range []struct {
		method, path string
		status       int
		msg          string
	}{
		{"GET", "/nope", 404, "request"},
		{"PUT", "/copyProtection", 405, "request"},
		{"GET", "/healthz", 200, "request"},
		{"POST", "/copyProtection", 422, "copyProtection"},
		{"GET", "/client/abc/98ee5596-cd3e-a20d-163a-e382420c6eff", 401, "playback"},
	} {
		buf.Reset()
		r := httptest.NewRequest(tc.method, tc.path, strings.NewReader("<x/>"))
		r.Header.Set("Content-Type", "application/xml")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.status {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, w.Code, tc.status)
		}
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if len(lines) != 1 {
			t.Errorf("%s %s: %d log lines, want 1:\n%s", tc.method, tc.path, len(lines), buf.String())
			continue
		}
		var l map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &l); err != nil {
			t.Fatal(err)
		}
		if l["msg"] != tc.msg || l["status"] != float64(tc.status) || l["request_id"] != w.Header().Get("X-Request-Id") {
			t.Errorf("%s %s: log line %v, want msg %s, status %d, request_id %q", tc.method, tc.path, l, tc.msg, tc.status, w.Header().Get("X-Request-Id"))
		}
	}
}
