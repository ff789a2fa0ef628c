package keys

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"

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
// one expand: the same keys as hkdf.Key, at half the hashing.
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
	info := make([]byte, 0, len(hkdfInfoLabel)+1+4+len(contentID)+16)
	info = append(info, hkdfInfoLabel...)
	info = append(info, 0)
	info = binary.BigEndian.AppendUint32(info, uint32(len(contentID)))
	info = append(info, contentID...)
	info = append(info, kid[:]...)
	out, err := hkdf.Expand(sha256.New, h.prk, string(info), Size)
	if err != nil {
		// hkdf.Expand fails only for lengths beyond 255*32 bytes.
		panic("keys: hkdf: " + err.Error())
	}
	var k Key
	copy(k.b[:], out)
	return k
}

// ivLabel separates the IV derivation from any other use of the key.
const ivLabel = "speke-go iv v1"

// DeriveIV returns a deterministic IV for a key that has none from the
// request: HMAC-SHA256 keyed with the content key over a label, the content
// ID and the KID, truncated to 16 bytes. It depends only on values every
// Source reproduces, so it is as stable as the key, and it reveals nothing
// about the key. It is never equal to the key: on that (2^-128) event one
// bit is flipped.
func DeriveIV(k Key, contentID string, kid uuid.UUID) IV {
	m := hmac.New(sha256.New, k.b[:])
	m.Write([]byte(ivLabel))
	m.Write([]byte{0})
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(contentID)))
	m.Write(n[:])
	m.Write([]byte(contentID))
	m.Write(kid[:])
	var iv IV
	copy(iv[:], m.Sum(nil))
	if iv == IV(k.b) {
		iv[15] ^= 1
	}
	return iv
}
