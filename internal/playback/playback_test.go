package playback_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/playback"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// store is a key table: Lookup finds what it holds and reports the rest
// as never issued, like dynamokeys.
type store struct {
	keys map[string]map[uuid.UUID]keys.Key
	down bool
}

func (s *store) Lookup(_ context.Context, cid string, kids []uuid.UUID) ([]keys.Key, error) {
	if s.down {
		return nil, fmt.Errorf("fake: throttled: %w", keys.ErrUnavailable)
	}
	out := make([]keys.Key, len(kids))
	var missing []uuid.UUID
	for i, k := range kids {
		key, ok := s.keys[cid][k]
		if !ok {
			missing = append(missing, k)
		}
		out[i] = key
	}
	if missing != nil {
		return nil, &keys.NotFoundError{KIDs: missing}
	}
	return out, nil
}

var (
	tokenKey = bytes.Repeat([]byte("k"), 32)
	now      = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	kid1     = uuid.MustParse("10000000-1000-1000-1000-100000000001")
	kid2     = uuid.MustParse("10000000-1000-1000-1000-100000000002")
	unknown  = uuid.MustParse("10000000-1000-1000-1000-1000000000ff")
	key1     = randomKey()
	key2     = randomKey()
)

func randomKey() keys.Key {
	var b [16]byte
	_, _ = rand.Read(b[:])
	k, _ := keys.NewKey(b[:])
	return k
}

func newStore() *store {
	return &store{keys: map[string]map[uuid.UUID]keys.Key{
		"movie/1": {kid1: key1, kid2: key2},
	}}
}

// claims are the claims of a good token for movie/1; tests edit them.
func claims() jwt.MapClaims {
	return jwt.MapClaims{"content_id": "movie/1", "exp": now.Add(time.Hour).Unix()}
}

