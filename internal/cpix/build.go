package cpix

import "github.com/beevik/etree"

// Building blocks for callers that add whole structures to a document
// (content key encryption adds DocumentKey, MACMethod and EncryptedValue
// trees). Elements are named by namespace URI; prefixes are chosen here.

// Children returns the child elements named {uri}local, in document order.
func (x *Element) Children(uri, local string) []*Element {
	var out []*Element
	for _, c := range x.e.ChildElements() {
		if c.Tag != local {
			continue
		}
		cs := extendScope(c, x.scope)
		if u, _ := cs.lookup(c.Space); u == uri {
			out = append(out, &Element{e: c, scope: cs, doc: x.doc})
		}
	}
	return out
}

// AppendChild adds a new, empty element {uri}local as the last child and
// returns it. It uses a prefix already bound to uri, or declares one.
func (x *Element) AppendChild(uri, local string) *Element {
	e, s := createChild(x.e, x.scope, uri, local)
	return &Element{e: e, scope: s, doc: x.doc}
}

// RemoveChildren removes every child element named {uri}local.
func (x *Element) RemoveChildren(uri, local string) {
	for _, c := range x.Children(uri, local) {
		delete(x.doc.b64, c.e)
		x.e.RemoveChild(c.e)
	}
}

// Secret returns the key's cpix:Data/pskc:Secret, reusing the request's
// elements when it had them, with no value elements left in it: the caller
// writes the one value form it chose (PlainValue, or EncryptedValue with
// ValueMAC).
func (k *ContentKey) Secret() *Element {
	data, ds := findOrCreate(k.e, k.scope, NSCPIX, "Data")
	secret, ss := k.secret, ds
	if secret == nil || secret.Parent() != data {
		secret, ss = findOrCreate(data, ds, NSPSKC, "Secret")
	} else {
		ss = extendScope(secret, ds)
	}
	s := &Element{e: secret, scope: ss, doc: k.doc}
	for _, v := range []string{"PlainValue", "EncryptedValue", "ValueMAC"} {
		s.RemoveChildren(NSPSKC, v)
	}
	return s
}

// createChild appends a new element {uri}local to parent. It uses a
// prefix already bound to uri in scope, or declares one itself.
func createChild(parent *etree.Element, ps *scope, uri, local string) (*etree.Element, *scope) {
	prefix, ok := ps.prefixFor(uri)
	el := etree.NewElement(local)
	cs := ps
	if !ok {
		prefix = freePrefix(ps, preferredPrefix(uri))
		if prefix == "" {
			el.CreateAttr("xmlns", uri)
		} else {
			el.CreateAttr("xmlns:"+prefix, uri)
		}
		cs = &scope{parent: ps, bindings: []binding{{prefix, uri}}}
	}
	el.Space = prefix
	parent.AddChild(el)
	return el, cs
}
