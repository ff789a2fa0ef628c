package cpix

import (
	"encoding/base64"
	"strconv"

	"github.com/beevik/etree"
)

// SetText replaces the element's content with text.
func (x *Element) SetText(s string) {
	delete(x.doc.b64, x.e)
	x.e.Child = x.e.Child[:0]
	x.e.SetText(s)
}

// SetBase64 replaces the element's content with the base64 encoding of b.
// The encoding happens while writing, directly into the output; b must not
// change until then.
func (x *Element) SetBase64(b []byte) {
	x.e.Child = x.e.Child[:0]
	if x.doc.b64 == nil {
		x.doc.b64 = make(map[*etree.Element][]byte, 64)
	}
	x.doc.b64[x.e] = b
}

// Text returns the element's direct character data (for content set with
// SetBase64, its encoding).
func (x *Element) Text() string {
	if b, ok := x.doc.b64[x.e]; ok {
		return base64.StdEncoding.EncodeToString(b)
	}
	return text(x.e)
}

// SetAttr sets an unqualified attribute, replacing any existing value.
func (x *Element) SetAttr(name, value string) { x.e.CreateAttr(name, value) }

// SetPlainValue fills cpix:Data/pskc:Secret/pskc:PlainValue with the
// base64 text b64, reusing the request's Data and Secret elements when it
// had them.
func (k *ContentKey) SetPlainValue(b64 string) {
	k.Secret().AppendChild(NSPSKC, "PlainValue").SetText(b64)
}

// findOrCreate returns parent's first child element {uri}local, creating it
// (appended last) when absent. A created element uses a prefix already bound
// to uri in scope, or declares one itself.
func findOrCreate(parent *etree.Element, ps *scope, uri, local string) (*etree.Element, *scope) {
	for _, c := range parent.ChildElements() {
		if c.Tag != local {
			continue
		}
		cs := extendScope(c, ps)
		if u, _ := cs.lookup(c.Space); u == uri {
			return c, cs
		}
	}
	return createChild(parent, ps, uri, local)
}

func preferredPrefix(uri string) string {
	switch uri {
	case NSCPIX:
		return "cpix"
	case NSPSKC:
		return "pskc"
	case NSXMLEnc:
		return "enc"
	case NSDSig:
		return "ds"
	}
	return "ns"
}

// freePrefix returns want, or want followed by a number, that is not bound
// in s, so a new declaration never shadows a prefix the document uses.
func freePrefix(s *scope, want string) string {
	p := want
	for i := 1; ; i++ {
		if _, bound := s.lookup(p); !bound || p == "" {
			return p
		}
		p = want + strconv.Itoa(i)
	}
}

// EnsureRootNamespace makes the root element declare uri, adding a
// declaration (with a free prefix near preferred) when the root has none.
// SPEKE clients check that the response root declares the CPIX and PSKC
// namespaces, and elements created later find the binding in scope.
func (d *Document) EnsureRootNamespace(uri string) {
	for _, b := range d.rootScope.bindings {
		if b.uri == uri && b.prefix != "" {
			return
		}
	}
	p := freePrefix(d.rootScope, preferredPrefix(uri))
	d.root.CreateAttr("xmlns:"+p, uri)
	d.rootScope.bindings = append(d.rootScope.bindings, binding{p, uri})
}