func sign(t testing.TB, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(tokenKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func with(edit func(jwt.MapClaims)) jwt.MapClaims {
	c := claims()
	edit(c)
	return c
}

func newHandler(t testing.TB, src playback.Lookuper, origins []string, logTo io.Writer) http.Handler {
	t.Helper()
	if logTo == nil {
		logTo = io.Discard
	}
	h, err := playback.New(playback.Options{
		Keys: src, TokenKey: tokenKey, AllowedOrigins: origins,
		Logger: slog.New(slog.NewJSONHandler(logTo, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	// The app's router, as `make run` builds it: the handler is mounted
	// on its routes.
	return h
}

// noneToken is an unsigned token (alg none) for movie/1.
func noneToken(t *testing.T) string {
	s, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// forged signs claims with HMAC under another alg name.
func forged(t *testing.T, m jwt.SigningMethod, key []byte) string {
	s, err := jwt.NewWithClaims(m, claims()).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rsHeaderToken claims RS256 but carries an HMAC signature made with our
// key: the classic algorithm confusion.
func rsHeaderToken(t *testing.T) string {
	enc := base64.RawURLEncoding
	hdr := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	body, _ := json.Marshal(claims())
	signing := hdr + "." + enc.EncodeToString(body)
	sig, err := jwt.SigningMethodHS256.Sign(signing, tokenKey)
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + enc.EncodeToString(sig)
}

type call struct {
	name   string
	method string
	target string
	auth   string // Authorization header; "" none
	body   string
	src    *store
	status int
	// body check for 200s
	wantKey *keys.Key
	wantMsg string
}

func keyCases(t *testing.T) []call {
	good := "Bearer " + sign(t, claims())
	path := "/client/movie%2F1/" + kid1.String()
	return []call{
		{name: "bearer token", target: path, auth: good, status: 200, wantKey: &key1},
		{name: "query token", target: path + "?token=" + sign(t, claims()), status: 200, wantKey: &key1},
		{name: "upper-case KID", target: "/client/movie%2F1/" + strings.ToUpper(kid2.String()), auth: good, status: 200, wantKey: &key2},
		{name: "kids claim lists the KID", target: path, auth: "Bearer " + sign(t, with(func(c jwt.MapClaims) { c["kids"] = []string{kid2.String(), kid1.String()} })), status: 200, wantKey: &key1},
		{name: "expired within leeway", target: path, auth: "Bearer " + sign(t, with(func(c jwt.MapClaims) { c["exp"] = now.Add(-10 * time.Second).Unix() })), status: 200, wantKey: &key1},
		{name: "nbf within leeway", target: path, auth: "Bearer " + sign(t, with(func(c jwt.MapClaims) { c["nbf"] = now.Add(10 * time.Second).Unix() })), status: 200, wantKey: &key1},
		{name: "nbf passed", target: path, auth: "Bearer " + sign(t, with(func(c jwt.MapClaims) { c["nbf"] = now.Add(-time.Minute).Unix() })), status: 200, wantKey: &key1},

		{name: "no token", target: path, status: 401, wantMsg: "Missing token"},
		{name: "empty query token", target: path + "?token=", status: 401, wantMsg: "Missing token"},
		{name: "basic auth", target: path, auth: "Basic dXNlcjpwYXNz", status: 401, wantMsg: "Bearer"},
		{name: "bearer without token", target: path, auth: "Bearer ", status: 401},
		{name: "malformed token", target: path, auth: "Bearer abc.def", status: 401, wantMsg: "Malformed token"},
		{name: "garbage token", target: path, auth: "Bearer " + strings.Repeat("x", 100), status: 401},
		{name: "oversized token", target: path, auth: "Bearer " + strings.Repeat("a", 5000), status: 401, wantMsg: "longer than"},
		{name: "signed with another key", target: path, auth: "Bearer " + forged(t, jwt.SigningMethodHS256, bytes.Repeat([]byte("x"), 32)), status: 401, wantMsg: "signature"},
		{name: "alg none", target: path, auth: "Bearer " + noneToken(t), status: 401},
		{name: "alg HS512 with our key", target: path, auth: "Bearer " + forged(t, jwt.SigningMethodHS512, tokenKey), status: 401},
		{name: "alg HS384 with our key", target: path, auth: "Bearer " + forged(t, jwt.SigningMethodHS384, tokenKey), status: 401},
		{name: "alg RS256 header, HMAC signature", target: path, auth: "Bearer " + rsHeaderToken(t), status: 401},
		{name: "expired", target: path, auth: "Bearer " + sign(t, with(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() })), status: 401, wantMsg: "Token expired"},
		{name: "no exp", target: path, auth: "Bearer " + sign(t, with(func(c jwt.MapClaims) { delete(c, "exp") })), status: 401, wantMsg: "no exp"},
		{name: "not yet valid", target: path, auth: "Bearer " + sign(t, with(func(c jwt.MapClaims) { c["nbf"] = now.Add(5 * time.Minute).Unix() })), status: 401, wantMsg: "not valid yet"},
		{name: "no content_id", target: path, auth: "Bearer " + sign(t, with(func(c jwt.MapClaims) { delete(c, "content_id") })), status: 401, wantMsg: "no content_id"},
		{name: "content_id not a string", target: path, auth: "Bearer " + sign(t, with(func(c jwt.MapClaims) { c["content_id"] = 7 })), status: 401},
		{name: "kids not UUIDs", target: path, auth: "Bearer " + sign(t, with(func(c jwt.MapClaims) { c["kids"] = []string{"EAAAABAAEAAQABAAAAAAAQ"} })), status: 401},
		{name: "bad token beats bad KID", target: "/client/movie%2F1/zz", auth: "Bearer x", status: 401},

		{name: "token for another content ID", target: path, auth: "Bearer " + sign(t, with(func(c jwt.MapClaims) { c["content_id"] = "movie/2" })), status: 403, wantMsg: "another content ID"},
		{name: "content ID differs only by escaping", target: "/client/movie%252F1/" + kid1.String(), auth: good, status: 403},
		{name: "kids claim without the KID", target: path, auth: "Bearer " + sign(t, with(func(c jwt.MapClaims) { c["kids"] = []string{kid2.String()} })), status: 403, wantMsg: "does not cover KID"},
		{name: "empty kids claim", target: path, auth: "Bearer " + sign(t, with(func(c jwt.MapClaims) { c["kids"] = []string{} })), status: 403},

		{name: "malformed KID", target: "/client/movie%2F1/not-a-kid", auth: good, status: 400, wantMsg: "Invalid KID"},
		{name: "32-digit KID", target: "/client/movie%2F1/" + kid1.Hex(), auth: good, status: 400},
		{name: "control character in content ID", target: "/client/movie%011/" + kid1.String(), auth: good, status: 400, wantMsg: "Invalid content ID"},
		{name: "control character in token content_id", target: "/client/movie%011/" + kid1.String(), auth: "Bearer " + sign(t, with(func(c jwt.MapClaims) { c["content_id"] = "movie\x011" })), status: 401},
		{name: "content ID too long", target: "/client/" + strings.Repeat("a", 1025) + "/" + kid1.String(), auth: good, status: 400, wantMsg: "Invalid content ID"},

		{name: "KID never issued", target: "/client/movie%2F1/" + unknown.String(), auth: good, status: 404, wantMsg: "No key issued"},
		{name: "store down", target: path, auth: good, src: &store{down: true}, status: 503},
	}
}

func licenseBody(kids ...uuid.UUID) string {
	var parts []string
	for _, k := range kids {
		parts = append(parts, `"`+base64.RawURLEncoding.EncodeToString(k[:])+`"`)
	}
	return `{"kids":[` + strings.Join(parts, ",") + `],"type":"temporary"}`
}

func licenseCases(t *testing.T) []call {
	good := "Bearer " + sign(t, claims())
	lic := func(name, auth, body string, status int, msg string) call {
		return call{name: name, method: "POST", target: "/clearkey/license", auth: auth, body: body, status: status, wantMsg: msg}
	}
	b64kid1 := base64.RawURLEncoding.EncodeToString(kid1[:])
	return []call{
		lic("one KID", good, licenseBody(kid1), 200, ""),
		lic("two KIDs and a repeat", good, licenseBody(kid1, kid2, kid1), 200, ""),
		lic("no type", good, `{"kids":["`+b64kid1+`"]}`, 200, ""),
		{name: "query token", method: "POST", target: "/clearkey/license?token=" + sign(t, claims()), body: licenseBody(kid1), status: 200},

		lic("no token", "", licenseBody(kid1), 401, "Missing token"),
		lic("expired token", "Bearer "+sign(t, with(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() })), licenseBody(kid1), 401, "Token expired"),
		lic("alg none", "Bearer "+noneToken(t), licenseBody(kid1), 401, ""),

		lic("kids claim without one of them", "Bearer "+sign(t, with(func(c jwt.MapClaims) { c["kids"] = []string{kid1.String()} })), licenseBody(kid1, kid2), 403, "does not cover KID "+kid2.String()),
		lic("token for another content ID", "Bearer "+sign(t, with(func(c jwt.MapClaims) { c["content_id"] = "movie/2" })), licenseBody(kid1), 404, ""),

		lic("not JSON", good, `kids=1`, 400, "EME JSON"),
		lic("kids not a list", good, `{"kids":"`+b64kid1+`"}`, 400, ""),
		lic("no kids", good, `{"kids":[],"type":"temporary"}`, 400, "no kids"),
		lic("padded KID", good, `{"kids":["`+b64kid1+`=="]}`, 400, "Invalid KID"),
		lic("standard base64 KID", good, `{"kids":["`+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 16))+`"]}`, 400, "Invalid KID"),
		lic("15-byte KID", good, `{"kids":["`+base64.RawURLEncoding.EncodeToString(kid1[:15])+`"]}`, 400, "Invalid KID"),
		lic("persistent license", good, `{"kids":["`+b64kid1+`"],"type":"persistent-license"}`, 400, "temporary"),
		lic("too many KIDs", good, `{"kids":[`+strings.Repeat(`"`+b64kid1+`",`, 64)+`"`+b64kid1+`"]}`, 400, "more than 64"),
		lic("too large", good, `{"kids":["`+strings.Repeat("A", 20000)+`"]}`, 413, ""),

		lic("KID never issued", good, licenseBody(kid1, unknown), 404, "No key issued"),
		{name: "store down", method: "POST", target: "/clearkey/license", auth: good, body: licenseBody(kid1), src: &store{down: true}, status: 503},
	}
}

// leaks lists every spelling of the test keys (default key1, key2) that
// must never appear outside a 200 answer.
func leaks(ks ...keys.Key) []string {
	if ks == nil {
		ks = []keys.Key{key1, key2}
	}
	var out []string
	for _, k := range ks {
		b := k.Reveal()
		out = append(out, string(b[:]), hex.EncodeToString(b[:]), strings.ToUpper(hex.EncodeToString(b[:])),
			base64.StdEncoding.EncodeToString(b[:]), base64.RawURLEncoding.EncodeToString(b[:]))
	}
	return out
}

func TestContract(t *testing.T) {
	var logs bytes.Buffer
	cases := append(keyCases(t), licenseCases(t)...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src
			if src == nil {
				src = newStore()
			}
			h := newHandler(t, src, nil, &logs)
			method := tc.method
			if method == "" {
				method = "GET"
			}
			req := httptest.NewRequest(method, tc.target, strings.NewReader(tc.body))
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			req.Header.Set("Origin", "https://player.example")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			body := rec.Body.String()
			if res.StatusCode != tc.status {
				t.Fatalf("status %d %q, want %d", res.StatusCode, body, tc.status)
			}
			if got := res.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control %q", got)
			}
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin %q", got)
			}
			if tc.status != 200 {
				if !strings.Contains(body, tc.wantMsg) || len(body) > 200 {
					t.Errorf("body %q, want a short message containing %q", body, tc.wantMsg)
				}
				if tc.status == 401 && res.Header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				var hdrs bytes.Buffer
				_ = res.Header.Write(&hdrs)
				for _, l := range leaks() {
					if strings.Contains(body, l) || strings.Contains(hdrs.String(), l) {
						t.Fatalf("a %d answer carries key bytes", tc.status)
					}
				}
				return
			}
			if tc.wantKey != nil {
				want := tc.wantKey.Reveal()
				if ct := res.Header.Get("Content-Type"); ct != "application/octet-stream" {
					t.Errorf("Content-Type %q", ct)
				}
				if !bytes.Equal(rec.Body.Bytes(), want[:]) {
					t.Errorf("body is %d bytes, not the key", rec.Body.Len())
				}
				return
			}
			checkJWKSet(t, res.Header.Get("Content-Type"), rec.Body.Bytes(), tc.body)
		})
	}
	// Nothing secret in any log line: no key, no token.
	for _, l := range leaks() {
		if strings.Contains(logs.String(), l) {
			t.Fatal("a log line carries key bytes")
		}
	}
	if tok := sign(t, claims()); strings.Contains(logs.String(), tok[strings.LastIndexByte(tok, '.'):]) {
		t.Fatal("a log line carries a token")
	}
	if n := strings.Count(logs.String(), "\n"); n != len(cases) {
		t.Errorf("%d log lines for %d requests", n, len(cases))
	}
}

