package cpix

import "strings"

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

// attr is an attribute: its name as written (prefix:local) and its value.
// A namespace declaration has prefix xmlns, or no prefix and local name
// xmlns.
type attr struct{ name, value string }

// split returns the prefix and local part of a's name as the reader split
// it: a name with an empty prefix or local part stays whole in local.
func (a *attr) split() (prefix, local string) {
	if c := strings.IndexByte(a.name, ':'); c > 0 && c < len(a.name)-1 {
		return a.name[:c], a.name[c+1:]
	}
	return "", a.name
}

type childKind uint8

const (
	kindElement childKind = iota
	kindText              // character data, references decoded; CDATA sections too
	kindComment
	kindProcInst
)

// child is one piece of an element's content: an element (el), or text,
// a comment or a processing instruction (data; for a processing
// instruction, everything between "<?" and "?>": see procInstParts).
type child struct {
	el   *node
	data string
	kind childKind
}

// procInstParts splits a processing instruction's data into its target and
// its instruction (without the white space after the target).
func procInstParts(data string) (target, inst string) {
	i := 0
	for i < len(data) && !isSpaceByte(data[i]) {
		i++
	}
	target = data[:i]
	for i < len(data) && isSpaceByte(data[i]) {
		i++
	}
	return target, data[i:]
}

// elements calls f for each child element of n, in document order.
func (n *node) elements(f func(*node)) {
	for i := range n.children {
		if n.children[i].kind == kindElement {
			f(n.children[i].el)
		}
	}
}

// setAttr sets the attribute named name, replacing its value if present.
func (n *node) setAttr(name, value string) {
	for i := range n.attrs {
		if n.attrs[i].name == name {
			n.attrs[i].value = value
			return
		}
	}
	n.attrs = append(n.attrs, attr{name, value})
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
