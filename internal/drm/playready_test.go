package drm_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/drm/drmtest"
	"github.com/speke-go/keyprovider/internal/uuid"
)

const testServerLAURL = "https://test.playready.microsoft.com/service/rightsmanager.asmx"

// K1-K8 (test key seed → key, AESCTR checksum) and C1 (a key that is not
// seed-derived): checksum from key and KID, plus the KID in GUID order.
// The key-seed derivation itself is tested on the issue-4 branch
// (internal/keys/keyseed.go); the keys here are the published ones.
func TestPlayReadyChecksumVectors(t *testing.T) {
	tests := []struct{ id, kid, proKID, key, checksum string }{
		{"K1", "10000000-1000-1000-1000-100000000001", "AAAAEAAQABAQABAAAAAAAQ==", "3a2a1b68dd2bd9b2eeb25e84c4776668", "5TzIYQ2hrOY="},
		{"K2", "10000000-1000-1000-1000-100000000002", "AAAAEAAQABAQABAAAAAAAg==", "07e4d653cfb45c66158d93ffce422907", "I3PBkHROnzA="},
		{"K3", "a1b1c1d1-a2b2-a3b3-a4b4-a5b5c5d5e5f5", "0cGxobKis6OktKW1xdXl9Q==", "2539fa84b987416009a7fbba11b239ab", "bbp1OUrdtMI="},
		{"K4", "01020304-0506-0708-090a-aabbccddeeff", "BAMCAQYFCAcJCqq7zN3u/w==", "1947f5eba3d06f1fac8010038f204cbf", "EV/EKanLDy4="},
		{"K5", "a2c786d0-f9ef-4cb3-b333-cd323a4284a5", "0IbHou/5s0yzM80yOkKEpQ==", "4edb7704cdbf03617f4800bd878a6df2", "xNvWVxoWk04="},
		{"K6", "db06a8fe-ec16-4de2-9228-2c71e9b856ab", "/qgG2xbs4k2SKCxx6bhWqw==", "3179923adf3c929892951e62f93a518a", "GnKaQIRacPU="},
		{"K7", "09e091ab-f838-41d2-9e35-58531fd19ec7", "q5HgCTj40kGeNVhTH9Gexw==", "9cb061164b7013eaefcc7d6d18424c2c", "w+OZVr8vzrQ="},
		{"K8", "00000000-0000-0000-0000-000000000000", "AAAAAAAAAAAAAAAAAAAAAA==", "931c4138383977494591e3430dd69020", "wU/OMWHgJP8="},
		{"C1", "4060a865-8878-4267-9cbf-91ae5bae1e72", "ZahgQHiIZ0Kcv5GuW64ecg==", "fc35340837310cc0fb53de97e22a69e0", "yxlGlhfD+ac="},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			kid := uuid.MustParse(tt.kid)
			if got := drm.PlayReadyChecksum(kid, mustKey(t, tt.key)); got != tt.checksum {
				t.Errorf("checksum %s, want %s", got, tt.checksum)
			}
			g := kid.GUIDBytes()
			if got := base64.StdEncoding.EncodeToString(g[:]); got != tt.proKID {
				t.Errorf("PRO KID %s, want %s", got, tt.proKID)
			}
			// The independent checksum in drmtest agrees.
			if got, _ := drmtest.PlayReadyChecksum(g[:], mustHex(t, tt.key)); got != tt.checksum {
				t.Errorf("drmtest checksum %s", got)
			}
		})
	}
}

