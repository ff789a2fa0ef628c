// Package keys owns content keys: the type that carries them, the Source
// contract every key store implements, the derivations (HKDF-SHA256 from a
// seed), and the local seed-file source used by `make run`.
//
// # Threat model
//
// Content keys decrypt the customer's media. A Key therefore never prints:
// its String, Format, GoString, LogValue and MarshalText/JSON all give
// "[redacted]", so an accidental log line, %v, slog attribute or error
// string cannot leak it. The only way to the bytes is Key.Reveal, which is
// called where a key is deliberately written into a response.
package keys

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
)

// Size is the length of a content key in bytes (AES-128).
const Size = 16

const redacted = "[redacted]"

// Key is a 16-byte AES content key that redacts itself wherever it could be
// printed or serialised.
type Key struct{ b [Size]byte }

// ErrKeySize is returned by NewKey for input that is not 16 bytes long.
var ErrKeySize = errors.New("keys: content key must be 16 bytes")

// NewKey copies b into a Key.
func NewKey(b []byte) (Key, error) {
	var k Key
	if len(b) != Size {
		return Key{}, ErrKeySize
	}
	copy(k.b[:], b)
	return k, nil
}

// Reveal returns the key bytes. Call it only to put the key where it is
// meant to go (a response document, a checksum, a store write).
func (k Key) Reveal() [Size]byte { return k.b }

// IsZero reports whether the key is all zero bytes (never a valid issued key).
func (k Key) IsZero() bool { return k.b == [Size]byte{} }

// Equal compares two keys in constant time.
func (k Key) Equal(o Key) bool { return subtle.ConstantTimeCompare(k.b[:], o.b[:]) == 1 }

// String implements fmt.Stringer without revealing the key.
func (Key) String() string { return redacted }

// GoString implements fmt.GoStringer (%#v) without revealing the key.
func (Key) GoString() string { return "keys.Key{" + redacted + "}" }

// Format makes every fmt verb (%x, %d, %v, %s, ...) print "[redacted]".
func (Key) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue implements slog.LogValuer.
func (Key) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText implements encoding.TextMarshaler so JSON, XML and YAML
// encoders never see the bytes.
func (Key) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// IV is a 16-byte initialisation vector. IVs are not secret (they travel in
// playlists and in ContentKey@explicitIV), so an IV prints normally.
type IV [16]byte