// checkJWKSet checks a license answer against the EME Clear Key format:
// exactly kty, kid, k per key; b64url without padding; one entry per
// distinct requested KID with its key; type temporary.
func checkJWKSet(t *testing.T, ct string, body []byte, request string) {
	t.Helper()
	if ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if bytes.ContainsAny(body, "=+/") {
		t.Errorf("answer %s has padding or non-URL base64", body)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
		Type string              `json:"type"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&set); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	var req struct{ KIDs []string }
	_ = json.Unmarshal([]byte(request), &req)
	distinct := map[string]bool{}
	for _, k := range req.KIDs {
		distinct[k] = true
	}
	if set.Type != "temporary" || len(set.Keys) != len(distinct) {
		t.Fatalf("answer %s for %d distinct KIDs", body, len(distinct))
	}
	want := map[uuid.UUID]keys.Key{kid1: key1, kid2: key2}
	for _, k := range set.Keys {
		if len(k) != 3 || k["kty"] != "oct" || !distinct[k["kid"]] {
			t.Fatalf("JWK %v", k)
		}
		kid, err := base64.RawURLEncoding.Strict().DecodeString(k["kid"])
		if err != nil || len(kid) != 16 {
			t.Fatalf("kid %q", k["kid"])
		}
		key, err := base64.RawURLEncoding.Strict().DecodeString(k["k"])
		wk := want[uuid.UUID(kid)].Reveal()
		if err != nil || !bytes.Equal(key, wk[:]) {
			t.Fatalf("k of %q is not the KID's key", k["kid"])
		}
	}
}

func TestCORS(t *testing.T) {
	for _, tc := range []struct {
		name       string
		origins    []string
		origin     string
		wantOrigin string
		wantVary   bool
	}{
		{"default any origin", nil, "https://a.example", "*", false},
		{"star in the list", []string{"https://b.example", "*"}, "https://a.example", "*", false},
		{"listed origin", []string{"https://a.example", "http://127.0.0.1:8000"}, "http://127.0.0.1:8000", "http://127.0.0.1:8000", true},
		{"unlisted origin", []string{"https://a.example"}, "https://evil.example", "", true},
		{"no Origin header", []string{"https://a.example"}, "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHandler(t, newStore(), tc.origins, nil)
			for _, path := range []string{"/client/movie%2F1/" + kid1.String(), "/clearkey/license"} {
				pre := httptest.NewRequest("OPTIONS", path, nil)
				if tc.origin != "" {
					pre.Header.Set("Origin", tc.origin)
				}
				pre.Header.Set("Access-Control-Request-Method", "POST")
				pre.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, pre)
				hd := rec.Result().Header
				if rec.Code != http.StatusNoContent {
					t.Fatalf("%s preflight: %d", path, rec.Code)
				}
				if got := hd.Get("Access-Control-Allow-Origin"); got != tc.wantOrigin {
					t.Errorf("%s preflight: Allow-Origin %q, want %q", path, got, tc.wantOrigin)
				}
				allowed := strings.ToLower(hd.Get("Access-Control-Allow-Headers"))
				if !strings.Contains(allowed, "authorization") || !strings.Contains(allowed, "content-type") {
					t.Errorf("%s preflight: Allow-Headers %q", path, allowed)
				}
				wantMethod := map[bool]string{true: "POST", false: "GET"}[strings.HasPrefix(path, "/clearkey")]
				if !strings.Contains(hd.Get("Access-Control-Allow-Methods"), wantMethod) {
					t.Errorf("%s preflight: Allow-Methods %q", path, hd.Get("Access-Control-Allow-Methods"))
				}
				if vary := strings.Contains(hd.Get("Vary"), "Origin"); vary != tc.wantVary {
					t.Errorf("%s preflight: Vary %q", path, hd.Get("Vary"))
				}
				// The actual request, refused or not, carries the same
				// origin decision so a page can read the status.
				get := httptest.NewRequest("GET", "/client/movie%2F1/"+kid1.String(), nil)
				if tc.origin != "" {
					get.Header.Set("Origin", tc.origin)
				}
				rec = httptest.NewRecorder()
				h.ServeHTTP(rec, get)
				if rec.Code != 401 || rec.Result().Header.Get("Access-Control-Allow-Origin") != tc.wantOrigin {
					t.Errorf("GET without token: %d, Allow-Origin %q", rec.Code, rec.Result().Header.Get("Access-Control-Allow-Origin"))
				}
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := playback.New(playback.Options{Keys: newStore(), TokenKey: tokenKey[:31]}); err == nil {
		t.Error("31-byte token key accepted")
	}
	if _, err := playback.New(playback.Options{TokenKey: tokenKey}); err == nil {
		t.Error("no key source accepted")
	}
}