// R4/R5: KID byte order.
func TestPlayReadyKIDOrder(t *testing.T) {
	tests := []struct{ kid, proKID, be string }{
		{"f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "rk8d+Ox90BGnZQCgyR5r9g==", "+B1Prn3sEdCnZQCgyR5r9g=="},
		{"10000000-1000-1000-1000-100000000001", "AAAAEAAQABAQABAAAAAAAQ==", "EAAAABAAEAAQABAAAAAAAQ=="},
		{"0b630844-cb17-496a-9700-3702e1d23ee2", "RAhjCxfLakmXADcC4dI+4g==", ""},
		{"01234567-89ab-cdef-0123-456789abcdef", "Z0UjAauJ780BI0VniavN7w==", ""},
	}
	for _, tt := range tests {
		kid := uuid.MustParse(tt.kid)
		x, err := drm.PlayReadyHeader{AlgID: drm.AESCBC, KIDs: []drm.PlayReadyKID{{KID: kid}}}.XML()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(x, `VALUE="`+tt.proKID+`"`) {
			t.Errorf("%s: header %s lacks VALUE %s", tt.kid, x, tt.proKID)
		}
		if tt.be != "" && base64.StdEncoding.EncodeToString(kid[:]) != tt.be {
			t.Errorf("%s: big-endian bytes differ from %s", tt.kid, tt.be)
		}
	}
}

// R1: Microsoft's 4.0 PRO, decode-only (it carries CUSTOMATTRIBUTES, which
// this project does not write); its checksum verifies with the K7 key.
func TestPlayReadyR1Decode(t *testing.T) {
	pro := mustB64(t, r1PRO)
	if !bytes.Equal(pro[:10], mustHex(t, "5c03000001000100"+"5203")) {
		t.Fatalf("first 10 bytes %x", pro[:10])
	}
	p, err := drmtest.DecodePRO(pro)
	if err != nil {
		t.Fatal(err)
	}
	if p.Length != 860 || p.RecordLen != 850 || p.Header.Version != drm.PlayReadyV40 ||
		p.Header.Data.LAURL != "https://profficialsite.keydelivery.mediaservices.windows.net/PlayReady/" {
		t.Errorf("decoded %+v", p)
	}
	ks, err := p.Header.KIDs()
	if err != nil || len(ks) != 1 || ks[0].GUIDB64 != "q5HgCTj40kGeNVhTH9Gexw==" || ks[0].Checksum != "w+OZVr8vzrQ=" ||
		ks[0].UUID != "09e091ab-f838-41d2-9e35-58531fd19ec7" || ks[0].AlgID != "AESCTR" {
		t.Fatalf("KIDs %+v, %v", ks, err)
	}
	if got := drm.PlayReadyChecksum(uuid.MustParse(ks[0].UUID), mustKey(t, "9cb061164b7013eaefcc7d6d18424c2c")); got != ks[0].Checksum {
		t.Errorf("checksum %s", got)
	}
	// Our 4.0 header for the same KID, key and LA_URL is the Microsoft
	// XML up to the CUSTOMATTRIBUTES element.
	ours, err := drm.PlayReadyHeader{AlgID: drm.AESCTR, LAURL: p.Header.Data.LAURL, KIDs: []drm.PlayReadyKID{
		{KID: uuid.MustParse(ks[0].UUID), Key: mustKey(t, "9cb061164b7013eaefcc7d6d18424c2c")}}}.XML()
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(p.XML, "<CUSTOMATTRIBUTES>")
	if want := p.XML[:i] + "</DATA></WRMHEADER>"; ours != want {
		t.Errorf("ours\n%s\nMicrosoft without CUSTOMATTRIBUTES\n%s", ours, want)
	}
}

// R2a (Bento4, test-seed key, test-server LA_URL) and R3 (EZDRM 4.3
// AESCBC with LA_URL and DS_ID): PRO and pssh byte-exact.
func TestPlayReadyObjectVectors(t *testing.T) {
	k1 := drm.PlayReadyKID{KID: kid1000, Key: mustKey(t, "3a2a1b68dd2bd9b2eeb25e84c4776668")}
	tests := []struct {
		id      string
		h       drm.PlayReadyHeader
		pro     string
		pssh    string
		proSize int
	}{
		{"R2a", drm.PlayReadyHeader{AlgID: drm.AESCTR, KIDs: []drm.PlayReadyKID{k1}, LAURL: testServerLAURL}, r2aPRO, r2aPSSH, 678},
		{"R3", drm.PlayReadyHeader{AlgID: drm.AESCBC, KIDs: []drm.PlayReadyKID{{KID: kidEZDRM, Key: mustKey(t, "3132333435363738396162636465660a")}},
			LAURL: "https://playready.ezdrm.com/cency/preauth.aspx?pX=274FF4", DSID: "VlR7IdsIJEuRd06Laqs2jw=="}, r3PRO, r3PSSH, 670},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			pro, err := tt.h.Object()
			if err != nil {
				t.Fatal(err)
			}
			if got := base64.StdEncoding.EncodeToString(pro); got != tt.pro || len(pro) != tt.proSize {
				t.Fatalf("PRO (%d bytes)\n got %s\nwant %s", len(pro), got, tt.pro)
			}
			box := drm.PSSHBox{SystemID: drm.PlayReadySystemID, Data: pro}
			if tt.pssh != "" {
				if got := base64.StdEncoding.EncodeToString(box.Marshal()); got != tt.pssh {
					t.Fatalf("pssh\n got %s\nwant %s", got, tt.pssh)
				}
			}
			checkWithMP4ff(t, box.Marshal(), box)
			checkPRO(t, pro, tt.h)
		})
	}
}

