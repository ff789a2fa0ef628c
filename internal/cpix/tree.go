package cpix

// The tree a Document keeps: what the reader (read.go) builds and the
// writer (write.go) streams back. Names keep the prefixes the request used;
// each element also carries the namespace URI and scope the parse resolved,
// so nothing is looked up twice. Strings are substrings of the body except
// where references or line ends had to be decoded.

// node is an element.
type node struct {
	prefix, local string
	attrs         []attr
	children      []child
	uri           string // the element's namespace URI
	scope         *scope // the namespace bindings in force on the element
	// b64 is content set with SetBase64: raw bytes the writer encodes
	// straight into the output, so no base64 string is ever built.
	b64    []byte
	hasB64 bool
}

// attr is an attribute as written: prefix "xmlns" (or no prefix and local
// name "xmlns") for a namespace declaration.
type attr struct{ prefix, local, value string }

type childKind uint8

const (
	kindElement childKind = iota
	kindText              // character data, references decoded; CDATA sections too
	kindComment
	kindProcInst
)

// child is one piece of an element's content: an element (el), text or a
// comment (data), or a processing instruction (target and data).
type child struct {
	kind   childKind
	el     *node
	target string
	data   string
}

// elements calls f for each child element of n, in document order.
func (n *node) elements(f func(*node)) {
	for i := range n.children {
		if n.children[i].kind == kindElement {
			f(n.children[i].el)
		}
	}
}

// setAttr sets attribute prefix:local, replacing its value if present.
func (n *node) setAttr(prefix, local, value string) {
	for i := range n.attrs {
		if n.attrs[i].prefix == prefix && n.attrs[i].local == local {
			n.attrs[i].value = value
			return
		}
	}
	n.attrs = append(n.attrs, attr{prefix, local, value})
}

// setText replaces n's content with s.
func (n *node) setText(s string) {
	n.b64, n.hasB64 = nil, false
	n.children = append(n.children[:0], child{kind: kindText, data: s})
}

// removeElement removes the child element c.
func (n *node) removeElement(c *node) {
	for i := range n.children {
		if n.children[i].el == c {
			n.children = append(n.children[:i], n.children[i+1:]...)
			return
		}
	}
}
