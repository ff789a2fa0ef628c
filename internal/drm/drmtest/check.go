package drmtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// CPIX and PSKC namespaces; elements are matched by URI, never by prefix.
const (
	nsCPIX   = "urn:dashif:org:cpix"
	nsPSKC   = "urn:ietf:params:xml:ns:keyprov:pskc"
	nsCENC   = "urn:mpeg:cenc:2013"
	nsMSPR   = "urn:microsoft:playready"
	nsDashIF = "https://dashif.org/CPS"
	nsSPEKE  = "urn:aws:amazon:com:speke"
)

type cpixDoc struct {
	XMLName   xml.Name `xml:"urn:dashif:org:cpix CPIX"`
	ContentID string   `xml:"contentId,attr"`
	KeyList   struct {
		Keys []contentKey `xml:"urn:dashif:org:cpix ContentKey"`
	} `xml:"urn:dashif:org:cpix ContentKeyList"`
	SystemList struct {
		Systems []drmSystem `xml:"urn:dashif:org:cpix DRMSystem"`
	} `xml:"urn:dashif:org:cpix DRMSystemList"`
}

type contentKey struct {
	KID        string  `xml:"kid,attr"`
	Scheme     string  `xml:"commonEncryptionScheme,attr"`
	ExplicitIV *string `xml:"explicitIV,attr"`
	Data       struct {
		Secret struct {
			PlainValue string `xml:"urn:ietf:params:xml:ns:keyprov:pskc PlainValue"`
		} `xml:"urn:ietf:params:xml:ns:keyprov:pskc Secret"`
	} `xml:"urn:dashif:org:cpix Data"`
}

type textElem struct {
	Text string `xml:",chardata"`
}

type hlsElem struct {
	Playlist string `xml:"playlist,attr"`
	Text     string `xml:",chardata"`
}

type drmSystem struct {
	KID      string     `xml:"kid,attr"`
	SystemID string     `xml:"systemId,attr"`
	PSSH     []textElem `xml:"urn:dashif:org:cpix PSSH"`
	CPD      []textElem `xml:"urn:dashif:org:cpix ContentProtectionData"`
	HLS      []hlsElem  `xml:"urn:dashif:org:cpix HLSSignalingData"`
	Smooth   []textElem `xml:"urn:dashif:org:cpix SmoothStreamingProtectionHeaderData"`
	// SPEKE v1 children.
	URIExtXKey        []textElem `xml:"urn:dashif:org:cpix URIExtXKey"`
	KeyFormat         []textElem `xml:"urn:aws:amazon:com:speke KeyFormat"`
	KeyFormatVersions []textElem `xml:"urn:aws:amazon:com:speke KeyFormatVersions"`
	ProtectionHeader  []textElem `xml:"urn:aws:amazon:com:speke ProtectionHeader"`
}

func (d drmSystem) playlists() []string {
	var p []string
	for _, h := range d.HLS {
		p = append(p, h.Playlist)
	}
	slices.Sort(p)
	return p
}

// CheckResponse reports through t every way response breaks the carriage
// rules for request (see Check).
func CheckResponse(t testing.TB, request, response []byte, keysByKID map[string][16]byte) {
	t.Helper()
	for _, err := range Check(request, response, keysByKID) {
		t.Error(err)
	}
}

