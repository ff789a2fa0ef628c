package drm

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/speke-go/keyprovider/internal/uuid"
)

// FairPlaySystemID is Apple FairPlay Streaming's system ID as SPEKE uses it.
var FairPlaySystemID = uuid.MustParse("94ce86fb-07ff-4f43-adb8-93d2fa968ca2")

// DefaultFairPlaySKDTemplate names the key by its KID alone. Shaka Player
// and most player apps take the KID from an skd URI of this form without
// configuration. "skd://{kid}:{iv_hex}" (EZDRM, Axinom) is not the
// default because a 32-hex-digit "port" makes the URI unparsable for URL
// parsers that player apps use to pick the host out.
const DefaultFairPlaySKDTemplate = "skd://{kid}"

// FairPlay signals Apple FairPlay Streaming: an HLS key tag whose skd URI
// names the key for the app's key server (KSM). FairPlay has no pssh box
// and no DASH signaling; the KSM returns the key and IV to the player, so
// the IV the encryptor uses comes from this provider (NeedsIV).
//
// Children with no FairPlay form are handled as follows, on purpose:
//
//   - PSSH: Children lists it, and Signal returns no box, so the core
//     echoes the requested <cpix:PSSH/> empty. MediaPackage puts an empty
//     PSSH element in every FairPlay DRMSystem and SPEKE v2 requires every
//     requested element back, while a FairPlay pssh box does not exist:
//     keeping the element empty satisfies both, and never invents a box.
//   - ContentProtectionData and SmoothStreamingProtectionHeaderData:
//     Children leaves them out, so such a request is refused. No AWS
//     encryptor asks for them for FairPlay, the AWS test suite asserts that
//     the FairPlay CPD is absent, and an empty CPD would be an invalid
//     (empty) XML fragment.
type FairPlay struct {
	tmpl []skdPart
}

// skdPart is a literal (placeholder == "") or a placeholder.
type skdPart struct{ literal, placeholder string }

// FairPlay skd template placeholders.
const (
	SKDContentID = "content_id" // CPIX contentId, URL-path-escaped
	SKDKID       = "kid"        // KID as a lowercase UUID
	SKDKIDHex    = "kid_hex"    // KID as 32 lowercase hex digits
	SKDIVHex     = "iv_hex"     // IV as 32 lowercase hex digits
	SKDIVB64     = "iv_b64"     // IV, standard base64
	// SKDJSONB64 is the MediaPackage v2 guide's form: standard base64 of
	// {"ContentId":…,"KeyId":"<uuid>","IV":"<base64 IV>"}.
	SKDJSONB64 = "json_b64"
)

// ErrSKDTemplate is wrapped by every error NewFairPlay returns.
var ErrSKDTemplate = errors.New("drm: invalid FairPlay skd template")

// NewFairPlay returns FairPlay signaling with the given skd URI template;
// empty means DefaultFairPlaySKDTemplate. The template must start with
// "skd://", may use only the SKD* placeholders in braces, must identify
// the key with {kid}, {kid_hex} or {json_b64} (a fixed URI would make
// every key look the same to the player), and must not contain
// characters an HLS quoted string cannot hold.
func NewFairPlay(template string) (*FairPlay, error) {
	if template == "" {
		template = DefaultFairPlaySKDTemplate
	}
	if !strings.HasPrefix(template, "skd://") {
		return nil, fmt.Errorf("%w: %q does not start with skd://", ErrSKDTemplate, template)
	}
	var parts []skdPart
	identifies := false
	rest := template
	for rest != "" {
		i := strings.IndexAny(rest, "{}")
		if i < 0 {
			parts = append(parts, skdPart{literal: rest})
			break
		}
		if rest[i] == '}' {
			return nil, fmt.Errorf("%w: unmatched }", ErrSKDTemplate)
		}
		if i > 0 {
			parts = append(parts, skdPart{literal: rest[:i]})
		}
		end := strings.IndexByte(rest[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("%w: unmatched {", ErrSKDTemplate)
		}
		name := rest[i+1 : i+end]
		switch name {
		case SKDKID, SKDKIDHex, SKDJSONB64:
			identifies = true
		case SKDContentID, SKDIVHex, SKDIVB64:
		default:
			return nil, fmt.Errorf("%w: unknown placeholder {%s}", ErrSKDTemplate, name)
		}
		parts = append(parts, skdPart{placeholder: name})
		rest = rest[i+end+1:]
	}
	for _, p := range parts {
		for _, r := range p.literal {
			if r == '"' || r <= ' ' || r == 0x7f {
				return nil, fmt.Errorf("%w: character %q not allowed", ErrSKDTemplate, r)
			}
		}
	}
	if !identifies {
		return nil, fmt.Errorf("%w: needs {%s}, {%s} or {%s}", ErrSKDTemplate, SKDKID, SKDKIDHex, SKDJSONB64)
	}
	return &FairPlay{tmpl: parts}, nil
}

// ID implements System.
func (*FairPlay) ID() uuid.UUID { return FairPlaySystemID }

// Supports implements System: Apple devices decrypt cbcs only.
func (*FairPlay) Supports(s Scheme) bool { return s == CBCS }

// NeedsIV implements System: the KSM hands the IV to the player, so the
// encryptor must use the one this provider returns.
func (*FairPlay) NeedsIV() bool { return true }

// Children implements System; see the FairPlay type for the PSSH rule.
func (*FairPlay) Children() Want { return Want{PSSH: true, HLS: true} }

// Signal implements System; see the FairPlay type for the PSSH rule.
// There is no IV attribute in the tag: FairPlay carries the IV with the key.
func (f *FairPlay) Signal(in Input) (Signaling, error) {
	var out Signaling
	if !in.Want.HLS {
		return out, nil
	}
	out.setHLS(HLSKey{Method: "SAMPLE-AES", URI: f.SKDURI(in), KeyFormat: "com.apple.streamingkeydelivery", KeyFormatVersions: "1"})
	return out, nil
}

// SKDURI expands the template for in.
func (f *FairPlay) SKDURI(in Input) string {
	// Built on the stack (the default URI is 42 bytes) and copied once.
	var buf [128]byte
	b := buf[:0]
	for _, p := range f.tmpl {
		switch p.placeholder {
		case "":
			b = append(b, p.literal...)
		case SKDContentID:
			b = append(b, url.PathEscape(in.ContentID)...)
		case SKDKID:
			b, _ = in.KID.AppendText(b)
		case SKDKIDHex:
			b = hex.AppendEncode(b, in.KID[:])
		case SKDIVHex:
			b = hex.AppendEncode(b, in.IV[:])
		case SKDIVB64:
			b = base64.StdEncoding.AppendEncode(b, in.IV[:])
		case SKDJSONB64:
			b = base64.StdEncoding.AppendEncode(b, skdJSON(in))
		}
	}
	return string(b)
}

func skdJSON(in Input) []byte {
	// A struct fixes the field order, so the URI is deterministic.
	j, err := json.Marshal(struct {
		ContentID string `json:"ContentId"`
		KeyID     string `json:"KeyId"`
		IV        string `json:"IV"`
	}{in.ContentID, in.KID.String(), base64.StdEncoding.EncodeToString(in.IV[:])})
	if err != nil {
		panic("drm: encoding skd JSON: " + err.Error()) // unreachable: strings only
	}
	return j
}
