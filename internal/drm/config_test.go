package drm_test

import (
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/uuid"
)

func TestDefaultRegistry(t *testing.T) {
	c := drm.Config{}
	if err := c.Validate(); err != nil {
		t.Fatalf("zero config: %v", err)
	}
	r := drm.NewDefaultRegistry(c)
	for _, id := range []string{
		"edef8ba9-79d6-4ace-a3c8-27dcd51d21ed", "9a04f079-9840-4286-ab92-e65be0885f95", "94ce86fb-07ff-4f43-adb8-93d2fa968ca2",
		"1077efec-c0b2-4d02-ace3-3c1e52e2fb4b", "3ea8778f-7742-4bf9-b18b-e834b2acbd47",
	} {
		s, ok := r.Lookup(mustUUID(t, id))
		if !ok || s.ID().String() != id {
			t.Errorf("%s not registered", id)
		}
	}
	// Settings reach the systems.
	c.WidevineProvider = "ezdrm"
	c.PlayReadyLAURL = "https://playready.ezdrm.com/cency/preauth.aspx?pX=274FF4"
	c.PlayReadyDSID = "VlR7IdsIJEuRd06Laqs2jw=="
	c.FairPlaySKDTemplate = "skd://{kid}:{iv_hex}"
	r, err := drm.NewRegistryFromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	pr, _ := r.Lookup(drm.PlayReadySystemID)
	s, err := pr.Signal(drm.Input{KID: kidEZDRM, Scheme: drm.CBCS, Want: drm.Want{SmoothStreaming: true}})
	if err != nil || s.SmoothStreaming != r3PRO {
		t.Errorf("PlayReady from config: %v %s", err, s.SmoothStreaming)
	}
	wv, _ := r.Lookup(drm.WidevineSystemID)
	s, err = wv.Signal(drm.Input{KID: kidEZDRM, Scheme: drm.CBCS, Want: drm.Want{PSSH: true}})
	if err != nil || string(s.PSSH) != string(mustB64(t, "AAAAP3Bzc2gAAAAA7e+LqXnWSs6jyCfc1R0h7QAAAB8SEAEjRWeJq83vASNFZ4mrze8aBWV6ZHJtSPPGiZsG")) {
		t.Errorf("Widevine from config: %v %x", err, s.PSSH)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := map[string]struct {
		c     drm.Config
		field string
	}{
		"LA_URL relative":      {drm.Config{PlayReadyLAURL: "/license"}, "PlayReadyLAURL"},
		"LA_URL ftp":           {drm.Config{PlayReadyLAURL: "ftp://x/"}, "PlayReadyLAURL"},
		"LA_URL space":         {drm.Config{PlayReadyLAURL: "https://x/a b"}, "PlayReadyLAURL"},
		"LA_URL newline":       {drm.Config{PlayReadyLAURL: "https://x/\n"}, "PlayReadyLAURL"},
		"LA_URL no host":       {drm.Config{PlayReadyLAURL: "https:///x"}, "PlayReadyLAURL"},
		"LA_URL too long":      {drm.Config{PlayReadyLAURL: "https://x/" + strings.Repeat("a", 8000)}, "PlayReadyLAURL"},
		"LUI_URL bad":          {drm.Config{PlayReadyLUIURL: "lui"}, "PlayReadyLUIURL"},
		"DS_ID not base64":     {drm.Config{PlayReadyDSID: "not base64!"}, "PlayReadyDSID"},
		"DS_ID 15 bytes":       {drm.Config{PlayReadyDSID: "AAAAAAAAAAAAAAAAAAAA"}, "PlayReadyDSID"},
		"provider control":     {drm.Config{WidevineProvider: "a\x00b"}, "WidevineProvider"},
		"provider long":        {drm.Config{WidevineProvider: strings.Repeat("p", 256)}, "WidevineProvider"},
		"skd unknown":          {drm.Config{FairPlaySKDTemplate: "skd://{key}"}, "FairPlaySKDTemplate"},
		"skd scheme":           {drm.Config{FairPlaySKDTemplate: "https://{kid}"}, "FairPlaySKDTemplate"},
		"provider invalid utf": {drm.Config{WidevineProvider: "\xff"}, "WidevineProvider"},
		"license URL relative": {drm.Config{ClearKeyLicenseURL: "/license"}, "ClearKeyLicenseURL"},
		"PRO too large":        {drm.Config{PlayReadyLAURL: "https://x/" + strings.Repeat("a", 4000), PlayReadyLUIURL: "https://x/" + strings.Repeat("b", 4000)}, "PlayReadyLUIURL"},
	}
	for name, tc := range tests {
		err := tc.c.Validate()
		var se *drm.SettingError
		if !errors.As(err, &se) || !slices.Contains(se.Fields, tc.field) {
			t.Errorf("%s: err = %v, want a SettingError naming %s", name, err, tc.field)
		} else if strings.Contains(se.Err.Error(), tc.field) {
			t.Errorf("%s: reason %q repeats the field name", name, se.Err)
		}
		if _, err := drm.NewRegistryFromConfig(tc.c); err == nil {
			t.Errorf("%s: registry built", name)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("NewDefaultRegistry accepted an invalid config")
			}
		}()
		drm.NewDefaultRegistry(drm.Config{FairPlaySKDTemplate: "skd://"})
	}()
}

