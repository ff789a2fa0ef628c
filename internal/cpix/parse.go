package cpix

import (
	"bytes"
)

// Parse parses a CPIX document. On error it returns a nil Document and an
// error wrapping ErrTooLarge, ErrMalformed or ErrNotCPIX.
//
// Every step is linear in the size of the body: the lexical checks and the
// reader are one pass each, the tree walk visits each element and attribute
// once and resolves each prefix in constant time.
func Parse(body []byte) (*Document, error) {
	if len(body) > MaxBodyBytes {
		return nil, &SyntaxError{Reason: "body exceeds limit", kind: ErrTooLarge}
	}
	// A UTF-8 byte order mark is legal before the prolog, and is not text.
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if len(bytes.Trim(body, " \t\r\n")) == 0 {
		return nil, malformed("empty body", nil)
	}
	// Every element starts with '<', and so does every end tag: a body with
	// more than twice the element limit in '<' bytes is refused before the
	// reader allocates a node for each of them.
	lt := bytes.Count(body, []byte{'<'})
	if lt > 2*MaxElements+64 {
		return nil, malformed("too many elements", nil)
	}
	// Nothing in XML may hold a character outside Char, not even comments
	// and processing instructions, which we echo: check them all at once.
	if !validChars(body) {
		return nil, malformed("character not allowed in XML", nil)
	}
	hasDecl, err := checkDeclaration(body)
	if err != nil {
		return nil, err
	}
	root, err := read(string(body), lt, hasDecl)
	if err != nil {
		return nil, err
	}
	d := &Document{root: root}
	// Size the walker's tables once: a namespace declaration has one "xmlns".
	w := newWalker(min(bytes.Count(body, []byte("xmlns")), MaxTotalAttributes))
	if err := w.check(root, nil, posRoot); err != nil {
		return nil, err
	}
	d.rootScope = root.scope
	if root.uri != NSCPIX || root.local != "CPIX" {
		return nil, &SyntaxError{Reason: "root element is not cpix:CPIX", kind: ErrNotCPIX}
	}
	d.build(w)
	return d, nil
}