// Check returns every way a successful SPEKE v1 or v2 response breaks the
// carriage rules for its request:
//
//   - each requested DRMSystem (KID, system) comes back once, with exactly
//     the children the request had, each filled (FairPlay's PSSH: empty),
//     and nothing else;
//   - PSSH is a whole box that mp4ff decodes to the system's ID and, in
//     the data, the DRMSystem's own KID (Widevine key_ids and
//     protection_scheme, PlayReady PRO KID), and equals the inner pssh of
//     ContentProtectionData;
//   - ContentProtectionData is standalone XML in the form players match
//     by name (the MediaPackage guide's): root elements cenc:pssh,
//     mspr:pro and dashif:Laurl, each declaring its own prefix and no
//     default namespace; one cenc:pssh for Widevine, cenc:pssh +
//     dashif:Laurl for Clear Key, cenc:pssh + mspr:pro for PlayReady,
//     absent for FairPlay;
//   - the media and master HLS tags are #EXT-X-KEY and #EXT-X-SESSION-KEY
//     with identical attributes, one tag each, no SCHEME, no IV, METHOD
//     per scheme, the system's KEYFORMAT, Widevine's data URI holding the
//     whole box and PlayReady's the PRO with charset=UTF-16, FairPlay's skd
//     URI naming the KID;
//   - PlayReady's CHECKSUM verifies with the key (AESCTR) or is absent
//     (AESCBC), and the Smooth header is the same PRO;
//   - SPEKE v1: URIExtXKey, speke:KeyFormat and speke:KeyFormatVersions
//     are base64 of the URI, KEYFORMAT and KEYFORMATVERSIONS values with
//     the same per-system rules as the v2 tags; speke:ProtectionHeader is
//     the PRO, like the Smooth header;
//   - a KID with FairPlay or HLS AES-128 has an explicitIV of 16 bytes, no
//     explicitIV is the key, and different KIDs have different keys.
//
// keysByKID gives the content keys by lowercase KID; a KID missing from
// it is taken from the response's PlainValue.
func Check(request, response []byte, keysByKID map[string][16]byte) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	var req, resp cpixDoc
	if err := xml.Unmarshal(request, &req); err != nil {
		return []error{fmt.Errorf("request: %w", err)}
	}
	if err := xml.Unmarshal(response, &resp); err != nil {
		return []error{fmt.Errorf("response: %w", err)}
	}
	scheme := map[string]string{}
	for _, k := range req.KeyList.Keys {
		scheme[strings.ToLower(k.KID)] = k.Scheme
	}
	keyOf := map[string][16]byte{}
	ivOf := map[string]*string{}
	for _, k := range resp.KeyList.Keys {
		kid := strings.ToLower(k.KID)
		ivOf[kid] = k.ExplicitIV
		if key, ok := keysByKID[kid]; ok {
			keyOf[kid] = key
			continue
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(k.Data.Secret.PlainValue))
		if err != nil || len(b) != 16 {
			fail("ContentKey %s: no key given and PlainValue is not 16 bytes of base64", kid)
			continue
		}
		keyOf[kid] = [16]byte(b)
	}
	seenKey := map[[16]byte]string{}
	for kid, key := range keyOf {
		if other, dup := seenKey[key]; dup {
			fail("KIDs %s and %s share one content key", kid, other)
		}
		seenKey[key] = kid
		if iv := ivOf[kid]; iv != nil {
			if b, err := base64.StdEncoding.DecodeString(*iv); err == nil && len(b) == 16 && [16]byte(b) == key {
				fail("ContentKey %s: explicitIV equals the content key", kid)
			}
		}
	}

	type pair struct{ kid, system string }
	got := map[pair][]drmSystem{}
	for _, d := range resp.SystemList.Systems {
		p := pair{strings.ToLower(d.KID), strings.ToLower(d.SystemID)}
		got[p] = append(got[p], d)
	}
	wanted := map[pair]bool{}
	for _, rq := range req.SystemList.Systems {
		p := pair{strings.ToLower(rq.KID), strings.ToLower(rq.SystemID)}
		wanted[p] = true
		ds := got[p]
		if len(ds) != 1 {
			fail("DRMSystem %s/%s: %d in the response, want 1", p.kid, p.system, len(ds))
			continue
		}
		c := sysCheck{kid: p.kid, system: p.system, scheme: scheme[p.kid], key: keyOf[p.kid], fail: func(format string, args ...any) {
			fail("DRMSystem %s/%s: "+format, append([]any{p.kid, systemName(p.system)}, args...)...)
		}}
		if _, ok := keyOf[p.kid]; !ok {
			c.fail("no content key")
		}
		c.run(rq, ds[0])
		if p.system == FairPlayID || isAES128(p.system) {
			iv := ivOf[p.kid]
			switch {
			case iv == nil:
				c.fail("no ContentKey@explicitIV")
			default:
				b, err := base64.StdEncoding.DecodeString(*iv)
				if err != nil || len(b) != 16 {
					c.fail("explicitIV %q is not 16 bytes of base64", *iv)
				}
			}
		}
	}
	for p := range got {
		if !wanted[p] {
			fail("DRMSystem %s/%s not in the request", p.kid, p.system)
		}
	}
	return errs
}

func isAES128(id string) bool { return id == ClearKeyAES128ID || id == HLSAES128V1ID }

