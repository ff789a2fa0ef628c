package drm

import (
	"strings"

	"github.com/speke-go/keyprovider/internal/routes"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// CommonSystemID is the W3C common PSSH system ID used by Clear Key players.
var CommonSystemID = uuid.MustParse("1077efec-c0b2-4d02-ace3-3c1e52e2fb4b")

// CommonPSSH signals W3C Clear Key for DASH: a version 1 pssh box listing
// the KID with no data (W3C cenc initData format §4), and
// ContentProtectionData holding that box and the Clear Key license URL.
type CommonPSSH struct {
	// LicenseURL is the Clear Key license URL players POST to; empty means
	// routes.LicenseURL(Input.BaseURL).
	LicenseURL string
}

// ID implements System.
func (*CommonPSSH) ID() uuid.UUID { return CommonSystemID }

// Supports implements System: browsers' Clear Key CDMs play cenc and cbcs.
func (*CommonPSSH) Supports(s Scheme) bool { return s == CENC || s == CBCS }

// NeedsIV implements System: the IV travels in the media segments.
func (*CommonPSSH) NeedsIV() bool { return false }

// Children implements System: Clear Key in browsers is DASH (EME) only.
func (*CommonPSSH) Children() Want { return Want{PSSH: true, ContentProtectionData: true} }

// Signal implements System.
func (c *CommonPSSH) Signal(in Input) (Signaling, error) {
	var out Signaling
	box := PSSHBox{Version: 1, SystemID: CommonSystemID, KIDs: []uuid.UUID{in.KID}}.Marshal()
	if in.Want.PSSH {
		out.PSSH = box
	}
	if in.Want.ContentProtectionData {
		// The license URL in dashif:Laurl: Shaka Player reads it without
		// configuration, and dash.js finds it by its "dashif" prefix.
		lic := c.LicenseURL
		if lic == "" {
			lic = routes.LicenseURL(in.BaseURL)
		}
		const open, end = `<dashif:Laurl xmlns:dashif="https://dashif.org/CPS" licenseType="EME-1.0">`, `</dashif:Laurl>`
		lic = EscapeXMLText(lic)
		cpd := cencPSSHElement(box, len(open)+len(lic)+len(end))
		cpd = append(cpd, open...)
		cpd = append(cpd, lic...)
		out.ContentProtectionData = append(cpd, end...)
	}
	return out, nil
}

// EscapeXMLText escapes s for use as XML character data.
func EscapeXMLText(s string) string {
	return xmlTextEscaper.Replace(s)
}

var xmlTextEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
