package cpix

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/beevik/etree"
)

// Parse parses a CPIX document. On error it returns a nil Document and an
// error wrapping ErrTooLarge, ErrMalformed or ErrNotCPIX.
func Parse(body []byte) (*Document, error) {
	if len(body) > MaxBodyBytes {
		return nil, &SyntaxError{Reason: "body exceeds limit", kind: ErrTooLarge}
	}
	// A UTF-8 byte order mark is legal before the prolog; etree would keep
	// it as text outside the root.
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, malformed("empty body", nil)
	}
	// Every element starts with '<', and so does every end tag: a body with
	// more than twice the element limit in '<' bytes is refused before etree
	// allocates a node for each of them.
	if bytes.Count(body, []byte{'<'}) > 2*MaxElements+64 {
		return nil, malformed("too many elements", nil)
	}
	tree := etree.NewDocument()
	tree.ReadSettings = etree.ReadSettings{
		CharsetReader:          refuseCharset,
		PreserveDuplicateAttrs: true,
		MaxDepth:               MaxDepth,
	}
	if err := tree.ReadFromBytes(body); err != nil {
		switch {
		case errors.Is(err, etree.ErrMaxDepth):
			return nil, malformed("nesting too deep", nil)
		case errors.Is(err, errCharset):
			return nil, malformed("encoding must be UTF-8", nil)
		}
		return nil, malformed("not well-formed", err)
	}
	var root *etree.Element
	for _, tok := range tree.Child {
		switch t := tok.(type) {
		case *etree.Element:
			if root != nil {
				return nil, malformed("more than one root element", nil)
			}
			root = t
		case *etree.Directive:
			return nil, malformed("DOCTYPE and other directives are not allowed", nil)
		case *etree.CharData:
			if strings.TrimSpace(t.Data) != "" {
				return nil, malformed("text outside the root element", nil)
			}
		case *etree.ProcInst:
			if t.Target == "xml" && !utf8Declaration(t.Inst) {
				return nil, malformed("encoding must be UTF-8", nil)
			}
		}
	}
	if root == nil {
		return nil, malformed("no root element", nil)
	}
	d := &Document{tree: tree, root: root}
	w := walker{}
	rootScope, err := w.check(root, nil)
	if err != nil {
		return nil, err
	}
	d.rootScope = rootScope
	if w.uri(root, rootScope) != NSCPIX || root.Tag != "CPIX" {
		return nil, &SyntaxError{Reason: "root element is not cpix:CPIX", kind: ErrNotCPIX}
	}
	d.build(w.scopes)
	return d, nil
}

var errCharset = errors.New("cpix: non-UTF-8 charset")

// refuseCharset is etree's CharsetReader: without it etree would read any
// declared charset as UTF-8 (a pass-through); with it, only UTF-8 passes.
func refuseCharset(charset string, input io.Reader) (io.Reader, error) {
	if strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "utf8") {
		return input, nil
	}
	return nil, errCharset
}

// utf8Declaration reports whether an XML declaration's encoding (if any) is
// UTF-8. The decoder only consults CharsetReader for non-UTF-8 names, so
// this also catches declarations it would accept silently.
func utf8Declaration(inst string) bool {
	i := strings.Index(inst, "encoding")
	if i < 0 {
		return true
	}
	rest := strings.TrimLeft(inst[i+len("encoding"):], " \t\r\n")
	if !strings.HasPrefix(rest, "=") {
		return false
	}
	rest = strings.TrimLeft(rest[1:], " \t\r\n")
	if rest == "" {
		return false
	}
	q := rest[0]
	if q != '"' && q != '\'' {
		return false
	}
	end := strings.IndexByte(rest[1:], q)
	if end < 0 {
		return false
	}
	enc := rest[1 : 1+end]
	return strings.EqualFold(enc, "utf-8") || strings.EqualFold(enc, "utf8")
}

// scope is a namespace scope: the bindings an element declares, chained to
// its parent's. Elements that declare nothing share their parent's scope.
type scope struct {
	parent   *scope
	bindings []binding
}

type binding struct{ prefix, uri string }

