package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/caller"
	"github.com/speke-go/keyprovider/internal/httpapi"
)

// TestRefusalAndCaller: a refusal set in the context is answered without
// routing, with the headers of every error; the caller identity in the
// context is logged on every request line.
func TestRefusalAndCaller(t *testing.T) {
	id := caller.Identity{UserARN: "arn:aws:sts::111122223333:assumed-role/R/s", AccountID: "111122223333", Caller: "AROAX:s", RequestID: "gw-1"}
	for _, tc := range []struct {
		name    string
		refusal bool
		status  int
		msg     string
	}{
		{"refused", true, 400, "Malformed base64 body"},
		{"served", false, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := newLoggingHandler(t, &logs)
			r := httptest.NewRequest(http.MethodPost, httpapi.PathCopyProtection, strings.NewReader(base))
			r.Header.Set("X-Speke-Version", "2.0")
			ctx := caller.WithIdentity(httpapi.WithRequestID(r.Context(), "lambda-1"), id)
			if tc.refusal {
				ctx = httpapi.WithRefusal(ctx, tc.status, tc.msg)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r.WithContext(ctx))
			if w.Code != tc.status || (tc.msg != "" && w.Body.String() != tc.msg) {
				t.Fatalf("%d %q", w.Code, w.Body.String())
			}
			if w.Header().Get("X-Request-Id") != "lambda-1" || w.Header().Get("X-Speke-User-Agent") != httpapi.UserAgent || w.Header().Get("X-Speke-Version") != "2.0" {
				t.Errorf("headers %v", w.Header())
			}
			if tc.refusal && w.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers %v", w.Header())
			}
			var line map[string]any
			if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
				t.Fatalf("%v: %s", err, logs.String())
			}
			if line["status"] != float64(tc.status) || line["request_id"] != "lambda-1" ||
				line["caller_arn"] != id.UserARN || line["caller_account"] != id.AccountID ||
				line["caller"] != id.Caller || line["apigw_request_id"] != id.RequestID {
				t.Errorf("log line %v", line)
			}
		})
	}
}
