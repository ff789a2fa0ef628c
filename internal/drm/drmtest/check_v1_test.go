package drmtest_test

import (
	"encoding/base64"
	"os"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/drm/drmtest"
)

func readGolden(t *testing.T, name string) (req, resp string) {
	t.Helper()
	a, err := os.ReadFile("../../../testdata/speke/v1.0/" + name + ".request.xml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("../../../testdata/speke/v1.0/" + name + ".response.xml")
	if err != nil {
		t.Fatal(err)
	}
	return string(a), string(b)
}

// TestCheckCatchesV1Breakage: each broken SPEKE v1 field of a good v1
// answer (the golden answer to AWS's live example) is reported.
func TestCheckCatchesV1Breakage(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	const kid = "98ee5596-cd3e-a20d-163a-e382420c6eff"
	fpFormat := "<speke:KeyFormat>" + b64("com.apple.streamingkeydelivery") + "</speke:KeyFormat>"
	aesURI := "<cpix:URIExtXKey>" + b64("https://keys.example.com/client/abc123/"+kid) + "</cpix:URIExtXKey>"
	fpURI := "<cpix:URIExtXKey>" + b64("skd://"+kid) + "</cpix:URIExtXKey>"
	req, good := readGolden(t, "aws-live")
	if errs := drmtest.Check([]byte(req), []byte(good), nil); len(errs) != 0 {
		t.Fatalf("golden answer fails: %v", errs)
	}
	for _, tc := range []struct{ name, old, new, expect string }{
		{"FairPlay KEYFORMAT", fpFormat, "<speke:KeyFormat>" + b64("identity") + "</speke:KeyFormat>", "KEYFORMAT identity"},
		{"AES-128 key URL of another KID", aesURI, "<cpix:URIExtXKey>" + b64("https://keys.example.com/client/abc123/other") + "</cpix:URIExtXKey>", "is not a key URL ending in KID"},
		{"skd without the KID", fpURI, "<cpix:URIExtXKey>" + b64("skd://key") + "</cpix:URIExtXKey>", "skd URI naming KID"},
		{"quoted URI", fpURI, "<cpix:URIExtXKey>" + b64(`"skd://`+kid+`"`) + "</cpix:URIExtXKey>", "not base64 of a bare value"},
		{"KEYFORMATVERSIONS 2", "<speke:KeyFormatVersions>MQ==</speke:KeyFormatVersions>", "<speke:KeyFormatVersions>Mg==</speke:KeyFormatVersions>", "KEYFORMATVERSIONS 2"},
		{"KeyFormat dropped", fpFormat, "", "0 KeyFormat in the response, 1 in the request"},
		{"ProtectionHeader of another PRO", "<speke:ProtectionHeader>BgIAAAEAAQD8ATwA", "<speke:ProtectionHeader>BgIAAAEAAQD8ATwB", "speke:ProtectionHeader"},
		{"ProtectionHeader not base64", "<speke:ProtectionHeader>", "<speke:ProtectionHeader>!", "speke:ProtectionHeader is not base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(good, tc.old) {
				t.Fatalf("%q not in the golden answer", tc.old)
			}
			errs := drmtest.Check([]byte(req), []byte(strings.Replace(good, tc.old, tc.new, 1)), nil)
			for _, e := range errs {
				if strings.Contains(e.Error(), tc.expect) {
					return
				}
			}
			t.Fatalf("no error containing %q; got %q", tc.expect, errs)
		})
	}
	// A derived explicitIV (FairPlay and AES-128 without one in the
	// request) must be there.
	req, good = readGolden(t, "aes128-fairplay-common-rotation")
	if errs := drmtest.Check([]byte(req), []byte(good), nil); len(errs) != 0 {
		t.Fatalf("golden answer fails: %v", errs)
	}
	i := strings.Index(good, ` explicitIV="`)
	j := i + strings.Index(good[i+1:], `"`) + 1
	j += strings.Index(good[j+1:], `"`) + 2
	errs := drmtest.Check([]byte(req), []byte(good[:i]+good[j:]), nil)
	if len(errs) == 0 || !strings.Contains(errs[0].Error(), "no ContentKey@explicitIV") {
		t.Fatalf("explicitIV removed: %q", errs)
	}
}
