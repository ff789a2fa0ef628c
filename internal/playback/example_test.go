package playback_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/playback"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// An entitlement service mints a token for one title; the player sends it
// with the Clear Key license request and gets the JWK set.
func Example() {
	seed := bytes.Repeat([]byte{1}, keys.SeedSize)
	src, _ := keys.NewLocalFromSeed(seed)
	tokenKey := bytes.Repeat([]byte{2}, playback.TokenKeySize)
	h, _ := playback.New(playback.Options{Keys: src, TokenKey: tokenKey})

	// The entitlement service's side.
	token, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"content_id": "MovieNight20261122",
		"exp":        time.Now().Add(5 * time.Minute).Unix(),
	}).SignedString(tokenKey)

	// The player's side: what Chromium's Clear Key CDM sends for KID
	// 10000000-1000-1000-1000-100000000001.
	req := httptest.NewRequest("POST", "/clearkey/license",
		bytes.NewBufferString(`{"kids":["EAAAABAAEAAQABAAAAAAAQ"],"type":"temporary"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	k, _ := src.Lookup(context.Background(), "MovieNight20261122", []uuid.UUID{uuid.MustParse("10000000-1000-1000-1000-100000000001")})
	b := k[0].Reveal()
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"), bytes.Contains(rec.Body.Bytes(), []byte(`"kid":"EAAAABAAEAAQABAAAAAAAQ"`)),
		bytes.Contains(rec.Body.Bytes(), []byte(`"k":"`+b64url(b[:])+`"`)))
	// Output: 200 application/json true true
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
