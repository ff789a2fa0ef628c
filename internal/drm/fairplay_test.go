package drm_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/keys"
)

func mustIV(t testing.TB, hexIV string) keys.IV {
	t.Helper()
	var iv keys.IV
	copy(iv[:], mustHex(t, hexIV))
	return iv
}

func mustFairPlay(t testing.TB, tmpl string) *drm.FairPlay {
	t.Helper()
	f, err := drm.NewFairPlay(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// H3 (EZDRM/Axinom skd form) and the E1 FairPlay values: KID, IV
// ASNFZ4mrze8BI0VniavN7w== and key "123456789abcdef\n".
func TestFairPlayH3(t *testing.T) {
	f := mustFairPlay(t, "skd://{kid}:{iv_hex}")
	in := drm.Input{ContentID: "livesim2-0001", KID: kidEZDRM, Key: mustKey(t, "3132333435363738396162636465660a"),
		IV: mustIV(t, "0123456789abcdef0123456789abcdef"), Scheme: drm.CBCS, Want: drm.Want{PSSH: true, HLS: true}}
	if got := base64.StdEncoding.EncodeToString(in.IV[:]); got != "ASNFZ4mrze8BI0VniavN7w==" {
		t.Fatalf("E1 IV %s", got)
	}
	s, err := f.Signal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `METHOD=SAMPLE-AES,URI="skd://01234567-89ab-cdef-0123-456789abcdef:0123456789abcdef0123456789abcdef",KEYFORMAT="com.apple.streamingkeydelivery",KEYFORMATVERSIONS="1"`
	if s.HLSAttributes != want {
		t.Errorf("got  %s\nwant %s", s.HLSAttributes, want)
	}
	// PSSH wanted: no error and no box, so the core echoes <cpix:PSSH/> empty.
	if s.PSSH != nil || s.ContentProtectionData != nil || s.SmoothStreaming != "" {
		t.Errorf("FairPlay filled %+v", s)
	}
}

func TestFairPlayTemplates(t *testing.T) {
	in := drm.Input{ContentID: "a b/\"c\"", KID: kidEZDRM, Key: mustKey(t, "3132333435363738396162636465660a"),
		IV: mustIV(t, "00112233445566778899aabbccddeeff"), Scheme: drm.CBCS, Want: drm.Want{HLS: true}}
	tests := map[string]string{
		"":                "skd://01234567-89ab-cdef-0123-456789abcdef",
		"skd://{kid}":     "skd://01234567-89ab-cdef-0123-456789abcdef",
		"skd://{kid_hex}": "skd://0123456789abcdef0123456789abcdef",
		"skd://ksm.example.com/k?id={kid}&iv={iv_b64}": "skd://ksm.example.com/k?id=01234567-89ab-cdef-0123-456789abcdef&iv=ABEiM0RVZneImaq7zN3u/w==",
		"skd://{content_id}/{kid}":                     "skd://a%20b%2F%22c%22/01234567-89ab-cdef-0123-456789abcdef",
	}
	for tmpl, want := range tests {
		if got := mustFairPlay(t, tmpl).SKDURI(in); got != want {
			t.Errorf("%q: got %s, want %s", tmpl, got, want)
		}
	}
	// The MediaPackage guide's JSON form.
	uri := mustFairPlay(t, "skd://{json_b64}").SKDURI(in)
	raw, err := base64.StdEncoding.Strict().DecodeString(strings.TrimPrefix(uri, "skd://"))
	if err != nil {
		t.Fatal(err)
	}
	var j map[string]string
	if err := json.Unmarshal(raw, &j); err != nil {
		t.Fatal(err)
	}
	if len(j) != 3 || j["ContentId"] != in.ContentID || j["KeyId"] != kidEZDRM.String() || j["IV"] != "ABEiM0RVZneImaq7zN3u/w==" {
		t.Errorf("json %s", raw)
	}
	if !strings.HasPrefix(string(raw), `{"ContentId":`) {
		t.Errorf("field order: %s", raw)
	}
}

func TestFairPlayBadTemplates(t *testing.T) {
	for _, tmpl := range []string{
		"https://{kid}", "skd://{iv_hex}", "skd://{content_id}", "skd://{KID}", "skd://{kid", "skd://kid}",
		"skd://{kid}{nope}", `skd://"{kid}"`, "skd://{kid} x", "skd://{kid}\n", "skd://{}",
	} {
		if _, err := drm.NewFairPlay(tmpl); !errors.Is(err, drm.ErrSKDTemplate) {
			t.Errorf("%q: err = %v", tmpl, err)
		}
	}
}

func TestFairPlayRefuses(t *testing.T) {
	f := mustFairPlay(t, "")
	if !f.Supports(drm.CBCS) || f.Supports(drm.CENC) || f.Supports(drm.CBC1) || f.Supports(drm.CENS) || !f.NeedsIV() {
		t.Error("Supports/NeedsIV")
	}
}

// FuzzNewFairPlay: a template is either refused with ErrSKDTemplate or
// expands, for any content ID, to an skd URI an HLS quoted string can hold.
func FuzzNewFairPlay(f *testing.F) {
	for _, s := range []string{"", "skd://{kid}", "skd://{kid}:{iv_hex}", "skd://{json_b64}", "skd://h/{content_id}?k={kid_hex}&iv={iv_b64}", "skd://{", "x{kid}"} {
		f.Add(s, "content\"\n id")
	}
	f.Fuzz(func(t *testing.T, tmpl, contentID string) {
		fp, err := drm.NewFairPlay(tmpl)
		if err != nil {
			if !errors.Is(err, drm.ErrSKDTemplate) {
				t.Fatal(err)
			}
			return
		}
		in := drm.Input{ContentID: contentID, KID: kidEZDRM, IV: mustIV(t, "00112233445566778899aabbccddeeff")}
		uri := fp.SKDURI(in)
		if !strings.HasPrefix(uri, "skd://") || strings.ContainsAny(uri, "\"\r\n") {
			t.Fatalf("template %q gives %q", tmpl, uri)
		}
	})
}
