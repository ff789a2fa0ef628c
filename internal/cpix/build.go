package cpix

// Building blocks for callers that add whole structures to a document
// (content key encryption adds DocumentKey, MACMethod and EncryptedValue
// trees). Elements are named by namespace URI; prefixes are chosen here.

// Children returns the child elements named {uri}local, in document order.
func (x *Element) Children(uri, local string) []*Element {
	var out []*Element
	x.e.elements(func(c *node) {
		if c.local == local && c.uri == uri {
			out = append(out, x.doc.element(c))
		}
	})
	return out
}

// AppendChild adds a new, empty element {uri}local as the last child and
// returns it. It uses a prefix already bound to uri, or declares one.
func (x *Element) AppendChild(uri, local string) *Element {
	return x.doc.element(x.doc.createChild(x.e, uri, local))
}

// RemoveChildren removes every child element named {uri}local.
func (x *Element) RemoveChildren(uri, local string) {
	for _, c := range x.Children(uri, local) {
		x.e.removeElement(c.e)
	}
}

// Secret returns the key's cpix:Data/pskc:Secret, reusing the request's
// elements when it had them, with no value elements left in it: the caller
// writes the one value form it chose (PlainValue, or EncryptedValue with
// ValueMAC).
func (k *ContentKey) Secret() *Element {
	d := k.doc
	secret := d.findOrCreate(d.findOrCreate(k.e, NSCPIX, "Data"), NSPSKC, "Secret")
	s := d.element(secret)
	for _, v := range []string{"PlainValue", "EncryptedValue", "ValueMAC"} {
		s.RemoveChildren(NSPSKC, v)
	}
	return s
}

// element wraps e, which must be in the document's tree.
func (d *Document) element(e *node) *Element { return &Element{e: e, doc: d} }
