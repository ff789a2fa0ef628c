// Package drmtest holds test oracles for DRM signaling: decoders that share
// no code with package drm (pssh boxes through github.com/Eyevinn/mp4ff,
// Widevine payloads through google.golang.org/protobuf's protowire,
// PlayReady Objects through encoding/binary, unicode/utf16 and
// encoding/xml), a CPIX request generator for the MediaPackage v2 presets,
// and CheckResponse, which checks a SPEKE response against the carriage
// rules.
//
// It deliberately does not import package drm, so that a mistake there
// cannot hide in a shared helper. Only tests import it.
package drmtest

import (
	"crypto/aes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/Eyevinn/mp4ff/mp4"
	"google.golang.org/protobuf/encoding/protowire"
)

// System IDs, spelled out here rather than taken from package drm.
const (
	WidevineID  = "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"
	PlayReadyID = "9a04f079-9840-4286-ab92-e65be0885f95"
	FairPlayID  = "94ce86fb-07ff-4f43-adb8-93d2fa968ca2"
	// The open systems: W3C common PSSH (Clear Key in DASH) and HLS AES-128.
	CommonID         = "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"
	ClearKeyAES128ID = "3ea8778f-7742-4bf9-b18b-e834b2acbd47"
	// HLSAES128V1ID is HLS AES-128 as SPEKE v1 examples name it.
	HLSAES128V1ID = "81376844-f976-481e-a84e-cc25d39b0b33"
)

// PSSH is a pssh box as mp4ff decodes it, with UUIDs as lowercase strings.
type PSSH struct {
	Version  int
	Flags    uint32
	SystemID string
	KIDs     []string
	Data     []byte
}

// DecodePSSH decodes exactly one box with mp4ff.
func DecodePSSH(box []byte) (PSSH, error) {
	boxes, err := mp4.PsshBoxesFromBytes(box)
	if err != nil {
		return PSSH{}, err
	}
	if len(boxes) != 1 {
		return PSSH{}, fmt.Errorf("drmtest: %d pssh boxes, want 1", len(boxes))
	}
	b := boxes[0]
	if int(b.Size()) != len(box) {
		return PSSH{}, fmt.Errorf("drmtest: mp4ff size %d, input %d bytes", b.Size(), len(box))
	}
	p := PSSH{Version: int(b.Version), Flags: b.Flags, SystemID: b.SystemID.String(), Data: b.Data}
	for _, k := range b.KIDs {
		p.KIDs = append(p.KIDs, k.String())
	}
	return p, nil
}

// WidevineData is a decoded WidevinePsshData message.
type WidevineData struct {
	Algorithm        *uint64 // field 1 (deprecated), nil when absent
	KeyIDs           []string
	Provider         string
	ContentID        []byte
	ProtectionScheme *uint32 // field 9, nil when absent
	// Fields lists the field numbers in wire order.
	Fields []int
}

// SchemeString returns ProtectionScheme as its four characters, or "".
func (w WidevineData) SchemeString() string {
	if w.ProtectionScheme == nil {
		return ""
	}
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], *w.ProtectionScheme)
	return string(b[:])
}

// DecodeWidevineData decodes a WidevinePsshData message with protowire.
// Fields this project never writes (5–8, 10+) are an error so a stray
// field cannot pass unnoticed.
func DecodeWidevineData(b []byte) (WidevineData, error) {
	var w WidevineData
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return w, protowire.ParseError(n)
		}
		b = b[n:]
		w.Fields = append(w.Fields, int(num))
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return w, protowire.ParseError(n)
			}
			w.Algorithm = &v
			b = b[n:]
		case num == 2 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return w, protowire.ParseError(n)
			}
			if len(v) != 16 {
				return w, fmt.Errorf("drmtest: key_id of %d bytes", len(v))
			}
			w.KeyIDs = append(w.KeyIDs, uuidString(v))
			b = b[n:]
		case num == 3 && typ == protowire.BytesType:
			v, n := protowire.ConsumeString(b)
			if n < 0 {
				return w, protowire.ParseError(n)
			}
			w.Provider = v
			b = b[n:]
		case num == 4 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return w, protowire.ParseError(n)
			}
			w.ContentID = append([]byte(nil), v...)
			b = b[n:]
		case num == 9 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return w, protowire.ParseError(n)
			}
			if v > 0xffffffff {
				return w, fmt.Errorf("drmtest: protection_scheme %d overflows uint32", v)
			}
			u := uint32(v)
			w.ProtectionScheme = &u
			b = b[n:]
		default:
			return w, fmt.Errorf("drmtest: unexpected field %d wire type %d", num, typ)
		}
	}
	return w, nil
}

