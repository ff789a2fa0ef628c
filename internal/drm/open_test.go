package drm

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/uuid"
)

// Public vectors P1 and P2: W3C common PSSH v1 boxes (the example of the
// W3C "cenc" initialization data format, and Bento4's one-KID box).
func TestCommonPSSHVectors(t *testing.T) {
	var k1, k2 uuid.UUID
	copy(k1[:], "0123456789012345")
	copy(k2[:], "ABCDEFGHIJKLMNOP")
	p1 := PSSHBox{Version: 1, SystemID: CommonSystemID, KIDs: []uuid.UUID{k1, k2}}.Marshal()
	wantP1, _ := hex.DecodeString("000000447073736801000000" + "1077efecc0b24d02ace33c1e52e2fb4b" +
		"00000002" + "30313233343536373839303132333435" + "4142434445464748494a4b4c4d4e4f50" + "00000000")
	if !bytes.Equal(p1, wantP1) {
		t.Fatalf("P1 = %x", p1)
	}
	sig, err := (&CommonPSSH{}).Signal(Input{KID: uuid.MustParse("10000000-1000-1000-1000-100000000001"), Scheme: CENC, Want: Want{PSSH: true}})
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.StdEncoding.EncodeToString(sig.PSSH); got != "AAAANHBzc2gBAAAAEHfv7MCyTQKs4zweUuL7SwAAAAEQAAAAEAAQABAAEAAAAAABAAAAAA==" {
		t.Fatalf("P2 = %s", got)
	}
}

func TestCommonPSSHContentProtectionData(t *testing.T) {
	kid := uuid.MustParse("10000000-1000-1000-1000-100000000001")
	for _, tc := range []struct{ cfg, base, wantURL string }{
		{"", "https://k.example", "https://k.example/clearkey/license"},
		{"https://lic.example/ck?a=1&b=2", "https://k.example", "https://lic.example/ck?a=1&amp;b=2"},
	} {
		sig, err := (&CommonPSSH{LicenseURL: tc.cfg}).Signal(Input{KID: kid, Scheme: CBCS, BaseURL: tc.base, Want: Want{PSSH: true, ContentProtectionData: true}})
		if err != nil {
			t.Fatal(err)
		}
		cpd := string(sig.ContentProtectionData)
		wantPSSH := `<cenc:pssh xmlns:cenc="urn:mpeg:cenc:2013">` + base64.StdEncoding.EncodeToString(sig.PSSH) + `</cenc:pssh>`
		if !strings.HasPrefix(cpd, wantPSSH) {
			t.Errorf("CPD %s does not start with the PSSH element", cpd)
		}
		if want := wantPSSH + `<dashif:Laurl xmlns:dashif="https://dashif.org/CPS" licenseType="EME-1.0">` + tc.wantURL + `</dashif:Laurl>`; cpd != want {
			t.Errorf("CPD %s lacks license URL %s", cpd, tc.wantURL)
		}
	}
}

func TestClearKeyAES128(t *testing.T) {
	kid := uuid.MustParse("10000000-1000-1000-1000-100000000001")
	s := &ClearKeyAES128{}
	if !s.Supports(CBC1) || s.Supports(CENC) || s.Supports(CBCS) || !s.NeedsIV() {
		t.Fatal("scheme support or IV need wrong")
	}
	sig, err := s.Signal(Input{ContentID: `a b"c/d`, KID: kid, Scheme: CBC1, BaseURL: "https://k.example/prod", Want: Want{HLS: true}})
	if err != nil {
		t.Fatal(err)
	}
	want := `METHOD=AES-128,URI="https://k.example/prod/client/a%20b%22c%2Fd/10000000-1000-1000-1000-100000000001",KEYFORMAT="identity",KEYFORMATVERSIONS="1"`
	if sig.HLSAttributes != want {
		t.Fatalf("got  %s\nwant %s", sig.HLSAttributes, want)
	}
}
