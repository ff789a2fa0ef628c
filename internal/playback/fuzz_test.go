package playback_test

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzLicense: any license body gets a short answer with a 200 or a 4xx
// status, never a panic or a 5xx; only a 200 carries a key.
func FuzzLicense(f *testing.F) {
	for _, seed := range []string{
		licenseBody(kid1), licenseBody(kid1, kid2, kid1), licenseBody(unknown), `{"kids":[]}`, `{"kids":["x"]}`,
		`{"kids":["EAAAABAAEAAQABAAAAAAAQ"],"type":"persistent-license"}`, `[]`, `null`, `{"kids":null}`, "\xff",
	} {
		f.Add(seed)
	}
	h := newHandler(f, newStore(), nil, nil)
	auth := "Bearer " + sign(f, claims())
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/clearkey/license", strings.NewReader(body))
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200:
			return
		case 400, 404, 413:
		default:
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if rec.Body.Len() > 200 {
			t.Fatalf("%d-byte error body", rec.Body.Len())
		}
		for _, l := range leaks() {
			if strings.Contains(rec.Body.String(), l) {
				t.Fatal("error body carries a key")
			}
		}
	})
}

// FuzzToken: any bearer value is a 401 unless it is a valid token, which a
// fuzzer cannot forge without the key.
func FuzzToken(f *testing.F) {
	good := sign(f, claims())
	for _, seed := range []string{good, good[:len(good)-2], "a.b.c", "eyJhbGciOiJub25lIn0.e30.", strings.Repeat(".", 50), ""} {
		f.Add(seed)
	}
	h := newHandler(f, newStore(), nil, nil)
	f.Fuzz(func(t *testing.T, tok string) {
		req := httptest.NewRequest("GET", "/client/movie%2F1/"+kid1.String(), nil)
		req.Header["Authorization"] = []string{"Bearer " + tok}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == 200 && strings.TrimSpace(tok) == good {
			return
		}
		if rec.Code != 401 {
			t.Fatalf("status %d for token %q", rec.Code, tok)
		}
	})
}
