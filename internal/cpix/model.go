package cpix

import (
	"strings"

	"github.com/beevik/etree"
)

// Document is a parsed CPIX document. The exported slices model the lists
// SPEKE acts on; everything else in the tree is kept and written back as it
// came.
type Document struct {
	tree      *etree.Document
	root      *etree.Element
	rootScope *scope
	// info holds each element's scope and namespace URI, from the parse
	// walk and for elements created since.
	info map[*etree.Element]elemInfo
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
	// StrayKeyElements are key elements outside their place: PSKC Secret,
	// PlainValue, EncryptedValue or ValueMAC elements outside every
	// ContentKey of ContentKeys, and CPIX ContentKey elements that are not
	// children of a ContentKeyList (those are not in ContentKeys).
	StrayKeyElements []Name
}

// Name is an element's namespace URI and local name.
type Name struct{ Space, Local string }

// Element is any element of the document with namespace-aware accessors.
type Element struct {
	e     *etree.Element
	scope *scope
	uri   string
	doc   *Document
}

// Attr returns the value of the unqualified attribute name and whether it
// is present. CPIX attributes are unqualified, so a prefixed attribute of
// the same local name is a different attribute and is not returned.
func (x *Element) Attr(name string) (string, bool) { return attr(x.e, name) }

// Name returns the element's namespace URI and local name.
func (x *Element) Name() Name { return Name{x.uri, x.e.Tag} }

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

// text returns the concatenated character data of e's direct children (in
// one allocation: text split by thousands of comments must not cost a copy
// per piece).
func text(e *etree.Element) string {
	var first string
	var b strings.Builder
	n := 0
	for _, c := range e.Child {
		if t, ok := c.(*etree.CharData); ok {
			if n++; n == 1 {
				first = t.Data
				continue
			}
			if n == 2 {
				b.WriteString(first)
			}
			b.WriteString(t.Data)
		}
	}
	if n < 2 {
		return first
	}
	return b.String()
}

// Attr returns a root (CPIX element) attribute.
func (d *Document) Attr(name string) (string, bool) { return attr(d.root, name) }

// ContentKey is a cpix:ContentKey.
type ContentKey struct {
	Element
	// KeyElements lists the local names of the PSKC elements that carry a
	// key value (Secret, PlainValue, EncryptedValue, ValueMAC) anywhere
	// under the ContentKey, in any wrapper, empty or not.
	KeyElements []string
	// ValueElements lists those of them that hold a value: PlainValue,
	// EncryptedValue or ValueMAC with content.
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
func (d *Document) build(w *walker) {
	el := func(e *etree.Element) Element {
		i := d.info[e]
		return Element{e: e, scope: i.scope, uri: i.uri, doc: d}
	}
	uri := func(e *etree.Element) string { return d.info[e].uri }
	d.StrayKeyElements = w.stray
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
					d.ContentKeys = append(d.ContentKeys, contentKey(c, el, uri, w.keyValues[c]))
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

func contentKey(c *etree.Element, el func(*etree.Element) Element, uri func(*etree.Element) string, kv *keyValues) *ContentKey {
	k := &ContentKey{Element: el(c)}
	if kv != nil {
		k.KeyElements, k.ValueElements = kv.all, kv.filled
	}
	for _, ch := range c.ChildElements() {
		if uri(ch) != NSCPIX || ch.Tag != "Data" {
			k.Children = append(k.Children, Name{uri(ch), ch.Tag})
		}
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
