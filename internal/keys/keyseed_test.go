package keys_test

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// testKeySeed is the well-known PlayReady test key seed; the expected
// keys below are its known test vectors.
const testKeySeed = "XVBovsmzhP9gRIZxWfFta3VVRPzVEWmJsazEJ46I"

func TestPlayReadyKeySeedVectors(t *testing.T) {
	seed, err := base64.StdEncoding.DecodeString(testKeySeed)
	if err != nil {
		t.Fatal(err)
	}
	p, err := keys.NewPlayReadyKeySeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ kid, key string }{
		{"10000000-1000-1000-1000-100000000001", "3a2a1b68dd2bd9b2eeb25e84c4776668"},
		{"10000000-1000-1000-1000-100000000002", "07e4d653cfb45c66158d93ffce422907"},
		{"a1b1c1d1-a2b2-a3b3-a4b4-a5b5c5d5e5f5", "2539fa84b987416009a7fbba11b239ab"},
		{"01020304-0506-0708-090a-aabbccddeeff", "1947f5eba3d06f1fac8010038f204cbf"},
		{"09e091ab-f838-41d2-9e35-58531fd19ec7", "9cb061164b7013eaefcc7d6d18424c2c"},
		{"00000000-0000-0000-0000-000000000000", "931c4138383977494591e3430dd69020"},
	} {
		t.Run(tc.kid, func(t *testing.T) {
			t.Parallel()
			k := p.Derive(uuid.MustParse(tc.kid))
			got := k.Reveal()
			if hex.EncodeToString(got[:]) != tc.key {
				t.Errorf("Derive(%s) = %x, want %s", tc.kid, got, tc.key)
			}
		})
	}
}

func TestPlayReadyKeySeedLength(t *testing.T) {
	seed, _ := base64.StdEncoding.DecodeString(testKeySeed)
	kid := uuid.MustParse("10000000-1000-1000-1000-100000000001")
	for _, tc := range []struct {
		name    string
		seed    []byte
		wantErr error
	}{
		{"empty", nil, keys.ErrKeySeedSize},
		{"29 bytes", seed[:29], keys.ErrKeySeedSize},
		{"30 bytes", seed, nil},
		// Only the first 30 bytes count, as on a PlayReady license server.
		{"32 bytes", append(append([]byte{}, seed...), 0xff, 0xee), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := keys.NewPlayReadyKeySeed(tc.seed)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			k := p.Derive(kid)
			if got := k.Reveal(); hex.EncodeToString(got[:]) != "3a2a1b68dd2bd9b2eeb25e84c4776668" {
				t.Errorf("key = %x", got)
			}
		})
	}
}
