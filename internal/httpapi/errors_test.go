package httpapi_test

import (
	"strings"
	"testing"
)

// base is a valid v2.0 request; each case breaks it in one place.
const base = `<?xml version="1.0" encoding="UTF-8"?>
<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" contentId="abc123" version="2.3">
  <cpix:ContentKeyList>
    <cpix:ContentKey kid="98ee5596-cd3e-a20d-163a-e382420c6eff" commonEncryptionScheme="cenc"/>
    <cpix:ContentKey kid="4060a865-8878-4267-9cbf-91ae5bae1e72" commonEncryptionScheme="cenc"/>
  </cpix:ContentKeyList>
  <cpix:DRMSystemList>
    <cpix:DRMSystem kid="98ee5596-cd3e-a20d-163a-e382420c6eff" systemId="1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"><cpix:PSSH/><cpix:ContentProtectionData/></cpix:DRMSystem>
    <cpix:DRMSystem kid="4060a865-8878-4267-9cbf-91ae5bae1e72" systemId="1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"><cpix:PSSH/></cpix:DRMSystem>
  </cpix:DRMSystemList>
  <cpix:ContentKeyPeriodList>
    <cpix:ContentKeyPeriod id="keyPeriod_1" index="0"/>
  </cpix:ContentKeyPeriodList>
  <cpix:ContentKeyUsageRuleList>
    <cpix:ContentKeyUsageRule kid="98ee5596-cd3e-a20d-163a-e382420c6eff" intendedTrackType="VIDEO"><cpix:KeyPeriodFilter periodId="keyPeriod_1"/><cpix:VideoFilter/></cpix:ContentKeyUsageRule>
    <cpix:ContentKeyUsageRule kid="4060a865-8878-4267-9cbf-91ae5bae1e72" intendedTrackType="AUDIO"><cpix:KeyPeriodFilter periodId="keyPeriod_1"/><cpix:AudioFilter/></cpix:ContentKeyUsageRule>
  </cpix:ContentKeyUsageRuleList>
</cpix:CPIX>`

const (
	kidV = "98ee5596-cd3e-a20d-163a-e382420c6eff"
	kidA = "4060a865-8878-4267-9cbf-91ae5bae1e72"
	w3c  = "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"
	aes  = "3ea8778f-7742-4bf9-b18b-e834b2acbd47"
)

// edit applies old→new replacements to base; each old must occur.
func edit(t *testing.T, pairs ...string) string {
	t.Helper()
	return editDoc(t, base, pairs...)
}