func systemName(id string) string {
	switch id {
	case WidevineID:
		return "Widevine"
	case PlayReadyID:
		return "PlayReady"
	case FairPlayID:
		return "FairPlay"
	}
	return id
}

type sysCheck struct {
	kid, system, scheme string
	key                 [16]byte
	fail                func(format string, args ...any)
}

func (c sysCheck) run(rq, d drmSystem) {
	// Exactly the requested children, each once per request element.
	for _, n := range []struct {
		name     string
		req, got int
	}{
		{"PSSH", len(rq.PSSH), len(d.PSSH)},
		{"ContentProtectionData", len(rq.CPD), len(d.CPD)},
		{"SmoothStreamingProtectionHeaderData", len(rq.Smooth), len(d.Smooth)},
		{"URIExtXKey", len(rq.URIExtXKey), len(d.URIExtXKey)},
		{"KeyFormat", len(rq.KeyFormat), len(d.KeyFormat)},
		{"KeyFormatVersions", len(rq.KeyFormatVersions), len(d.KeyFormatVersions)},
		{"ProtectionHeader", len(rq.ProtectionHeader), len(d.ProtectionHeader)},
	} {
		if n.req != n.got {
			c.fail("%d %s in the response, %d in the request", n.got, n.name, n.req)
		}
	}
	if !slices.Equal(rq.playlists(), d.playlists()) {
		c.fail("HLSSignalingData playlists %v, request had %v", d.playlists(), rq.playlists())
	}

	var box []byte
	var pssh PSSH
	if len(d.PSSH) == 1 {
		text := strings.TrimSpace(d.PSSH[0].Text)
		if c.system == FairPlayID {
			if text != "" {
				c.fail("PSSH %q; FairPlay has no pssh box, the element stays empty", text)
			}
		} else {
			var err error
			box, err = base64.StdEncoding.Strict().DecodeString(text)
			if err != nil || len(box) == 0 {
				c.fail("PSSH is not base64 of a box: %v", err)
			} else if pssh, err = DecodePSSH(box); err != nil {
				c.fail("mp4ff: %v", err)
			} else {
				c.checkBox(pssh)
			}
		}
	}

	var pro []byte
	if c.system == PlayReadyID && pssh.Data != nil {
		pro = pssh.Data
	}
	if c.system == FairPlayID && len(d.CPD) > 0 {
		c.fail("ContentProtectionData present; FairPlay has none")
	}
	if len(d.CPD) == 1 && c.system != FairPlayID {
		c.checkCPD(strings.TrimSpace(d.CPD[0].Text), box, pro)
	}
	for _, sm := range []struct {
		name  string
		elems []textElem
	}{{"Smooth header", d.Smooth}, {"speke:ProtectionHeader", d.ProtectionHeader}} {
		if len(sm.elems) != 1 {
			continue
		}
		if c.system != PlayReadyID {
			c.fail("%s for a system other than PlayReady", sm.name)
			continue
		}
		b, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSpace(sm.elems[0].Text))
		switch {
		case err != nil:
			c.fail("%s is not base64: %v", sm.name, err)
		case pro != nil && !bytes.Equal(b, pro):
			c.fail("%s differs from the PRO in the pssh", sm.name)
		default:
			c.checkPRO(b)
		}
	}
	c.checkHLS(d.HLS, box, pro)
	c.checkV1HLS(d, box, pro)
}

// checkV1HLS checks the SPEKE v1 HLS children: each base64 of the value
// alone (no quotes, no attribute name).
func (c sysCheck) checkV1HLS(d drmSystem, box, pro []byte) {
	if len(d.URIExtXKey)+len(d.KeyFormat)+len(d.KeyFormatVersions) == 0 {
		return
	}
	value := func(name string, e []textElem) (string, bool) {
		if len(e) != 1 {
			c.fail("SPEKE v1 HLS signaling without %s", name)
			return "", false
		}
		b, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSpace(e[0].Text))
		if err != nil || len(b) == 0 || strings.ContainsAny(string(b), "\"\r\n") {
			c.fail("%s %q is not base64 of a bare value (%v)", name, e[0].Text, err)
			return "", false
		}
		return string(b), true
	}
	uri, ok1 := value("URIExtXKey", d.URIExtXKey)
	kf, ok2 := value("KeyFormat", d.KeyFormat)
	kfv, ok3 := value("KeyFormatVersions", d.KeyFormatVersions)
	if ok1 && ok2 && ok3 {
		c.checkKey(kf, kfv, uri, box, pro)
	}
}

