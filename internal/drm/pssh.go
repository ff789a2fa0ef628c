package drm

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/speke-go/keyprovider/internal/uuid"
)

// PSSHBox is an ISO BMFF Protection System Specific Header box
// (ISO/IEC 23001-7 §8.1).
type PSSHBox struct {
	// Version is 0 or 1. Version 1 carries KIDs.
	Version  uint8
	SystemID uuid.UUID
	KIDs     []uuid.UUID // version 1 only
	Data     []byte
}

// Box layout sizes. A v0 box is psshFixedSize + len(Data); a v1 box adds
// the KID count and 16 bytes per KID.
const (
	psshFixedSize = 4 + 4 + 4 + 16 + 4 // size, type, version+flags, SystemID, DataSize
	kidCountSize  = 4
	kidSize       = 16
)

// MaxPSSHSize bounds what ParsePSSH accepts. Real boxes are a few hundred
// bytes (a PlayReady Object is capped at 15 KB by Microsoft); the bound
// keeps a hostile KID count or DataSize from asking for large allocations.
const MaxPSSHSize = 64 << 10

// ErrMalformedPSSH is wrapped by every error ParsePSSH returns.
var ErrMalformedPSSH = errors.New("drm: malformed pssh box")

// Marshal returns the whole box, header included. All integers are
// big-endian and KIDs are in big-endian UUID order. KIDs are written only
// for version 1: a version 0 box has no place for them.
func (p PSSHBox) Marshal() []byte {
	size := psshFixedSize + len(p.Data)
	if p.Version == 1 {
		size += kidCountSize + kidSize*len(p.KIDs)
	}
	b := make([]byte, 0, size)
	b = binary.BigEndian.AppendUint32(b, uint32(size))
	b = append(b, "pssh"...)
	b = append(b, p.Version, 0, 0, 0)
	b = append(b, p.SystemID[:]...)
	if p.Version == 1 {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p.KIDs)))
		for _, k := range p.KIDs {
			b = append(b, k[:]...)
		}
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(p.Data)))
	return append(b, p.Data...)
}

// ParsePSSH decodes exactly one whole pssh box. It is strict so that
// Marshal(ParsePSSH(b)) == b for every accepted b: the size field must equal
// len(b) (no 64-bit largesize, no "to end of file" size 0, no trailing
// bytes), the version must be 0 or 1, the flags zero, and the KID list and
// Data must fill the box exactly. An empty Data comes back as nil.
func ParsePSSH(b []byte) (PSSHBox, error) {
	if len(b) < psshFixedSize {
		return PSSHBox{}, psshErrorf("%d bytes, shorter than the %d-byte minimum", len(b), psshFixedSize)
	}
	if len(b) > MaxPSSHSize {
		return PSSHBox{}, psshErrorf("%d bytes, over the %d-byte limit", len(b), MaxPSSHSize)
	}
	if size := binary.BigEndian.Uint32(b[0:4]); size != uint32(len(b)) {
		return PSSHBox{}, psshErrorf("size field %d, box is %d bytes", size, len(b))
	}
	if string(b[4:8]) != "pssh" {
		return PSSHBox{}, psshErrorf("box type %q", b[4:8])
	}
	var p PSSHBox
	p.Version = b[8]
	if p.Version > 1 {
		return PSSHBox{}, psshErrorf("version %d", p.Version)
	}
	if b[9] != 0 || b[10] != 0 || b[11] != 0 {
		return PSSHBox{}, psshErrorf("non-zero flags")
	}
	copy(p.SystemID[:], b[12:28])
	rest := b[28:]
	if p.Version == 1 {
		if len(rest) < kidCountSize {
			return PSSHBox{}, psshErrorf("no room for the KID count")
		}
		n := binary.BigEndian.Uint32(rest)
		rest = rest[kidCountSize:]
		// Compare in uint64 so a huge count cannot overflow the product.
		if uint64(n)*kidSize > uint64(len(rest)) {
			return PSSHBox{}, psshErrorf("KID count %d does not fit", n)
		}
		p.KIDs = make([]uuid.UUID, n)
		for i := range p.KIDs {
			copy(p.KIDs[i][:], rest[:kidSize])
			rest = rest[kidSize:]
		}
	}
	if len(rest) < 4 {
		return PSSHBox{}, psshErrorf("no room for DataSize")
	}
	n := binary.BigEndian.Uint32(rest)
	rest = rest[4:]
	if uint64(n) != uint64(len(rest)) {
		return PSSHBox{}, psshErrorf("DataSize %d, %d bytes left", n, len(rest))
	}
	if n > 0 {
		p.Data = append([]byte(nil), rest...)
	}
	return p, nil
}

func psshErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformedPSSH}, args...)...)
}