// lookup resolves a prefix ("" for the default namespace).
func (s *scope) lookup(prefix string) (string, bool) {
	switch prefix {
	case "xml":
		return nsXML, true
	case "xmlns":
		return "", false
	}
	for ; s != nil; s = s.parent {
		for i := len(s.bindings) - 1; i >= 0; i-- {
			if s.bindings[i].prefix == prefix {
				return s.bindings[i].uri, true
			}
		}
	}
	return "", prefix == ""
}

// prefixFor returns a prefix bound to uri in s that no inner binding
// shadows, or ok=false.
func (s *scope) prefixFor(uri string) (string, bool) {
	seen := map[string]bool{}
	for c := s; c != nil; c = c.parent {
		for i := len(c.bindings) - 1; i >= 0; i-- {
			b := c.bindings[i]
			if seen[b.prefix] {
				continue
			}
			seen[b.prefix] = true
			if b.uri == uri {
				return b.prefix, true
			}
		}
	}
	return "", false
}

// extendScope returns parent extended with e's namespace declarations, or
// parent itself when e declares none.
func extendScope(e *etree.Element, parent *scope) *scope {
	s := parent
	for _, a := range e.Attr {
		if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			if s == parent {
				s = &scope{parent: parent}
			}
			p := a.Key
			if a.Space == "" {
				p = ""
			}
			s.bindings = append(s.bindings, binding{p, a.Value})
		}
	}
	return s
}

// walker checks the whole tree once: element count, duplicate attributes,
// unbound prefixes. It records each element's scope for the model.
type walker struct {
	n      int
	scopes map[*etree.Element]*scope
}

func (w *walker) uri(e *etree.Element, s *scope) string {
	u, _ := s.lookup(e.Space)
	return u
}

func (w *walker) check(e *etree.Element, parent *scope) (*scope, error) {
	w.n++
	if w.n > MaxElements {
		return nil, malformed("too many elements", nil)
	}
	if w.scopes == nil {
		w.scopes = make(map[*etree.Element]*scope, 256)
	}
	s := extendScope(e, parent)
	if s != parent {
		for _, b := range s.bindings {
			if b.prefix != "" && b.uri == "" {
				return nil, malformed("empty namespace for a prefix", nil)
			}
			if b.prefix == "xml" || b.prefix == "xmlns" {
				return nil, malformed("reserved prefix declared", nil)
			}
		}
	}
	if parent == nil && s == nil {
		s = &scope{} // the root always has its own scope, so it can gain bindings
	}
	w.scopes[e] = s
	if _, ok := s.lookup(e.Space); !ok {
		return nil, malformed("unbound namespace prefix", nil)
	}
	if err := checkAttrs(e, s); err != nil {
		return nil, err
	}
	for _, c := range e.Child {
		switch t := c.(type) {
		case *etree.Element:
			if _, err := w.check(t, s); err != nil {
				return nil, err
			}
		case *etree.Directive:
			return nil, malformed("DOCTYPE and other directives are not allowed", nil)
		}
	}
	return s, nil
}

// checkAttrs rejects duplicated attributes, including two prefixes bound to
// one namespace naming the same attribute.
func checkAttrs(e *etree.Element, s *scope) error {
	attrs := e.Attr
	if len(attrs) > MaxAttributes {
		return malformed("too many attributes", nil)
	}
	for i := range attrs {
		a := &attrs[i]
		ns := ""
		if a.Space != "" && a.Space != "xmlns" {
			u, ok := s.lookup(a.Space)
			if !ok {
				return malformed("unbound namespace prefix", nil)
			}
			ns = u
		}
		for j := 0; j < i; j++ {
			b := &attrs[j]
			if b.Key != a.Key {
				continue
			}
			if b.Space == a.Space {
				return malformed("duplicate attribute", nil)
			}
			if a.Space != "" && b.Space != "" && a.Space != "xmlns" && b.Space != "xmlns" {
				if u, _ := s.lookup(b.Space); u == ns {
					return malformed("duplicate attribute", nil)
				}
			}
		}
	}
	return nil
}
