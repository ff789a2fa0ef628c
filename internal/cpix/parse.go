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
//
// Every step is linear in the size of the body: the lexical checks are one
// pass each, the tree walk visits each element and attribute once and
// resolves each prefix in constant time.
func Parse(body []byte) (*Document, error) {
	if len(body) > MaxBodyBytes {
		return nil, &SyntaxError{Reason: "body exceeds limit", kind: ErrTooLarge}
	}
	// A UTF-8 byte order mark is legal before the prolog; etree would keep
	// it as text outside the root.
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if len(bytes.Trim(body, " \t\r\n")) == 0 {
		return nil, malformed("empty body", nil)
	}
	// Every element starts with '<', and so does every end tag: a body with
	// more than twice the element limit in '<' bytes is refused before etree
	// allocates a node for each of them.
	lt := bytes.Count(body, []byte{'<'})
	if lt > 2*MaxElements+64 {
		return nil, malformed("too many elements", nil)
	}
	// encoding/xml checks characters in text and attribute values but not
	// in comments and processing instructions, which we echo: check them all.
	if !validChars(body) {
		return nil, malformed("character not allowed in XML", nil)
	}
	hasDecl, err := checkDeclaration(body)
	if err != nil {
		return nil, err
	}
	// What encoding/xml lets through and a strict parser refuses, in the
	// raw text (the tree no longer shows it); the same pass counts the
	// attributes, so that etree never allocates more than MaxTotalAttributes.
	if err := checkMarkup(body); err != nil {
		return nil, err
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
	for i, tok := range tree.Child {
		switch t := tok.(type) {
		case *etree.Element:
			if root != nil {
				return nil, malformed("more than one root element", nil)
			}
			root = t
		case *etree.Directive:
			return nil, malformed("DOCTYPE and other directives are not allowed", nil)
		case *etree.CharData:
			if !isXMLSpace(t.Data) {
				return nil, malformed("text outside the root element", nil)
			}
		case *etree.ProcInst:
			if i == 0 && hasDecl {
				continue // the XML declaration, checked above
			}
			if err := checkProcInst(t); err != nil {
				return nil, err
			}
		}
	}
	if root == nil {
		return nil, malformed("no root element", nil)
	}
	d := &Document{tree: tree, root: root}
	// Size the walker's tables once: an element has at least one '<', a
	// namespace declaration one "xmlns".
	w := newWalker(min(lt, MaxElements), min(bytes.Count(body, []byte("xmlns")), MaxTotalAttributes))
	if err := w.check(root, nil, posRoot); err != nil {
		return nil, err
	}
	d.info = w.info
	d.rootScope = w.info[root].scope
	if w.info[root].uri != NSCPIX || root.Tag != "CPIX" {
		return nil, &SyntaxError{Reason: "root element is not cpix:CPIX", kind: ErrNotCPIX}
	}
	d.build(w)
	return d, nil
}

var errCharset = errors.New("cpix: non-UTF-8 charset")

// refuseCharset is etree's CharsetReader: without it etree would read any
// declared charset as UTF-8 (a pass-through); with it, only UTF-8 passes.
func refuseCharset(charset string, input io.Reader) (io.Reader, error) {
	if isUTF8Name(charset) {
		return input, nil
	}
	return nil, errCharset
}

// isUTF8Name: the IANA name only; expat does not know aliases such as
// "utf8".
func isUTF8Name(enc string) bool { return strings.EqualFold(enc, "utf-8") }

// checkProcInst refuses processing instructions a strict parser refuses:
// the reserved target xml (in any letter case: a declaration anywhere but
// at the very start, or a target the XML specification reserves) and a
// target with a colon (not namespace-well-formed).
func checkProcInst(p *etree.ProcInst) error {
	switch {
	case p.Target == "xml":
		return malformed("XML declaration not at the start of the document", nil)
	case strings.EqualFold(p.Target, "xml"):
		return malformed("reserved processing instruction target", nil)
	case strings.Contains(p.Target, ":"):
		return malformed("colon in processing instruction target", nil)
	}
	return nil
}
