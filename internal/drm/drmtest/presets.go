package drmtest

import (
	"crypto/sha256"
	"fmt"
	"strings"
)

// DRM names a DRM system a request can ask for.
type DRM string

// The DRM systems of the AWS SPEKE v2 test matrix.
const (
	Widevine  DRM = "widevine"
	PlayReady DRM = "playready"
	FairPlay  DRM = "fairplay"
)

// SystemID returns the DASH-IF system ID of d.
func (d DRM) SystemID() string {
	switch d {
	case Widevine:
		return WidevineID
	case PlayReady:
		return PlayReadyID
	case FairPlay:
		return FairPlayID
	}
	panic("drmtest: unknown DRM " + string(d))
}

// Combinations are the seven non-empty subsets of {Widevine, PlayReady,
// FairPlay}, in the order of the AWS test suite's request files.
var Combinations = [][]DRM{
	{Widevine}, {PlayReady}, {FairPlay},
	{Widevine, PlayReady}, {Widevine, FairPlay}, {PlayReady, FairPlay},
	{Widevine, PlayReady, FairPlay},
}

// Rule is one ContentKeyUsageRule: a key name (intendedTrackType) and its
// filter, written as a complete element.
type Rule struct {
	TrackType string
	Filter    string // e.g. `<cpix:VideoFilter maxPixels="589824"/>`
}

// Preset is one of the six preset cases of the AWS SPEKE v2 test suite
// (awslabs/speke-reference-server, spekev2_verification_testsuite): a video and an audio MediaPackage preset
// and the usage rules the suite generates for them.
type Preset struct {
	Name  string
	Rules []Rule
}

func video(attrs string) string { return "<cpix:VideoFilter" + attrs + "/>" }
func audio(attrs string) string { return "<cpix:AudioFilter" + attrs + "/>" }

// Pixel and channel boundaries from the MediaPackage preset tables.
var (
	ruleSD     = Rule{"SD", video(` maxPixels="589824"`)}
	ruleStereo = Rule{"STEREO_AUDIO", audio(` maxChannels="2"`)}
	ruleMulti  = Rule{"MULTICHANNEL_AUDIO", audio(` minChannels="3"`)}
	ruleUHD1   = Rule{"UHD1", video(` minPixels="2073601" maxPixels="8847360"`)}
	ruleUHD2   = Rule{"UHD2", video(` minPixels="8847361"`)}
	ruleHD2    = Rule{"HD2", video(` minPixels="921601" maxPixels="2073600"`)}
)

// Presets are the six cases, with 2, 5, 8, 6, 2 and 2 keys.
var Presets = []Preset{
	{"PRESET-VIDEO-1+PRESET-AUDIO-1", []Rule{{"VIDEO", video("")}, {"AUDIO", audio("")}}},
	{"PRESET-VIDEO-3+PRESET-AUDIO-2", []Rule{ruleSD,
		{"HD", video(` minPixels="589825" maxPixels="2073600"`)},
		{"UHD", video(` minPixels="2073601"`)}, ruleStereo, ruleMulti}},
	{"PRESET-VIDEO-5+PRESET-AUDIO-3", []Rule{ruleSD,
		{"HD1", video(` minPixels="589825" maxPixels="921600"`)}, ruleHD2, ruleUHD1, ruleUHD2,
		ruleStereo, {"MULTICHANNEL_AUDIO_3_6", audio(` minChannels="3" maxChannels="6"`)},
		{"MULTICHANNEL_AUDIO_7", audio(` minChannels="7"`)}}},
	{"PRESET-VIDEO-8+PRESET-AUDIO-2", []Rule{{"SD+HD1", video(` maxPixels="921600"`)}, ruleHD2, ruleUHD1, ruleUHD2,
		ruleStereo, ruleMulti}},
	{"PRESET-VIDEO-2+UNENCRYPTED", []Rule{ruleSD, {"HD", video(` minPixels="589825"`)}}},
	{"UNENCRYPTED+PRESET-AUDIO-2", []Rule{ruleStereo, ruleMulti}},
}

// Request describes one SPEKE v2 request of the test matrix.
type Request struct {
	ContentID string // empty: derived from the preset name
	Preset    Preset
	DRMs      []DRM
	// Live adds a ContentKeyPeriodList with one period (index 0) and a
	// KeyPeriodFilter in every rule, as MediaPackage does for live.
	Live bool
	// Smooth also asks PlayReady for SmoothStreamingProtectionHeaderData.
	// Smooth Streaming is AES-CTR only, so it is ignored with FairPlay
	// (cbcs).
	Smooth bool
}

