package cpix

import "strings"

// Document is a parsed CPIX document. The exported slices model the lists
// SPEKE acts on; everything else in the tree is kept and written back as it
// came.
type Document struct {
	root      *node
	rootScope *scope

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
	e   *node
	doc *Document
}

// Attr returns the value of the unqualified attribute name and whether it
// is present. CPIX attributes are unqualified, so a prefixed attribute of
// the same local name is a different attribute and is not returned.
func (x *Element) Attr(name string) (string, bool) { return getAttr(x.e, name) }

// Name returns the element's namespace URI and local name.
func (x *Element) Name() Name { return Name{x.e.uri, x.e.local} }

// HasContent reports whether the element has child elements or
// non-whitespace text.
func (x *Element) HasContent() bool { return hasContent(x.e) }

func getAttr(e *node, name string) (string, bool) {
	for i := range e.attrs {
		if e.attrs[i].name == name { // name has no colon, so no prefix
			return e.attrs[i].value, true
		}
	}
	return "", false
}

func hasContent(e *node) bool {
	for i := range e.children {
		switch c := &e.children[i]; c.kind {
		case kindElement:
			return true
		case kindText:
			if !isXMLSpace(c.data) {
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
func text(e *node) string {
	var first string
	var b strings.Builder
	n := 0
	for i := range e.children {
		if c := &e.children[i]; c.kind == kindText {
			if n++; n == 1 {
				first = c.data
				continue
			}
			if n == 2 {
				b.WriteString(first)
			}
			b.WriteString(c.data)
		}
	}
	if n < 2 {
		return first
	}
	return b.String()
}

// Attr returns a root (CPIX element) attribute.
func (d *Document) Attr(name string) (string, bool) { return getAttr(d.root, name) }

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
	d.StrayKeyElements = w.stray
	d.ListCounts = map[string]int{}
	d.root.elements(func(list *node) {
		if list.uri != NSCPIX {
			d.Other = append(d.Other, Name{list.uri, list.local})
			return
		}
		d.ListCounts[list.local]++
		switch list.local {
		case "ContentKeyList":
			list.elements(func(c *node) {
				if c.uri == NSCPIX && c.local == "ContentKey" {
					d.ContentKeys = append(d.ContentKeys, d.contentKey(c, w.keyValues[c]))
				}
			})
		case "DRMSystemList":
			list.elements(func(c *node) {
				if c.uri == NSCPIX && c.local == "DRMSystem" {
					d.DRMSystems = append(d.DRMSystems, d.drmSystem(c))
				}
			})
		case "ContentKeyPeriodList":
			list.elements(func(c *node) {
				if c.uri == NSCPIX && c.local == "ContentKeyPeriod" {
					d.Periods = append(d.Periods, &ContentKeyPeriod{Element{c, d}})
				}
			})
		case "ContentKeyUsageRuleList":
			list.elements(func(c *node) {
				if c.uri == NSCPIX && c.local == "ContentKeyUsageRule" {
					r := &UsageRule{Element: Element{c, d}}
					c.elements(func(f *node) {
						if f.uri == NSCPIX {
							r.Filters = append(r.Filters, d.element(f))
						} else {
							r.Other = append(r.Other, Name{f.uri, f.local})
						}
					})
					d.UsageRules = append(d.UsageRules, r)
				}
			})
		case "DeliveryDataList":
			list.elements(func(c *node) {
				if c.uri == NSCPIX && c.local == "DeliveryData" {
					d.DeliveryData = append(d.DeliveryData, d.element(c))
				}
			})
		}
	})
}

func (d *Document) contentKey(c *node, kv *keyValues) *ContentKey {
	k := &ContentKey{Element: Element{c, d}}
	if kv != nil {
		k.KeyElements, k.ValueElements = kv.all, kv.filled
	}
	c.elements(func(ch *node) {
		if ch.uri != NSCPIX || ch.local != "Data" {
			k.Children = append(k.Children, Name{ch.uri, ch.local})
		}
	})
	return k
}

func (d *Document) drmSystem(c *node) *DRMSystem {
	s := &DRMSystem{Element: Element{c, d}}
	c.elements(func(ch *node) {
		x := d.element(ch)
		var list *[]*Element
		switch (Name{ch.uri, ch.local}) {
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
		*list = append(*list, x)
	})
	return s
}
