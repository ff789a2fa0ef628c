package cpix

import (
	"github.com/beevik/etree"
)

// Document is a parsed CPIX document. The exported slices model the lists
// SPEKE acts on; everything else in the tree is kept and written back as it
// came.
type Document struct {
	tree      *etree.Document
	root      *etree.Element
	rootScope *scope
	// b64 holds content set with SetBase64: raw bytes the writer encodes
	// straight into the output, so no base64 string is ever built.
	b64 map[*etree.Element][]byte

	// ListCounts counts each top-level CPIX list element by local name
	// ("ContentKeyList", "DRMSystemList", ...), so callers can insist on
	// exactly one.
	ListCounts map[string]int

	ContentKeys []*ContentKey
	DRMSystems  []*DRMSystem
	Periods     []*ContentKeyPeriod
	UsageRules  []*UsageRule
	// DeliveryData are the DeliveryDataList entries: the recipients of
	// content key encryption (package cke reads and fills them).
	DeliveryData []*Element
	// Other is every root child element that is not a known CPIX list.
	Other []Name
}

// Name is an element's namespace URI and local name.
type Name struct{ Space, Local string }

// Element is any element of the document with namespace-aware accessors.
type Element struct {
	e     *etree.Element
	scope *scope
	doc   *Document
}

// Attr returns the value of the unqualified attribute name and whether it
// is present. CPIX attributes are unqualified, so a prefixed attribute of
// the same local name is a different attribute and is not returned.
func (x *Element) Attr(name string) (string, bool) { return attr(x.e, name) }

// Name returns the element's namespace URI and local name.
func (x *Element) Name() Name {
	u, _ := x.scope.lookup(x.e.Space)
	return Name{u, x.e.Tag}
}

// HasContent reports whether the element has child elements or
// non-whitespace text.
func (x *Element) HasContent() bool { return hasContent(x.e) }

func attr(e *etree.Element, name string) (string, bool) {
	for i := range e.Attr {
		if e.Attr[i].Space == "" && e.Attr[i].Key == name {
			return e.Attr[i].Value, true
		}
	}
	return "", false
}

func hasContent(e *etree.Element) bool {
	for _, c := range e.Child {
		switch t := c.(type) {
		case *etree.Element:
			return true
		case *etree.CharData:
			if !isXMLSpace(t.Data) {
				return true
			}
		}
	}
	return false
}

func isXMLSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n':
		default:
			return false
		}
	}
	return true
}

// text returns the concatenated character data of e's direct children.
func text(e *etree.Element) string {
	var s string
	for _, c := range e.Child {
		if t, ok := c.(*etree.CharData); ok {
			s += t.Data
		}
	}
	return s
}

// Attr returns a root (CPIX element) attribute.
func (d *Document) Attr(name string) (string, bool) { return attr(d.root, name) }

// ContentKey is a cpix:ContentKey.
type ContentKey struct {
	Element
	// Secret is the request's pskc:Secret under cpix:Data, if any.
	secret *etree.Element
	// ValueElements lists the local names of pskc value elements the request
	// carried with content (PlainValue, EncryptedValue).
	ValueElements []string
	// Children are the other child elements (e.g. v2.1 HDCPData).
	Children []Name
}

// DRMSystem is a cpix:DRMSystem and the signaling children it asks for.
type DRMSystem struct {
	Element
	PSSH                  []*Element
	ContentProtectionData []*Element
	SmoothStreaming       []*Element
	HLSSignalingData      []*Element
	// SPEKE v1 children: cpix:URIExtXKey, speke:KeyFormat,
	// speke:KeyFormatVersions (HLS) and speke:ProtectionHeader (Smooth).
	URIExtXKey        []*Element
	KeyFormat         []*Element
	KeyFormatVersions []*Element
	ProtectionHeader  []*Element
	// Other are child elements that are none of the above (foreign
	// elements).
	Other []*Element
}

// ContentKeyPeriod is a cpix:ContentKeyPeriod.
type ContentKeyPeriod struct{ Element }

// UsageRule is a cpix:ContentKeyUsageRule and its filters.
type UsageRule struct {
	Element
	Filters []*Element
	// Other are child elements that are not CPIX elements.
	Other []Name
}