func (c sysCheck) checkBox(p PSSH) {
	if p.SystemID != c.system {
		c.fail("pssh system ID %s", p.SystemID)
	}
	if p.Version == 1 && !slices.Equal(p.KIDs, []string{c.kid}) {
		c.fail("pssh v1 KIDs %v, want [%s]", p.KIDs, c.kid)
	}
	switch c.system {
	case WidevineID:
		w, err := DecodeWidevineData(p.Data)
		if err != nil {
			c.fail("WidevinePsshData: %v", err)
			return
		}
		if !slices.Equal(w.KeyIDs, []string{c.kid}) {
			c.fail("Widevine key_ids %v, want [%s]", w.KeyIDs, c.kid)
		}
		if w.SchemeString() != c.scheme {
			c.fail("Widevine protection_scheme %q, want %q", w.SchemeString(), c.scheme)
		}
	case PlayReadyID:
		c.checkPRO(p.Data)
	}
}

func (c sysCheck) checkPRO(b []byte) {
	p, err := DecodePRO(b)
	if err != nil {
		c.fail("PRO: %v", err)
		return
	}
	ks, err := p.Header.KIDs()
	if err != nil || len(ks) != 1 || ks[0].UUID != c.kid {
		c.fail("PRO KIDs %+v (%v), want %s", ks, err, c.kid)
		return
	}
	k := ks[0]
	wantAlg, wantVersion := "AESCTR", "4.0.0.0"
	if c.scheme == "cbcs" || c.scheme == "cbc1" {
		wantAlg, wantVersion = "AESCBC", "4.3.0.0"
	}
	if k.AlgID != wantAlg || p.Header.Version != wantVersion {
		c.fail("PRO ALGID %s version %s, want %s %s", k.AlgID, p.Header.Version, wantAlg, wantVersion)
	}
	if wantAlg == "AESCBC" {
		if k.Checksum != "" {
			c.fail("CHECKSUM on an AESCBC KID")
		}
		return
	}
	guid, _ := base64.StdEncoding.DecodeString(k.GUIDB64)
	want, err := PlayReadyChecksum(guid, c.key[:])
	if err != nil || k.Checksum != want {
		c.fail("CHECKSUM %q does not verify with the content key", k.Checksum)
	}
}

// checkCPD parses the decoded ContentProtectionData as a standalone
// fragment of prefixed root elements and compares their qualified names.
func (c sysCheck) checkCPD(b64 string, box, pro []byte) {
	raw, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		c.fail("ContentProtectionData is not base64: %v", err)
		return
	}
	roots, err := fragmentRoots(raw)
	if err != nil {
		c.fail("ContentProtectionData %q: %v", raw, err)
		return
	}
	var names []string
	for _, r := range roots {
		names = append(names, r.name)
	}
	const pssh, laurl, mspr = "cenc:pssh", "dashif:Laurl", "mspr:pro"
	switch c.system {
	case WidevineID:
		if !slices.Equal(names, []string{pssh}) {
			c.fail("ContentProtectionData roots %v, want one %s", names, pssh)
			return
		}
	case CommonID:
		if !slices.Equal(names, []string{pssh, laurl}) {
			c.fail("ContentProtectionData roots %v, want %s and %s", names, pssh, laurl)
			return
		}
		if roots[1].attrs["licenseType"] != "EME-1.0" {
			c.fail("ContentProtectionData Laurl licenseType %q, want EME-1.0", roots[1].attrs["licenseType"])
		}
		if u, err := url.Parse(roots[1].text); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			c.fail("ContentProtectionData Laurl %q is not an http(s) URL", roots[1].text)
		}
	case PlayReadyID:
		if !slices.Equal(names, []string{pssh, mspr}) {
			c.fail("ContentProtectionData roots %v, want %s and %s", names, pssh, mspr)
			return
		}
		if p, err := base64.StdEncoding.Strict().DecodeString(roots[1].text); err != nil || (pro != nil && !bytes.Equal(p, pro)) {
			c.fail("ContentProtectionData pro is not the PRO in the pssh")
		}
	}
	if b, err := base64.StdEncoding.Strict().DecodeString(roots[0].text); err != nil || !bytes.Equal(b, box) {
		c.fail("ContentProtectionData pssh differs from PSSH")
	}
}

