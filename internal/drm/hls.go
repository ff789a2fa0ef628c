package drm

// HLSKey is the attribute set of one HLS key tag (EXT-X-KEY in a media
// playlist, EXT-X-SESSION-KEY in a multivariant playlist). SPEKE v2 carries
// it as whole tags (HLSSignalingData); SPEKE v1 carries URI, KEYFORMAT and
// KEYFORMATVERSIONS as separate elements and the encryptor writes the tag,
// so systems build the parts and each protocol version assembles its form.
type HLSKey struct {
	Method            string // METHOD, unquoted
	URI               string // URI, without quotes
	KeyFormat         string // KEYFORMAT, without quotes
	KeyFormatVersions string // KEYFORMATVERSIONS, without quotes
	// URILast writes URI after KEYFORMATVERSIONS, the order of Microsoft's
	// and the MediaPackage guide's PlayReady samples; otherwise URI
	// follows METHOD.
	URILast bool
}

// Attributes is the tag's attribute list. Values are quoted as HLS
// quoted-strings; systems build them without quotes or line breaks.
func (k HLSKey) Attributes() string {
	// One expression per order: the list is built in one allocation.
	if k.URILast {
		return "METHOD=" + k.Method + `,KEYFORMAT="` + k.KeyFormat + `",KEYFORMATVERSIONS="` + k.KeyFormatVersions + `",URI="` + k.URI + `"`
	}
	return "METHOD=" + k.Method + `,URI="` + k.URI + `",KEYFORMAT="` + k.KeyFormat + `",KEYFORMATVERSIONS="` + k.KeyFormatVersions + `"`
}

// setHLS records the structured key and its attribute list.
func (s *Signaling) setHLS(k HLSKey) {
	s.HLS = k
	s.HLSAttributes = k.Attributes()
}