// build fills the model from the checked tree.
func (d *Document) build(scopes map[*etree.Element]*scope) {
	el := func(e *etree.Element) Element { return Element{e: e, scope: scopes[e], doc: d} }
	uri := func(e *etree.Element) string { u, _ := scopes[e].lookup(e.Space); return u }
	d.ListCounts = map[string]int{}
	for _, list := range d.root.ChildElements() {
		if uri(list) != NSCPIX {
			d.Other = append(d.Other, Name{uri(list), list.Tag})
			continue
		}
		d.ListCounts[list.Tag]++
		switch list.Tag {
		case "ContentKeyList":
			for _, c := range list.ChildElements() {
				if uri(c) == NSCPIX && c.Tag == "ContentKey" {
					d.ContentKeys = append(d.ContentKeys, d.contentKey(c, el, uri))
				}
			}
		case "DRMSystemList":
			for _, c := range list.ChildElements() {
				if uri(c) == NSCPIX && c.Tag == "DRMSystem" {
					d.DRMSystems = append(d.DRMSystems, drmSystem(c, el, uri))
				}
			}
		case "ContentKeyPeriodList":
			for _, c := range list.ChildElements() {
				if uri(c) == NSCPIX && c.Tag == "ContentKeyPeriod" {
					d.Periods = append(d.Periods, &ContentKeyPeriod{el(c)})
				}
			}
		case "ContentKeyUsageRuleList":
			for _, c := range list.ChildElements() {
				if uri(c) == NSCPIX && c.Tag == "ContentKeyUsageRule" {
					r := &UsageRule{Element: el(c)}
					for _, f := range c.ChildElements() {
						if uri(f) == NSCPIX {
							x := el(f)
							r.Filters = append(r.Filters, &x)
						} else {
							r.Other = append(r.Other, Name{uri(f), f.Tag})
						}
					}
					d.UsageRules = append(d.UsageRules, r)
				}
			}
		case "DeliveryDataList":
			for _, c := range list.ChildElements() {
				if uri(c) == NSCPIX && c.Tag == "DeliveryData" {
					x := el(c)
					d.DeliveryData = append(d.DeliveryData, &x)
				}
			}
		}
	}
}

func (d *Document) contentKey(c *etree.Element, el func(*etree.Element) Element, uri func(*etree.Element) string) *ContentKey {
	k := &ContentKey{Element: el(c)}
	for _, ch := range c.ChildElements() {
		if uri(ch) == NSCPIX && ch.Tag == "Data" {
			for _, s := range ch.ChildElements() {
				if uri(s) == NSPSKC && s.Tag == "Secret" {
					k.secret = s
					for _, v := range s.ChildElements() {
						if uri(v) == NSPSKC && hasContent(v) {
							k.ValueElements = append(k.ValueElements, v.Tag)
						}
					}
				}
			}
			continue
		}
		k.Children = append(k.Children, Name{uri(ch), ch.Tag})
	}
	return k
}

func drmSystem(c *etree.Element, el func(*etree.Element) Element, uri func(*etree.Element) string) *DRMSystem {
	s := &DRMSystem{Element: el(c)}
	for _, ch := range c.ChildElements() {
		x := el(ch)
		var list *[]*Element
		switch (Name{uri(ch), ch.Tag}) {
		case Name{NSCPIX, "PSSH"}:
			list = &s.PSSH
		case Name{NSCPIX, "ContentProtectionData"}:
			list = &s.ContentProtectionData
		case Name{NSCPIX, "SmoothStreamingProtectionHeaderData"}:
			list = &s.SmoothStreaming
		case Name{NSCPIX, "HLSSignalingData"}:
			list = &s.HLSSignalingData
		case Name{NSCPIX, "URIExtXKey"}:
			list = &s.URIExtXKey
		case Name{NSSPEKE, "KeyFormat"}:
			list = &s.KeyFormat
		case Name{NSSPEKE, "KeyFormatVersions"}:
			list = &s.KeyFormatVersions
		case Name{NSSPEKE, "ProtectionHeader"}:
			list = &s.ProtectionHeader
		default:
			list = &s.Other
		}
		*list = append(*list, &x)
	}
	return s
}