func uuidString(b []byte) string {
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// PRO is a decoded PlayReady Object with one PlayReady Header record.
type PRO struct {
	Length      uint32
	RecordCount uint16
	RecordType  uint16
	RecordLen   uint16
	// XML is the WRMHEADER, decoded from UTF-16LE.
	XML    string
	Header WRMHeader
}

// WRMHeader is the part of a WRMHEADER (versions 4.0 to 4.3) the checks use.
type WRMHeader struct {
	XMLName xml.Name `xml:"http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader WRMHEADER"`
	Version string   `xml:"version,attr"`
	Data    struct {
		// 4.0: PROTECTINFO/KEYLEN+ALGID elements, KID and CHECKSUM in DATA.
		KeyLen   string `xml:"PROTECTINFO>KEYLEN"`
		AlgID    string `xml:"PROTECTINFO>ALGID"`
		KID      string `xml:"KID"`
		Checksum string `xml:"CHECKSUM"`
		// 4.2/4.3: PROTECTINFO/KIDS/KID with attributes.
		KIDs []struct {
			AlgID    string `xml:"ALGID,attr"`
			Checksum string `xml:"CHECKSUM,attr"`
			Value    string `xml:"VALUE,attr"`
		} `xml:"PROTECTINFO>KIDS>KID"`
		LAURL  string `xml:"LA_URL"`
		LUIURL string `xml:"LUI_URL"`
		DSID   string `xml:"DS_ID"`
	} `xml:"DATA"`
}

// PROKID is one KID of a header, whatever its version.
type PROKID struct {
	AlgID    string
	Checksum string // "" when absent
	GUIDB64  string // base64 of the little-endian GUID
	UUID     string // the same KID as a big-endian UUID string
}

// KIDs returns the header's KIDs in document order.
func (h WRMHeader) KIDs() ([]PROKID, error) {
	var out []PROKID
	add := func(alg, chk, val string) error {
		g, err := base64.StdEncoding.Strict().DecodeString(val)
		if err != nil || len(g) != 16 {
			return fmt.Errorf("drmtest: KID %q is not base64 of 16 bytes", val)
		}
		out = append(out, PROKID{AlgID: alg, Checksum: chk, GUIDB64: val, UUID: uuidString(guidToUUID(g))})
		return nil
	}
	if h.Data.KID != "" {
		if err := add(h.Data.AlgID, h.Data.Checksum, h.Data.KID); err != nil {
			return nil, err
		}
	}
	for _, k := range h.Data.KIDs {
		if err := add(k.AlgID, k.Checksum, k.Value); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// guidToUUID swaps the first three groups between GUID (little-endian)
// and UUID (big-endian) order; the swap is its own inverse.
func guidToUUID(g []byte) []byte {
	u := append([]byte(nil), g...)
	u[0], u[1], u[2], u[3] = g[3], g[2], g[1], g[0]
	u[4], u[5] = g[5], g[4]
	u[6], u[7] = g[7], g[6]
	return u
}

// UUIDToGUID returns the little-endian GUID bytes of a 16-byte UUID.
func UUIDToGUID(u []byte) []byte { return guidToUUID(u) }

// DecodePRO decodes a PlayReady Object holding exactly one record, a
// PlayReady Header, and parses its XML.
func DecodePRO(b []byte) (PRO, error) {
	var p PRO
	if len(b) < 10 {
		return p, errors.New("drmtest: PRO shorter than 10 bytes")
	}
	p.Length = binary.LittleEndian.Uint32(b[0:4])
	p.RecordCount = binary.LittleEndian.Uint16(b[4:6])
	p.RecordType = binary.LittleEndian.Uint16(b[6:8])
	p.RecordLen = binary.LittleEndian.Uint16(b[8:10])
	switch {
	case int(p.Length) != len(b):
		return p, fmt.Errorf("drmtest: PRO length field %d, %d bytes", p.Length, len(b))
	case p.RecordCount != 1:
		return p, fmt.Errorf("drmtest: %d records", p.RecordCount)
	case p.RecordType != 1:
		return p, fmt.Errorf("drmtest: record type %d", p.RecordType)
	case int(p.RecordLen) != len(b)-10 || p.RecordLen%2 != 0:
		return p, fmt.Errorf("drmtest: record length %d, %d bytes left", p.RecordLen, len(b)-10)
	}
	units := make([]uint16, p.RecordLen/2)
	for i := range units {
		units[i] = binary.LittleEndian.Uint16(b[10+2*i:])
	}
	if len(units) > 0 && units[0] == 0xfeff {
		return p, errors.New("drmtest: WRMHEADER starts with a BOM")
	}
	p.XML = string(utf16.Decode(units))
	if strings.HasPrefix(p.XML, "<?xml") {
		return p, errors.New("drmtest: WRMHEADER has an XML declaration")
	}
	if err := xml.Unmarshal([]byte(p.XML), &p.Header); err != nil {
		return p, fmt.Errorf("drmtest: WRMHEADER: %w", err)
	}
	return p, nil
}

// PlayReadyChecksum is the AESCTR key checksum (PlayReady Header spec §5):
// the first 8 bytes of AES-128-ECB(key, GUID-order KID), base64.
func PlayReadyChecksum(kidGUID, key []byte) (string, error) {
	c, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	if len(kidGUID) != 16 {
		return "", errors.New("drmtest: KID must be 16 bytes")
	}
	var out [16]byte
	c.Encrypt(out[:], kidGUID)
	return base64.StdEncoding.EncodeToString(out[:8]), nil
}
