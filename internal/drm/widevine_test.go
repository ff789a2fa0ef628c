package drm_test

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/drm/drmtest"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/uuid"
)

var (
	kid1000  = uuid.MustParse("10000000-1000-1000-1000-100000000001")
	kidEZDRM = uuid.MustParse("01234567-89ab-cdef-0123-456789abcdef")
)

func mustKey(t testing.TB, hexKey string) keys.Key {
	t.Helper()
	k, err := keys.NewKey(mustHex(t, hexKey))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Encode-exact public vectors for Widevine (Shaka Packager's raw-key
// tutorial, EZDRM's CPIX sample in DASH-IF livesim2, Shaka Player's
// Clear Key test asset, Unified Streaming's CPIX documentation, Bento4
// output): each box is rebuilt from its decoded fields and must match byte
// for byte, and the independent decoders must read back the same fields.
func TestWidevineVectors(t *testing.T) {
	tests := []struct {
		id   string
		box  drm.PSSHBox // Data left nil: filled from data
		data drm.WidevinePsshData
		want []byte
	}{
		{id: "W1", data: drm.WidevinePsshData{Provider: "widevine_test", ContentID: []byte("test content id")},
			want: mustHex(t, "000000407073736800000000edef8ba979d64acea3c827dcd51d21ed000000201a0d7769646576696e655f74657374220f7465737420636f6e74656e74206964")},
		{id: "W2", data: drm.WidevinePsshData{ContentID: []byte("test content id")},
			want: mustHex(t, "000000317073736800000000EDEF8BA979D64ACEA3C827DCD51D21ED00000011220F7465737420636F6E74656E74206964")},
		{id: "W4", data: drm.WidevinePsshData{KeyIDs: []uuid.UUID{kidEZDRM}, Provider: "ezdrm", ProtectionScheme: drm.CBCS},
			want: mustB64(t, "AAAAP3Bzc2gAAAAA7e+LqXnWSs6jyCfc1R0h7QAAAB8SEAEjRWeJq83vASNFZ4mrze8aBWV6ZHJtSPPGiZsG")},
		{id: "W5", data: drm.WidevinePsshData{ProtectionScheme: drm.CENC, KeyIDs: []uuid.UUID{
			uuid.MustParse("4060a865-8878-4267-9cbf-91ae5bae1e72"), uuid.MustParse("4060a865-8878-4267-9cbf-91ae5bae1e72"), uuid.MustParse("4060a865-8878-4267-9cbf-91ae5bae1e72")}},
			want: mustB64(t, "AAAAXHBzc2gAAAAA7e+LqXnWSs6jyCfc1R0h7QAAADwSEEBgqGWIeEJnnL+RrluuHnISEEBgqGWIeEJnnL+RrluuHnISEEBgqGWIeEJnnL+RrluuHnJI49yVmwY=")},
		{id: "W6", data: drm.WidevinePsshData{ProtectionScheme: drm.CENC, KeyIDs: []uuid.UUID{
			uuid.MustParse("312e3362-3410-469a-b536-b9c9d0cafc31"), uuid.MustParse("312e3362-3410-469a-b536-b9c9d0cafc31")}},
			want: mustB64(t, "AAAASnBzc2gAAAAA7e+LqXnWSs6jyCfc1R0h7QAAACoSEDEuM2I0EEaatTa5ydDK/DESEDEuM2I0EEaatTa5ydDK/DFI49yVmwY=")},
		{id: "W7", box: drm.PSSHBox{Version: 1, KIDs: []uuid.UUID{kid1000}},
			data: drm.WidevinePsshData{Provider: "widevine_test", ContentID: []byte("test content")},
			want: mustB64(t, "AAAAUXBzc2gBAAAA7e+LqXnWSs6jyCfc1R0h7QAAAAEQAAAAEAAQABAAEAAAAAABAAAAHRoNd2lkZXZpbmVfdGVzdCIMdGVzdCBjb250ZW50")},
		{id: "W8", data: drm.WidevinePsshData{Provider: "widevine_test", ContentID: []byte("test content")},
			want: mustB64(t, "AAAAPXBzc2gAAAAA7e+LqXnWSs6jyCfc1R0h7QAAAB0aDXdpZGV2aW5lX3Rlc3QiDHRlc3QgY29udGVudA==")},
		{id: "W9", data: drm.WidevinePsshData{KeyIDs: []uuid.UUID{kid1000}, Provider: "widevine_test", ContentID: []byte("test content id"), ProtectionScheme: drm.CENC},
			want: mustB64(t, "AAAAWHBzc2gAAAAA7e+LqXnWSs6jyCfc1R0h7QAAADgSEBAAAAAQABAAEAAQAAAAAAEaDXdpZGV2aW5lX3Rlc3QiD3Rlc3QgY29udGVudCBpZEjj3JWbBg==")},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			box := tt.box
			box.SystemID = drm.WidevineSystemID
			box.Data = tt.data.Marshal()
			got := box.Marshal()
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("box:\n got %x\nwant %x", got, tt.want)
			}
			checkWithMP4ff(t, got, box)
			p, err := parsePSSH(tt.want)
			if err != nil || !bytes.Equal(p.Data, box.Data) {
				t.Fatalf("ParsePSSH: %v, data %x", err, p.Data)
			}
			checkWidevineData(t, box.Data, tt.data)
		})
	}
}

