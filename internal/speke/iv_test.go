package speke_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/speke"
)

// oneKey is a v2.0 request for one KID and one DRMSystem.
func oneKey(scheme, iv, systemID, children string) string {
	if iv != "" {
		iv = ` explicitIV="` + iv + `"`
	}
	return `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" contentId="iv-test" version="2.3">` +
		`<cpix:ContentKeyList><cpix:ContentKey kid="` + kidV + `" commonEncryptionScheme="` + scheme + `"` + iv + `/></cpix:ContentKeyList>` +
		`<cpix:DRMSystemList><cpix:DRMSystem kid="` + kidV + `" systemId="` + systemID + `">` + children + `</cpix:DRMSystem></cpix:DRMSystemList>` +
		`<cpix:ContentKeyUsageRuleList><cpix:ContentKeyUsageRule kid="` + kidV + `" intendedTrackType="ALL"><cpix:AudioFilter/><cpix:VideoFilter/></cpix:ContentKeyUsageRule></cpix:ContentKeyUsageRuleList>` +
		`</cpix:CPIX>`
}

// TestExplicitIVEqualToKey: an explicitIV equal to the content key (an
// imported key the encryptor also sends as its IV) is refused for every
// system, whether or not the system uses the IV: the response would
// otherwise publish the key as ContentKey@explicitIV.
func TestExplicitIVEqualToKey(t *testing.T) {
	raw := []byte("0123456789abcdef")
	key, err := keys.NewKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	keyB64 := base64.StdEncoding.EncodeToString(raw)
	hls := `<cpix:HLSSignalingData playlist="media"/><cpix:HLSSignalingData playlist="master"/>`
	for _, tc := range []struct{ name, scheme, systemID, children string }{
		{"Clear Key (common PSSH)", "cenc", w3c, `<cpix:PSSH/><cpix:ContentProtectionData/>`},
		{"Clear Key AES-128", "cbc1", aes, hls},
		{"Widevine cenc", "cenc", wv, `<cpix:PSSH/><cpix:ContentProtectionData/>`},
		{"Widevine cbcs", "cbcs", wv, hls},
		{"PlayReady cenc", "cenc", pr, `<cpix:PSSH/><cpix:ContentProtectionData/><cpix:SmoothStreamingProtectionHeaderData/>`},
		{"FairPlay", "cbcs", fp, `<cpix:PSSH/>` + hls},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := newRecorder(t)
			src.key = &key
			svc := newService(t, src)
			// The same request with another IV is answered: the refusal is
			// about the IV, not the system.
			if _, err := svc.Handle(context.Background(), request("2.0", oneKey(tc.scheme, "AAAAAAAAAAAAAAAAAAAAAA==", tc.systemID, tc.children))); err != nil {
				t.Fatalf("another IV: %v", err)
			}
			_, err := svc.Handle(context.Background(), request("2.0", oneKey(tc.scheme, keyB64, tc.systemID, tc.children)))
			var re *speke.RequestError
			if !errors.As(err, &re) || re.Message != "Invalid ContentKey@explicitIV for KID "+kidV {
				t.Fatalf("err = %v", err)
			}
			if strings.Contains(err.Error(), keyB64) || strings.Contains(err.Error(), string(raw)) {
				t.Error("error carries the key")
			}
		})
	}
}

// TestExplicitIVDecoding: standard base64 of exactly 16 bytes, with XML
// whitespace and non-zero trailing bits allowed; everything else refused
// before the key source is called.
func TestExplicitIVDecoding(t *testing.T) {
	for _, tc := range []struct {
		iv string
		ok bool
	}{
		{"L6jzdXrXAFbCJGBuMrrKrG==", true}, // AWS's SPEKE documentation
		{"L6jzdXrXAFbCJGBuMrrKrA==", true},
		{"L6jzdXrX AFbC\tJGBu\nMrrKrG==", true},
		{"L6jzdXrXAFbCJGBuMrrKrG", false},    // no padding
		{"L6jzdXrXAFbCJGBuMrrKrG=", false},   // short padding
		{"L6jzdXrXAFbCJGBuMrrKrG===", false}, // long padding
		{"L6jzdXrXAFbCJGBuMrrK+G/=", false},  // 17 bytes of length, wrong padding
		{"L6jzdXrXAFbCJGBuMrrK-G==", false},  // URL alphabet
		{"L6jzdXrXAFbCJGBuMrrK G==", false},  // 15 bytes once the space goes
		{"AAAAAAAAAAAAAAAAAAAAAAAA", false},  // 18 bytes
		{"AAAAAAAAAAAAAAAAAAAA", false},      // 15 bytes
		{"not base64 at all!!!!!!!", false},
	} {
		src := newRecorder(t)
		_, err := newService(t, src).Handle(context.Background(), request("2.0", oneKey("cbcs", tc.iv, fp, `<cpix:PSSH/>`)))
		var re *speke.RequestError
		switch {
		case tc.ok && err != nil:
			t.Errorf("%q refused: %v", tc.iv, err)
		case !tc.ok && (!errors.As(err, &re) || re.Message != "Invalid ContentKey@explicitIV for KID "+kidV):
			t.Errorf("%q: err = %v", tc.iv, err)
		case !tc.ok && src.calls.Load() != 0:
			t.Errorf("%q: key source called", tc.iv)
		}
	}
}