// editDoc applies old→new replacements to s; each old must occur.
func editDoc(t *testing.T, s string, pairs ...string) string {
	t.Helper()
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("edit: %q not in base", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

func TestErrorMessages(t *testing.T) {
	type tc struct {
		name    string
		version string // "" = header absent
		body    string
		status  int
		msg     string
	}
	ruleV := `<cpix:ContentKeyUsageRule kid="` + kidV + `" intendedTrackType="VIDEO"><cpix:KeyPeriodFilter periodId="keyPeriod_1"/><cpix:VideoFilter/></cpix:ContentKeyUsageRule>`
	ruleA := `<cpix:ContentKeyUsageRule kid="` + kidA + `" intendedTrackType="AUDIO"><cpix:KeyPeriodFilter periodId="keyPeriod_1"/><cpix:AudioFilter/></cpix:ContentKeyUsageRule>`
	allRule := func(inner string) string {
		return `<cpix:ContentKeyUsageRule kid="` + kidV + `" intendedTrackType="ALL">` + inner + `</cpix:ContentKeyUsageRule>`
	}
	tests := []tc{
		// Version dispatch.
		// No header (or 1.0) is SPEKE v1.0, where a CPIX@version means a
		// v2 document sent without its header.
		{"no version header", "", base, 422, "Unsupported CPIX@version"},
		{"unknown version header", "3.0", base, 422, "Unsupported SPEKE version"},
		{"v1 header value", "1.0", base, 422, "Unsupported CPIX@version"},
		{"empty version header", "-", base, 422, "Unsupported SPEKE version"},
		// Root attributes (exact SPEKE v2 messages).
		{"missing contentId", "2.0", edit(t, ` contentId="abc123"`, ``), 422, "Missing CPIX@contentId"},
		{"empty contentId", "2.0", edit(t, `contentId="abc123"`, `contentId=""`), 422, "Missing CPIX@contentId"},
		{"control char in contentId", "2.0", edit(t, `contentId="abc123"`, `contentId="a&#10;b"`), 422, "Invalid CPIX@contentId"},
		{"contentId too long", "2.0", edit(t, `contentId="abc123"`, `contentId="`+strings.Repeat("a", 1025)+`"`), 422, "Invalid CPIX@contentId"},
		{"missing version", "2.0", edit(t, ` version="2.3"`, ``), 422, "Missing CPIX@version"},
		{"empty version", "2.0", edit(t, `version="2.3"`, `version=""`), 422, "Missing CPIX@version"},
		{"version 4.0", "2.0", edit(t, `version="2.3"`, `version="4.0"`), 422, "Unsupported CPIX@version"},
		{"header 2.1 with 2.3", "2.1", base, 422, "Unsupported CPIX@version"},
		{"header 2.0 with 2.4", "2.0", edit(t, `version="2.3"`, `version="2.4"`), 422, "Unsupported CPIX@version"},
		// Lists.
		{"no ContentKeyList", "2.0", edit(t, "<cpix:ContentKeyList>", "<cpix:X>", "</cpix:ContentKeyList>", "</cpix:X>"), 422, "Missing ContentKeyList"},
		{"two ContentKeyLists", "2.0", edit(t, "<cpix:DRMSystemList>", "<cpix:ContentKeyList/><cpix:DRMSystemList>"), 422, "Duplicate ContentKeyList"},
		{"no DRMSystemList", "2.0", edit(t, "<cpix:DRMSystemList>", "<cpix:X>", "</cpix:DRMSystemList>", "</cpix:X>"), 422, "Missing DRMSystemList"},
		{"no ContentKeyUsageRuleList", "2.0", edit(t, "<cpix:ContentKeyUsageRuleList>", "<cpix:X>", "</cpix:ContentKeyUsageRuleList>", "</cpix:X>"), 422, "Missing CPIX encryption contract"},
		{"DeliveryDataList", "2.0", edit(t, "<cpix:ContentKeyList>", "<cpix:DeliveryDataList/><cpix:ContentKeyList>"), 422, "Missing DeliveryData"},
		// Content keys.
		{"no ContentKey", "2.0", edit(t, `<cpix:ContentKey kid="`+kidV+`" commonEncryptionScheme="cenc"/>`, ``, `<cpix:ContentKey kid="`+kidA+`" commonEncryptionScheme="cenc"/>`, ``), 422, "Missing ContentKey"},
		{"ContentKey without kid", "2.0", edit(t, `<cpix:ContentKey kid="`+kidA+`"`, `<cpix:ContentKey`), 422, "Missing ContentKey@kid"},
		{"ContentKey kid not a UUID", "2.0", edit(t, `<cpix:ContentKey kid="`+kidA+`"`, `<cpix:ContentKey kid="{`+kidA+`}"`), 422, "Invalid ContentKey@kid"},
		{"duplicate kid differing in case", "2.0", edit(t, `<cpix:ContentKey kid="`+kidA+`"`, `<cpix:ContentKey kid="`+strings.ToUpper(kidV)+`"`), 422, "Duplicate ContentKey@kid " + kidV},
		{"missing scheme", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"`, `kid="`+kidA+`"`), 422, "Missing ContentKey@commonEncryptionScheme for KID " + kidA},
		{"empty scheme", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"`, `kid="`+kidA+`" commonEncryptionScheme=""`), 422, "Missing ContentKey@commonEncryptionScheme for KID " + kidA},
		{"unknown scheme", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"`, `kid="`+kidA+`" commonEncryptionScheme="ctr"`), 422, "Unsupported ContentKey@commonEncryptionScheme for KID " + kidA},
		{"HLS method token in v2.0", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"`, `kid="`+kidA+`" commonEncryptionScheme="SAMPLE-AES-CTR"`), 422, "Unsupported ContentKey@commonEncryptionScheme for KID " + kidA},
		{"mixed schemes", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"`, `kid="`+kidA+`" commonEncryptionScheme="cbcs"`), 422, "Non compliant ContentKey@commonEncryptionScheme combination"},
		{"explicitIV not base64", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"`, `kid="`+kidA+`" commonEncryptionScheme="cenc" explicitIV="not base64"`), 422, "Invalid ContentKey@explicitIV for KID " + kidA},
		{"explicitIV 15 bytes", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"`, `kid="`+kidA+`" commonEncryptionScheme="cenc" explicitIV="AAAAAAAAAAAAAAAAAAAA"`), 422, "Invalid ContentKey@explicitIV for KID " + kidA},
		{"explicitIV is a UUID string", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"`, `kid="`+kidA+`" commonEncryptionScheme="cenc" explicitIV="`+kidA+`"`), 422, "Invalid ContentKey@explicitIV for KID " + kidA},
		{"client-supplied key", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"/>`, `kid="`+kidA+`" commonEncryptionScheme="cenc"><cpix:Data><pskc:Secret><pskc:PlainValue>AAAAAAAAAAAAAAAAAAAAAA==</pskc:PlainValue></pskc:Secret></cpix:Data></cpix:ContentKey>`), 422, "Unexpected key value in request for KID " + kidA},
		// DRM systems.
		{"no DRMSystem", "2.0", edit(t, `<cpix:DRMSystem kid="`+kidV+`" systemId="`+w3c+`"><cpix:PSSH/><cpix:ContentProtectionData/></cpix:DRMSystem>`, ``, `<cpix:DRMSystem kid="`+kidA+`" systemId="`+w3c+`"><cpix:PSSH/></cpix:DRMSystem>`, ``), 422, "Missing DRMSystem"},
		{"DRMSystem without kid", "2.0", edit(t, `<cpix:DRMSystem kid="`+kidA+`"`, `<cpix:DRMSystem`), 422, "Missing DRMSystem@kid"},
		{"DRMSystem kid not a UUID", "2.0", edit(t, `<cpix:DRMSystem kid="`+kidA+`"`, `<cpix:DRMSystem kid="x"`), 422, "Invalid DRMSystem@kid"},
		{"DRMSystem kid unknown", "2.0", edit(t, `<cpix:DRMSystem kid="`+kidA+`"`, `<cpix:DRMSystem kid="11111111-2222-3333-4444-555555555555"`), 422, "DRMSystem@kid 11111111-2222-3333-4444-555555555555 has no ContentKey"},
		{"DRMSystem without systemId", "2.0", edit(t, `kid="`+kidA+`" systemId="`+w3c+`"`, `kid="`+kidA+`"`), 422, "Missing DRMSystem@systemId"},
		{"DRMSystem systemId not a UUID", "2.0", edit(t, `kid="`+kidA+`" systemId="`+w3c+`"`, `kid="`+kidA+`" systemId="clearkey"`), 422, "Invalid DRMSystem@systemId"},
		{"unsupported system", "2.0", edit(t, `kid="`+kidA+`" systemId="`+w3c+`"`, `kid="`+kidA+`" systemId="80a6be7e-1448-4c37-9e70-d5aebe04c8d2"`), 422, "Unsupported DRMSystem 80a6be7e-1448-4c37-9e70-d5aebe04c8d2"},
		{"duplicate DRMSystem", "2.0", edit(t, `kid="`+kidA+`" systemId="`+w3c+`"`, `kid="`+kidV+`" systemId="`+w3c+`"`), 422, "Duplicate DRMSystem " + w3c + " for KID " + kidV},
		{"scheme incompatible with DRM", "2.0", edit(t, `kid="`+kidA+`" systemId="`+w3c+`"><cpix:PSSH/>`, `kid="`+kidA+`" systemId="`+aes+`"><cpix:HLSSignalingData playlist="media"/><cpix:HLSSignalingData playlist="master"/>`), 422, "ContentKey@commonEncryptionScheme non compatible with DRMSystem " + aes},
		{"two PSSH", "2.0", edit(t, `<cpix:PSSH/></cpix:DRMSystem>`, `<cpix:PSSH/><cpix:PSSH/></cpix:DRMSystem>`), 422, "Duplicate PSSH in DRMSystem " + w3c},
		{"only media playlist", "2.0", edit(t, `kid="`+kidA+`" systemId="`+w3c+`"><cpix:PSSH/>`, `kid="`+kidA+`" systemId="`+w3c+`"><cpix:HLSSignalingData playlist="media"/>`), 422, "HLSSignalingData needs one media and one master playlist in DRMSystem " + w3c},
		{"bad playlist", "2.0", edit(t, `kid="`+kidA+`" systemId="`+w3c+`"><cpix:PSSH/>`, `kid="`+kidA+`" systemId="`+w3c+`"><cpix:HLSSignalingData playlist="x"/>`), 422, "Invalid HLSSignalingData@playlist in DRMSystem " + w3c},
		{"HLS for DASH-only Clear Key", "2.0", edit(t, `kid="`+kidA+`" systemId="`+w3c+`"><cpix:PSSH/>`, `kid="`+kidA+`" systemId="`+w3c+`"><cpix:HLSSignalingData playlist="media"/><cpix:HLSSignalingData playlist="master"/>`), 422, "HLSSignalingData is not supported for DRMSystem " + w3c},
		{"v1 element in a v2 DRMSystem", "2.0", edit(t, `<cpix:PSSH/></cpix:DRMSystem>`, `<cpix:PSSH/><cpix:URIExtXKey/></cpix:DRMSystem>`), 422, "Unsupported element URIExtXKey in DRMSystem " + w3c},
		// Periods.
		{"period without id", "2.0", edit(t, `<cpix:ContentKeyPeriod id="keyPeriod_1" index="0"/>`, `<cpix:ContentKeyPeriod index="0"/>`), 422, "Missing ContentKeyPeriod@id"},
		{"period without index", "2.0", edit(t, `id="keyPeriod_1" index="0"`, `id="keyPeriod_1"`), 422, "Missing ContentKeyPeriod@index"},
		{"period index negative", "2.0", edit(t, `index="0"`, `index="-1"`), 422, "Invalid ContentKeyPeriod@index"},
		{"duplicate period id", "2.0", edit(t, `<cpix:ContentKeyPeriod id="keyPeriod_1" index="0"/>`, `<cpix:ContentKeyPeriod id="keyPeriod_1" index="0"/><cpix:ContentKeyPeriod id="keyPeriod_1" index="1"/>`), 422, "Duplicate ContentKeyPeriod@id"},
		{"empty period list", "2.0", edit(t, `<cpix:ContentKeyPeriod id="keyPeriod_1" index="0"/>`, ``), 422, "Missing ContentKeyPeriod"},
		// Encryption contract.
		{"rule without filters", "2.0", edit(t, `<cpix:KeyPeriodFilter periodId="keyPeriod_1"/><cpix:AudioFilter/>`, `<cpix:KeyPeriodFilter periodId="keyPeriod_1"/>`), 422, "Missing CPIX encryption contract"},
		{"no rules at all", "2.0", edit(t, ruleV, ``, ruleA, ``), 422, "Missing CPIX encryption contract"},
		{"rule without kid", "2.0", edit(t, `<cpix:ContentKeyUsageRule kid="`+kidA+`"`, `<cpix:ContentKeyUsageRule`), 422, "Malformed encryption contract"},
		{"rule with unknown kid", "2.0", edit(t, `<cpix:ContentKeyUsageRule kid="`+kidA+`"`, `<cpix:ContentKeyUsageRule kid="11111111-2222-3333-4444-555555555555"`), 422, "Malformed encryption contract"},
		{"rule without intendedTrackType", "2.0", edit(t, ` intendedTrackType="AUDIO"`, ``), 422, "Malformed encryption contract"},
		{"duplicate intendedTrackType", "2.0", edit(t, `intendedTrackType="AUDIO"`, `intendedTrackType="VIDEO"`), 422, "Malformed encryption contract"},
		{"ALL with other rules", "2.0", edit(t, `intendedTrackType="AUDIO"><cpix:KeyPeriodFilter periodId="keyPeriod_1"/><cpix:AudioFilter/>`, `intendedTrackType="ALL"><cpix:KeyPeriodFilter periodId="keyPeriod_1"/><cpix:AudioFilter/><cpix:VideoFilter/>`), 422, "Malformed encryption contract"},
		{"ALL with video only", "2.0", edit(t, ruleV, ``, ruleA, allRule(`<cpix:VideoFilter/>`)), 422, "Malformed encryption contract"},
		{"ALL with a filter attribute", "2.0", edit(t, ruleV, ``, ruleA, allRule(`<cpix:AudioFilter/><cpix:VideoFilter maxPixels="921600"/>`)), 422, "Malformed encryption contract"},
		{"ALL with two video filters", "2.0", edit(t, ruleV, ``, ruleA, allRule(`<cpix:AudioFilter/><cpix:VideoFilter/><cpix:VideoFilter/>`)), 422, "Malformed encryption contract"},
		{"unknown period", "2.0", edit(t, `<cpix:KeyPeriodFilter periodId="keyPeriod_1"/><cpix:AudioFilter/>`, `<cpix:KeyPeriodFilter periodId="keyPeriod_2"/><cpix:AudioFilter/>`), 422, "Malformed encryption contract"},
		{"bad pixel count", "2.0", edit(t, `<cpix:VideoFilter/>`, `<cpix:VideoFilter minPixels="lots"/>`), 422, "Malformed encryption contract"},
		{"min above max", "2.0", edit(t, `<cpix:AudioFilter/>`, `<cpix:AudioFilter minChannels="6" maxChannels="2"/>`), 422, "Malformed encryption contract"},
		{"bad hdr", "2.0", edit(t, `<cpix:VideoFilter/>`, `<cpix:VideoFilter hdr="yes"/>`), 422, "Malformed encryption contract"},
		{"key without rule", "2.0", edit(t, ruleA, ``), 422, "Malformed encryption contract"},
		// XML level.
		{"empty body", "2.0", "", 400, "Malformed XML: empty body"},
		{"not XML", "2.0", "<<", 400, "Malformed XML: not well-formed"},
		{"doctype", "2.0", `<!DOCTYPE x>` + base[strings.Index(base, "\n")+1:], 400, "Malformed XML: DOCTYPE and other directives are not allowed"},
		{"duplicate attribute", "2.0", edit(t, `contentId="abc123"`, `contentId="abc123" contentId="other"`), 400, "Malformed XML: duplicate attribute"},
		{"deep", "2.0", edit(t, `<cpix:PSSH/>`, strings.Repeat("<a>", 40)+strings.Repeat("</a>", 40)), 400, "Malformed XML: nesting too deep"},
		{"wrong root", "2.0", `<CPIX contentId="a" version="2.3"/>`, 422, "Root element is not cpix:CPIX"},
		{"too large", "2.0", base + strings.Repeat(" ", 256<<10), 413, "Request body too large"},
	}
	h := newHandler(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := post(t, h, tc.version, tc.body)
			if res.Code != tc.status || res.Body.String() != tc.msg {
				t.Fatalf("got %d %q, want %d %q", res.Code, res.Body.String(), tc.status, tc.msg)
			}
			if ct := res.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if tc.version != "" && tc.version != "-" && res.Header().Get("X-Speke-Version") != tc.version {
				t.Errorf("X-Speke-Version not echoed on error")
			}
			ua := "X-Speke-User-Agent"
			if tc.version == "" || tc.version == "1.0" {
				ua = "Speke-User-Agent" // SPEKE v1's name
			}
			if res.Header().Get(ua) == "" {
				t.Error(ua + " missing")
			}
		})
	}
}

// TestAccepted covers variations that must not be rejected.
func TestAccepted(t *testing.T) {
	tests := []struct{ name, version, body string }{
		{"base", "2.0", base},
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
		{"empty request Data/Secret", "2.0", edit(t, `kid="`+kidA+`" commonEncryptionScheme="cenc"/>`, `kid="`+kidA+`" commonEncryptionScheme="cenc"><cpix:Data><pskc:Secret><pskc:PlainValue/></pskc:Secret></cpix:Data></cpix:ContentKey>`)},
	}
	h := newHandler(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := post(t, h, tc.version, tc.body)
			if res.Code != 200 {
				t.Fatalf("got %d %q", res.Code, res.Body.String())
			}
		})
	}
}
