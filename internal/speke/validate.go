package speke

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/speke-go/keyprovider/internal/cke"
	"github.com/speke-go/keyprovider/internal/cpix"
	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// Limits on what one request may ask for.
const (
	// MaxContentKeys: the largest preset combination is 8 video + 3 audio
	// keys; 128 leaves room for multi-period live requests.
	MaxContentKeys = 128
	// MaxDRMSystems: one per key per DRM system, five systems at most.
	MaxDRMSystems = 5 * MaxContentKeys
	// MaxContentIDBytes: MediaPackage allows 256 characters; other
	// encryptors are given more room, but not unbounded room.
	MaxContentIDBytes = 1024
)

type plan struct {
	v1        bool
	enc       *cke.Document // nil: keys go in the clear
	contentID string
	kids      []uuid.UUID // one per ContentKey, in document order
	keys      []keyPlan
	systems   []systemPlan
	extra     int // bytes of signaling we expect to add, for buffer sizing
}

type keyPlan struct {
	el      *cpix.ContentKey
	kidText string
	scheme  drm.Scheme
	iv      keys.IV
	hasIV   bool // the request carried explicitIV
	needsIV bool // some DRMSystem for this KID needs an IV
}

type systemPlan struct {
	el     *cpix.DRMSystem
	sys    drm.System
	key    int // index into plan.keys
	idText string
	want   drm.Want
	// The HLSSignalingData for the media and the master playlist; both
	// nil or both set.
	hlsMedia, hlsMain *cpix.Element
	// SPEKE v1 HLS children; each is nil or the one requested element.
	uriExtXKey, keyFormat, keyFormatVersions *cpix.Element
}

// sizeHint is the response size: the request, the signaling, and per key
// the Data/Secret/PlainValue elements and an explicitIV (about 170 bytes).
// Too small costs a copy of the whole buffer, so it errs high.
func (p *plan) sizeHint(reqLen int) int {
	n := reqLen + p.extra + 256*len(p.keys)
	if p.enc != nil {
		// EncryptedValue and ValueMAC per key; two RSA blocks per recipient.
		n += 512*len(p.keys) + 4096*len(p.enc.Recipients())
	}
	return n + n/8 + 512
}

// validate applies the SPEKE v2.0/v2.1 rules in the order of the
// specification's error table, so the first broken rule names the error;
// SPEKE v1.0 requests get the v1 rules at the same points.
func (s *Service) validate(doc *cpix.Document, v version) (*plan, error) {
	p := &plan{v1: v.v1}
	if err := p.identity(doc, v); err != nil {
		return nil, err
	}
	if err := checkLists(doc, v); err != nil {
		return nil, err
	}
	index, err := p.contentKeys(doc, v)
	if err != nil {
		return nil, err
	}
	if err := p.drmSystems(doc, s.drm, index); err != nil {
		return nil, err
	}
	periods, err := checkPeriods(doc, v)
	if err != nil {
		return nil, err
	}
	if v.v1 {
		err = checkKeyPeriodRules(doc, index, periods)
	} else {
		err = checkContract(doc, index, periods)
	}
	if err != nil {
		return nil, err
	}
	// The certificate is checked with every other rule, before any key is
	// fetched.
	if p.enc, err = cke.ForDocument(doc); err != nil {
		return nil, fmt.Errorf("speke: DeliveryData: %w", err)
	}
	return p, nil
}

// identity reads the content ID and checks CPIX@version. SPEKE v2 has
// CPIX@contentId and a CPIX@version paired with the header; SPEKE v1 has
// CPIX@id and no version (CPIX 2.0 had none), so a version there means a
// v2 document sent without its X-Speke-Version header.
func (p *plan) identity(doc *cpix.Document, v version) error {
	idAttr, missing := "contentId", MsgMissingContentID
	if v.v1 {
		if ver, ok := doc.Attr("version"); ok && ver != "" {
			return rejectDetail(MsgUnsupportedVersion, "CPIX@version "+quote(ver)+" in a SPEKE v1.0 request (no X-Speke-Version)")
		}
		idAttr, missing = "id", MsgMissingID
	}
	cid, ok := doc.Attr(idAttr)
	if !ok || cid == "" {
		return reject(missing)
	}
	if err := checkContentID(cid, idAttr); err != nil {
		return err
	}
	p.contentID = cid
	if v.v1 {
		return nil
	}
	ver, ok := doc.Attr("version")
	if !ok || ver == "" {
		return reject(MsgMissingVersion)
	}
	if ver != v.cpix {
		return rejectDetail(MsgUnsupportedVersion, "CPIX@version "+quote(ver)+" with X-Speke-Version "+v.header)
	}
	return nil
}

