package cpix

import (
	"slices"
	"strings"
)

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

// build fills the model from the checked tree. Each list's entries are
// counted first, so that a list and its entries take one allocation each.
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
			keys := make([]ContentKey, 0, countCPIX(list, "ContentKey"))
			d.ContentKeys = slices.Grow(d.ContentKeys, cap(keys))
			list.elements(func(c *node) {
				if c.uri == NSCPIX && c.local == "ContentKey" {
					keys = append(keys, d.contentKey(c, w.keyValues[c]))
					d.ContentKeys = append(d.ContentKeys, &keys[len(keys)-1])
				}
			})
		case "DRMSystemList":
			systems := make([]DRMSystem, 0, countCPIX(list, "DRMSystem"))
			d.DRMSystems = slices.Grow(d.DRMSystems, cap(systems))
			list.elements(func(c *node) {
				if c.uri == NSCPIX && c.local == "DRMSystem" {
					systems = append(systems, d.drmSystem(c))
					d.DRMSystems = append(d.DRMSystems, &systems[len(systems)-1])
				}
			})
		case "ContentKeyPeriodList":
			list.elements(func(c *node) {
				if c.uri == NSCPIX && c.local == "ContentKeyPeriod" {
					d.Periods = append(d.Periods, &ContentKeyPeriod{Element{c, d}})
				}
			})
		case "ContentKeyUsageRuleList":
			rules := make([]UsageRule, 0, countCPIX(list, "ContentKeyUsageRule"))
			d.UsageRules = slices.Grow(d.UsageRules, cap(rules))
			list.elements(func(c *node) {
				if c.uri == NSCPIX && c.local == "ContentKeyUsageRule" {
					rules = append(rules, d.usageRule(c))
					d.UsageRules = append(d.UsageRules, &rules[len(rules)-1])
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

// countCPIX counts n's child elements named {NSCPIX}local, or every
// child element in the CPIX namespace when local is "".
func countCPIX(n *node, local string) int {
	k := 0
	n.elements(func(c *node) {
		if c.uri == NSCPIX && (local == "" || c.local == local) {
			k++
		}
	})
	return k
}

func (d *Document) usageRule(c *node) UsageRule {
	r := UsageRule{Element: Element{c, d}}
	filters := make([]Element, 0, countCPIX(c, ""))
	c.elements(func(f *node) {
		if f.uri == NSCPIX {
			filters = append(filters, Element{f, d})
			r.Filters = append(r.Filters, &filters[len(filters)-1])
		} else {
			r.Other = append(r.Other, Name{f.uri, f.local})
		}
	})
	return r
}

func (d *Document) contentKey(c *node, kv *keyValues) ContentKey {
	k := ContentKey{Element: Element{c, d}}
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

func (d *Document) drmSystem(c *node) DRMSystem {
	s := DRMSystem{Element: Element{c, d}}
	lists := [...]*[]*Element{&s.PSSH, &s.ContentProtectionData, &s.SmoothStreaming, &s.HLSSignalingData,
		&s.URIExtXKey, &s.KeyFormat, &s.KeyFormatVersions, &s.ProtectionHeader, &s.Other}
	// Count first: one allocation for the children and one for the
	// lists, each list a window of it with room for exactly its children.
	var counts [len(lists)]int
	n := 0
	c.elements(func(ch *node) {
		counts[drmChildList(ch)]++
		n++
	})
	if n == 0 {
		return s
	}
	els, ptrs := make([]Element, 0, n), make([]*Element, n)
	off := 0
	for i, k := range counts {
		if k > 0 {
			*lists[i] = ptrs[off : off : off+k]
			off += k
		}
	}
	c.elements(func(ch *node) {
		els = append(els, Element{ch, d})
		l := lists[drmChildList(ch)]
		*l = append(*l, &els[len(els)-1])
	})
	return s
}

// drmChildNames are the children drmSystem sorts into lists, in the order
// of its lists; anything else goes to Other, the last.
var drmChildNames = [...]Name{
	{NSCPIX, "PSSH"}, {NSCPIX, "ContentProtectionData"}, {NSCPIX, "SmoothStreamingProtectionHeaderData"},
	{NSCPIX, "HLSSignalingData"}, {NSCPIX, "URIExtXKey"},
	{NSSPEKE, "KeyFormat"}, {NSSPEKE, "KeyFormatVersions"}, {NSSPEKE, "ProtectionHeader"},
}

// drmChildList returns the index, in drmSystem's lists, of the list ch
// belongs to.
func drmChildList(ch *node) int {
	n := Name{ch.uri, ch.local}
	for i, x := range drmChildNames {
		if x == n {
			return i
		}
	}
	return len(drmChildNames)
}