// checkPRO decodes pro independently and checks it against the header it
// was built from: version rules, KIDs in GUID order, checksums verifying
// with the keys for AESCTR and absent for AESCBC, URLs unescaped.
func checkPRO(t *testing.T, pro []byte, h drm.PlayReadyHeader) {
	t.Helper()
	p, err := drmtest.DecodePRO(pro)
	if err != nil {
		t.Fatalf("DecodePRO: %v", err)
	}
	if strings.ContainsAny(p.XML, "\r\n\t") || strings.Contains(p.XML, "> <") || strings.Contains(p.XML, "/>") {
		t.Errorf("WRMHEADER not canonical one-line XML: %s", p.XML)
	}
	var wantVersion string
	switch {
	case h.AlgID == drm.AESCBC:
		wantVersion = drm.PlayReadyV43
	case len(h.KIDs) == 1:
		wantVersion = drm.PlayReadyV40
	default:
		wantVersion = drm.PlayReadyV42
	}
	if p.Header.Version != wantVersion {
		t.Errorf("version %s, want %s", p.Header.Version, wantVersion)
	}
	ks, err := p.Header.KIDs()
	if err != nil || len(ks) != len(h.KIDs) {
		t.Fatalf("KIDs %+v, %v", ks, err)
	}
	for i, k := range ks {
		if k.UUID != h.KIDs[i].KID.String() || k.AlgID != string(h.AlgID) {
			t.Errorf("KID %d: %+v, want %s %s", i, k, h.KIDs[i].KID, h.AlgID)
		}
		key := h.KIDs[i].Key.Reveal()
		want, _ := drmtest.PlayReadyChecksum(drmtest.UUIDToGUID(h.KIDs[i].KID[:]), key[:])
		if h.AlgID == drm.AESCBC {
			want = ""
		}
		if k.Checksum != want {
			t.Errorf("KID %d checksum %q, want %q", i, k.Checksum, want)
		}
	}
	if p.Header.Data.LAURL != h.LAURL || p.Header.Data.LUIURL != h.LUIURL || p.Header.Data.DSID != h.DSID {
		t.Errorf("LA_URL %q LUI_URL %q DS_ID %q", p.Header.Data.LAURL, p.Header.Data.LUIURL, p.Header.Data.DSID)
	}
}