// root is one top-level element of a fragment: its qualified name as
// written, its unprefixed attributes and its text.
type root struct {
	name  string
	attrs map[string]string
	text  string
}

// cpdPrefixes are the only prefixes DASH signaling uses, each bound to its
// namespace: players match these names literally (Shaka Player and
// ExoPlayer "cenc:pssh", dash.js "dashif").
var cpdPrefixes = map[string]string{"cenc": nsCENC, "mspr": nsMSPR, "dashif": nsDashIF}

// fragmentRoots reads a sequence of top-level elements without a wrapper.
// Each must use one of cpdPrefixes, declare it on itself with its
// namespace, and declare nothing else; RawToken leaves prefixes
// unresolved, so the prefix shows up in Name.Space.
func fragmentRoots(raw []byte) ([]root, error) {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	var roots []root
	depth := 0
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth > 0 {
				return nil, fmt.Errorf("element %s:%s inside a root", t.Name.Space, t.Name.Local)
			}
			uri, ok := cpdPrefixes[t.Name.Space]
			if !ok {
				return nil, fmt.Errorf("element %q, want a cenc:, mspr: or dashif: prefix", t.Name.Space+":"+t.Name.Local)
			}
			r := root{name: t.Name.Space + ":" + t.Name.Local, attrs: map[string]string{}}
			declared := false
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns" && a.Name.Local == t.Name.Space && a.Value == uri:
					declared = true
				case a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns"):
					return nil, fmt.Errorf("%s declares %s=%q", r.name, a.Name.Space+":"+a.Name.Local, a.Value)
				default:
					r.attrs[a.Name.Local] = a.Value
				}
			}
			if !declared {
				return nil, fmt.Errorf("%s does not declare xmlns:%s=%q", r.name, t.Name.Space, uri)
			}
			roots = append(roots, r)
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 1 {
				roots[len(roots)-1].text += string(t)
			} else if depth == 0 && strings.TrimSpace(string(t)) != "" {
				return nil, fmt.Errorf("text outside elements")
			}
		case xml.ProcInst, xml.Directive:
			return nil, fmt.Errorf("declaration or directive in a fragment")
		}
	}
	if depth != 0 || len(roots) == 0 {
		return nil, fmt.Errorf("not a complete fragment")
	}
	return roots, nil
}

func (c sysCheck) checkHLS(hls []hlsElem, box, pro []byte) {
	lines := map[string]string{}
	for _, h := range hls {
		raw, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSpace(h.Text))
		if err != nil || len(raw) == 0 {
			c.fail("HLSSignalingData %s is not base64 of a tag: %v", h.Playlist, err)
			return
		}
		s := strings.TrimSuffix(string(raw), "\n")
		if strings.ContainsAny(s, "\r\n") {
			c.fail("HLSSignalingData %s holds several lines: %q", h.Playlist, s)
			return
		}
		lines[h.Playlist] = s
	}
	media, hasMedia := lines["media"]
	master, hasMaster := lines["master"]
	if !hasMedia || !hasMaster {
		return // the playlist comparison already reported it
	}
	attrs, ok := strings.CutPrefix(media, "#EXT-X-KEY:")
	if !ok {
		c.fail("media tag %q is not #EXT-X-KEY", media)
		return
	}
	if m, ok := strings.CutPrefix(master, "#EXT-X-SESSION-KEY:"); !ok || m != attrs {
		c.fail("master tag %q is not #EXT-X-SESSION-KEY with the media attributes %q", master, attrs)
	}
	a, err := parseAttrs(attrs)
	if err != nil {
		c.fail("HLS attributes %q: %v", attrs, err)
		return
	}
	for _, forbidden := range []string{"SCHEME", "IV"} {
		if _, ok := a[forbidden]; ok {
			c.fail("HLS tag has %s", forbidden)
		}
	}
	if kid, ok := a["KEYID"]; ok && !strings.EqualFold(kid, "0x"+strings.ReplaceAll(c.kid, "-", "")) {
		c.fail("KEYID %s is not the DRMSystem's KID", kid)
	}
	wantMethod := map[string]string{"cbcs": "SAMPLE-AES", "cenc": "SAMPLE-AES-CTR", "cbc1": "AES-128"}[c.scheme]
	if a["METHOD"] != wantMethod {
		c.fail("METHOD %s, want %s for %s", a["METHOD"], wantMethod, c.scheme)
	}
	for _, n := range []string{"URI", "KEYFORMAT", "KEYFORMATVERSIONS"} {
		if v := a[n]; len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			c.fail("%s %s is not a quoted string", n, v)
		}
	}
	c.checkKey(strings.Trim(a["KEYFORMAT"], `"`), strings.Trim(a["KEYFORMATVERSIONS"], `"`), strings.Trim(a["URI"], `"`), box, pro)
}

