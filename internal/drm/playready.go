package drm

import (
	"crypto/aes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// PlayReadySystemID is Microsoft PlayReady's DASH-IF system ID.
var PlayReadySystemID = uuid.MustParse("9a04f079-9840-4286-ab92-e65be0885f95")

// PlayReady signals Microsoft PlayReady: a PlayReady Object (PRO) holding
// one PlayReady Header (WRMHEADER) for the KID, carried in a version 0
// pssh box, in DASH ContentProtectionData (both the box and the bare PRO),
// in the HLS key tag's data URI, and as the Smooth Streaming protection
// header.
type PlayReady struct {
	// LAURL is the license acquisition URL written as LA_URL; empty omits
	// it and players must be configured with a license server.
	LAURL string
	// LUIURL is the non-silent license page written as LUI_URL; optional.
	LUIURL string
	// DSID is the domain service ID (base64 of a GUID) written as DS_ID;
	// optional.
	DSID string
}

// ID implements System.
func (*PlayReady) ID() uuid.UUID { return PlayReadySystemID }

// Supports implements System: cenc (AESCTR, every PlayReady version) and
// cbcs (AESCBC, PlayReady 4.0+ with a 4.3 header). Microsoft documents no
// client support for cens or cbc1.
func (*PlayReady) Supports(s Scheme) bool { return s == CENC || s == CBCS }

// NeedsIV implements System: the IV travels in the media segments.
func (*PlayReady) NeedsIV() bool { return false }

// Children implements System: PlayReady has a form for every child.
func (*PlayReady) Children() Want {
	return Want{PSSH: true, ContentProtectionData: true, HLS: true, SmoothStreaming: true}
}

// Signal implements System. For Smooth Streaming it returns the same PRO
// as everywhere else: Smooth content is always cenc, which gives the 4.0
// header Smooth clients read.
func (p *PlayReady) Signal(in Input) (Signaling, error) {
	var out Signaling
	w := in.Want
	if !w.PSSH && !w.ContentProtectionData && !w.HLS && !w.SmoothStreaming {
		return out, nil
	}
	alg, err := playReadyAlgID(in.Scheme)
	if err != nil {
		return Signaling{}, err
	}
	pro, err := p.Object(alg, PlayReadyKID{KID: in.KID, Key: in.Key})
	if err != nil {
		return Signaling{}, err
	}
	proB64 := base64.StdEncoding.EncodeToString(pro)
	box := PSSHBox{Version: 0, SystemID: PlayReadySystemID, Data: pro}.Marshal()
	if w.PSSH {
		out.PSSH = box
	}
	if w.ContentProtectionData {
		// Two sibling elements, each declaring its prefix as the
		// MediaPackage guide writes them: the box for EME players, the bare
		// PRO for players that read only mspr:pro.
		const proOpen, proEnd = `<mspr:pro xmlns:mspr="urn:microsoft:playready">`, `</mspr:pro>`
		cpd := cencPSSHElement(box, len(proOpen)+len(proB64)+len(proEnd))
		cpd = append(cpd, proOpen...)
		cpd = append(cpd, proB64...)
		out.ContentProtectionData = append(cpd, proEnd...)
	}
	if w.HLS {
		method, err := hlsSampleMethod(in.Scheme)
		if err != nil {
			return Signaling{}, err
		}
		// Attribute order as in Microsoft's and the MediaPackage guide's
		// samples; the data URI carries the PRO, not the box.
		out.setHLS(HLSKey{
			Method:            method,
			URI:               "data:text/plain;charset=UTF-16;base64," + proB64,
			KeyFormat:         "com.microsoft.playready",
			KeyFormatVersions: "1",
			URILast:           true,
		})
	}
	if w.SmoothStreaming {
		out.SmoothStreaming = proB64
	}
	return out, nil
}

// Object builds the PRO for kids, all protected with alg, choosing the
// header version with PlayReadyHeader's rules. Several KIDs suit a master
// playlist's EXT-X-SESSION-KEY, which must name every KID.
func (p *PlayReady) Object(alg PlayReadyAlgID, kids ...PlayReadyKID) ([]byte, error) {
	return PlayReadyHeader{AlgID: alg, KIDs: kids, LAURL: p.LAURL, LUIURL: p.LUIURL, DSID: p.DSID}.Object()
}

// PlayReadyAlgID is the WRMHEADER ALGID: the cipher the content uses.
type PlayReadyAlgID string

// The two ALGIDs for Common Encryption content.
const (
	AESCTR PlayReadyAlgID = "AESCTR" // cenc, cens
	AESCBC PlayReadyAlgID = "AESCBC" // cbcs, cbc1; needs header 4.3
)

func playReadyAlgID(s Scheme) (PlayReadyAlgID, error) {
	switch s {
	case CENC, CENS, Unspecified: // SPEKE v1: DASH and Smooth, both AES-CTR
		return AESCTR, nil
	case CBCS, CBC1:
		return AESCBC, nil
	}
	return "", fmt.Errorf("drm: no PlayReady ALGID for scheme %q", s)
}

// PlayReady header versions.
const (
	PlayReadyV40 = "4.0.0.0" // one KID, AESCTR; read by every PlayReady client
	PlayReadyV42 = "4.2.0.0" // several KIDs, AESCTR; PlayReady 3.0+
	PlayReadyV43 = "4.3.0.0" // adds AESCBC; PlayReady 4.0+
)

// PlayReadyKID is one key of a header. Key is used only for the AESCTR
// checksum and is never written.
type PlayReadyKID struct {
	KID uuid.UUID
	Key keys.Key
}

// PlayReadyHeader is a WRMHEADER with the elements a key provider fills.
// Its version is the lowest that can express it, for the widest client
// reach: 4.0 for one AESCTR KID, 4.2 for several, 4.3 for AESCBC.
type PlayReadyHeader struct {
	AlgID  PlayReadyAlgID
	KIDs   []PlayReadyKID
	LAURL  string
	LUIURL string
	DSID   string
}

// Size limits from the PlayReady Header specification: a PRO should not
// exceed 15 KB, and a record length is a 16-bit field.
const (
	MaxPlayReadyObjectSize = 15 * 1024
	proHeaderSize          = 4 + 2 + 2 + 2 // length, record count, record type, record length
)

// ErrPlayReadyHeader is wrapped by every error building a header returns.
var ErrPlayReadyHeader = errors.New("drm: invalid PlayReady header")

const wrmNamespace = "http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader"

func (h PlayReadyHeader) resolvedVersion() (string, error) {
	switch {
	case len(h.KIDs) == 0:
		return "", fmt.Errorf("%w: no KID", ErrPlayReadyHeader)
	case h.AlgID == AESCBC:
		return PlayReadyV43, nil
	case h.AlgID != AESCTR:
		return "", fmt.Errorf("%w: ALGID %q", ErrPlayReadyHeader, h.AlgID)
	case len(h.KIDs) == 1:
		return PlayReadyV40, nil
	}
	return PlayReadyV42, nil
}

// XML returns the canonical one-line WRMHEADER: no declaration, no
// whitespace between elements, attributes in alphabetical order, explicit
// closing tags, and child elements in the order Shaka Packager and Bento4
// write, so that output matches their published vectors byte for byte.
// CHECKSUM is written for AESCTR only: the specification defines no
// checksum for AESCBC and says the attribute must be omitted.
func (h PlayReadyHeader) XML() (string, error) {
	x, err := h.appendXML(nil)
	return string(x), err
}

// appendXML appends XML's header to b.
func (h PlayReadyHeader) appendXML(b []byte) ([]byte, error) {
	v, err := h.resolvedVersion()
	if err != nil {
		return nil, err
	}
	b = append(b, `<WRMHEADER xmlns="`+wrmNamespace+`" version="`...)
	b = append(b, v...)
	b = append(b, `"><DATA><PROTECTINFO>`...)
	if v == PlayReadyV40 {
		k := h.KIDs[0]
		b = append(b, `<KEYLEN>16</KEYLEN><ALGID>AESCTR</ALGID></PROTECTINFO><KID>`...)
		b = appendGUIDB64(b, k.KID)
		b = append(b, `</KID><CHECKSUM>`...)
		b = appendChecksum(b, k.KID, k.Key)
		b = append(b, `</CHECKSUM>`...)
	} else {
		b = append(b, `<KIDS>`...)
		for _, k := range h.KIDs {
			b = append(b, `<KID ALGID="`...)
			b = append(b, h.AlgID...)
			b = append(b, '"')
			if h.AlgID == AESCTR {
				b = append(b, ` CHECKSUM="`...)
				b = appendChecksum(b, k.KID, k.Key)
				b = append(b, '"')
			}
			b = append(b, ` VALUE="`...)
			b = appendGUIDB64(b, k.KID)
			b = append(b, `"></KID>`...)
		}
		b = append(b, `</KIDS></PROTECTINFO>`...)
	}
	for _, e := range [...]struct{ name, value string }{
		{"LA_URL", h.LAURL}, {"LUI_URL", h.LUIURL}, {"DS_ID", h.DSID},
	} {
		// Empty elements are not allowed, so an unset value is left out.
		if e.value != "" {
			b = append(b, '<')
			b = append(b, e.name...)
			b = append(b, '>')
			b = append(b, EscapeXMLText(e.value)...)
			b = append(b, '<', '/')
			b = append(b, e.name...)
			b = append(b, '>')
		}
	}
	return append(b, `</DATA></WRMHEADER>`...), nil
}

// Object returns the PlayReady Object: little-endian total length, a
// record count of 1, and one record of type 1 holding the WRMHEADER in
// UTF-16LE without a BOM. No empty Embedded License Store is added: the
// PRO also goes into Smooth Streaming manifests, where Microsoft advises
// against one.
func (h PlayReadyHeader) Object() ([]byte, error) {
	// A one-KID header is about 350 bytes: it is built on the stack, and
	// the object is the one allocation.
	var buf [1024]byte
	x, err := h.appendXML(buf[:0])
	if err != nil {
		return nil, err
	}
	// A UTF-8 sequence of n bytes is at most n UTF-16 units, so the
	// record takes at most 2*len(x) bytes.
	b := make([]byte, proHeaderSize, proHeaderSize+2*len(x))
	var pair [2]uint16
	for i := 0; i < len(x); {
		if x[i] < utf8.RuneSelf {
			b = append(b, x[i], 0)
			i++
			continue
		}
		r, n := utf8.DecodeRune(x[i:]) // U+FFFD for invalid UTF-8, as []rune(s) gives
		i += n
		for _, u := range utf16.AppendRune(pair[:0], r) {
			b = binary.LittleEndian.AppendUint16(b, u)
		}
	}
	size := len(b)
	if size > MaxPlayReadyObjectSize {
		return nil, fmt.Errorf("%w: PlayReady Object of %d bytes exceeds %d", ErrPlayReadyHeader, size, MaxPlayReadyObjectSize)
	}
	binary.LittleEndian.PutUint32(b[0:], uint32(size))
	binary.LittleEndian.PutUint16(b[4:], 1) // record count
	binary.LittleEndian.PutUint16(b[6:], 1) // record type: WRMHEADER
	binary.LittleEndian.PutUint16(b[8:], uint16(size-proHeaderSize))
	return b, nil
}

// PlayReadyChecksum is the AESCTR key checksum of the PlayReady Header
// specification (§5): the KID in GUID byte order encrypted with the content
// key in one AES-ECB block, first 8 bytes, base64. It lets a client detect
// a header paired with the wrong key.
func PlayReadyChecksum(kid uuid.UUID, key keys.Key) string {
	return string(appendChecksum(nil, kid, key))
}

func appendChecksum(b []byte, kid uuid.UUID, key keys.Key) []byte {
	k := key.Reveal()
	c, err := aes.NewCipher(k[:])
	if err != nil {
		panic("drm: AES-128 key rejected: " + err.Error()) // unreachable: the key is 16 bytes
	}
	// The GUID and its encryption in one array: Encrypt is an interface
	// call, so what it is given is allocated.
	var blk [2 * aes.BlockSize]byte
	g := kid.GUIDBytes()
	copy(blk[:aes.BlockSize], g[:])
	c.Encrypt(blk[aes.BlockSize:], blk[:aes.BlockSize])
	return base64.StdEncoding.AppendEncode(b, blk[aes.BlockSize:aes.BlockSize+8])
}

func appendGUIDB64(b []byte, kid uuid.UUID) []byte {
	g := kid.GUIDBytes()
	return base64.StdEncoding.AppendEncode(b, g[:])
}
