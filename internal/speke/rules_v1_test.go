package speke_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/drm/drmtest"
	"github.com/speke-go/keyprovider/internal/speke"
)

// v1Base is a valid SPEKE v1.0 live request: one key, FairPlay, one
// period (shared with the httpapi tests).
var v1Base = func() string {
	b, err := os.ReadFile("../../testdata/speke/rules/v1base.xml")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

func editV1(t *testing.T, pairs ...string) string {
	t.Helper()
	return editIn(t, v1Base, pairs...)
}

// TestRulesV1: the SPEKE v1.0 rules (no header, or 1.0) with our messages
// (v1 defines none), the v1 elements refused under v2, and the DeliveryData
// structure (both versions). Every refusal comes before the key source.
func TestRulesV1(t *testing.T) {
	fpSys := `<cpix:DRMSystem kid="` + kidV + `" systemId="` + fp + `">`
	cert := `<cpix:DeliveryDataList xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><cpix:DeliveryData id="o">%s</cpix:DeliveryData></cpix:DeliveryDataList><cpix:ContentKeyList>`
	delivery := func(inner string) string {
		return editV1(t, `<cpix:ContentKeyList>`, strings.Replace(cert, "%s", inner, 1))
	}
	for _, tc := range []struct{ name, version, body, msg string }{
		{"missing id", "", editV1(t, ` id="abc123"`, ``), "Missing CPIX@id"},
		{"empty id", "1.0", editV1(t, ` id="abc123"`, ` id=""`), "Missing CPIX@id"},
		{"control character in id", "", editV1(t, ` id="abc123"`, ` id="a&#9;b"`), "Invalid CPIX@id"},
		{"v2 version in v1", "", editV1(t, ` id="abc123"`, ` id="abc123" version="2.3"`), "Unsupported CPIX@version"},
		{"unknown header", "1.1", v1Base, "Unsupported SPEKE version"},
		{"v1 children under v2", "2.0", editV1(t, `id="abc123"`, `contentId="abc123" version="2.3"`, `kid="`+kidV+`"/>`, `kid="`+kidV+`" commonEncryptionScheme="cbcs"/>`), "Unsupported element URIExtXKey in DRMSystem " + fp},
		{"duplicate KeyFormat", "", editV1(t, `<speke:KeyFormat/>`, `<speke:KeyFormat/><speke:KeyFormat/>`), "Duplicate KeyFormat in DRMSystem " + fp},
		{"foreign speke child", "", editV1(t, `<speke:KeyFormat/>`, `<speke:Other/>`), "Unsupported element Other in DRMSystem " + fp},
		{"unknown period", "", editV1(t, `<cpix:KeyPeriodFilter periodId="keyPeriod_1"/>`, `<cpix:KeyPeriodFilter periodId="keyPeriod_2"/>`), "KeyPeriodFilter@periodId names no ContentKeyPeriod"},
		{"two period filters", "", editV1(t, `<cpix:KeyPeriodFilter periodId="keyPeriod_1"/>`, `<cpix:KeyPeriodFilter periodId="keyPeriod_1"/><cpix:KeyPeriodFilter periodId="keyPeriod_1"/>`), "More than one KeyPeriodFilter in a ContentKeyUsageRule"},
		{"rule for another KID", "", editV1(t, `<cpix:ContentKeyUsageRule kid="`+kidV, `<cpix:ContentKeyUsageRule kid="11111111-1111-1111-1111-111111111111`), "ContentKeyUsageRule@kid 11111111-1111-1111-1111-111111111111 has no ContentKey"},
		{"rule without kid", "", editV1(t, `<cpix:ContentKeyUsageRule kid="`+kidV+`"`, `<cpix:ContentKeyUsageRule`), "Missing ContentKeyUsageRule@kid"},
		{"period without index", "", editV1(t, ` index="7"`, ``), "Missing ContentKeyPeriod@index"},
		{"FairPlay with cenc", "", editV1(t, `kid="`+kidV+`"/>`, `kid="`+kidV+`" commonEncryptionScheme="cenc"/>`), "ContentKey@commonEncryptionScheme non compatible with DRMSystem " + fp},
		{"Smooth header for FairPlay", "", editV1(t, fpSys+`<cpix:URIExtXKey/>`, fpSys+`<speke:ProtectionHeader/><cpix:URIExtXKey/>`), "SmoothStreamingProtectionHeaderData is not supported for DRMSystem " + fp},
		{"empty DeliveryDataList", "", editV1(t, `<cpix:ContentKeyList>`, `<cpix:DeliveryDataList/><cpix:ContentKeyList>`), "Missing DeliveryData"},
		{"two DeliveryDataLists", "", editV1(t, `<cpix:ContentKeyList>`, `<cpix:DeliveryDataList/><cpix:DeliveryDataList/><cpix:ContentKeyList>`), "Duplicate DeliveryDataList"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := newRecorder(t)
			_, err := newService(t, src).Handle(context.Background(), request(tc.version, tc.body))
			var re *speke.RequestError
			if !errors.As(err, &re) || re.Message != tc.msg {
				t.Fatalf("err = %v, want message %q", err, tc.msg)
			}
			if n := src.calls.Load(); n != 0 {
				t.Errorf("refused request called the key source %d times", n)
			}
		})
	}
	// DeliveryData refusals are cke.CertificateErrors (the HTTP layer maps
	// them); here: they come before the key source too.
	for _, inner := range []string{``, `<cpix:DeliveryKey/>`, `<cpix:DeliveryKey><ds:X509Data><ds:X509Certificate>AAAA</ds:X509Certificate></ds:X509Data></cpix:DeliveryKey>`} {
		src := newRecorder(t)
		if _, err := newService(t, src).Handle(context.Background(), request("", delivery(inner))); err == nil || src.calls.Load() != 0 {
			t.Errorf("DeliveryData %q: err %v after %d key source calls", inner, err, src.calls.Load())
		}
	}
}

// TestAcceptedV1: usage-rule settings other than KeyPeriodFilter are
// ignored, a VOD request needs no rules, a scheme may be given; the answer
// passes the carriage checks.
func TestAcceptedV1(t *testing.T) {
	for _, tc := range []struct{ name, version, body string }{
		{"base", "", v1Base},
		{"header 1.0", "1.0", v1Base},
		{"other filters ignored", "", editV1(t, `<cpix:KeyPeriodFilter periodId="keyPeriod_1"/>`, `<cpix:KeyPeriodFilter periodId="keyPeriod_1"/><cpix:VideoFilter maxPixels="1"/><cpix:AudioFilter/>`)},
		{"VOD without rules", "", editV1(t, `<cpix:ContentKeyUsageRuleList><cpix:ContentKeyUsageRule kid="`+kidV+`"><cpix:KeyPeriodFilter periodId="keyPeriod_1"/></cpix:ContentKeyUsageRule></cpix:ContentKeyUsageRuleList>`, ``)},
		{"scheme given", "", editV1(t, `kid="`+kidV+`"/>`, `kid="`+kidV+`" commonEncryptionScheme="cbcs"/>`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := newRecorder(t)
			res, err := newService(t, src).Handle(context.Background(), request(tc.version, tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if src.calls.Load() != 1 {
				t.Fatalf("%d key source calls", src.calls.Load())
			}
			drmtest.CheckResponse(t, []byte(tc.body), res.Body, nil)
		})
	}
}
