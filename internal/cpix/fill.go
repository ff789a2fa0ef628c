package cpix

import (
	"encoding/base64"
	"strconv"
)

// SetText replaces the element's content with text.
func (x *Element) SetText(s string) { x.e.setText(s) }

// SetBase64 replaces the element's content with the base64 encoding of b.
// The encoding happens while writing, directly into the output; b must not
// change until then.
func (x *Element) SetBase64(b []byte) {
	x.e.children = x.e.children[:0]
	x.e.b64, x.e.hasB64 = b, true
}

// Text returns the element's direct character data (for content set with
// SetBase64, its encoding).
func (x *Element) Text() string {
	if x.e.hasB64 {
		return base64.StdEncoding.EncodeToString(x.e.b64)
	}
	return text(x.e)
}

// SetAttr sets an unqualified attribute, replacing any existing value.
func (x *Element) SetAttr(name, value string) { x.e.setAttr(name, value) }

// SetPlainValue fills cpix:Data/pskc:Secret/pskc:PlainValue with the
// base64 text b64, reusing the ContentKey's Data and Secret elements where
// it has them.
func (k *ContentKey) SetPlainValue(b64 string) {
	k.Secret().AppendChild(NSPSKC, "PlainValue").SetText(b64)
}

// findOrCreate returns parent's first child element {uri}local, creating it
// (appended last) when absent.
func (d *Document) findOrCreate(parent *node, uri, local string) *node {
	for i := range parent.children {
		if c := parent.children[i].el; c != nil && c.local == local && c.uri == uri {
			return c
		}
	}
	return d.createChild(parent, uri, local)
}

// createChild appends a new element {uri}local to parent. It uses a prefix
// already bound to uri in scope, or declares one itself.
func (d *Document) createChild(parent *node, uri, local string) *node {
	ps := parent.scope
	visible := ps.visible()
	prefix, ok := prefixFor(visible, uri)
	el := &node{local: local, uri: uri, scope: ps}
	if !ok {
		prefix = freePrefix(visible, preferredPrefix(uri))
		if prefix == "" {
			el.setAttr("xmlns", uri)
		} else {
			el.setAttr("xmlns:"+prefix, uri)
		}
		el.scope = &scope{parent: ps, bindings: []binding{{prefix, uri}}}
	}
	el.prefix = prefix
	parent.children = append(parent.children, child{kind: kindElement, el: el})
	return el
}

// prefixFor returns a prefix that visible (see scope.visible) binds to uri.
// The default namespace counts: an element in it needs no prefix.
func prefixFor(visible map[string]string, uri string) (string, bool) {
	best, found := "", false
	for p, u := range visible {
		// Prefer the shortest, then the first in order, so the choice does
		// not depend on map order.
		if u == uri && (!found || len(p) < len(best) || len(p) == len(best) && p < best) {
			best, found = p, true
		}
	}
	return best, found
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

// freePrefix returns want, or want followed by a number, that visible
// does not bind, so a new declaration never shadows a prefix the document
// uses. It tries at most len(visible)+1 names.
func freePrefix(visible map[string]string, want string) string {
	p := want
	for i := 1; ; i++ {
		if _, bound := visible[p]; !bound && p != "xml" && p != "xmlns" || p == "" {
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
	p := freePrefix(d.rootScope.visible(), preferredPrefix(uri))
	d.root.setAttr("xmlns:"+p, uri)
	d.rootScope.bindings = append(d.rootScope.bindings, binding{p, uri})
}
