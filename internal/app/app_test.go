package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/app"
	"github.com/speke-go/keyprovider/internal/config"
	"github.com/speke-go/keyprovider/internal/routes"
)

// TestServingModes: each SERVE mode answers exactly its routes; the
// others are 404 (or 405 for another method on a served path).
func TestServingModes(t *testing.T) {
	probes := map[string]*http.Request{
		"copyProtection": httptest.NewRequest("POST", routes.CopyProtection, strings.NewReader("<x/>")),
		"health":         httptest.NewRequest("GET", routes.Health, nil),
		"key":            httptest.NewRequest("GET", "/client/c/10000000-1000-1000-1000-100000000001", nil),
		"key preflight":  httptest.NewRequest("OPTIONS", "/client/c/10000000-1000-1000-1000-100000000001", nil),
		"license":        httptest.NewRequest("POST", routes.ClearKeyLicense, strings.NewReader("{}")),
		"export":         httptest.NewRequest("POST", routes.Export, strings.NewReader("{}")),
	}
	// Served means: the route's own handler answered (a 404 would come
	// from the router).
	served := map[config.Serve][]string{
		config.ServeAll:      {"copyProtection", "health", "key", "key preflight", "license", "export"},
		config.ServeSPEKE:    {"copyProtection", "health"},
		config.ServeReadOnly: {"health", "key", "key preflight", "license", "export"},
	}
	for mode, want := range served {
		t.Run(string(mode), func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"SERVE": string(mode), "DATA_DIR": dir}
			getenv := func(k string) string { return env[k] }
			cfg, err := config.Load(getenv)
			if err != nil {
				t.Fatal(err)
			}
			h, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			for name, req := range probes {
				rec := httptest.NewRecorder()
				r := req.Clone(context.Background())
				if req.Body != nil && req.Method == "POST" {
					r.Body = io.NopCloser(strings.NewReader("{}"))
				}
				h.ServeHTTP(rec, r)
				isServed := rec.Code != http.StatusNotFound
				wantServed := false
				for _, w := range want {
					wantServed = wantServed || w == name
				}
				if isServed != wantServed {
					t.Errorf("%s: status %d; served %v, want %v", name, rec.Code, isServed, wantServed)
				}
			}
			// The token key exists exactly when the player routes are on.
			_, err = os.Stat(filepath.Join(dir, app.TokenKeyFileName))
			if hasKey := err == nil; hasKey != (mode != config.ServeSPEKE) {
				t.Errorf("token key file present: %v", hasKey)
			}
			if st, err := os.Stat(filepath.Join(dir, app.TokenKeyFileName)); err == nil && (st.Mode().Perm() != 0o600 || st.Size() != 32) {
				t.Errorf("token key file mode %v size %d", st.Mode().Perm(), st.Size())
			}
		})
	}
}
