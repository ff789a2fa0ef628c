package drm_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/drm/drmtest"
	"github.com/speke-go/keyprovider/internal/uuid"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func asciiUUID(s string) uuid.UUID {
	var u uuid.UUID
	copy(u[:], s)
	return u
}

// checkWithMP4ff decodes box with the independent decoder and compares it
// with what the box was built from.
func checkWithMP4ff(t *testing.T, box []byte, want drm.PSSHBox) {
	t.Helper()
	got, err := drmtest.DecodePSSH(box)
	if err != nil {
		t.Fatalf("mp4ff: %v", err)
	}
	if got.Version != int(want.Version) || got.Flags != 0 || got.SystemID != want.SystemID.String() {
		t.Errorf("mp4ff: version %d flags %d system %s, want %d 0 %s", got.Version, got.Flags, got.SystemID, want.Version, want.SystemID)
	}
	var wantKIDs []string
	for _, k := range want.KIDs {
		wantKIDs = append(wantKIDs, k.String())
	}
	if !slices.Equal(got.KIDs, wantKIDs) {
		t.Errorf("mp4ff: KIDs %v, want %v", got.KIDs, wantKIDs)
	}
	if !bytes.Equal(got.Data, want.Data) {
		t.Errorf("mp4ff: data %x, want %x", got.Data, want.Data)
	}
}

// Public vectors P1 and P2: W3C common boxes, encode-exact
// and parsed back.
func TestPSSHCommonVectors(t *testing.T) {
	tests := []struct {
		id   string
		box  drm.PSSHBox
		want []byte
	}{
		{"P1", drm.PSSHBox{Version: 1, SystemID: drm.CommonSystemID,
			KIDs: []uuid.UUID{asciiUUID("0123456789012345"), asciiUUID("ABCDEFGHIJKLMNOP")}},
			mustHex(t, "00000044"+"70737368"+"01000000"+"1077efecc0b24d02ace33c1e52e2fb4b"+
				"00000002"+"30313233343536373839303132333435"+"4142434445464748494a4b4c4d4e4f50"+"00000000")},
		{"P2", drm.PSSHBox{Version: 1, SystemID: drm.CommonSystemID,
			KIDs: []uuid.UUID{uuid.MustParse("10000000-1000-1000-1000-100000000001")}},
			mustB64(t, "AAAANHBzc2gBAAAAEHfv7MCyTQKs4zweUuL7SwAAAAEQAAAAEAAQABAAEAAAAAABAAAAAA==")},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got := tt.box.Marshal()
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("Marshal:\n got %x\nwant %x", got, tt.want)
			}
			p, err := parsePSSH(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if p.Version != tt.box.Version || p.SystemID != tt.box.SystemID || !slices.Equal(p.KIDs, tt.box.KIDs) || len(p.Data) != 0 {
				t.Errorf("ParsePSSH = %+v", p)
			}
			checkWithMP4ff(t, got, tt.box)
		})
	}
}

func TestParsePSSHRejects(t *testing.T) {
	valid := drm.PSSHBox{Version: 1, SystemID: drm.CommonSystemID,
		KIDs: []uuid.UUID{uuid.MustParse("10000000-1000-1000-1000-100000000001")}, Data: []byte{1, 2}}.Marshal()
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(valid)) }
	tests := map[string][]byte{
		"empty":             nil,
		"short":             valid[:31],
		"size too big":      mutate(func(b []byte) []byte { b[3]++; return b }),
		"size zero":         mutate(func(b []byte) []byte { b[3] = 0; return b }),
		"largesize":         mutate(func(b []byte) []byte { b[3] = 1; return b }),
		"trailing byte":     append(bytes.Clone(valid), 0),
		"type":              mutate(func(b []byte) []byte { b[4] = 'P'; return b }),
		"version 2":         mutate(func(b []byte) []byte { b[8] = 2; return b }),
		"flags":             mutate(func(b []byte) []byte { b[11] = 1; return b }),
		"kid count too big": mutate(func(b []byte) []byte { b[31] = 2; return b }),
		"kid count huge":    mutate(func(b []byte) []byte { b[28] = 0xff; return b }),
		"data size short":   mutate(func(b []byte) []byte { b[51] = 1; return b }),
		"data size long":    mutate(func(b []byte) []byte { b[51] = 3; return b }),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := parsePSSH(b); !errors.Is(err, errMalformedPSSH) {
				t.Errorf("err = %v, want ErrMalformedPSSH", err)
			}
		})
	}
	if _, err := parsePSSH(valid); err != nil {
		t.Fatalf("the unmutated box: %v", err)
	}
}