// checkKey checks the KEYFORMAT, KEYFORMATVERSIONS and URI values (without
// quotes) of one system's HLS key, in a v2 tag or as v1 parts.
func (c sysCheck) checkKey(keyFormat, keyFormatVersions, uri string, box, pro []byte) {
	if keyFormatVersions != "1" {
		c.fail("KEYFORMATVERSIONS %s", keyFormatVersions)
	}
	switch c.system {
	case WidevineID:
		if keyFormat != "urn:uuid:"+WidevineID {
			c.fail("KEYFORMAT %s", keyFormat)
		}
		b64, ok := strings.CutPrefix(uri, "data:text/plain;base64,")
		if b, err := base64.StdEncoding.Strict().DecodeString(b64); !ok || err != nil || !bytes.Equal(b, box) {
			c.fail("URI %q does not carry the whole pssh box", uri)
		}
	case PlayReadyID:
		if keyFormat != "com.microsoft.playready" {
			c.fail("KEYFORMAT %s", keyFormat)
		}
		b64, ok := strings.CutPrefix(uri, "data:text/plain;charset=UTF-16;base64,")
		b, err := base64.StdEncoding.Strict().DecodeString(b64)
		if !ok || err != nil || (pro != nil && !bytes.Equal(b, pro)) {
			c.fail("URI %q does not carry the PRO with charset=UTF-16", uri)
		} else {
			c.checkPRO(b)
		}
	case ClearKeyAES128ID, HLSAES128V1ID:
		if keyFormat != "identity" {
			c.fail("KEYFORMAT %s", keyFormat)
		}
		if u, err := url.Parse(uri); err != nil || (u.Scheme != "https" && u.Scheme != "http") || !strings.HasSuffix(u.Path, "/"+c.kid) {
			c.fail("URI %q is not a key URL ending in KID %s", uri, c.kid)
		}
	case FairPlayID:
		if keyFormat != "com.apple.streamingkeydelivery" {
			c.fail("KEYFORMAT %s", keyFormat)
		}
		if !strings.HasPrefix(uri, "skd://") || !skdNamesKID(uri, c.kid) {
			c.fail("URI %q is not an skd URI naming KID %s", uri, c.kid)
		}
	}
}

// skdNamesKID accepts the KID as a UUID or 32 hex digits anywhere in the
// URI, or as KeyId in the MediaPackage guide's base64 JSON form.
func skdNamesKID(uri, kid string) bool {
	l := strings.ToLower(uri)
	if strings.Contains(l, kid) || strings.Contains(l, strings.ReplaceAll(kid, "-", "")) {
		return true
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(uri, "skd://"))
	if err != nil {
		return false
	}
	var j struct{ KeyId string }
	return json.Unmarshal(raw, &j) == nil && strings.EqualFold(j.KeyId, kid)
}

// parseAttrs splits an HLS attribute list (RFC 8216 §4.2), keeping quoted
// values with their quotes, and rejects duplicate names.
func parseAttrs(s string) (map[string]string, error) {
	m := map[string]string{}
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("attribute without a name or value in %q", s)
		}
		name := s[:eq]
		if strings.Trim(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
			return nil, fmt.Errorf("bad attribute name %q", name)
		}
		s = s[eq+1:]
		var v string
		if strings.HasPrefix(s, `"`) {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quoted string")
			}
			v, s = s[:end+2], s[end+2:]
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			v, s = s[:end], s[end:]
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("duplicate attribute %s", name)
		}
		m[name] = v
		if s != "" {
			if s[0] != ',' || len(s) == 1 {
				return nil, fmt.Errorf("expected a comma before %q", s)
			}
			s = s[1:]
		}
	}
	return m, nil
}