// checkWidevineData decodes data with protowire and compares it with the
// message it was built from.
func checkWidevineData(t *testing.T, data []byte, want drm.WidevinePsshData) {
	t.Helper()
	w, err := drmtest.DecodeWidevineData(data)
	if err != nil {
		t.Fatalf("protowire: %v", err)
	}
	var wantKIDs []string
	for _, k := range want.KeyIDs {
		wantKIDs = append(wantKIDs, k.String())
	}
	if !slices.Equal(w.KeyIDs, wantKIDs) || w.Provider != want.Provider ||
		!bytes.Equal(w.ContentID, want.ContentID) || w.SchemeString() != string(want.ProtectionScheme) || w.Algorithm != nil {
		t.Errorf("protowire decoded %+v (scheme %q), want %+v", w, w.SchemeString(), want)
	}
	if !slices.IsSorted(w.Fields) {
		t.Errorf("fields out of order: %v", w.Fields)
	}
}

// W4d: the data bytes of W4 on their own.
func TestWidevineW4Data(t *testing.T) {
	d := drm.WidevinePsshData{KeyIDs: []uuid.UUID{kidEZDRM}, Provider: "ezdrm", ProtectionScheme: drm.CBCS}
	want := mustHex(t, "12100123456789abcdef0123456789abcdef1a05657a64726d48f3c6899b06")
	if got := d.Marshal(); !bytes.Equal(got, want) {
		t.Fatalf("got %x, want %x", got, want)
	}
}

// S1: protection_scheme varints for the four schemes.
func TestWidevineSchemeVarints(t *testing.T) {
	for scheme, want := range map[drm.Scheme]string{
		drm.CENC: "48e3dc959b06", drm.CBC1: "48b1c6899b06", drm.CENS: "48f3dc959b06", drm.CBCS: "48f3c6899b06",
	} {
		got := drm.WidevinePsshData{ProtectionScheme: scheme}.Marshal()
		if !bytes.Equal(got, mustHex(t, want)) {
			t.Errorf("%s: got %x, want %s", scheme, got, want)
		}
		w, err := drmtest.DecodeWidevineData(got)
		if err != nil || w.SchemeString() != string(scheme) {
			t.Errorf("%s: protowire gives %q, %v", scheme, w.SchemeString(), err)
		}
	}
}

// W3 carries the deprecated algorithm field, which this project never
// writes: decode-only, through mp4ff and protowire.
func TestWidevineW3DecodeOnly(t *testing.T) {
	box := mustB64(t, "AAAANHBzc2gAAAAA7e+LqXnWSs6jyCfc1R0h7QAAABQIARIQnrQFDeRLSAKTLifXUIPiZg==")
	p, err := drmtest.DecodePSSH(box)
	if err != nil || p.SystemID != drmtest.WidevineID || p.Version != 0 {
		t.Fatalf("mp4ff: %+v, %v", p, err)
	}
	w, err := drmtest.DecodeWidevineData(p.Data)
	if err != nil {
		t.Fatal(err)
	}
	if w.Algorithm == nil || *w.Algorithm != 1 || !slices.Equal(w.KeyIDs, []string{"9eb4050d-e44b-4802-932e-27d75083e266"}) {
		t.Errorf("decoded %+v", w)
	}
	// Our encoder, given the same KID, writes the same key_id field and
	// nothing for algorithm.
	ours := drm.WidevinePsshData{KeyIDs: []uuid.UUID{uuid.MustParse("9eb4050d-e44b-4802-932e-27d75083e266")}}.Marshal()
	if !bytes.Equal(ours, p.Data[2:]) {
		t.Errorf("key_id field %x, W3 has %x", ours, p.Data[2:])
	}
}

