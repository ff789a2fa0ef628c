package drm

import (
	"encoding/binary"

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