// Cases returns every combination of preset, DRM subset and live/VOD: 84
// requests. PlayReady also asks for the Smooth header in the cenc
// requests of every other preset, so both shapes are covered.
func Cases() []Request {
	var out []Request
	for i, p := range Presets {
		for _, drms := range Combinations {
			for _, live := range []bool{false, true} {
				out = append(out, Request{Preset: p, DRMs: drms, Live: live, Smooth: i%2 == 1})
			}
		}
	}
	return out
}

// Name is a subtest name.
func (r Request) Name() string {
	var d []string
	for _, x := range r.DRMs {
		d = append(d, string(x))
	}
	mode := "vod"
	if r.Live {
		mode = "live"
	}
	return r.Preset.Name + "/" + strings.Join(d, "+") + "/" + mode
}

func (r Request) has(d DRM) bool {
	for _, x := range r.DRMs {
		if x == d {
			return true
		}
	}
	return false
}

// Scheme is cbcs when FairPlay is in the request (FairPlay needs it, and
// one request cannot mix schemes), cenc otherwise, as in the AWS suite.
func (r Request) Scheme() string {
	if r.has(FairPlay) {
		return "cbcs"
	}
	return "cenc"
}

func (r Request) contentID() string {
	if r.ContentID != "" {
		return r.ContentID
	}
	return "drmtest_" + strings.NewReplacer("+", "_", "-", "_").Replace(strings.ToLower(r.Preset.Name))
}

// KIDs returns one KID per rule, derived from the content ID, so the same
// request is byte-identical across runs and different presets never share
// KIDs.
func (r Request) KIDs() []string {
	kids := make([]string, len(r.Preset.Rules))
	for i := range kids {
		h := sha256.Sum256(fmt.Appendf(nil, "%s/%d", r.contentID(), i))
		h[6] = h[6]&0x0f | 0x40 // version 4
		h[8] = h[8]&0x3f | 0x80 // RFC 4122 variant
		kids[i] = uuidString(h[:16])
	}
	return kids
}

// XML returns the CPIX 2.3 request document, shaped like the AWS suite's:
// empty ContentKeys, one DRMSystem per (KID, DRM) with empty children.
func (r Request) XML() []byte {
	var b strings.Builder
	kids := r.KIDs()
	scheme := r.Scheme()
	period := "keyPeriod_" + kids[0]
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	fmt.Fprintf(&b, `<cpix:CPIX contentId="%s" version="2.3" xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc">`+"\n", r.contentID())
	b.WriteString("  <cpix:ContentKeyList>\n")
	for _, k := range kids {
		fmt.Fprintf(&b, `    <cpix:ContentKey kid="%s" commonEncryptionScheme="%s"/>`+"\n", k, scheme)
	}
	b.WriteString("  </cpix:ContentKeyList>\n  <cpix:DRMSystemList>\n")
	for _, d := range r.DRMs {
		for _, k := range kids {
			fmt.Fprintf(&b, `    <cpix:DRMSystem kid="%s" systemId="%s">`+"\n", k, d.SystemID())
			b.WriteString("      <cpix:PSSH/>\n")
			if d != FairPlay {
				b.WriteString("      <cpix:ContentProtectionData/>\n")
			}
			b.WriteString(`      <cpix:HLSSignalingData playlist="media"/>` + "\n")
			b.WriteString(`      <cpix:HLSSignalingData playlist="master"/>` + "\n")
			if d == PlayReady && r.Smooth && scheme == "cenc" {
				b.WriteString("      <cpix:SmoothStreamingProtectionHeaderData/>\n")
			}
			b.WriteString("    </cpix:DRMSystem>\n")
		}
	}
	b.WriteString("  </cpix:DRMSystemList>\n")
	if r.Live {
		fmt.Fprintf(&b, "  <cpix:ContentKeyPeriodList>\n    <cpix:ContentKeyPeriod id=%q index=\"0\"/>\n  </cpix:ContentKeyPeriodList>\n", period)
	}
	b.WriteString("  <cpix:ContentKeyUsageRuleList>\n")
	for i, rule := range r.Preset.Rules {
		fmt.Fprintf(&b, `    <cpix:ContentKeyUsageRule kid="%s" intendedTrackType="%s">`+"\n", kids[i], rule.TrackType)
		if r.Live {
			fmt.Fprintf(&b, "      <cpix:KeyPeriodFilter periodId=%q/>\n", period)
		}
		b.WriteString("      " + rule.Filter + "\n")
		b.WriteString("    </cpix:ContentKeyUsageRule>\n")
	}
	b.WriteString("  </cpix:ContentKeyUsageRuleList>\n</cpix:CPIX>\n")
	return []byte(b.String())
}