// FuzzParsePSSH checks that every accepted box marshals back to exactly
// its input, and that mp4ff agrees on what it contains.
func FuzzParsePSSH(f *testing.F) {
	for _, s := range []string{
		"AAAANHBzc2gBAAAAEHfv7MCyTQKs4zweUuL7SwAAAAEQAAAAEAAQABAAEAAAAAABAAAAAA==",
		"AAAAP3Bzc2gAAAAA7e+LqXnWSs6jyCfc1R0h7QAAAB8SEAEjRWeJq83vASNFZ4mrze8aBWV6ZHJtSPPGiZsG",
		"AAAAUXBzc2gBAAAA7e+LqXnWSs6jyCfc1R0h7QAAAAEQAAAAEAAQABAAEAAAAAABAAAAHRoNd2lkZXZpbmVfdGVzdCIMdGVzdCBjb250ZW50",
	} {
		b, _ := base64.StdEncoding.DecodeString(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parsePSSH(b)
		if err != nil {
			if !errors.Is(err, errMalformedPSSH) {
				t.Fatalf("error %v does not wrap ErrMalformedPSSH", err)
			}
			return
		}
		if got := p.Marshal(); !bytes.Equal(got, b) {
			t.Fatalf("round trip:\n got %x\nwant %x", got, b)
		}
		checkWithMP4ff(t, b, p)
	})
}

func ExamplePSSHBox_Marshal() {
	box := drm.PSSHBox{
		Version:  1,
		SystemID: drm.CommonSystemID,
		KIDs:     []uuid.UUID{uuid.MustParse("10000000-1000-1000-1000-100000000001")},
	}.Marshal()
	fmt.Println(len(box), base64.StdEncoding.EncodeToString(box))
	// Output: 52 AAAANHBzc2gBAAAAEHfv7MCyTQKs4zweUuL7SwAAAAEQAAAAEAAQABAAEAAAAAABAAAAAA==
}

func mustUUID(t testing.TB, s string) uuid.UUID {
	t.Helper()
	u, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Box layout sizes: a v0 box is psshFixedSize + len(Data); a v1 box adds
// the KID count and 16 bytes per KID.
const (
	psshFixedSize = 4 + 4 + 4 + 16 + 4 // size, type, version+flags, SystemID, DataSize
	kidCountSize  = 4
	kidSize       = 16
	// maxPSSHSize keeps a hostile KID count or DataSize from asking for
	// large allocations in the fuzz target.
	maxPSSHSize = 64 << 10
)

var errMalformedPSSH = errors.New("malformed pssh box")

// parsePSSH is the test oracle for Marshal: it decodes exactly one whole
// pssh box, strictly, so that Marshal(parsePSSH(b)) == b for every accepted b: the size field must equal
// len(b) (no 64-bit largesize, no "to end of file" size 0, no trailing
// bytes), the version must be 0 or 1, the flags zero, and the KID list and
// Data must fill the box exactly. An empty Data comes back as nil.
func parsePSSH(b []byte) (drm.PSSHBox, error) {
	if len(b) < psshFixedSize {
		return drm.PSSHBox{}, psshErrorf("%d bytes, shorter than the %d-byte minimum", len(b), psshFixedSize)
	}
	if len(b) > maxPSSHSize {
		return drm.PSSHBox{}, psshErrorf("%d bytes, over the %d-byte limit", len(b), maxPSSHSize)
	}
	if size := binary.BigEndian.Uint32(b[0:4]); size != uint32(len(b)) {
		return drm.PSSHBox{}, psshErrorf("size field %d, box is %d bytes", size, len(b))
	}
	if string(b[4:8]) != "pssh" {
		return drm.PSSHBox{}, psshErrorf("box type %q", b[4:8])
	}
	var p drm.PSSHBox
	p.Version = b[8]
	if p.Version > 1 {
		return drm.PSSHBox{}, psshErrorf("version %d", p.Version)
	}
	if b[9] != 0 || b[10] != 0 || b[11] != 0 {
		return drm.PSSHBox{}, psshErrorf("non-zero flags")
	}
	copy(p.SystemID[:], b[12:28])
	rest := b[28:]
	if p.Version == 1 {
		if len(rest) < kidCountSize {
			return drm.PSSHBox{}, psshErrorf("no room for the KID count")
		}
		n := binary.BigEndian.Uint32(rest)
		rest = rest[kidCountSize:]
		// Compare in uint64 so a huge count cannot overflow the product.
		if uint64(n)*kidSize > uint64(len(rest)) {
			return drm.PSSHBox{}, psshErrorf("KID count %d does not fit", n)
		}
		p.KIDs = make([]uuid.UUID, n)
		for i := range p.KIDs {
			copy(p.KIDs[i][:], rest[:kidSize])
			rest = rest[kidSize:]
		}
	}
	if len(rest) < 4 {
		return drm.PSSHBox{}, psshErrorf("no room for DataSize")
	}
	n := binary.BigEndian.Uint32(rest)
	rest = rest[4:]
	if uint64(n) != uint64(len(rest)) {
		return drm.PSSHBox{}, psshErrorf("DataSize %d, %d bytes left", n, len(rest))
	}
	if n > 0 {
		p.Data = append([]byte(nil), rest...)
	}
	return p, nil
}

func psshErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errMalformedPSSH}, args...)...)
}
