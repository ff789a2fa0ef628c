package drmtest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/drm/drmtest"
	"github.com/speke-go/keyprovider/internal/uuid"
)

func registry(t testing.TB, c drm.Config) *drm.Registry {
	t.Helper()
	r, err := drm.NewRegistryFromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var configs = map[string]drm.Config{
	"defaults": {},
	"configured": {
		WidevineProvider: "widevine_test", WidevineContentID: true,
		PlayReadyLAURL: "https://test.playready.microsoft.com/service/rightsmanager.asmx?cfg=(a:1)&b=2", PlayReadyLUIURL: "https://lui.example.com/",
		PlayReadyDSID: "VlR7IdsIJEuRd06Laqs2jw==", FairPlaySKDTemplate: "skd://{json_b64}",
	},
	"skd kid iv": {FairPlaySKDTemplate: "skd://{kid}:{iv_hex}"},
}

func TestCasesShape(t *testing.T) {
	cases := drmtest.Cases()
	if len(cases) != 6*7*2 {
		t.Fatalf("%d cases", len(cases))
	}
	var counts []int
	for _, p := range drmtest.Presets {
		counts = append(counts, len(p.Rules))
	}
	if fmt.Sprint(counts) != "[2 5 8 6 2 2]" {
		t.Errorf("keys per preset %v", counts)
	}
	seen := map[string]bool{}
	for _, c := range cases {
		var doc struct {
			XMLName xml.Name `xml:"urn:dashif:org:cpix CPIX"`
			Periods []struct {
				Index string `xml:"index,attr"`
			} `xml:"urn:dashif:org:cpix ContentKeyPeriodList>ContentKeyPeriod"`
		}
		x := c.XML()
		if err := xml.Unmarshal(x, &doc); err != nil {
			t.Fatalf("%s: %v", c.Name(), err)
		}
		if c.Live != (len(doc.Periods) == 1) || c.Live != bytes.Contains(x, []byte("KeyPeriodFilter")) {
			t.Errorf("%s: periods %v", c.Name(), doc.Periods)
		}
		if !bytes.Equal(x, c.XML()) {
			t.Errorf("%s: not deterministic", c.Name())
		}
		for _, k := range c.KIDs() {
			if _, err := uuid.Parse(k); err != nil {
				t.Fatal(err)
			}
			if seen[k+c.Name()] {
				t.Errorf("duplicate KID %s", k)
			}
			seen[k+c.Name()] = true
		}
	}
}

// Every preset × DRM combination × live/VOD, through the stand-in core,
// satisfies every carriage rule.
func TestAllCombinations(t *testing.T) {
	for name, cfg := range configs {
		core := &fakeCore{reg: registry(t, cfg)}
		t.Run(name, func(t *testing.T) {
			for _, c := range drmtest.Cases() {
				t.Run(c.Name(), func(t *testing.T) {
					req := c.XML()
					drmtest.CheckResponse(t, req, core.respond(t, req), nil)
				})
			}
		})
	}
}

// Check must notice each way a response can break the rules.
func TestCheckCatchesBreakage(t *testing.T) {
	all := drmtest.Request{Preset: drmtest.Presets[0], DRMs: []drmtest.DRM{drmtest.Widevine, drmtest.PlayReady, drmtest.FairPlay}}
	cenc := drmtest.Request{Preset: drmtest.Presets[1], DRMs: []drmtest.DRM{drmtest.Widevine, drmtest.PlayReady}, Smooth: true}
	kids := all.KIDs()
	other := uuid.MustParse(kids[1])
	wv, pr, fp := drm.WidevineSystemID, drm.PlayReadySystemID, drm.FairPlaySystemID
	signalFor := func(sys drm.System, kid uuid.UUID, scheme drm.Scheme) drm.Signaling {
		s, err := sys.Signal(drm.Input{KID: kid, Key: testKey(kid), IV: testIV(kid), Scheme: scheme,
			Want: drm.Want{PSSH: true, ContentProtectionData: true, HLS: true}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	reg := registry(t, configs["defaults"])
	wvSys, _ := reg.Lookup(wv)
	prSys, _ := reg.Lookup(pr)

	tests := []struct {
		name   string
		req    drmtest.Request
		core   fakeCore
		keys   map[string][16]byte
		expect string
	}{
		{"widevine box of another KID", all, fakeCore{mutate: func(k, s uuid.UUID, g *drm.Signaling) {
			if s == wv && k != other {
				o := signalFor(wvSys, other, drm.CBCS)
				g.PSSH, g.ContentProtectionData = o.PSSH, o.ContentProtectionData
			}
		}}, nil, "Widevine key_ids"},
		{"widevine wrong scheme", all, fakeCore{mutate: func(k, s uuid.UUID, g *drm.Signaling) {
			if s == wv {
				o := signalFor(wvSys, k, drm.CENC)
				g.PSSH, g.ContentProtectionData = o.PSSH, o.ContentProtectionData
			}
		}}, nil, "protection_scheme"},
		{"CPD differs from PSSH", all, fakeCore{mutate: func(k, s uuid.UUID, g *drm.Signaling) {
			if s == wv && k != other {
				g.ContentProtectionData = signalFor(wvSys, other, drm.CBCS).ContentProtectionData
			}
		}}, nil, "ContentProtectionData pssh differs from PSSH"},
		{"CPD pssh in the default namespace", all, fakeCore{mutate: func(_, s uuid.UUID, g *drm.Signaling) {
			if s == wv {
				g.ContentProtectionData = []byte(`<pssh xmlns="urn:mpeg:cenc:2013">` + base64.StdEncoding.EncodeToString(g.PSSH) + `</pssh>`)
			}
		}}, nil, "want a cenc:, mspr: or dashif: prefix"},
		{"CPD pssh under another prefix", all, fakeCore{mutate: func(_, s uuid.UUID, g *drm.Signaling) {
			if s == wv {
				g.ContentProtectionData = []byte(`<c:pssh xmlns:c="urn:mpeg:cenc:2013">` + base64.StdEncoding.EncodeToString(g.PSSH) + `</c:pssh>`)
			}
		}}, nil, "want a cenc:, mspr: or dashif: prefix"},
		{"CPD cenc prefix bound elsewhere", all, fakeCore{mutate: func(_, s uuid.UUID, g *drm.Signaling) {
			if s == wv {
				g.ContentProtectionData = []byte(`<cenc:pssh xmlns:cenc="urn:mpeg:cenc:2014">` + base64.StdEncoding.EncodeToString(g.PSSH) + `</cenc:pssh>`)
			}
		}}, nil, `declares xmlns:cenc="urn:mpeg:cenc:2014"`},
		{"CPD prefix not declared", all, fakeCore{mutate: func(_, s uuid.UUID, g *drm.Signaling) {
			if s == wv {
				g.ContentProtectionData = []byte(`<cenc:pssh>` + base64.StdEncoding.EncodeToString(g.PSSH) + `</cenc:pssh>`)
			}
		}}, nil, "does not declare"},
		{"PlayReady pro in the default namespace", all, fakeCore{mutate: func(_, s uuid.UUID, g *drm.Signaling) {
			if s == pr {
				g.ContentProtectionData = bytes.Replace(bytes.Replace(g.ContentProtectionData, []byte(`<mspr:pro xmlns:mspr=`), []byte(`<pro xmlns=`), 1), []byte(`</mspr:pro>`), []byte(`</pro>`), 1)
			}
		}}, nil, "want a cenc:, mspr: or dashif: prefix"},
		{"two CPD roots for Widevine", all, fakeCore{mutate: func(_, s uuid.UUID, g *drm.Signaling) {
			if s == wv {
				g.ContentProtectionData = append(g.ContentProtectionData, g.ContentProtectionData...)
			}
		}}, nil, "want one cenc:pssh"},
		{"KEYID of its own KID on both tags is accepted", all, fakeCore{mutate: func(k, s uuid.UUID, g *drm.Signaling) {
			if s == wv {
				g.HLSAttributes = strings.Replace(g.HLSAttributes, ",URI=", ",KEYID=0x"+strings.ToUpper(k.Hex())+",URI=", 1)
			}
		}}, nil, ""},
		{"SCHEME attribute", all, fakeCore{mutate: func(_, s uuid.UUID, g *drm.Signaling) {
			if s == pr {
				g.HLSAttributes += `,SCHEME="x"`
			}
		}}, nil, "HLS tag has SCHEME"},
		{"KEYID of another KID", all, fakeCore{mutate: func(_, s uuid.UUID, g *drm.Signaling) {
			if s == wv {
				g.HLSAttributes += ",KEYID=0x" + other.Hex()
			}
		}}, nil, "is not the DRMSystem's KID"},
		{"CTR method for cbcs", all, fakeCore{mutate: func(_, s uuid.UUID, g *drm.Signaling) {
			if s == fp {
				g.HLSAttributes = strings.Replace(g.HLSAttributes, "METHOD=SAMPLE-AES,", "METHOD=SAMPLE-AES-CTR,", 1)
			}
		}}, nil, "METHOD SAMPLE-AES-CTR"},
		{"Widevine URI with the data only", all, fakeCore{mutate: func(_, s uuid.UUID, g *drm.Signaling) {
			if s == wv {
				p, _ := drmtest.DecodePSSH(g.PSSH)
				g.HLSAttributes = strings.Replace(g.HLSAttributes, base64.StdEncoding.EncodeToString(g.PSSH), base64.StdEncoding.EncodeToString(p.Data), 1)
			}
		}}, nil, "does not carry the whole pssh box"},
		{"PlayReady URI without charset", all, fakeCore{mutate: func(_, s uuid.UUID, g *drm.Signaling) {
			if s == pr {
				g.HLSAttributes = strings.Replace(g.HLSAttributes, "charset=UTF-16;", "", 1)
			}
		}}, nil, "charset=UTF-16"},
		{"PlayReady of another KID", cenc, fakeCore{mutate: func(k, s uuid.UUID, g *drm.Signaling) {
			if s == pr && k != uuid.MustParse(cenc.KIDs()[0]) {
				o := signalFor(prSys, uuid.MustParse(cenc.KIDs()[0]), drm.CENC)
				g.PSSH, g.ContentProtectionData = o.PSSH, o.ContentProtectionData
			}
		}}, nil, "PRO KIDs"},
		{"Smooth header of another PRO", cenc, fakeCore{mutate: func(k, s uuid.UUID, g *drm.Signaling) {
			if s == pr && k != uuid.MustParse(cenc.KIDs()[0]) {
				g.SmoothStreaming = signalFor(prSys, uuid.MustParse(cenc.KIDs()[0]), drm.CENC).SmoothStreaming
				g.SmoothStreaming = base64.StdEncoding.EncodeToString(mustPRO(t, prSys, uuid.MustParse(cenc.KIDs()[0])))
			}
		}}, nil, "Smooth header differs"},
		{"checksum with another key", cenc, fakeCore{}, map[string][16]byte{cenc.KIDs()[0]: testKey(other).Reveal()}, "CHECKSUM"},
		{"same key for every KID", cenc, fakeCore{}, map[string][16]byte{cenc.KIDs()[0]: {1}, cenc.KIDs()[1]: {1}}, "share one content key"},
		{"FairPlay PSSH filled", all, fakeCore{mutate: func(k, s uuid.UUID, g *drm.Signaling) {
			if s == fp {
				g.PSSH = drm.PSSHBox{SystemID: fp}.Marshal()
			}
		}}, nil, "FairPlay has no pssh box"},
		{"skd without KID", all, fakeCore{mutate: func(k, s uuid.UUID, g *drm.Signaling) {
			if s == fp {
				g.HLSAttributes = strings.Replace(g.HLSAttributes, k.String(), "key", 1)
			}
		}}, nil, "skd URI naming KID"},
		{"no explicitIV", all, fakeCore{noIV: true}, nil, "no ContentKey@explicitIV"},
		{"explicitIV is the key", all, fakeCore{ivIsKey: true}, nil, "explicitIV equals the content key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.core.reg = reg
			req := tt.req.XML()
			errs := drmtest.Check(req, tt.core.respond(t, req), tt.keys)
			if tt.expect == "" {
				for _, e := range errs {
					t.Errorf("unexpected: %v", e)
				}
				return
			}
			var all []string
			for _, e := range errs {
				all = append(all, e.Error())
				if strings.Contains(e.Error(), tt.expect) {
					return
				}
			}
			t.Errorf("no error containing %q; got %q", tt.expect, all)
		})
	}
}

func mustPRO(t *testing.T, sys drm.System, kid uuid.UUID) []byte {
	t.Helper()
	pr := sys.(*drm.PlayReady)
	b, err := pr.Object(drm.AESCTR, drm.PlayReadyKID{KID: kid, Key: testKey(kid)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Response-level edits the stand-in core cannot make through Signal.
func TestCheckCatchesDocumentBreakage(t *testing.T) {
	req := drmtest.Request{Preset: drmtest.Presets[0], DRMs: []drmtest.DRM{drmtest.Widevine, drmtest.FairPlay}}
	x := req.XML()
	good := string((&fakeCore{reg: registry(t, configs["defaults"])}).respond(t, x))
	if errs := drmtest.Check(x, []byte(good), nil); len(errs) != 0 {
		t.Fatalf("baseline: %v", errs)
	}
	kid := req.KIDs()[0]
	sysOpen := fmt.Sprintf(`<cpix:DRMSystem kid="%s" systemId="%s">`, kid, drmtest.WidevineID)
	masterRe := func(s string) string {
		i := strings.Index(s, sysOpen)
		j := strings.Index(s[i:], `<cpix:HLSSignalingData playlist="master">`) + i
		k := strings.Index(s[j:], `</cpix:HLSSignalingData>`) + j + len(`</cpix:HLSSignalingData>`)
		return s[j:k]
	}
	tests := map[string]struct{ resp, expect string }{
		"master dropped":     {strings.Replace(good, masterRe(good), "", 1), "playlists"},
		"master not session": {strings.Replace(good, masterRe(good), `<cpix:HLSSignalingData playlist="master">`+base64.StdEncoding.EncodeToString([]byte("#EXT-X-KEY:METHOD=SAMPLE-AES"))+`</cpix:HLSSignalingData>`, 1), "is not #EXT-X-SESSION-KEY"},
		"DRMSystem dropped":  {strings.Replace(good, sysOpen, `<cpix:DRMSystem kid="`+kid+`" systemId="`+drmtest.PlayReadyID+`">`, 1), "0 in the response"},
		"FairPlay CPD added": {strings.Replace(good, `systemId="`+drmtest.FairPlayID+`"><cpix:PSSH></cpix:PSSH>`, `systemId="`+drmtest.FairPlayID+`"><cpix:PSSH></cpix:PSSH><cpix:ContentProtectionData>PHgvPg==</cpix:ContentProtectionData>`, 1), "FairPlay has none"},
		"not XML":            {good[:100], "response"},
	}
	for name, tt := range tests {
		if tt.resp == good {
			t.Fatalf("%s: edit did not apply", name)
		}
		errs := drmtest.Check(x, []byte(tt.resp), nil)
		if !strings.Contains(fmt.Sprint(errs), tt.expect) {
			t.Errorf("%s: errors %v lack %q", name, errs, tt.expect)
		}
	}
}

// FuzzDecodePRO: the PRO decoder never panics, and whatever it accepts
// has consistent lengths.
func FuzzDecodePRO(f *testing.F) {
	reg := registry(f, configs["configured"])
	sys, _ := reg.Lookup(drm.PlayReadySystemID)
	kid := uuid.MustParse("10000000-1000-1000-1000-100000000001")
	for _, alg := range []drm.PlayReadyAlgID{drm.AESCTR, drm.AESCBC} {
		b, err := sys.(*drm.PlayReady).Object(alg, drm.PlayReadyKID{KID: kid, Key: testKey(kid)})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := drmtest.DecodePRO(b)
		if err != nil {
			return
		}
		if int(p.Length) != len(b) || int(p.RecordLen)+10 != len(b) {
			t.Fatalf("accepted inconsistent lengths %+v for %d bytes", p, len(b))
		}
		_, _ = p.Header.KIDs()
	})
}
