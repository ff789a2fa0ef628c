package keys

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"

	"github.com/speke-go/keyprovider/internal/uuid"
)

// SeedSize is the length of an HKDF seed in bytes.
const SeedSize = 32

// hkdfInfoLabel versions the derivation: changing it changes every key, so
// it never changes for an existing deployment.
const hkdfInfoLabel = "speke-go content key v1"

// ErrSeedSize is returned for an HKDF seed that is not SeedSize bytes.
var ErrSeedSize = errors.New("keys: HKDF seed must be 32 bytes")

// HKDF derives content keys from a 32-byte seed with HKDF-SHA256.
//
// The HKDF info is the label, a zero byte, the content ID's length as a
// 4-byte big-endian integer, the content ID, and the 16 KID bytes. The
// length prefix makes the encoding injective: no (contentID, kid) pair can
// produce the info of another pair.
//
// HKDF's extract step depends on the seed alone (the salt is empty), so its
// output, the pseudorandom key, is computed once here and each key costs
// one expand: the same keys as hkdf.Key, at a fraction of the hashing.
type HKDF struct{ prk []byte }

// NewHKDF returns a deriver for seed.
func NewHKDF(seed []byte) (*HKDF, error) {
	if len(seed) != SeedSize {
		return nil, ErrSeedSize
	}
	prk, err := hkdf.Extract(sha256.New, seed, nil)
	if err != nil {
		return nil, err
	}
	return &HKDF{prk: prk}, nil
}

// Derive returns the key for (contentID, kid).
func (h *HKDF) Derive(contentID string, kid uuid.UUID) Key {
	x := h.newExpander(len(contentID))
	defer x.clear()
	return x.key(contentID, kid)
}

// DeriveAll returns the keys for kids under contentID, in order: the same
// keys as Derive, with one HMAC set up for all of them.
func (h *HKDF) DeriveAll(contentID string, kids []uuid.UUID) []Key {
	out := make([]Key, len(kids))
	x := h.newExpander(len(contentID))
	defer x.clear()
	for i, kid := range kids {
		out[i] = x.key(contentID, kid)
	}
	return out
}

// expander is HKDF-Expand (RFC 5869 §2.3) for keys of one content ID. A
// key is shorter than a SHA-256 output, so it is the first block of the
// expansion alone, T(1) = HMAC-SHA256(PRK, info || 0x01), exactly what
// hkdf.Expand computes for it (the tests compare the two). Computing it
// here lets the keys of a request share one HMAC keyed with the PRK, whose
// Reset restores the keyed state instead of hashing both pads again as a
// new hkdf.Expand does for every key. An expander lives for one call and
// is cleared when it ends; it is never shared.
type expander struct {
	mac hash.Hash
	buf []byte // info, then the HMAC output
}

func (h *HKDF) newExpander(contentIDLen int) *expander {
	n := len(hkdfInfoLabel) + 1 + 4 + contentIDLen + 16 + 1
	return &expander{mac: hmac.New(sha256.New, h.prk), buf: make([]byte, 0, max(n, sha256.Size))}
}

func (x *expander) key(contentID string, kid uuid.UUID) Key {
	info := append(x.buf[:0], hkdfInfoLabel...)
	info = append(info, 0)
	info = binary.BigEndian.AppendUint32(info, uint32(len(contentID)))
	info = append(info, contentID...)
	info = append(info, kid[:]...)
	info = append(info, 1) // the block counter of T(1)
	x.mac.Reset()
	x.mac.Write(info)
	out := x.mac.Sum(info[:0])
	var k Key
	copy(k.b[:], out)
	return k
}

// clear zeroes the last output, which holds key bytes.
func (x *expander) clear() { clear(x.buf[:cap(x.buf)]) }

// ivLabel separates the IV derivation from any other use of the key.
const ivLabel = "speke-go iv v1"

// DeriveIV returns a deterministic IV for a key that has none from the
// request: HMAC-SHA256 keyed with the content key over a label, the content
// ID and the KID, truncated to 16 bytes. It depends only on values every
// Source reproduces, so it is as stable as the key, and it reveals nothing
// about the key. It is never equal to the key: on that (2^-128) event one
// bit is flipped.
func DeriveIV(k Key, contentID string, kid uuid.UUID) IV {
	// One buffer for a copy of the key, the message and then the MAC:
	// what hmac.New and each Write through hash.Hash are given is
	// allocated. The key copy is zeroed as soon as hmac.New has read it.
	n := len(ivLabel) + 1 + 4 + len(contentID) + 16
	buf := make([]byte, Size, Size+max(n, sha256.Size))
	key := buf[:Size:Size]
	copy(key, k.b[:])
	m := hmac.New(sha256.New, key)
	clear(key)
	msg := append(buf[Size:], ivLabel...)
	msg = append(msg, 0)
	msg = binary.BigEndian.AppendUint32(msg, uint32(len(contentID)))
	msg = append(msg, contentID...)
	msg = append(msg, kid[:]...)
	m.Write(msg)
	var iv IV
	copy(iv[:], m.Sum(msg[:0]))
	if iv == IV(k.b) {
		iv[15] ^= 1
	}
	return iv
}