// checkContentID keeps the content ID printable and bounded: it ends up in
// key URLs, store keys and log lines.
func checkContentID(cid, attr string) error {
	if !ValidContentID(cid) {
		return reject("Invalid CPIX@" + attr)
	}
	return nil
}

// ValidContentID reports whether cid is a content ID this service issues
// keys for: non-empty, valid UTF-8, at most MaxContentIDBytes, no control
// characters. The player routes apply the same rule to the content IDs
// they are asked for.
func ValidContentID(cid string) bool {
	if cid == "" || len(cid) > MaxContentIDBytes || !utf8.ValidString(cid) {
		return false
	}
	for _, r := range cid {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func checkLists(doc *cpix.Document, v version) error {
	for _, l := range []string{"ContentKeyList", "DRMSystemList"} {
		switch n := doc.ListCounts[l]; {
		case n == 0:
			return reject("Missing " + l)
		case n > 1:
			return reject("Duplicate " + l)
		}
	}
	// SPEKE v1 has no encryption contract: usage rules appear only to tie
	// keys to periods (live), so the list is optional there.
	switch n := doc.ListCounts["ContentKeyUsageRuleList"]; {
	case n == 0 && !v.v1:
		return reject(MsgMissingContract)
	case n > 1 && v.v1:
		return reject("Duplicate ContentKeyUsageRuleList")
	case n > 1:
		return rejectDetail(MsgMalformedContract, "more than one ContentKeyUsageRuleList")
	}
	for _, l := range []string{"ContentKeyPeriodList", "DeliveryDataList"} {
		if doc.ListCounts[l] > 1 {
			return reject("Duplicate " + l)
		}
	}
	if doc.ListCounts["DeliveryDataList"] == 1 && len(doc.DeliveryData) == 0 {
		// Asking for encryption without saying for whom: answering in the
		// clear would ignore the request, so refuse it.
		return reject("Missing DeliveryData")
	}
	return nil
}

// schemes maps commonEncryptionScheme values to the CENC scheme used for
// compatibility checks. SPEKE v2.1 also allows the HLS METHOD names.
var schemes = map[string]drm.Scheme{
	"cenc": drm.CENC, "cbc1": drm.CBC1, "cens": drm.CENS, "cbcs": drm.CBCS,
}

var hlsMethodSchemes = map[string]drm.Scheme{
	"AES-128": drm.CBC1, "SAMPLE-AES": drm.CBCS, "SAMPLE-AES-CTR": drm.CENC,
}

func (p *plan) contentKeys(doc *cpix.Document, v version) (map[uuid.UUID]int, error) {
	kids, texts, index, err := contentKeyIDs(doc)
	if err != nil {
		return nil, err
	}
	p.kids = kids
	p.keys = make([]keyPlan, len(kids))
	for i, ck := range doc.ContentKeys {
		p.keys[i] = keyPlan{el: ck, kidText: texts[i]}
	}
	// Schemes in a second pass: a missing KID is reported before a missing
	// scheme, whatever the key order.
	// SPEKE v1 has no commonEncryptionScheme: keys without one stay
	// drm.Unspecified, and one given is checked as in v2.0.
	first, seen := drm.Unspecified, false
	for i := range p.keys {
		k := &p.keys[i]
		raw, ok := k.el.Attr("commonEncryptionScheme")
		if (!ok || raw == "") && v.v1 {
			continue
		}
		if !ok || raw == "" {
			return nil, reject(MsgMissingSchemeForKID + k.kidText)
		}
		sc, ok := schemes[raw]
		if !ok && v.v21 {
			sc, ok = hlsMethodSchemes[raw]
		}
		if !ok {
			return nil, reject("Unsupported ContentKey@commonEncryptionScheme for KID " + k.kidText)
		}
		if !seen {
			first, seen = sc, true
		} else if sc != first {
			return nil, reject(MsgNonCompliantSchemes)
		}
		k.scheme = sc
	}
	for i := range p.keys {
		k := &p.keys[i]
		if ivText, ok := k.el.Attr("explicitIV"); ok {
			iv, err := decodeBase64Exact(ivText, 16)
			if err != nil {
				return nil, reject("Invalid ContentKey@explicitIV for KID " + k.kidText)
			}
			copy(k.iv[:], iv)
			k.hasIV = true
		}
		if len(k.el.KeyElements) > 0 {
			// A key provider issues keys; it never takes one from the
			// request.
			return nil, reject(msgUnexpectedValue + k.kidText)
		}
	}
	if err := refuseStrayKeys(doc); err != nil {
		return nil, err
	}
	return index, nil
}

// refuseStrayKeys refuses a key element outside the ContentKeys of the
// model (a PSKC value or Secret anywhere else, a ContentKey outside the
// ContentKeyList). The model does not see it, so it would be echoed, and
// a client could read it as ours. SPEKE requests and key exports share it.
func refuseStrayKeys(doc *cpix.Document) error {
	if len(doc.StrayKeyElements) == 0 {
		return nil
	}
	if doc.StrayKeyElements[0].Local == "ContentKey" {
		return reject("Unexpected ContentKey outside ContentKeyList")
	}
	return reject("Unexpected key value in request")
}

// uuidAttr reads the mandatory UUID attribute owner@name: "Missing" when
// absent or empty, "Invalid" when not a UUID. It also returns the text as
// sent, for messages that echo it.
func uuidAttr(el interface{ Attr(string) (string, bool) }, owner, name string) (uuid.UUID, string, error) {
	text, ok := el.Attr(name)
	if !ok || text == "" {
		return uuid.UUID{}, "", reject("Missing " + owner + "@" + name)
	}
	u, err := uuid.Parse(text)
	if err != nil {
		return uuid.UUID{}, "", reject("Invalid " + owner + "@" + name)
	}
	return u, text, nil
}

// contentKeyIDs reads every ContentKey@kid in document order, with the
// SPEKE messages for too few or too many ContentKeys and for a missing,
// malformed or repeated KID. It returns the
// KIDs, their text as written, and each KID's index. SPEKE requests and
// key exports share it, so both refuse a KID with the same words.
func contentKeyIDs(doc *cpix.Document) ([]uuid.UUID, []string, map[uuid.UUID]int, error) {
	switch n := len(doc.ContentKeys); {
	case n == 0:
		return nil, nil, nil, reject("Missing ContentKey")
	case n > MaxContentKeys:
		return nil, nil, nil, reject("Too many ContentKey elements")
	}
	kids := make([]uuid.UUID, 0, len(doc.ContentKeys))
	texts := make([]string, 0, len(doc.ContentKeys))
	index := make(map[uuid.UUID]int, len(doc.ContentKeys))
	for _, ck := range doc.ContentKeys {
		kid, text, err := uuidAttr(ck, "ContentKey", "kid")
		if err != nil {
			return nil, nil, nil, err
		}
		if _, dup := index[kid]; dup {
			return nil, nil, nil, reject("Duplicate ContentKey@kid " + kid.String())
		}
		index[kid] = len(kids)
		kids = append(kids, kid)
		texts = append(texts, text)
	}
	return kids, texts, index, nil
}

// decodeBase64Exact decodes XML base64Binary text to exactly n bytes: XML
// whitespace is removed, padding is required (the standard decoder's
// rule), and the alphabet is the standard one. Non-zero trailing bits are accepted
// and dropped, as standard decoders do: AWS's own SPEKE examples carry
// such IVs (L6jzdXrXAFbCJGBuMrrKrG==).
func decodeBase64Exact(s string, n int) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != n {
		return nil, errors.New("bad base64")
	}
	return b, nil
}

// checkIVs refuses a request's explicitIV that equals its content key: the
// key would be published in ContentKey@explicitIV and in every playlist
// that carries the IV. It is the one rule that needs the keys, so it runs
// after the key source; it can only refuse a key that existed before the
// request (a new key equals a given IV with probability 2^-128), and a
// derived IV never equals its key.
func (p *plan) checkIVs(got []keys.Key) error {
	for i := range p.keys {
		if k := &p.keys[i]; k.hasIV && got[i].Reveal() == k.iv {
			return reject("Invalid ContentKey@explicitIV for KID " + k.kidText)
		}
	}
	return nil
}

// maxQuoted bounds a request-derived string quoted in an error message or
// log detail, so a 200 KB element name cannot make a 200 KB answer.
const maxQuoted = 64

// quote returns s cut to maxQuoted bytes on a rune boundary, with "..."
// marking a cut.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func (p *plan) drmSystems(doc *cpix.Document, reg *drm.Registry, index map[uuid.UUID]int) error {
	switch n := len(doc.DRMSystems); {
	case n == 0:
		return reject("Missing DRMSystem")
	case n > MaxDRMSystems:
		return reject("Too many DRMSystem elements")
	}
	seen := make(map[[2]uuid.UUID]bool, len(doc.DRMSystems))
	p.systems = make([]systemPlan, 0, len(doc.DRMSystems))
	for _, ds := range doc.DRMSystems {
		ki, sys, idText, err := drmSystemFor(ds, reg, index, seen)
		if err != nil {
			return err
		}
		sp := systemPlan{el: ds, sys: sys, key: ki, idText: idText}
		if err := sp.children(p.v1); err != nil {
			return err
		}
		p.systems = append(p.systems, sp)
	}
	// Compatibility after structure, as in the specification's error table.
	for i := range p.systems {
		sp := &p.systems[i]
		if sc := p.keys[sp.key].scheme; sc != drm.Unspecified && !sp.sys.Supports(sc) {
			return reject(MsgSchemeNotCompatibleWith + sp.idText)
		}
		// What the system can produce is static, so a request it cannot
		// answer is refused here, before any key is fetched or created.
		if c := sp.want.Unsupported(sp.sys.Children()); c != "" {
			return reject(c + " is not supported for DRMSystem " + sp.idText)
		}
		if sp.sys.NeedsIV() {
			p.keys[sp.key].needsIV = true
		}
	}
	return nil
}