// Several AESCTR KIDs give a 4.2 header; K5 and K6 are the two KIDs of
// Microsoft's 4.2 example.
func TestPlayReadyMultiKID(t *testing.T) {
	pr := &drm.PlayReady{LAURL: "https://lic.example.com/pr?a=1&b=<2>", LUIURL: "https://lui.example.com/", DSID: "VlR7IdsIJEuRd06Laqs2jw=="}
	kids := []drm.PlayReadyKID{
		{KID: uuid.MustParse("a2c786d0-f9ef-4cb3-b333-cd323a4284a5"), Key: mustKey(t, "4edb7704cdbf03617f4800bd878a6df2")},
		{KID: uuid.MustParse("db06a8fe-ec16-4de2-9228-2c71e9b856ab"), Key: mustKey(t, "3179923adf3c929892951e62f93a518a")},
	}
	for _, alg := range []drm.PlayReadyAlgID{drm.AESCTR, drm.AESCBC} {
		pro, err := pr.Object(alg, kids...)
		if err != nil {
			t.Fatal(err)
		}
		checkPRO(t, pro, drm.PlayReadyHeader{AlgID: alg, KIDs: kids, LAURL: pr.LAURL, LUIURL: pr.LUIURL, DSID: pr.DSID})
		p, _ := drmtest.DecodePRO(pro)
		if !strings.Contains(p.XML, "<LA_URL>https://lic.example.com/pr?a=1&amp;b=&lt;2&gt;</LA_URL>") {
			t.Errorf("LA_URL not escaped: %s", p.XML)
		}
		if alg == drm.AESCTR && !strings.Contains(p.XML, `<KID ALGID="AESCTR" CHECKSUM="xNvWVxoWk04=" VALUE="0IbHou/5s0yzM80yOkKEpQ=="></KID><KID ALGID="AESCTR" CHECKSUM="GnKaQIRacPU=" VALUE="/qgG2xbs4k2SKCxx6bhWqw=="></KID>`) {
			t.Errorf("4.2 KIDs: %s", p.XML)
		}
	}
}

// TestPlayReadyObjectUTF16: the record is the header's XML as UTF-16LE,
// with the lengths in front, for text outside ASCII too: a 2-byte and a
// 3-byte UTF-8 rune, one that needs a surrogate pair, and invalid UTF-8
// (U+FFFD, as unicode/utf16 writes it).
func TestPlayReadyObjectUTF16(t *testing.T) {
	h := drm.PlayReadyHeader{AlgID: drm.AESCBC, KIDs: []drm.PlayReadyKID{{KID: kid1000}}, LAURL: "https://lic.example/é/€/😀/\xff/x"}
	x, err := h.XML()
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for _, u := range utf16.Encode([]rune(x)) {
		want = binary.LittleEndian.AppendUint16(want, u)
	}
	want = append(binary.LittleEndian.AppendUint16(nil, uint16(len(want))), want...)
	want = append([]byte{1, 0, 1, 0}, want...)
	want = append(binary.LittleEndian.AppendUint32(nil, uint32(4+len(want))), want...)
	pro, err := h.Object()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pro, want) {
		t.Fatalf("PRO\n got %x\nwant %x", pro, want)
	}
}

