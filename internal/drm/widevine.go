package drm

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"

	"github.com/speke-go/keyprovider/internal/uuid"
)

// WidevineSystemID is Google Widevine's DASH-IF system ID.
var WidevineSystemID = uuid.MustParse("edef8ba9-79d6-4ace-a3c8-27dcd51d21ed")

// widevineKeyFormat is the KEYFORMAT of Widevine's HLS key tag.
var widevineKeyFormat = "urn:uuid:" + WidevineSystemID.String()

// Widevine signals Google Widevine: a version 0 pssh box whose data is a
// WidevinePsshData message naming the KID and the protection scheme, the
// same box in DASH ContentProtectionData, and an HLS key tag whose data URI
// carries the whole box.
//
// The box is version 0 although version 1 could list the KID in the box
// header too: v0 is what Shaka Packager, EZDRM, Axinom and Bento4 write
// ("for backward compatibility"), older CDMs and packagers only know it, and
// the KID is in the protobuf either way.
type Widevine struct {
	// Provider, when not empty, is written as WidevinePsshData.provider.
	// Widevine's own license service wants it; most vendor license
	// servers key off key_ids and ignore it.
	Provider string
	// IncludeContentID writes the CPIX contentId (its UTF-8 bytes) as
	// WidevinePsshData.content_id, for license services that look content
	// up by ID rather than by KID.
	IncludeContentID bool
}

// ID implements System.
func (*Widevine) ID() uuid.UUID { return WidevineSystemID }

// Supports implements System. cens and cbc1 exist in protection_scheme,
// but browsers' EME exposes only cenc and cbcs, HLS has no METHOD for them,
// and no AWS encryptor pairs them with Widevine: refusing them up front
// beats packaging content that nothing plays.
func (*Widevine) Supports(s Scheme) bool { return s == CENC || s == CBCS }

// NeedsIV implements System: the IV travels in the media segments.
func (*Widevine) NeedsIV() bool { return false }

// Children implements System: Smooth Streaming is PlayReady's alone.
func (*Widevine) Children() Want { return Want{PSSH: true, ContentProtectionData: true, HLS: true} }

// Signal implements System.
func (w *Widevine) Signal(in Input) (Signaling, error) {
	var out Signaling
	if !in.Want.PSSH && !in.Want.ContentProtectionData && !in.Want.HLS {
		return out, nil
	}
	d := WidevinePsshData{
		KeyIDs:           []uuid.UUID{in.KID},
		Provider:         w.Provider,
		ProtectionScheme: in.Scheme,
	}
	if w.IncludeContentID {
		d.ContentID = []byte(in.ContentID)
	}
	box := PSSHBox{Version: 0, SystemID: WidevineSystemID, Data: d.Marshal()}.Marshal()
	if in.Want.PSSH {
		out.PSSH = box
	}
	if in.Want.ContentProtectionData {
		out.ContentProtectionData = cencPSSHElement(box, 0)
	}
	if in.Want.HLS {
		method, err := hlsSampleMethod(in.Scheme)
		if err != nil {
			return Signaling{}, err
		}
		// No KEYID attribute: the MediaPackage v2 guide's Widevine tag has
		// none and requires media and master tags to be identical, while
		// KEYID on a session key is an extension no spec defines. The KID
		// is already in the box the URI carries, which is where Shaka
		// Player and Widevine CDMs take it from.
		// The base64 is encoded on the stack (a box is about 60 bytes) and
		// copied once, into the URI.
		var buf [256]byte
		b64 := base64.StdEncoding.AppendEncode(buf[:0], box)
		out.setHLS(HLSKey{
			Method:            method,
			URI:               "data:text/plain;base64," + string(b64),
			KeyFormat:         widevineKeyFormat,
			KeyFormatVersions: "1",
		})
	}
	return out, nil
}

// WidevinePsshData is the subset of Widevine's WidevinePsshData protobuf
// message that a key provider fills.
type WidevinePsshData struct {
	KeyIDs    []uuid.UUID // field 2, big-endian UUID bytes
	Provider  string      // field 3, omitted when empty
	ContentID []byte      // field 4, omitted when empty
	// ProtectionScheme is field 9, the scheme's FourCC read as a
	// big-endian uint32; omitted when empty.
	ProtectionScheme Scheme
}