// drmSystemFor reads a DRMSystem's KID and system ID with the SPEKE
// messages, and returns the index of its ContentKey, its system and the
// system ID as written. seen (KID, system ID pairs) catches repeats. SPEKE
// requests and key exports share it.
func drmSystemFor(ds *cpix.DRMSystem, reg *drm.Registry, index map[uuid.UUID]int, seen map[[2]uuid.UUID]bool) (int, drm.System, string, error) {
	kid, _, err := uuidAttr(ds, "DRMSystem", "kid")
	if err != nil {
		return 0, nil, "", err
	}
	ki, ok := index[kid]
	if !ok {
		return 0, nil, "", reject("DRMSystem@kid " + kid.String() + " has no ContentKey")
	}
	sid, idText, err := uuidAttr(ds, "DRMSystem", "systemId")
	if err != nil {
		return 0, nil, "", err
	}
	if seen[[2]uuid.UUID{kid, sid}] {
		return 0, nil, "", reject("Duplicate DRMSystem " + sid.String() + " for KID " + kid.String())
	}
	seen[[2]uuid.UUID{kid, sid}] = true
	sys, ok := reg.Lookup(sid)
	if !ok {
		return 0, nil, "", reject("Unsupported DRMSystem " + idText)
	}
	return ki, sys, idText, nil
}

