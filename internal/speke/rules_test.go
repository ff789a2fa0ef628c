package speke_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/speke"
	"github.com/speke-go/keyprovider/internal/uuid"
)

const (
	kidV = "98ee5596-cd3e-a20d-163a-e382420c6eff"
	kidA = "4060a865-8878-4267-9cbf-91ae5bae1e72"
	w3c  = "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"
	aes  = "3ea8778f-7742-4bf9-b18b-e834b2acbd47"
	fp   = "94ce86fb-07ff-4f43-adb8-93d2fa968ca2"
	wv   = "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"
	pr   = "9a04f079-9840-4286-ab92-e65be0885f95"
)

// base is a valid v2.0 request (shared with the httpapi tests); each case
// breaks it in one place.
var base = func() string {
	b, err := os.ReadFile("../../testdata/speke/rules/base.xml")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// edit applies old→new replacements to base; each old must occur.
func edit(t *testing.T, pairs ...string) string {
	t.Helper()
	return editIn(t, base, pairs...)
}

// editIn applies old→new replacements to s; each old must occur.
func editIn(t *testing.T, s string, pairs ...string) string {
	t.Helper()
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("edit: %q not in the document", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

// recorder is a key source that counts its calls and derives keys from a
// fixed seed, or returns key for every KID when key is set.
type recorder struct {
	calls atomic.Int32
	hkdf  *keys.HKDF
	key   *keys.Key
}

func newRecorder(t testing.TB) *recorder {
	h, err := keys.NewHKDF(bytes.Repeat([]byte{7}, keys.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return &recorder{hkdf: h}
}

func (r *recorder) Keys(_ context.Context, cid string, kids []uuid.UUID) ([]keys.Key, error) {
	r.calls.Add(1)
	out := make([]keys.Key, len(kids))
	for i, k := range kids {
		if r.key != nil {
			out[i] = *r.key
		} else {
			out[i] = r.hkdf.Derive(cid, k)
		}
	}
	return out, nil
}

// Lookup is Keys: the recorder derives, so it finds every key.
func (r *recorder) Lookup(ctx context.Context, cid string, kids []uuid.UUID) ([]keys.Key, error) {
	return r.Keys(ctx, cid, kids)
}

func newService(t testing.TB, src keys.Source) *speke.Service {
	t.Helper()
	reg, err := drm.NewRegistryFromConfig(drm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return speke.New(src, reg)
}

// request builds a speke.Request; version "" omits the header, "-" sends
// it empty.
func request(version, body string) speke.Request {
	r := speke.Request{Body: []byte(body), BaseURL: "https://keys.example.com"}
	switch version {
	case "":
	case "-":
		r.HasVersion = true
	default:
		r.Version, r.HasVersion = version, true
	}
	return r
}

// TestRules is the table of SPEKE rules with their exact messages (the
// SPEKE v2 ones where the specification defines one). Every refusal is
// decided before the key source is asked for anything: a refused request
// never creates a key.
func TestRules(t *testing.T) {
	type tc struct {
		name    string
		version string // "" = header absent
		body    string
		msg     string
	}
	ruleV := `<cpix:ContentKeyUsageRule kid="` + kidV + `" intendedTrackType="VIDEO"><cpix:KeyPeriodFilter periodId="keyPeriod_1"/><cpix:VideoFilter/></cpix:ContentKeyUsageRule>`
	ruleA := `<cpix:ContentKeyUsageRule kid="` + kidA + `" intendedTrackType="AUDIO"><cpix:KeyPeriodFilter periodId="keyPeriod_1"/><cpix:AudioFilter/></cpix:ContentKeyUsageRule>`
	allRule := func(inner string) string {
		return `<cpix:ContentKeyUsageRule kid="` + kidV + `" intendedTrackType="ALL">` + inner + `</cpix:ContentKeyUsageRule>`
	}
	v21 := func(pairs ...string) string {
		return edit(t, append([]string{`version="2.3"`, `version="2.4"`}, pairs...)...)
	}
	// sys replaces the audio key's DRMSystem (the one with only a PSSH).
	sys := func(systemID, children string) string {
		return `kid="` + kidA + `" systemId="` + systemID + `">` + children + `</cpix:DRMSystem>`
	}
	audioSys := `kid="` + kidA + `" systemId="` + w3c + `"><cpix:PSSH/></cpix:DRMSystem>`
	hls := `<cpix:HLSSignalingData playlist="media"/><cpix:HLSSignalingData playlist="master"/>`
	scheme := func(s string) []string {
		return []string{`commonEncryptionScheme="cenc"`, `commonEncryptionScheme="` + s + `"`, `commonEncryptionScheme="cenc"`, `commonEncryptionScheme="` + s + `"`}
	}
	long := strings.Repeat("x", 100<<10)
	tests := []tc{
		// Version dispatch.
		// No header (or 1.0) is SPEKE v1.0, where a CPIX@version means a
		// v2 document sent without its header.
		{"no version header", "", base, "Unsupported CPIX@version"},
		{"unknown version header", "3.0", base, "Unsupported SPEKE version"},
		{"v1 header value", "1.0", base, "Unsupported CPIX@version"},
		{"empty version header", "-", base, "Unsupported SPEKE version"},
		// Root attributes (exact SPEKE v2 messages).
		{"missing contentId", "2.0", edit(t, ` contentId="abc123"`, ``), "Missing CPIX@contentId"},
		{"empty contentId", "2.0", edit(t, `contentId="abc123"`, `contentId=""`), "Missing CPIX@contentId"},
		{"control char in contentId", "2.0", edit(t, `contentId="abc123"`, `contentId="a&#10;b"`), "Invalid CPIX@contentId"},
		{"contentId too long", "2.0", edit(t, `contentId="abc123"`, `contentId="`+strings.Repeat("a", 1025)+`"`), "Invalid CPIX@contentId"},
		{"missing version", "2.0", edit(t, ` version="2.3"`, ``), "Missing CPIX@version"},
		{"empty version", "2.0", edit(t, `version="2.3"`, `version=""`), "Missing CPIX@version"},
		{"version 4.0", "2.0", edit(t, `version="2.3"`, `version="4.0"`), "Unsupported CPIX@version"},
		{"header 2.1 with 2.3", "2.1", base, "Unsupported CPIX@version"},
		{"header 2.0 with 2.4", "2.0", edit(t, `version="2.3"`, `version="2.4"`), "Unsupported CPIX@version"},
		// Lists.
		{"no ContentKeyList", "2.0", edit(t, "<cpix:ContentKeyList>", "<cpix:X>", "</cpix:ContentKeyList>", "</cpix:X>"), "Missing ContentKeyList"},
		{"two ContentKeyLists", "2.0", edit(t, "<cpix:DRMSystemList>", "<cpix:ContentKeyList/><cpix:DRMSystemList>"), "Duplicate ContentKeyList"},
		{"no DRMSystemList", "2.0", edit(t, "<cpix:DRMSystemList>", "<cpix:X>", "</cpix:DRMSystemList>", "</cpix:X>"), "Missing DRMSystemList"},
		{"no ContentKeyUsageRuleList", "2.0", edit(t, "<cpix:ContentKeyUsageRuleList>", "<cpix:X>", "</cpix:ContentKeyUsageRuleList>", "</cpix:X>"), "Missing CPIX encryption contract"},
		{"DeliveryDataList", "2.0", edit(t, "<cpix:ContentKeyList>", "<cpix:DeliveryDataList/><cpix:ContentKeyList>"), "Missing DeliveryData"},
		// Content keys.
		{"no ContentKey", "2.0", edit(t, `<cpix:ContentKey kid="`+kidV+`" commonEncryptionScheme="cenc"/>`, ``, `<cpix:ContentKey kid="`+kidA+`" commonEncryptionScheme="cenc"/>`, ``), "Missing ContentKey"},
		{"ContentKey without kid", "2.0", edit(t, `<cpix:ContentKey kid="`+kidA+`"`, `<cpix:ContentKey`), "Missing ContentKey@kid"},
		{"ContentKey kid not a UUID", "2.0", edit(t, `<cpix:ContentKey kid="`+kidA+`"`, `<cpix:ContentKey kid="{`+kidA+`}"`), "Invalid ContentKey@kid"},
		{"duplicate kid differing in case", "2.0", edit(t, `<cpix:ContentKey kid="`+kidA+`"`, `<cpix:ContentKey kid="`+strings.ToUpper(kidV)+`"`), "Duplicate ContentKey@kid " + kidV},
		{"missing scheme", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"`, `kid="`+kidA+`"`), "Missing ContentKey@commonEncryptionScheme for KID " + kidA},
		{"empty scheme", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"`, `kid="`+kidA+`" commonEncryptionScheme=""`), "Missing ContentKey@commonEncryptionScheme for KID " + kidA},
		{"unknown scheme", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"`, `kid="`+kidA+`" commonEncryptionScheme="ctr"`), "Unsupported ContentKey@commonEncryptionScheme for KID " + kidA},
		{"HLS method token in v2.0", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"`, `kid="`+kidA+`" commonEncryptionScheme="SAMPLE-AES-CTR"`), "Unsupported ContentKey@commonEncryptionScheme for KID " + kidA},
		{"mixed schemes", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"`, `kid="`+kidA+`" commonEncryptionScheme="cbcs"`), "Non compliant ContentKey@commonEncryptionScheme combination"},
		{"explicitIV not base64", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"`, `kid="`+kidA+`" commonEncryptionScheme="cenc" explicitIV="not base64"`), "Invalid ContentKey@explicitIV for KID " + kidA},
		{"explicitIV 15 bytes", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"`, `kid="`+kidA+`" commonEncryptionScheme="cenc" explicitIV="AAAAAAAAAAAAAAAAAAAA"`), "Invalid ContentKey@explicitIV for KID " + kidA},
		{"explicitIV is a UUID string", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"`, `kid="`+kidA+`" commonEncryptionScheme="cenc" explicitIV="`+kidA+`"`), "Invalid ContentKey@explicitIV for KID " + kidA},
		{"client-supplied key", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"/>`, `kid="`+kidA+`" commonEncryptionScheme="cenc"><cpix:Data><pskc:Secret><pskc:PlainValue>AAAAAAAAAAAAAAAAAAAAAA==</pskc:PlainValue></pskc:Secret></cpix:Data></cpix:ContentKey>`), "Unexpected key value in request for KID " + kidA},
		// DRM systems.
		{"no DRMSystem", "2.0", edit(t, `<cpix:DRMSystem kid="`+kidV+`" systemId="`+w3c+`"><cpix:PSSH/><cpix:ContentProtectionData/></cpix:DRMSystem>`, ``, `<cpix:DRMSystem kid="`+kidA+`" systemId="`+w3c+`"><cpix:PSSH/></cpix:DRMSystem>`, ``), "Missing DRMSystem"},
		{"DRMSystem without kid", "2.0", edit(t, `<cpix:DRMSystem kid="`+kidA+`"`, `<cpix:DRMSystem`), "Missing DRMSystem@kid"},
		{"DRMSystem kid not a UUID", "2.0", edit(t, `<cpix:DRMSystem kid="`+kidA+`"`, `<cpix:DRMSystem kid="x"`), "Invalid DRMSystem@kid"},
		{"DRMSystem kid unknown", "2.0", edit(t, `<cpix:DRMSystem kid="`+kidA+`"`, `<cpix:DRMSystem kid="11111111-2222-3333-4444-555555555555"`), "DRMSystem@kid 11111111-2222-3333-4444-555555555555 has no ContentKey"},
		{"DRMSystem without systemId", "2.0", edit(t, `kid="`+kidA+`" systemId="`+w3c+`"`, `kid="`+kidA+`"`), "Missing DRMSystem@systemId"},
		{"DRMSystem systemId not a UUID", "2.0", edit(t, `kid="`+kidA+`" systemId="`+w3c+`"`, `kid="`+kidA+`" systemId="clearkey"`), "Invalid DRMSystem@systemId"},
		{"unsupported system", "2.0", edit(t, `kid="`+kidA+`" systemId="`+w3c+`"`, `kid="`+kidA+`" systemId="80a6be7e-1448-4c37-9e70-d5aebe04c8d2"`), "Unsupported DRMSystem 80a6be7e-1448-4c37-9e70-d5aebe04c8d2"},
		{"duplicate DRMSystem", "2.0", edit(t, `kid="`+kidA+`" systemId="`+w3c+`"`, `kid="`+kidV+`" systemId="`+w3c+`"`), "Duplicate DRMSystem " + w3c + " for KID " + kidV},
		{"scheme incompatible with DRM", "2.0", edit(t, `kid="`+kidA+`" systemId="`+w3c+`"><cpix:PSSH/>`, `kid="`+kidA+`" systemId="`+aes+`"><cpix:HLSSignalingData playlist="media"/><cpix:HLSSignalingData playlist="master"/>`), "ContentKey@commonEncryptionScheme non compatible with DRMSystem " + aes},
		{"two PSSH", "2.0", edit(t, `<cpix:PSSH/></cpix:DRMSystem>`, `<cpix:PSSH/><cpix:PSSH/></cpix:DRMSystem>`), "Duplicate PSSH in DRMSystem " + w3c},
		{"only media playlist", "2.0", edit(t, `kid="`+kidA+`" systemId="`+w3c+`"><cpix:PSSH/>`, `kid="`+kidA+`" systemId="`+w3c+`"><cpix:HLSSignalingData playlist="media"/>`), "HLSSignalingData needs one media and one master playlist in DRMSystem " + w3c},
		{"bad playlist", "2.0", edit(t, `kid="`+kidA+`" systemId="`+w3c+`"><cpix:PSSH/>`, `kid="`+kidA+`" systemId="`+w3c+`"><cpix:HLSSignalingData playlist="x"/>`), "Invalid HLSSignalingData@playlist in DRMSystem " + w3c},
		{"HLS for DASH-only Clear Key", "2.0", edit(t, `kid="`+kidA+`" systemId="`+w3c+`"><cpix:PSSH/>`, `kid="`+kidA+`" systemId="`+w3c+`"><cpix:HLSSignalingData playlist="media"/><cpix:HLSSignalingData playlist="master"/>`), "HLSSignalingData is not supported for DRMSystem " + w3c},
		{"v1 element in a v2 DRMSystem", "2.0", edit(t, `<cpix:PSSH/></cpix:DRMSystem>`, `<cpix:PSSH/><cpix:URIExtXKey/></cpix:DRMSystem>`), "Unsupported element URIExtXKey in DRMSystem " + w3c},
		// Periods.
		{"period without id", "2.0", edit(t, `<cpix:ContentKeyPeriod id="keyPeriod_1" index="0"/>`, `<cpix:ContentKeyPeriod index="0"/>`), "Missing ContentKeyPeriod@id"},
		{"period without index", "2.0", edit(t, `id="keyPeriod_1" index="0"`, `id="keyPeriod_1"`), "Missing ContentKeyPeriod@index"},
		{"period index negative", "2.0", edit(t, `index="0"`, `index="-1"`), "Invalid ContentKeyPeriod@index"},
		{"duplicate period id", "2.0", edit(t, `<cpix:ContentKeyPeriod id="keyPeriod_1" index="0"/>`, `<cpix:ContentKeyPeriod id="keyPeriod_1" index="0"/><cpix:ContentKeyPeriod id="keyPeriod_1" index="1"/>`), "Duplicate ContentKeyPeriod@id"},
		{"empty period list", "2.0", edit(t, `<cpix:ContentKeyPeriod id="keyPeriod_1" index="0"/>`, ``), "Missing ContentKeyPeriod"},
		// Encryption contract.
		{"rule without filters", "2.0", edit(t, `<cpix:KeyPeriodFilter periodId="keyPeriod_1"/><cpix:AudioFilter/>`, `<cpix:KeyPeriodFilter periodId="keyPeriod_1"/>`), "Missing CPIX encryption contract"},
		{"no rules at all", "2.0", edit(t, ruleV, ``, ruleA, ``), "Missing CPIX encryption contract"},
		{"rule without kid", "2.0", edit(t, `<cpix:ContentKeyUsageRule kid="`+kidA+`"`, `<cpix:ContentKeyUsageRule`), "Malformed encryption contract"},
		{"rule with unknown kid", "2.0", edit(t, `<cpix:ContentKeyUsageRule kid="`+kidA+`"`, `<cpix:ContentKeyUsageRule kid="11111111-2222-3333-4444-555555555555"`), "Malformed encryption contract"},
		{"rule without intendedTrackType", "2.0", edit(t, ` intendedTrackType="AUDIO"`, ``), "Malformed encryption contract"},
		{"duplicate intendedTrackType", "2.0", edit(t, `intendedTrackType="AUDIO"`, `intendedTrackType="VIDEO"`), "Malformed encryption contract"},
		{"ALL with other rules", "2.0", edit(t, `intendedTrackType="AUDIO"><cpix:KeyPeriodFilter periodId="keyPeriod_1"/><cpix:AudioFilter/>`, `intendedTrackType="ALL"><cpix:KeyPeriodFilter periodId="keyPeriod_1"/><cpix:AudioFilter/><cpix:VideoFilter/>`), "Malformed encryption contract"},
		{"ALL with video only", "2.0", edit(t, ruleV, ``, ruleA, allRule(`<cpix:VideoFilter/>`)), "Malformed encryption contract"},
		{"ALL with a filter attribute", "2.0", edit(t, ruleV, ``, ruleA, allRule(`<cpix:AudioFilter/><cpix:VideoFilter maxPixels="921600"/>`)), "Malformed encryption contract"},
		{"ALL with two video filters", "2.0", edit(t, ruleV, ``, ruleA, allRule(`<cpix:AudioFilter/><cpix:VideoFilter/><cpix:VideoFilter/>`)), "Malformed encryption contract"},
		{"unknown period", "2.0", edit(t, `<cpix:KeyPeriodFilter periodId="keyPeriod_1"/><cpix:AudioFilter/>`, `<cpix:KeyPeriodFilter periodId="keyPeriod_2"/><cpix:AudioFilter/>`), "Malformed encryption contract"},
		{"bad pixel count", "2.0", edit(t, `<cpix:VideoFilter/>`, `<cpix:VideoFilter minPixels="lots"/>`), "Malformed encryption contract"},
		{"min above max", "2.0", edit(t, `<cpix:AudioFilter/>`, `<cpix:AudioFilter minChannels="6" maxChannels="2"/>`), "Malformed encryption contract"},
		{"bad hdr", "2.0", edit(t, `<cpix:VideoFilter/>`, `<cpix:VideoFilter hdr="yes"/>`), "Malformed encryption contract"},
		{"key without rule", "2.0", edit(t, ruleA, ``), "Malformed encryption contract"},
		// Capabilities: a child the system has no form for.
		{"HLS for DASH-only Clear Key (v2.1)", "2.1", v21(audioSys, sys(w3c, hls)), "HLSSignalingData is not supported for DRMSystem " + w3c},
		{"Smooth for Clear Key", "2.0", edit(t, audioSys, sys(w3c, `<cpix:SmoothStreamingProtectionHeaderData/>`)), "SmoothStreamingProtectionHeaderData is not supported for DRMSystem " + w3c},
		{"CPD for FairPlay", "2.0", edit(t, append(scheme("cbcs"), `<cpix:DRMSystem kid="`+kidV+`" systemId="`+w3c+`"><cpix:PSSH/><cpix:ContentProtectionData/></cpix:DRMSystem>`, ``, audioSys, sys(fp, `<cpix:ContentProtectionData/>`), ruleV, ``, `intendedTrackType="AUDIO"`, `intendedTrackType="ALL"`, `<cpix:AudioFilter/>`, `<cpix:AudioFilter/><cpix:VideoFilter/>`, `<cpix:ContentKey kid="`+kidV+`" commonEncryptionScheme="cbcs"/>`, ``)...), "ContentProtectionData is not supported for DRMSystem " + fp},
		{"Smooth for FairPlay", "2.0", edit(t, append(scheme("cbcs"), audioSys, sys(fp, `<cpix:SmoothStreamingProtectionHeaderData/>`))...), "SmoothStreamingProtectionHeaderData is not supported for DRMSystem " + fp},
		{"PSSH for AES-128", "2.0", edit(t, append(scheme("cbc1"), `<cpix:DRMSystem kid="`+kidV+`" systemId="`+w3c+`"><cpix:PSSH/><cpix:ContentProtectionData/></cpix:DRMSystem>`, ``, audioSys, sys(aes, `<cpix:PSSH/>`+hls), ruleV, ``, `intendedTrackType="AUDIO"`, `intendedTrackType="ALL"`, `<cpix:AudioFilter/>`, `<cpix:AudioFilter/><cpix:VideoFilter/>`, `<cpix:ContentKey kid="`+kidV+`" commonEncryptionScheme="cbc1"/>`, ``)...), "PSSH is not supported for DRMSystem " + aes},
		{"Smooth for Widevine", "2.0", edit(t, audioSys, sys(wv, `<cpix:SmoothStreamingProtectionHeaderData/>`)), "SmoothStreamingProtectionHeaderData is not supported for DRMSystem " + wv},
		// v2.1 periods.
		{"v2.1 start after end", "2.1", v21(`index="0"`, `start="2026-01-01T00:00:06Z" end="2026-01-01T00:00:00Z"`), "ContentKeyPeriod@start must be before @end"},
		{"v2.1 start equal to end", "2.1", v21(`index="0"`, `start="2026-01-01T00:00:06Z" end="2026-01-01T00:00:06Z"`), "ContentKeyPeriod@start must be before @end"},
		{"v2.1 start after end across zones", "2.1", v21(`index="0"`, `start="2026-01-01T01:00:01+01:00" end="2026-01-01T00:00:00Z"`), "ContentKeyPeriod@start must be before @end"},
		{"v2.1 bad start", "2.1", v21(`index="0"`, `index="0" start="yesterday"`), "Invalid ContentKeyPeriod@start"},
		{"v2.1 neither index nor times", "2.1", v21(`index="0"`, `start="2026-01-01T00:00:00Z"`), "Missing ContentKeyPeriod@index"},
		// Bounded messages: request text is quoted cut short.
		{"long foreign element name", "2.0", edit(t, `<cpix:PSSH/></cpix:DRMSystem>`, `<cpix:PSSH/><cpix:`+strings.Repeat("E", 2000)+`/></cpix:DRMSystem>`), "Unsupported element " + strings.Repeat("E", 64) + "... in DRMSystem " + w3c},
		{"long CPIX@version", "2.0", edit(t, `version="2.3"`, `version="`+long+`"`), "Unsupported CPIX@version"},
		{"long intendedTrackType twice", "2.0", edit(t, `intendedTrackType="AUDIO"`, `intendedTrackType="`+long+`"`, `intendedTrackType="VIDEO"`, `intendedTrackType="`+long+`"`), "Malformed encryption contract"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := newRecorder(t)
			_, err := newService(t, src).Handle(context.Background(), request(tc.version, tc.body))
			var re *speke.RequestError
			if !errors.As(err, &re) || !errors.Is(err, speke.ErrRequest) || re.Message != tc.msg {
				t.Fatalf("err = %v, want message %q", err, tc.msg)
			}
			if n := src.calls.Load(); n != 0 {
				t.Errorf("refused request called the key source %d times", n)
			}
			if len(err.Error()) > 1024 {
				t.Errorf("error string of %d bytes", len(err.Error()))
			}
		})
	}
}

// TestAccepted covers variations that must not be rejected.
func TestAccepted(t *testing.T) {
	tests := []struct{ name, version, body string }{
		{"base", "2.0", base},
		{"explicitIV with non-zero trailing bits (AWS docs)", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"`, `kid="`+kidA+`" commonEncryptionScheme="cenc" explicitIV="L6jzdXrXAFbCJGBuMrrKrG=="`)},
		{"explicitIV with XML whitespace", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"`, `kid="`+kidA+`" commonEncryptionScheme="cenc" explicitIV=" L6jzdXrX AFbCJGBu&#9;MrrKrG==&#10;"`)},
		{"v2.1 start before end, other zones", "2.1", edit(t, `version="2.3"`, `version="2.4"`, `index="0"`, `index="0" start="2026-01-01T01:00:00+01:00" end="2026-01-01T00:00:01Z"`)},
		{"v2.1", "2.1", edit(t, `version="2.3"`, `version="2.4"`)},
		{"v2.1 start/end without index", "2.1", edit(t, `version="2.3"`, `version="2.4"`, `index="0"`, `start="2026-01-01T00:00:00Z" end="2026-01-01T00:00:06Z"`)},
		{"v2.1 HLS method token as scheme", "2.1", edit(t, `version="2.3"`, `version="2.4"`, `commonEncryptionScheme="cenc"`, `commonEncryptionScheme="SAMPLE-AES-CTR"`, `commonEncryptionScheme="cenc"`, `commonEncryptionScheme="SAMPLE-AES-CTR"`)},
		{"v2.1 multiVariant playlist", "2.1", edit(t, `version="2.3"`, `version="2.4"`, `systemId="`+w3c+`"><cpix:PSSH/><cpix:ContentProtectionData/>`, `systemId="`+aes+`"><cpix:HLSSignalingData playlist="media"/><cpix:HLSSignalingData playlist="multiVariant"/>`, `commonEncryptionScheme="cenc"`, `commonEncryptionScheme="cbc1"`, `commonEncryptionScheme="cenc"`, `commonEncryptionScheme="cbc1"`, `<cpix:DRMSystem kid="`+kidA+`" systemId="`+w3c+`"><cpix:PSSH/></cpix:DRMSystem>`, ``)},
		{"header case and spaces", " 2.0 ", base},
		{"SD+HD1 with one filter", "2.0", edit(t, `intendedTrackType="VIDEO"><cpix:KeyPeriodFilter periodId="keyPeriod_1"/><cpix:VideoFilter/>`, `intendedTrackType="SD+HD1"><cpix:KeyPeriodFilter periodId="keyPeriod_1"/><cpix:VideoFilter maxPixels="921600"/>`)},
		{"filters SPEKE ignores", "2.0", edit(t, `<cpix:AudioFilter/>`, `<cpix:AudioFilter minChannels="1" maxChannels="2"/><cpix:BitrateFilter minBitrate="1"/>`)},
		{"fps decimals", "2.0", edit(t, `<cpix:VideoFilter/>`, `<cpix:VideoFilter minFps="29.97" maxFps="60" hdr="false"/>`)},
		{"no period list", "2.0", edit(t, `<cpix:ContentKeyPeriodList>
    <cpix:ContentKeyPeriod id="keyPeriod_1" index="0"/>
  </cpix:ContentKeyPeriodList>`, ``, `<cpix:KeyPeriodFilter periodId="keyPeriod_1"/>`, ``, `<cpix:KeyPeriodFilter periodId="keyPeriod_1"/>`, ``)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := newRecorder(t)
			res, err := newService(t, src).Handle(context.Background(), request(tc.version, tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Body) == 0 || src.calls.Load() != 1 {
				t.Fatalf("%d bytes after %d key source calls", len(res.Body), src.calls.Load())
			}
		})
	}
}

func TestEchoVersion(t *testing.T) {
	for in, want := range map[string]string{
		"2.0": "2.0", " 2.1 ": "2.1", "1.0": "1.0", "9.9": "9.9", "123.456": "123.456",
		"": "-", "2": "-", "2.": "-", ".0": "-", "1234.0": "-", "2.0.1": "-", "v2.0": "-", "2.0<x>": "-",
		strings.Repeat("2.0", 1000): "-", "２.０": "-",
	} {
		got, ok := speke.EchoVersion(in)
		if !ok {
			got = "-"
		}
		if got != want {
			t.Errorf("EchoVersion(%.20q) = %q, want %q", in, got, want)
		}
	}
}
