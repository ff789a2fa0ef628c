package keys

import (
	"crypto/sha256"
	"errors"

	"github.com/speke-go/keyprovider/internal/uuid"
)

// PlayReadyKeySeedSize is the number of seed bytes the PlayReady key-seed
// derivation uses. Longer seeds are accepted and their tail is ignored,
// because that is what PlayReady license servers do with the same seed.
const PlayReadyKeySeedSize = 30

// ErrKeySeedSize is returned for a PlayReady key seed shorter than 30 bytes.
var ErrKeySeedSize = errors.New("keys: PlayReady key seed must be at least 30 bytes")

// PlayReadyKeySeed derives content keys from a PlayReady key seed with the
// algorithm Microsoft specifies for PlayReady license servers, so a license
// server holding the same seed computes the same key from the KID alone.
//
// The key depends on the KID only, never on the content ID: two titles that
// share a KID share a key. It is safe for concurrent use.
type PlayReadyKeySeed struct{ seed [PlayReadyKeySeedSize]byte }

// NewPlayReadyKeySeed returns a deriver for the first 30 bytes of seed.
func NewPlayReadyKeySeed(seed []byte) (*PlayReadyKeySeed, error) {
	if len(seed) < PlayReadyKeySeedSize {
		return nil, ErrKeySeedSize
	}
	p := &PlayReadyKeySeed{}
	copy(p.seed[:], seed)
	return p, nil
}

// Derive returns the key for kid.
func (p *PlayReadyKeySeed) Derive(kid uuid.UUID) Key {
	// PlayReady hashes the KID in its little-endian GUID byte order.
	g := kid.GUIDBytes()
	s, k := p.seed[:], g[:]
	a := digest(s, k)
	b := digest(s, k, s)
	c := digest(s, k, s, k)
	var key Key
	for i := range Size {
		key.b[i] = a[i] ^ a[i+Size] ^ b[i] ^ b[i+Size] ^ c[i] ^ c[i+Size]
	}
	return key
}

func digest(parts ...[]byte) [sha256.Size]byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}