// E1: EZDRM's one-KID cbcs response (livesim2 testdata) for Widevine,
// PlayReady and FairPlay, reproduced from configuration alone.
func TestEZDRMResponseE1(t *testing.T) {
	r, err := drm.NewRegistryFromConfig(drm.Config{
		WidevineProvider:    "ezdrm",
		PlayReadyLAURL:      "https://playready.ezdrm.com/cency/preauth.aspx?pX=274FF4",
		PlayReadyDSID:       "VlR7IdsIJEuRd06Laqs2jw==",
		FairPlaySKDTemplate: "skd://{kid}:{iv_hex}",
	})
	if err != nil {
		t.Fatal(err)
	}
	key, err := keys.NewKey(mustB64(t, "MTIzNDU2Nzg5YWJjZGVmCg=="))
	if err != nil {
		t.Fatal(err)
	}
	iv := keys.IV(mustB64(t, "ASNFZ4mrze8BI0VniavN7w=="))
	in := drm.Input{ContentID: "livesim2-0001", KID: kidEZDRM, Key: key, IV: iv, Scheme: drm.CBCS}
	signal := func(id uuid.UUID, w drm.Want) drm.Signaling {
		s, _ := r.Lookup(id)
		in.Want = w
		out, err := s.Signal(in)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := base64.StdEncoding.EncodeToString(signal(drm.WidevineSystemID, drm.Want{PSSH: true}).PSSH); got != "AAAAP3Bzc2gAAAAA7e+LqXnWSs6jyCfc1R0h7QAAAB8SEAEjRWeJq83vASNFZ4mrze8aBWV6ZHJtSPPGiZsG" {
		t.Errorf("Widevine PSSH %s", got)
	}
	pr := signal(drm.PlayReadySystemID, drm.Want{PSSH: true, SmoothStreaming: true})
	if got := base64.StdEncoding.EncodeToString(pr.PSSH); got != r3PSSH || pr.SmoothStreaming != r3PRO {
		t.Errorf("PlayReady PSSH %s\nSmooth %s", got, pr.SmoothStreaming)
	}
	fp := signal(drm.FairPlaySystemID, drm.Want{PSSH: true, HLS: true})
	if !strings.Contains(fp.HLSAttributes, `URI="skd://01234567-89ab-cdef-0123-456789abcdef:0123456789abcdef0123456789abcdef"`) || fp.PSSH != nil {
		t.Errorf("FairPlay %+v", fp)
	}
}

// TestChildren pins each system's static capability (the check that
// refuses a request before any key is fetched) and shows that Signal fills
// exactly what Children promises: for every supported scheme and every
// combination of listed children, each wanted child comes back (FairPlay's
// PSSH has no form and stays empty) and nothing else does.
func TestChildren(t *testing.T) {
	r, err := drm.NewRegistryFromConfig(drm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	all := drm.Want{PSSH: true, ContentProtectionData: true, HLS: true, SmoothStreaming: true}
	for _, tc := range []struct {
		id   uuid.UUID
		want drm.Want
	}{
		{drm.CommonSystemID, drm.Want{PSSH: true, ContentProtectionData: true}},
		{drm.ClearKeyAES128SystemID, drm.Want{HLS: true}},
		{drm.WidevineSystemID, drm.Want{PSSH: true, ContentProtectionData: true, HLS: true}},
		{drm.PlayReadySystemID, all},
		{drm.FairPlaySystemID, drm.Want{PSSH: true, HLS: true}},
	} {
		sys, ok := r.Lookup(tc.id)
		if !ok {
			t.Fatalf("%s not registered", tc.id)
		}
		can := sys.Children()
		if can != tc.want {
			t.Errorf("%s: Children %+v, want %+v", tc.id, can, tc.want)
		}
		if got := all.Unsupported(can); (got == "") != (can == all) {
			t.Errorf("%s: Unsupported(%+v) = %q", tc.id, can, got)
		}
		key, _ := keys.NewKey([]byte("0123456789abcdef"))
		for _, sc := range []drm.Scheme{drm.CENC, drm.CBC1, drm.CENS, drm.CBCS} {
			if !sys.Supports(sc) {
				continue
			}
			for bits := range 16 {
				w := drm.Want{PSSH: bits&1 != 0, ContentProtectionData: bits&2 != 0, HLS: bits&4 != 0, SmoothStreaming: bits&8 != 0}
				if w.Unsupported(can) != "" {
					continue
				}
				s, err := sys.Signal(drm.Input{ContentID: "c", KID: kidEZDRM, Key: key, Scheme: sc, Want: w, BaseURL: "https://k.example"})
				if err != nil {
					t.Fatalf("%s %s %+v: %v", tc.id, sc, w, err)
				}
				got := drm.Want{PSSH: s.PSSH != nil, ContentProtectionData: s.ContentProtectionData != nil, HLS: s.HLSAttributes != "", SmoothStreaming: s.SmoothStreaming != ""}
				expect := w
				if tc.id == drm.FairPlaySystemID {
					expect.PSSH = false
				}
				if got != expect {
					t.Errorf("%s %s: wanted %+v, filled %+v", tc.id, sc, w, got)
				}
			}
		}
	}
}

func TestWantUnsupported(t *testing.T) {
	for _, tc := range []struct {
		w, can drm.Want
		want   string
	}{
		{drm.Want{}, drm.Want{}, ""},
		{drm.Want{PSSH: true}, drm.Want{}, drm.ChildPSSH},
		{drm.Want{PSSH: true, ContentProtectionData: true}, drm.Want{PSSH: true}, drm.ChildCPD},
		{drm.Want{HLS: true}, drm.Want{PSSH: true, ContentProtectionData: true}, drm.ChildHLS},
		{drm.Want{SmoothStreaming: true, PSSH: true}, drm.Want{PSSH: true, HLS: true}, drm.ChildSmoothStreaming},
		{drm.Want{HLS: true}, drm.Want{HLS: true, PSSH: true}, ""},
	} {
		if got := tc.w.Unsupported(tc.can); got != tc.want {
			t.Errorf("%+v.Unsupported(%+v) = %q, want %q", tc.w, tc.can, got, tc.want)
		}
	}
}