// children records which signaling the DRMSystem asks for and rejects
// requests we could not answer completely. The SPEKE v1 children are
// accepted only in v1 (v2 deprecated the speke: namespace); in v1 they ask
// for the same signaling as their v2 successors: URIExtXKey, KeyFormat and
// KeyFormatVersions for the HLS key, ProtectionHeader for Smooth.
func (sp *systemPlan) children(v1 bool) error {
	ds := sp.el
	type named struct {
		name string
		els  []*cpix.Element
	}
	v1Children := [...]named{
		{"URIExtXKey", ds.URIExtXKey}, {"KeyFormat", ds.KeyFormat},
		{"KeyFormatVersions", ds.KeyFormatVersions}, {"ProtectionHeader", ds.ProtectionHeader},
	}
	if len(ds.Other) > 0 {
		n := ds.Other[0].Name()
		return rejectDetail("Unsupported element "+quote(n.Local)+" in DRMSystem "+sp.idText, quote(n.Space))
	}
	for _, c := range v1Children {
		if len(c.els) > 0 && !v1 {
			return reject("Unsupported element " + c.name + " in DRMSystem " + sp.idText)
		}
	}
	for _, c := range [...]named{
		{drm.ChildPSSH, ds.PSSH}, {drm.ChildCPD, ds.ContentProtectionData}, {drm.ChildSmoothStreaming, ds.SmoothStreaming},
		v1Children[0], v1Children[1], v1Children[2], v1Children[3],
	} {
		if len(c.els) > 1 {
			return reject("Duplicate " + c.name + " in DRMSystem " + sp.idText)
		}
	}
	sp.want = drm.Want{
		PSSH:                  len(ds.PSSH) == 1,
		ContentProtectionData: len(ds.ContentProtectionData) == 1,
		SmoothStreaming:       len(ds.SmoothStreaming) == 1 || len(ds.ProtectionHeader) == 1,
	}
	first := func(els []*cpix.Element) *cpix.Element {
		if len(els) == 0 {
			return nil
		}
		return els[0]
	}
	sp.uriExtXKey, sp.keyFormat, sp.keyFormatVersions = first(ds.URIExtXKey), first(ds.KeyFormat), first(ds.KeyFormatVersions)
	if sp.uriExtXKey != nil || sp.keyFormat != nil || sp.keyFormatVersions != nil {
		sp.want.HLS = true
	}
	media, main := 0, 0
	for _, h := range ds.HLSSignalingData {
		switch pl, _ := h.Attr("playlist"); pl {
		case "media":
			media++
			sp.hlsMedia = h
		case "master", "multiVariant": // SPEKE says master; the CPIX 2.4 XSD says multiVariant
			main++
			sp.hlsMain = h
		default:
			return reject("Invalid HLSSignalingData@playlist in DRMSystem " + sp.idText)
		}
	}
	if len(ds.HLSSignalingData) > 0 {
		if media != 1 || main != 1 {
			return reject("HLSSignalingData needs one media and one master playlist in DRMSystem " + sp.idText)
		}
		sp.want.HLS = true
	}
	return nil
}