// Protobuf wire types and the field tags WidevinePsshData uses.
//
// The message is encoded by hand rather than with a protobuf library: it
// needs two wire types and four fields, written in field-number order as
// every protobuf serializer does, and a hand encoder keeps generated code
// and a runtime dependency out of the service. The tests decode every
// payload with google.golang.org/protobuf's protowire as an independent
// check, and compare against the public vectors byte for byte.
const (
	wireVarint = 0
	wireBytes  = 2

	wvFieldKeyID            = 2
	wvFieldProvider         = 3
	wvFieldContentID        = 4
	wvFieldProtectionScheme = 9
)

// Marshal returns the protobuf wire encoding.
func (d WidevinePsshData) Marshal() []byte {
	// Room for every field at its largest: a tag byte, a length varint of
	// up to 10 bytes, and the value (a 5-byte varint for the scheme).
	n := len(d.KeyIDs)*(1+1+16) + 1 + 10 + len(d.Provider) + 1 + 10 + len(d.ContentID) + 1 + 5
	b := make([]byte, 0, n)
	for _, k := range d.KeyIDs {
		b = appendProtoBytes(b, wvFieldKeyID, k[:])
	}
	if d.Provider != "" {
		b = appendProtoBytes(b, wvFieldProvider, []byte(d.Provider))
	}
	if len(d.ContentID) > 0 {
		b = appendProtoBytes(b, wvFieldContentID, d.ContentID)
	}
	if d.ProtectionScheme != "" {
		b = appendProtoVarint(b, protoTag(wvFieldProtectionScheme, wireVarint))
		b = appendProtoVarint(b, uint64(FourCC(d.ProtectionScheme)))
	}
	return b
}

// FourCC returns the scheme's four characters as a big-endian uint32, the
// form ISO BMFF schm boxes and Widevine's protection_scheme use. It is 0
// for a scheme that is not four bytes long.
func FourCC(s Scheme) uint32 {
	if len(s) != 4 {
		return 0
	}
	return binary.BigEndian.Uint32([]byte(s))
}

func protoTag(field, wire uint64) uint64 { return field<<3 | wire }

func appendProtoBytes(b []byte, field uint64, v []byte) []byte {
	b = appendProtoVarint(b, protoTag(field, wireBytes))
	b = appendProtoVarint(b, uint64(len(v)))
	return append(b, v...)
}

// appendProtoVarint writes v base-128, least significant group first, with
// the high bit set on every byte but the last.
func appendProtoVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// hlsSampleMethod maps a CENC scheme to the HLS METHOD for sample
// encryption: SAMPLE-AES is AES-CBC (cbcs), SAMPLE-AES-CTR is AES-CTR
// (cenc). The other schemes have no HLS form; the systems that call this
// Support neither, so the error is a bug, not a bad request. Without a
// scheme (SPEKE v1) it is SAMPLE-AES, the only sample method SPEKE v1
// encryptors use.
func hlsSampleMethod(s Scheme) (string, error) {
	switch s {
	case CBCS, Unspecified:
		return "SAMPLE-AES", nil
	case CENC:
		return "SAMPLE-AES-CTR", nil
	}
	return "", fmt.Errorf("drm: no HLS METHOD for scheme %q", s)
}

// cencPSSHElement is the ContentProtectionData fragment carrying a pssh
// box, in the MediaPackage guide's form: the cenc prefix declared on the
// element itself. Players match that name: Shaka Player ignores a pssh in
// the default namespace (no license request, playback stalls) and
// ExoPlayer looks for "cenc:pssh". One root element, so a fragment with
// only the pssh (Widevine) still parses as a document. extra is room for
// what the caller appends.
func cencPSSHElement(box []byte, extra int) []byte {
	const open, end = `<cenc:pssh xmlns:cenc="urn:mpeg:cenc:2013">`, `</cenc:pssh>`
	b := make([]byte, 0, len(open)+base64.StdEncoding.EncodedLen(len(box))+len(end)+extra)
	b = append(b, open...)
	b = base64.StdEncoding.AppendEncode(b, box)
	return append(b, end...)
}
