package drm_test

import (
	"encoding/base64"
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
	tests := map[string]drm.Config{
		"LA_URL relative":      {PlayReadyLAURL: "/license"},
		"LA_URL ftp":           {PlayReadyLAURL: "ftp://x/"},
		"LA_URL space":         {PlayReadyLAURL: "https://x/a b"},
		"LA_URL newline":       {PlayReadyLAURL: "https://x/\n"},
		"LA_URL no host":       {PlayReadyLAURL: "https:///x"},
		"LA_URL too long":      {PlayReadyLAURL: "https://x/" + strings.Repeat("a", 8000)},
		"LUI_URL bad":          {PlayReadyLUIURL: "lui"},
		"DS_ID not base64":     {PlayReadyDSID: "not base64!"},
		"DS_ID 15 bytes":       {PlayReadyDSID: "AAAAAAAAAAAAAAAAAAAA"},
		"provider control":     {WidevineProvider: "a\x00b"},
		"provider long":        {WidevineProvider: strings.Repeat("p", 256)},
		"skd unknown":          {FairPlaySKDTemplate: "skd://{key}"},
		"skd scheme":           {FairPlaySKDTemplate: "https://{kid}"},
		"provider invalid utf": {WidevineProvider: "\xff"},
	}
	for name, c := range tests {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if _, err := drm.NewRegistryFromConfig(c); err == nil {
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