func TestWidevineSignal(t *testing.T) {
	all := drm.Want{PSSH: true, ContentProtectionData: true, HLS: true}
	tests := []struct {
		name   string
		w      drm.Widevine
		scheme drm.Scheme
		method string
		data   drm.WidevinePsshData
	}{
		{"cenc default", drm.Widevine{}, drm.CENC, "SAMPLE-AES-CTR",
			drm.WidevinePsshData{KeyIDs: []uuid.UUID{kid1000}, ProtectionScheme: drm.CENC}},
		{"cbcs default", drm.Widevine{}, drm.CBCS, "SAMPLE-AES",
			drm.WidevinePsshData{KeyIDs: []uuid.UUID{kid1000}, ProtectionScheme: drm.CBCS}},
		{"provider and content id", drm.Widevine{Provider: "widevine_test", IncludeContentID: true}, drm.CENC, "SAMPLE-AES-CTR",
			drm.WidevinePsshData{KeyIDs: []uuid.UUID{kid1000}, Provider: "widevine_test", ContentID: []byte("test content id"), ProtectionScheme: drm.CENC}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := drm.Input{ContentID: "test content id", KID: kid1000, Key: mustKey(t, "3a2a1b68dd2bd9b2eeb25e84c4776668"), Scheme: tt.scheme, Want: all}
			s, err := tt.w.Signal(in)
			if err != nil {
				t.Fatal(err)
			}
			checkWithMP4ff(t, s.PSSH, drm.PSSHBox{SystemID: drm.WidevineSystemID, Data: tt.data.Marshal()})
			p, _ := drmtest.DecodePSSH(s.PSSH)
			checkWidevineData(t, p.Data, tt.data)
			b64 := base64.StdEncoding.EncodeToString(s.PSSH)
			if want := `<cenc:pssh xmlns:cenc="urn:mpeg:cenc:2013">` + b64 + `</cenc:pssh>`; string(s.ContentProtectionData) != want {
				t.Errorf("CPD %s, want %s", s.ContentProtectionData, want)
			}
			want := "METHOD=" + tt.method + `,URI="data:text/plain;base64,` + b64 +
				`",KEYFORMAT="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed",KEYFORMATVERSIONS="1"`
			if s.HLSAttributes != want {
				t.Errorf("HLS\n got %s\nwant %s", s.HLSAttributes, want)
			}
			if s.SmoothStreaming != "" {
				t.Error("Smooth filled without being asked")
			}
		})
	}
	// W9 end to end: Signal with provider and content ID gives Bento4's box.
	w := drm.Widevine{Provider: "widevine_test", IncludeContentID: true}
	s, err := w.Signal(drm.Input{ContentID: "test content id", KID: kid1000, Scheme: drm.CENC, Want: drm.Want{PSSH: true}})
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.StdEncoding.EncodeToString(s.PSSH); got != "AAAAWHBzc2gAAAAA7e+LqXnWSs6jyCfc1R0h7QAAADgSEBAAAAAQABAAEAAQAAAAAAEaDXdpZGV2aW5lX3Rlc3QiD3Rlc3QgY29udGVudCBpZEjj3JWbBg==" {
		t.Errorf("W9 via Signal: %s", got)
	}
	if s.ContentProtectionData != nil || s.HLSAttributes != "" {
		t.Error("children filled without being asked")
	}
}

// H1 adapted: for the W4 inputs, both our lines equal EZDRM's
// EXT-X-SESSION-KEY attributes, i.e. EZDRM's media line without KEYID (we
// emit identical attributes on media and master).
func TestWidevineHLSH1(t *testing.T) {
	w := drm.Widevine{Provider: "ezdrm"}
	s, err := w.Signal(drm.Input{KID: kidEZDRM, Scheme: drm.CBCS, Want: drm.Want{HLS: true}})
	if err != nil {
		t.Fatal(err)
	}
	master := `#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES,URI="data:text/plain;base64,AAAAP3Bzc2gAAAAA7e+LqXnWSs6jyCfc1R0h7QAAAB8SEAEjRWeJq83vASNFZ4mrze8aBWV6ZHJtSPPGiZsG",KEYFORMAT="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed",KEYFORMATVERSIONS="1"`
	ezdrmMedia := `#EXT-X-KEY:METHOD=SAMPLE-AES,KEYID=0x0123456789ABCDEF0123456789ABCDEF,URI="data:text/plain;base64,AAAAP3Bzc2gAAAAA7e+LqXnWSs6jyCfc1R0h7QAAAB8SEAEjRWeJq83vASNFZ4mrze8aBWV6ZHJtSPPGiZsG",KEYFORMAT="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed",KEYFORMATVERSIONS="1"`
	if got := "#EXT-X-SESSION-KEY:" + s.HLSAttributes; got != master {
		t.Errorf("master\n got %s\nwant %s", got, master)
	}
	if got, want := "#EXT-X-KEY:"+s.HLSAttributes, strings.Replace(ezdrmMedia, "KEYID=0x0123456789ABCDEF0123456789ABCDEF,", "", 1); got != want {
		t.Errorf("media\n got %s\nwant %s", got, want)
	}
}

func TestWidevineRefuses(t *testing.T) {
	w := &drm.Widevine{}
	for _, s := range []drm.Scheme{drm.CBC1, drm.CENS, "", "CENC"} {
		if w.Supports(s) {
			t.Errorf("Supports(%q)", s)
		}
	}
	if !w.Supports(drm.CENC) || !w.Supports(drm.CBCS) || w.NeedsIV() {
		t.Error("cenc/cbcs support or NeedsIV wrong")
	}
}
