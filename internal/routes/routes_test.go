package routes_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/speke-go/keyprovider/internal/routes"
)

// TestRoutesMatchSignaling: the URLs drm signals are the ones the router
// serves (the key URI with an escaped content ID included).
func TestRoutesMatchSignaling(t *testing.T) {
	mux := http.NewServeMux()
	var gotCID, gotKID string
	mux.HandleFunc("GET "+routes.ClientKey, func(_ http.ResponseWriter, r *http.Request) {
		gotCID, gotKID = r.PathValue(routes.ContentIDParam), r.PathValue(routes.KIDParam)
	})
	hit := false
	mux.HandleFunc("POST "+routes.ClearKeyLicense, func(http.ResponseWriter, *http.Request) { hit = true })
	for _, cid := range []string{"plain", "movie/1", "a b?c#d%e&f\"g", "ünï"} {
		u := routes.KeyURL("http://k.example", cid, [16]byte{1, 2})
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", u, nil))
		if gotCID != cid || gotKID != "01020000-0000-0000-0000-000000000000" {
			t.Errorf("content ID %q: routed as %q / %q", cid, gotCID, gotKID)
		}
	}
	mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", routes.LicenseURL("http://k.example"), nil))
	if !hit {
		t.Error("the license URL is not routed")
	}
}

// TestModes: the read-only list holds no route that may create a key, and
// All is the union without repeats.
func TestModes(t *testing.T) {
	for _, r := range routes.ReadOnly {
		if r.Path == routes.CopyProtection {
			t.Error("the read-only function serves /copyProtection")
		}
	}
	seen := map[routes.Route]bool{}
	for _, r := range routes.All {
		if seen[r] {
			t.Errorf("%v twice in All", r)
		}
		seen[r] = true
	}
	if len(seen) != len(routes.SPEKE)+len(routes.ReadOnly)-1 {
		t.Errorf("All has %d routes", len(seen))
	}
}
