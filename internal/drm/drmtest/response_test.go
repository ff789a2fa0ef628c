package drmtest_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/drm/drmtest"
	"github.com/speke-go/keyprovider/internal/httpapi"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/speke"
)

// realHandler is the service as deployed: the SPEKE core, the local key
// source and the registry built from cfg.
func realHandler(t testing.TB, cfg drm.Config) http.Handler {
	t.Helper()
	src, err := keys.NewLocalFromSeed(bytes.Repeat([]byte{0x3c}, keys.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return httpapi.New(speke.New(src, registry(t, cfg)), httpapi.Options{PublicBaseURL: "https://keys.example.com"})
}

func postSPEKE(t testing.TB, h http.Handler, body []byte) (int, []byte) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/copyProtection", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/xml")
	r.Header.Set("X-Speke-Version", "2.0")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, b
}

// The response-level check: every preset × DRM combination ×
// live/VOD through the real handler, each DRMSystem carrying signaling
// for its own KID and key, decoded by independent decoders.
func TestHandlerAllCombinations(t *testing.T) {
	for name, cfg := range configs {
		h := realHandler(t, cfg)
		t.Run(name, func(t *testing.T) {
			for _, c := range drmtest.Cases() {
				t.Run(c.Name(), func(t *testing.T) {
					req := c.XML()
					code, resp := postSPEKE(t, h, req)
					if code != http.StatusOK {
						t.Fatalf("status %d: %s", code, resp)
					}
					drmtest.CheckResponse(t, req, resp, nil)
					// Same request, same bytes: signaling is deterministic.
					if _, again := postSPEKE(t, h, req); !bytes.Equal(resp, again) {
						t.Error("a repeated request gave a different response")
					}
				})
			}
		})
	}
}

// Schemes a system cannot signal are refused with the SPEKE message.
func TestHandlerIncompatibleSchemes(t *testing.T) {
	h := realHandler(t, drm.Config{})
	for _, tt := range []struct {
		drm    drmtest.DRM
		scheme string
	}{
		{drmtest.FairPlay, "cenc"}, {drmtest.FairPlay, "cbc1"}, {drmtest.Widevine, "cens"},
		{drmtest.Widevine, "cbc1"}, {drmtest.PlayReady, "cens"}, {drmtest.PlayReady, "cbc1"},
	} {
		r := drmtest.Request{Preset: drmtest.Presets[0], DRMs: []drmtest.DRM{tt.drm}}
		req := strings.ReplaceAll(string(r.XML()), `commonEncryptionScheme="`+r.Scheme()+`"`, `commonEncryptionScheme="`+tt.scheme+`"`)
		code, resp := postSPEKE(t, h, []byte(req))
		want := speke.MsgSchemeNotCompatibleWith + tt.drm.SystemID()
		if code != http.StatusUnprocessableEntity || !strings.Contains(string(resp), want) {
			t.Errorf("%s + %s: %d %s, want 422 %q", tt.drm, tt.scheme, code, resp, want)
		}
	}
}

// FairPlay has no ContentProtectionData: asking for it is refused rather
// than answered with an empty fragment.
func TestHandlerFairPlayCPD(t *testing.T) {
	h := realHandler(t, drm.Config{})
	r := drmtest.Request{Preset: drmtest.Presets[0], DRMs: []drmtest.DRM{drmtest.FairPlay}}
	req := strings.Replace(string(r.XML()), "<cpix:PSSH/>", "<cpix:PSSH/><cpix:ContentProtectionData/>", 1)
	if code, resp := postSPEKE(t, h, []byte(req)); code != http.StatusUnprocessableEntity || !strings.Contains(string(resp), drm.ChildCPD) {
		t.Errorf("%d %s", code, resp)
	}
}
