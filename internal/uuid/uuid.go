// Package uuid parses and prints the 36-character UUIDs that CPIX uses for
// key IDs (KIDs) and DRM system IDs.
//
// # Guarantees
//
// Parse accepts exactly the 8-4-4-4-12 hexadecimal form of the CPIX XSD
// UUIDType, in any letter case, and nothing else: no braces, no "urn:uuid:"
// prefix, no 32-digit form, no surrounding space. String always prints the
// canonical lowercase form, so two spellings of one KID compare equal as
// values and can never become two storage keys or two content keys.
package uuid

import (
	"encoding/hex"
	"errors"
)

// UUID is the 16 bytes of a UUID in big-endian (string) order, the order
// used by ISO BMFF (tenc, pssh) and Widevine. PlayReady's little-endian GUID
// order is a conversion done where it is needed.
type UUID [16]byte

// ErrSyntax is returned for any string that is not a 36-character UUID.
var ErrSyntax = errors.New("uuid: not a 36-character UUID")

// Parse reads a UUID in the exact 36-character form.
func Parse(s string) (UUID, error) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return UUID{}, ErrSyntax
	}
	var b [36]byte
	copy(b[:], s)
	var u UUID
	for _, g := range groups {
		if _, err := hex.Decode(u[g.at:], b[g.from:g.to]); err != nil {
			return UUID{}, ErrSyntax
		}
	}
	return u, nil
}

// groups are the five hexadecimal groups of the text form: their place in
// the text and where their bytes go.
var groups = [...]struct{ from, to, at int }{{0, 8, 0}, {9, 13, 4}, {14, 18, 6}, {19, 23, 8}, {24, 36, 10}}

// MustParse is Parse for constants; it panics on a malformed literal.
func MustParse(s string) UUID {
	u, err := Parse(s)
	if err != nil {
		panic("uuid: bad literal " + s)
	}
	return u
}

// String returns the canonical lowercase 36-character form.
func (u UUID) String() string {
	var b [36]byte
	u.appendTo(b[:0])
	return string(b[:])
}

// AppendText appends the canonical form to b (encoding.TextAppender).
func (u UUID) AppendText(b []byte) ([]byte, error) { return u.appendTo(b), nil }

func (u UUID) appendTo(b []byte) []byte {
	var tmp [36]byte
	hex.Encode(tmp[0:8], u[0:4])
	tmp[8] = '-'
	hex.Encode(tmp[9:13], u[4:6])
	tmp[13] = '-'
	hex.Encode(tmp[14:18], u[6:8])
	tmp[18] = '-'
	hex.Encode(tmp[19:23], u[8:10])
	tmp[23] = '-'
	hex.Encode(tmp[24:36], u[10:16])
	return append(b, tmp[:]...)
}

// Hex returns the 32 lowercase hex digits without dashes.
func (u UUID) Hex() string { return hex.EncodeToString(u[:]) }

// GUIDBytes returns the bytes in Microsoft GUID (little-endian) order, as
// PlayReady uses them: the first three groups are byte-reversed.
func (u UUID) GUIDBytes() [16]byte {
	g := u
	g[0], g[1], g[2], g[3] = u[3], u[2], u[1], u[0]
	g[4], g[5] = u[5], u[4]
	g[6], g[7] = u[7], u[6]
	return g
}