func TestPlayReadyHeaderErrors(t *testing.T) {
	k := drm.PlayReadyKID{KID: kid1000}
	tests := map[string]drm.PlayReadyHeader{
		"no KID":        {AlgID: drm.AESCTR},
		"no ALGID":      {KIDs: []drm.PlayReadyKID{k}},
		"unknown ALGID": {AlgID: "COCKTAIL", KIDs: []drm.PlayReadyKID{k}},
		"over 15 KB":    {AlgID: drm.AESCTR, KIDs: []drm.PlayReadyKID{k}, LAURL: "https://x/" + strings.Repeat("a", 8000)},
	}
	for name, h := range tests {
		if _, err := h.Object(); !errors.Is(err, drm.ErrPlayReadyHeader) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestPlayReadySignal(t *testing.T) {
	pr := &drm.PlayReady{LAURL: testServerLAURL}
	key := mustKey(t, "3a2a1b68dd2bd9b2eeb25e84c4776668")
	all := drm.Want{PSSH: true, ContentProtectionData: true, HLS: true, SmoothStreaming: true}
	for _, tt := range []struct {
		scheme drm.Scheme
		method string
		alg    drm.PlayReadyAlgID
	}{{drm.CENC, "SAMPLE-AES-CTR", drm.AESCTR}, {drm.CBCS, "SAMPLE-AES", drm.AESCBC}} {
		t.Run(string(tt.scheme), func(t *testing.T) {
			s, err := pr.Signal(drm.Input{ContentID: "c", KID: kid1000, Key: key, Scheme: tt.scheme, Want: all})
			if err != nil {
				t.Fatal(err)
			}
			box, err := drmtest.DecodePSSH(s.PSSH)
			if err != nil || box.Version != 0 || box.SystemID != drmtest.PlayReadyID || len(box.KIDs) != 0 {
				t.Fatalf("pssh %+v, %v", box, err)
			}
			h := drm.PlayReadyHeader{AlgID: tt.alg, KIDs: []drm.PlayReadyKID{{KID: kid1000, Key: key}}, LAURL: testServerLAURL}
			checkPRO(t, box.Data, h)
			proB64 := base64.StdEncoding.EncodeToString(box.Data)
			if tt.scheme == drm.CENC && s.SmoothStreaming != r2aPRO {
				t.Errorf("cenc PRO is not R2a: %s", s.SmoothStreaming)
			}
			if s.SmoothStreaming != proB64 {
				t.Error("Smooth header is not the PRO in the pssh")
			}
			wantCPD := `<cenc:pssh xmlns:cenc="urn:mpeg:cenc:2013">` + base64.StdEncoding.EncodeToString(s.PSSH) +
				`</cenc:pssh><mspr:pro xmlns:mspr="urn:microsoft:playready">` + proB64 + `</mspr:pro>`
			if string(s.ContentProtectionData) != wantCPD {
				t.Errorf("CPD\n got %s\nwant %s", s.ContentProtectionData, wantCPD)
			}
			wantHLS := "METHOD=" + tt.method + `,KEYFORMAT="com.microsoft.playready",KEYFORMATVERSIONS="1",URI="data:text/plain;charset=UTF-16;base64,` + proB64 + `"`
			if s.HLSAttributes != wantHLS {
				t.Errorf("HLS\n got %s\nwant %s", s.HLSAttributes, wantHLS)
			}
		})
	}
	// Only what is wanted is filled.
	s, err := pr.Signal(drm.Input{KID: kid1000, Key: key, Scheme: drm.CENC, Want: drm.Want{SmoothStreaming: true}})
	if err != nil || s.PSSH != nil || s.ContentProtectionData != nil || s.HLSAttributes != "" || s.SmoothStreaming != r2aPRO {
		t.Errorf("Smooth only: %+v, %v", s, err)
	}
	if pr.Supports(drm.CENS) || pr.Supports(drm.CBC1) || pr.NeedsIV() {
		t.Error("Supports/NeedsIV")
	}
}

// H2: Microsoft's HLS line form with the EZDRM 4.3 PRO (R3), cbcs.
func TestPlayReadyHLSH2(t *testing.T) {
	pr := &drm.PlayReady{LAURL: "https://playready.ezdrm.com/cency/preauth.aspx?pX=274FF4", DSID: "VlR7IdsIJEuRd06Laqs2jw=="}
	s, err := pr.Signal(drm.Input{KID: kidEZDRM, Scheme: drm.CBCS, Want: drm.Want{HLS: true}})
	if err != nil {
		t.Fatal(err)
	}
	want := `#EXT-X-KEY:METHOD=SAMPLE-AES,KEYFORMAT="com.microsoft.playready",KEYFORMATVERSIONS="1",URI="data:text/plain;charset=UTF-16;base64,` + r3PRO + `"`
	if got := "#EXT-X-KEY:" + s.HLSAttributes; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// FuzzPlayReadyObject builds headers from arbitrary URLs and KIDs and
// checks that the independent decoder reads back exactly what went in.
func FuzzPlayReadyObject(f *testing.F) {
	f.Add(testServerLAURL, "", kid1000[:], true)
	f.Add("https://a/?x=1&y=<z>", "https://lui/", kidEZDRM[:], false)
	f.Fuzz(func(t *testing.T, laURL, luiURL string, kidBytes []byte, ctr bool) {
		if len(kidBytes) != 16 || !xmlSafe(laURL) || !xmlSafe(luiURL) {
			return
		}
		var kid uuid.UUID
		copy(kid[:], kidBytes)
		h := drm.PlayReadyHeader{AlgID: drm.AESCBC, KIDs: []drm.PlayReadyKID{{KID: kid, Key: mustKey(t, "3a2a1b68dd2bd9b2eeb25e84c4776668")}}, LAURL: laURL, LUIURL: luiURL}
		if ctr {
			h.AlgID = drm.AESCTR
		}
		pro, err := h.Object()
		if err != nil {
			if !errors.Is(err, drm.ErrPlayReadyHeader) {
				t.Fatal(err)
			}
			return
		}
		checkPRO(t, pro, h)
	})
}

// xmlSafe reports whether s is text encoding/xml reads back unchanged:
// valid UTF-8 and XML characters only. Spaces are excluded too, as in a
// URL: drm.Config.Validate rejects URLs outside this set.
func xmlSafe(s string) bool {
	for _, r := range s {
		if r == '\uFFFD' || r <= 0x20 || r == 0x7f || (r >= 0xD800 && r <= 0xDFFF) || r == 0xFFFE || r == 0xFFFF {
			return false
		}
	}
	return true
}

const (
	r1PRO   = "XAMAAAEAAQBSAzwAVwBSAE0ASABFAEEARABFAFIAIAB4AG0AbABuAHMAPQAiAGgAdAB0AHAAOgAvAC8AcwBjAGgAZQBtAGEAcwAuAG0AaQBjAHIAbwBzAG8AZgB0AC4AYwBvAG0ALwBEAFIATQAvADIAMAAwADcALwAwADMALwBQAGwAYQB5AFIAZQBhAGQAeQBIAGUAYQBkAGUAcgAiACAAdgBlAHIAcwBpAG8AbgA9ACIANAAuADAALgAwAC4AMAAiAD4APABEAEEAVABBAD4APABQAFIATwBUAEUAQwBUAEkATgBGAE8APgA8AEsARQBZAEwARQBOAD4AMQA2ADwALwBLAEUAWQBMAEUATgA+ADwAQQBMAEcASQBEAD4AQQBFAFMAQwBUAFIAPAAvAEEATABHAEkARAA+ADwALwBQAFIATwBUAEUAQwBUAEkATgBGAE8APgA8AEsASQBEAD4AcQA1AEgAZwBDAFQAagA0ADAAawBHAGUATgBWAGgAVABIADkARwBlAHgAdwA9AD0APAAvAEsASQBEAD4APABDAEgARQBDAEsAUwBVAE0APgB3ACsATwBaAFYAcgA4AHYAegByAFEAPQA8AC8AQwBIAEUAQwBLAFMAVQBNAD4APABMAEEAXwBVAFIATAA+AGgAdAB0AHAAcwA6AC8ALwBwAHIAbwBmAGYAaQBjAGkAYQBsAHMAaQB0AGUALgBrAGUAeQBkAGUAbABpAHYAZQByAHkALgBtAGUAZABpAGEAcwBlAHIAdgBpAGMAZQBzAC4AdwBpAG4AZABvAHcAcwAuAG4AZQB0AC8AUABsAGEAeQBSAGUAYQBkAHkALwA8AC8ATABBAF8AVQBSAEwAPgA8AEMAVQBTAFQATwBNAEEAVABUAFIASQBCAFUAVABFAFMAPgA8AEkASQBTAF8ARABSAE0AXwBWAEUAUgBTAEkATwBOAD4AOAAuADAALgAxADcAMAA1AC4AMQA5ADwALwBJAEkAUwBfAEQAUgBNAF8AVgBFAFIAUwBJAE8ATgA+ADwALwBDAFUAUwBUAE8ATQBBAFQAVABSAEkAQgBVAFQARQBTAD4APAAvAEQAQQBUAEEAPgA8AC8AVwBSAE0ASABFAEEARABFAFIAPgA="
	r2aPRO  = "pgIAAAEAAQCcAjwAVwBSAE0ASABFAEEARABFAFIAIAB4AG0AbABuAHMAPQAiAGgAdAB0AHAAOgAvAC8AcwBjAGgAZQBtAGEAcwAuAG0AaQBjAHIAbwBzAG8AZgB0AC4AYwBvAG0ALwBEAFIATQAvADIAMAAwADcALwAwADMALwBQAGwAYQB5AFIAZQBhAGQAeQBIAGUAYQBkAGUAcgAiACAAdgBlAHIAcwBpAG8AbgA9ACIANAAuADAALgAwAC4AMAAiAD4APABEAEEAVABBAD4APABQAFIATwBUAEUAQwBUAEkATgBGAE8APgA8AEsARQBZAEwARQBOAD4AMQA2ADwALwBLAEUAWQBMAEUATgA+ADwAQQBMAEcASQBEAD4AQQBFAFMAQwBUAFIAPAAvAEEATABHAEkARAA+ADwALwBQAFIATwBUAEUAQwBUAEkATgBGAE8APgA8AEsASQBEAD4AQQBBAEEAQQBFAEEAQQBRAEEAQgBBAFEAQQBCAEEAQQBBAEEAQQBBAEEAUQA9AD0APAAvAEsASQBEAD4APABDAEgARQBDAEsAUwBVAE0APgA1AFQAegBJAFkAUQAyAGgAcgBPAFkAPQA8AC8AQwBIAEUAQwBLAFMAVQBNAD4APABMAEEAXwBVAFIATAA+AGgAdAB0AHAAcwA6AC8ALwB0AGUAcwB0AC4AcABsAGEAeQByAGUAYQBkAHkALgBtAGkAYwByAG8AcwBvAGYAdAAuAGMAbwBtAC8AcwBlAHIAdgBpAGMAZQAvAHIAaQBnAGgAdABzAG0AYQBuAGEAZwBlAHIALgBhAHMAbQB4ADwALwBMAEEAXwBVAFIATAA+ADwALwBEAEEAVABBAD4APAAvAFcAUgBNAEgARQBBAEQARQBSAD4A"
	r2aPSSH = "AAACxnBzc2gAAAAAmgTweZhAQoarkuZb4IhflQAAAqamAgAAAQABAJwCPABXAFIATQBIAEUAQQBEAEUAUgAgAHgAbQBsAG4AcwA9ACIAaAB0AHQAcAA6AC8ALwBzAGMAaABlAG0AYQBzAC4AbQBpAGMAcgBvAHMAbwBmAHQALgBjAG8AbQAvAEQAUgBNAC8AMgAwADAANwAvADAAMwAvAFAAbABhAHkAUgBlAGEAZAB5AEgAZQBhAGQAZQByACIAIAB2AGUAcgBzAGkAbwBuAD0AIgA0AC4AMAAuADAALgAwACIAPgA8AEQAQQBUAEEAPgA8AFAAUgBPAFQARQBDAFQASQBOAEYATwA+ADwASwBFAFkATABFAE4APgAxADYAPAAvAEsARQBZAEwARQBOAD4APABBAEwARwBJAEQAPgBBAEUAUwBDAFQAUgA8AC8AQQBMAEcASQBEAD4APAAvAFAAUgBPAFQARQBDAFQASQBOAEYATwA+ADwASwBJAEQAPgBBAEEAQQBBAEUAQQBBAFEAQQBCAEEAUQBBAEIAQQBBAEEAQQBBAEEAQQBRAD0APQA8AC8ASwBJAEQAPgA8AEMASABFAEMASwBTAFUATQA+ADUAVAB6AEkAWQBRADIAaAByAE8AWQA9ADwALwBDAEgARQBDAEsAUwBVAE0APgA8AEwAQQBfAFUAUgBMAD4AaAB0AHQAcABzADoALwAvAHQAZQBzAHQALgBwAGwAYQB5AHIAZQBhAGQAeQAuAG0AaQBjAHIAbwBzAG8AZgB0AC4AYwBvAG0ALwBzAGUAcgB2AGkAYwBlAC8AcgBpAGcAaAB0AHMAbQBhAG4AYQBnAGUAcgAuAGEAcwBtAHgAPAAvAEwAQQBfAFUAUgBMAD4APAAvAEQAQQBUAEEAPgA8AC8AVwBSAE0ASABFAEEARABFAFIAPgA="
	// R3 and its pssh: the EZDRM response in
	// Dash-Industry-Forum/livesim2:pkg/drm/testdata/cpix_1key_cbcs_test.xml
	// (SmoothStreamingProtectionHeaderData and the PlayReady cpix:PSSH).
	r3PRO  = "ngIAAAEAAQCUAjwAVwBSAE0ASABFAEEARABFAFIAIAB4AG0AbABuAHMAPQAiAGgAdAB0AHAAOgAvAC8AcwBjAGgAZQBtAGEAcwAuAG0AaQBjAHIAbwBzAG8AZgB0AC4AYwBvAG0ALwBEAFIATQAvADIAMAAwADcALwAwADMALwBQAGwAYQB5AFIAZQBhAGQAeQBIAGUAYQBkAGUAcgAiACAAdgBlAHIAcwBpAG8AbgA9ACIANAAuADMALgAwAC4AMAAiAD4APABEAEEAVABBAD4APABQAFIATwBUAEUAQwBUAEkATgBGAE8APgA8AEsASQBEAFMAPgA8AEsASQBEACAAQQBMAEcASQBEAD0AIgBBAEUAUwBDAEIAQwAiACAAVgBBAEwAVQBFAD0AIgBaADAAVQBqAEEAYQB1AEoANwA4ADAAQgBJADAAVgBuAGkAYQB2AE4ANwB3AD0APQAiAD4APAAvAEsASQBEAD4APAAvAEsASQBEAFMAPgA8AC8AUABSAE8AVABFAEMAVABJAE4ARgBPAD4APABMAEEAXwBVAFIATAA+AGgAdAB0AHAAcwA6AC8ALwBwAGwAYQB5AHIAZQBhAGQAeQAuAGUAegBkAHIAbQAuAGMAbwBtAC8AYwBlAG4AYwB5AC8AcAByAGUAYQB1AHQAaAAuAGEAcwBwAHgAPwBwAFgAPQAyADcANABGAEYANAA8AC8ATABBAF8AVQBSAEwAPgA8AEQAUwBfAEkARAA+AFYAbABSADcASQBkAHMASQBKAEUAdQBSAGQAMAA2AEwAYQBxAHMAMgBqAHcAPQA9ADwALwBEAFMAXwBJAEQAPgA8AC8ARABBAFQAQQA+ADwALwBXAFIATQBIAEUAQQBEAEUAUgA+AA=="
	r3PSSH = "AAACvnBzc2gAAAAAmgTweZhAQoarkuZb4IhflQAAAp6eAgAAAQABAJQCPABXAFIATQBIAEUAQQBEAEUAUgAgAHgAbQBsAG4AcwA9ACIAaAB0AHQAcAA6AC8ALwBzAGMAaABlAG0AYQBzAC4AbQBpAGMAcgBvAHMAbwBmAHQALgBjAG8AbQAvAEQAUgBNAC8AMgAwADAANwAvADAAMwAvAFAAbABhAHkAUgBlAGEAZAB5AEgAZQBhAGQAZQByACIAIAB2AGUAcgBzAGkAbwBuAD0AIgA0AC4AMwAuADAALgAwACIAPgA8AEQAQQBUAEEAPgA8AFAAUgBPAFQARQBDAFQASQBOAEYATwA+ADwASwBJAEQAUwA+ADwASwBJAEQAIABBAEwARwBJAEQAPQAiAEEARQBTAEMAQgBDACIAIABWAEEATABVAEUAPQAiAFoAMABVAGoAQQBhAHUASgA3ADgAMABCAEkAMABWAG4AaQBhAHYATgA3AHcAPQA9ACIAPgA8AC8ASwBJAEQAPgA8AC8ASwBJAEQAUwA+ADwALwBQAFIATwBUAEUAQwBUAEkATgBGAE8APgA8AEwAQQBfAFUAUgBMAD4AaAB0AHQAcABzADoALwAvAHAAbABhAHkAcgBlAGEAZAB5AC4AZQB6AGQAcgBtAC4AYwBvAG0ALwBjAGUAbgBjAHkALwBwAHIAZQBhAHUAdABoAC4AYQBzAHAAeAA/AHAAWAA9ADIANwA0AEYARgA0ADwALwBMAEEAXwBVAFIATAA+ADwARABTAF8ASQBEAD4AVgBsAFIANwBJAGQAcwBJAEoARQB1AFIAZAAwADYATABhAHEAcwAyAGoAdwA9AD0APAAvAEQAUwBfAEkARAA+ADwALwBEAEEAVABBAD4APAAvAFcAUgBNAEgARQBBAEQARQBSAD4A"
)
