package drm

import (
	"github.com/speke-go/keyprovider/internal/routes"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// ClearKeyAES128SystemID is the DASH-IF system ID for HLS Clear Key
// encryption in CBC mode, as MediaPackage v2 sends it.
var ClearKeyAES128SystemID = uuid.MustParse("3ea8778f-7742-4bf9-b18b-e834b2acbd47")

// HLSAES128V1SystemID is the system ID the SPEKE v1 documentation and
// AWS's reference server use for HLS AES-128. It is not registered with
// DASH-IF ("implementation specific"); SPEKE v2 uses
// ClearKeyAES128SystemID instead.
var HLSAES128V1SystemID = uuid.MustParse("81376844-f976-481e-a84e-cc25d39b0b33")

// ClearKeyAES128 signals HLS AES-128 (whole-segment AES-CBC): the key tag
// points at this service's key URL, which returns the raw 16-byte key.
type ClearKeyAES128 struct {
	// SystemID is the ID this instance answers to; zero means
	// ClearKeyAES128SystemID. The registry holds one instance per ID.
	SystemID uuid.UUID
}

// ID implements System.
func (c *ClearKeyAES128) ID() uuid.UUID {
	if c.SystemID == (uuid.UUID{}) {
		return ClearKeyAES128SystemID
	}
	return c.SystemID
}

// Supports implements System: MediaPackage maps TS AES-128 to cbc1.
func (*ClearKeyAES128) Supports(s Scheme) bool { return s == CBC1 }

// NeedsIV implements System: the encryptor takes the segment IV from
// ContentKey@explicitIV.
func (*ClearKeyAES128) NeedsIV() bool { return true }

// Children implements System: whole-segment AES-128 exists only in HLS.
func (*ClearKeyAES128) Children() Want { return Want{HLS: true} }

// Signal implements System. The tag follows the MediaPackage v2 guide:
// METHOD, URI, KEYFORMAT "identity", KEYFORMATVERSIONS "1"; no SCHEME and no
// IV attribute (the packager writes the IV it encrypts with).
func (*ClearKeyAES128) Signal(in Input) (Signaling, error) {
	var out Signaling
	if in.Want.HLS {
		out.setHLS(HLSKey{Method: "AES-128", URI: routes.KeyURL(in.BaseURL, in.ContentID, in.KID), KeyFormat: "identity", KeyFormatVersions: "1"})
	}
	return out, nil
}
