package cpix

import (
	"encoding/xml"
	"strings"
	"unicode/utf8"
)

// The reader turns a body into the tree in one pass over it. It reads the
// document as encoding/xml does in strict mode (the same names, references,
// line-end normalization in text and attribute values, comments and
// processing instructions kept raw) and refuses, in the same pass, what
// encoding/xml lets through and strict parsers refuse: references to
// non-Chars, attributes not separated by white space, processing
// instruction targets not followed by white space, references outside the
// root element.
//
// encoding/xml is not used to read the body because it allocates per
// token and per name and reads byte by byte through an interface: for a
// typical request it cost about four times the whole rest of the answer.
// The reader works on one string and allocates nothing per element: nodes,
// attributes and child lists are cut from a few arrays sized from counts
// of '<' and '=' bytes, and every name and value is a substring of the body
// unless it holds a reference or a carriage return.

// reader holds the state of one read.
type reader struct {
	s       string
	i       int
	hasDecl bool

	nodes []node  // every element; never grown, so pointers stay valid
	kids  []child // the children lists, cut from it
	attrs []attr  // the attribute lists, cut from it

	stack  []*node // open elements
	open   []child // children of the open elements, innermost last
	starts []int   // where each open element's children begin in open

	root      *node
	nAttrs    int
	directive bool   // a DOCTYPE or other directive was seen
	buf       []byte // scratch for decoding
}

var errNotWellFormed = malformed("not well-formed", nil)

// read builds the tree of s, whose characters validChars has checked and
// whose XML declaration, when hasDecl, checkDeclaration has checked. lt is
// the number of '<' bytes in s, an upper bound on the element count.
func read(s string, lt int, hasDecl bool) (*node, error) {
	nAttr := min(strings.Count(s, "="), MaxTotalAttributes)
	r := &reader{
		s:       s,
		hasDecl: hasDecl,
		nodes:   make([]node, 0, min(lt, MaxElements)),
		kids:    make([]child, 0, min(lt, MaxElements)+1),
		attrs:   make([]attr, 0, nAttr),
		stack:   make([]*node, 0, MaxDepth),
		open:    make([]child, 0, min(lt, MaxElements)+1),
		starts:  make([]int, 0, MaxDepth),
	}
	for r.i < len(s) {
		var err error
		if s[r.i] == '<' {
			err = r.markup()
		} else {
			err = r.text()
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case len(r.stack) > 0:
		return nil, errNotWellFormed
	case r.directive:
		return nil, malformed("DOCTYPE and other directives are not allowed", nil)
	case r.root == nil:
		return nil, malformed("no root element", nil)
	}
	return r.root, nil
}

// add appends c to the content of the innermost open element.
func (r *reader) add(c child) { r.open = append(r.open, c) }

// text reads character data up to the next '<'.
func (r *reader) text() error {
	j := strings.IndexByte(r.s[r.i:], '<')
	if j < 0 {
		j = len(r.s) - r.i
	}
	raw := r.s[r.i : r.i+j]
	r.i += j
	if len(r.stack) == 0 {
		// Outside the root only white space may appear; a reference is
		// content, which is not allowed there either.
		if !isXMLSpace(raw) {
			return malformed("text outside the root element", nil)
		}
		return nil
	}
	if strings.Contains(raw, "]]>") {
		return errNotWellFormed
	}
	data, err := r.decode(raw, true)
	if err != nil {
		return err
	}
	if data != "" {
		r.add(child{kind: kindText, data: data})
	}
	return nil
}

// decode replaces references and normalizes line ends (CR LF and a lone CR
// become LF) as XML 1.0 §2.11 and encoding/xml do. refs is false for CDATA
// sections, where '&' is not markup.
func (r *reader) decode(raw string, refs bool) (string, error) {
	if !strings.Contains(raw, "\r") && (!refs || !strings.Contains(raw, "&")) {
		return raw, nil
	}
	b := r.buf[:0]
	for k := 0; k < len(raw); k++ {
		switch c := raw[k]; {
		case c == '\r':
			b = append(b, '\n')
			if k+1 < len(raw) && raw[k+1] == '\n' {
				k++
			}
		case c == '&' && refs:
			n, decoded, err := reference(raw[k:])
			if err != nil {
				return "", err
			}
			b = append(b, decoded...)
			k += n - 1
		default:
			b = append(b, c)
		}
	}
	r.buf = b
	return string(b), nil
}

// reference reads the reference at the start of s (which starts with '&'):
// a character reference to a Char, or one of the five predefined entities.
// It returns the reference's length and its replacement text.
func reference(s string) (int, string, error) {
	end := strings.IndexByte(s, ';')
	if end < 0 {
		return 0, "", errNotWellFormed
	}
	if len(s) < 3 || s[1] != '#' {
		switch s[1:end] {
		case "lt":
			return end + 1, "<", nil
		case "gt":
			return end + 1, ">", nil
		case "amp":
			return end + 1, "&", nil
		case "apos":
			return end + 1, "'", nil
		case "quot":
			return end + 1, `"`, nil
		}
		return 0, "", errNotWellFormed // no DTD, so no other entity exists
	}
	digits, base := s[2:end], rune(10)
	if len(digits) > 0 && digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	var v rune
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		var d rune
		switch {
		case '0' <= c && c <= '9':
			d = rune(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = rune(c-'A') + 10
		default:
			return 0, "", malformed("invalid character reference", nil)
		}
		if v = v*base + d; v > utf8.MaxRune {
			return 0, "", malformed("invalid character reference", nil)
		}
	}
	if len(digits) == 0 || !isXMLChar(v) {
		return 0, "", malformed("invalid character reference", nil)
	}
	return end + 1, string(v), nil
}

// markup reads whatever starts at a '<'.
func (r *reader) markup() error {
	rest := r.s[r.i:]
	switch {
	case strings.HasPrefix(rest, "<!--"):
		// The comment ends at the first "--", which must start "-->".
		j := strings.Index(rest[4:], "--")
		if j < 0 || !strings.HasPrefix(rest[4+j:], "-->") {
			return errNotWellFormed
		}
		if len(r.stack) > 0 {
			r.add(child{kind: kindComment, data: rest[4 : 4+j]})
		}
		r.i += 4 + j + 3
	case strings.HasPrefix(rest, "<![CDATA["):
		j := strings.Index(rest[9:], "]]>")
		if j < 0 || len(r.stack) == 0 {
			return errNotWellFormed
		}
		data, _ := r.decode(rest[9:9+j], false)
		if data != "" {
			r.add(child{kind: kindText, data: data})
		}
		r.i += 9 + j + 3
	case strings.HasPrefix(rest, "<!"):
		return r.skipDirective()
	case strings.HasPrefix(rest, "<?"):
		return r.procInst()
	case strings.HasPrefix(rest, "</"):
		return r.endTag()
	default:
		return r.startTag()
	}
	return nil
}

// skipDirective passes over a DOCTYPE or other directive, which is refused
// once the rest of the document has been read: quoted strings, nested
// markup declarations and comments inside it are skipped as encoding/xml
// skips them.
func (r *reader) skipDirective() error {
	s := r.s
	i := r.i + 2
	if i < len(s) && (s[i] == '-' || s[i] == '[') {
		return errNotWellFormed // "<!-" not starting a comment, "<![" not CDATA
	}
	var quote byte
	depth := 0
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '>':
			if depth == 0 {
				r.directive = true
				r.i = i + 1
				return nil
			}
			depth--
		case c == '<':
			if strings.HasPrefix(s[i:], "<!--") {
				j := strings.Index(s[i+4:], "-->")
				if j < 0 {
					return errNotWellFormed
				}
				i += 4 + j + 2
			} else {
				depth++
			}
		}
	}
	return errNotWellFormed
}

// procInst reads a processing instruction.
func (r *reader) procInst() error {
	s := r.s
	start := r.i
	i := start + 2
	target, ok := r.name(i)
	if !ok {
		return errNotWellFormed
	}
	i += len(target)
	if !strings.HasPrefix(s[i:], "?>") && (i == len(s) || !isSpaceByte(s[i])) {
		return malformed("no white space after processing instruction target", nil)
	}
	i = r.skipSpace(i)
	j := strings.Index(s[i:], "?>")
	if j < 0 {
		return errNotWellFormed
	}
	r.i = i + j + 2
	if start == 0 && r.hasDecl {
		return nil // the XML declaration, checked already
	}
	if err := checkProcInst(target); err != nil {
		return err
	}
	if len(r.stack) > 0 {
		r.add(child{kind: kindProcInst, data: s[start+2 : i+j]})
	}
	return nil
}

// checkProcInst refuses processing instructions a strict parser refuses:
// the reserved target xml (in any letter case: a declaration anywhere but
// at the very start, or a target the XML specification reserves) and a
// target with a colon (not namespace-well-formed).
func checkProcInst(target string) error {
	switch {
	case target == "xml":
		return malformed("XML declaration not at the start of the document", nil)
	case strings.EqualFold(target, "xml"):
		return malformed("reserved processing instruction target", nil)
	case strings.Contains(target, ":"):
		return malformed("colon in processing instruction target", nil)
	}
	return nil
}

// startTag reads a start tag or an empty-element tag.
func (r *reader) startTag() error {
	s := r.s
	i := r.i + 1
	prefix, local, n, err := r.qname(i)
	if err != nil {
		return err
	}
	i += n
	if len(r.stack) == 0 && r.root != nil {
		return malformed("more than one root element", nil)
	}
	if len(r.stack) >= MaxDepth {
		return malformed("nesting too deep", nil)
	}
	if len(r.nodes) == cap(r.nodes) {
		return malformed("too many elements", nil)
	}
	first := len(r.attrs)
	empty := false
	for {
		j := r.skipSpace(i)
		spaced := j > i
		i = j
		if i == len(s) {
			return errNotWellFormed
		}
		if s[i] == '>' {
			i++
			break
		}
		if s[i] == '/' {
			if !strings.HasPrefix(s[i:], "/>") {
				return errNotWellFormed
			}
			i, empty = i+2, true
			break
		}
		if len(r.attrs) > first && !spaced {
			return malformed("no white space between attributes", nil)
		}
		a, n, err := r.attribute(i)
		if err != nil {
			return err
		}
		if r.nAttrs++; r.nAttrs > MaxTotalAttributes {
			return malformed("too many attributes", nil)
		}
		r.attrs = append(r.attrs, a)
		i += n
	}
	r.i = i
	r.nodes = append(r.nodes, node{prefix: prefix, local: local})
	e := &r.nodes[len(r.nodes)-1]
	if len(r.attrs) > first {
		e.attrs = r.attrs[first:len(r.attrs):len(r.attrs)]
	}
	if len(r.stack) == 0 {
		r.root = e
	} else {
		r.add(child{kind: kindElement, el: e})
	}
	if !empty {
		r.stack = append(r.stack, e)
		r.starts = append(r.starts, len(r.open))
	}
	return nil
}

// attribute reads name = "value" at i and returns its length.
func (r *reader) attribute(i int) (attr, int, error) {
	s := r.s
	start := i
	_, _, n, err := r.qname(i)
	if err != nil {
		return attr{}, 0, err
	}
	name := s[i : i+n]
	i = r.skipSpace(i + n)
	if i == len(s) || s[i] != '=' {
		return attr{}, 0, errNotWellFormed
	}
	i = r.skipSpace(i + 1)
	if i == len(s) || s[i] != '"' && s[i] != '\'' {
		return attr{}, 0, errNotWellFormed
	}
	end := strings.IndexByte(s[i+1:], s[i])
	if end < 0 {
		return attr{}, 0, errNotWellFormed
	}
	raw := s[i+1 : i+1+end]
	if strings.IndexByte(raw, '<') >= 0 {
		return attr{}, 0, errNotWellFormed
	}
	v, err := r.decode(raw, true)
	if err != nil {
		return attr{}, 0, err
	}
	return attr{name, v}, i + 1 + end + 1 - start, nil
}

// endTag reads an end tag and closes the innermost open element.
func (r *reader) endTag() error {
	s := r.s
	i := r.i + 2
	prefix, local, n, err := r.qname(i)
	if err != nil {
		return err
	}
	i = r.skipSpace(i + n)
	if i == len(s) || s[i] != '>' || len(r.stack) == 0 {
		return errNotWellFormed
	}
	e := r.stack[len(r.stack)-1]
	if e.prefix != prefix || e.local != local {
		return errNotWellFormed
	}
	r.i = i + 1
	from := r.starts[len(r.starts)-1]
	if len(r.open) > from {
		k := len(r.kids)
		r.kids = append(r.kids, r.open[from:]...)
		e.children = r.kids[k:len(r.kids):len(r.kids)]
		r.open = r.open[:from]
	}
	r.stack = r.stack[:len(r.stack)-1]
	r.starts = r.starts[:len(r.starts)-1]
	return nil
}

// skipSpace returns the index of the first byte at or after i that is not
// white space.
func (r *reader) skipSpace(i int) int {
	for i < len(r.s) && isSpaceByte(r.s[i]) {
		i++
	}
	return i
}

// qname reads a name at i and splits it at its colon as encoding/xml
// does: a name with more than one colon is not well-formed; one with an
// empty prefix or local part stays whole in local, for the tree walk to
// refuse as an invalid name.
func (r *reader) qname(i int) (prefix, local string, n int, err error) {
	name, ok := r.name(i)
	if !ok {
		return "", "", 0, errNotWellFormed
	}
	c := strings.IndexByte(name, ':')
	switch {
	case c < 0:
		return "", name, len(name), nil
	case strings.IndexByte(name[c+1:], ':') >= 0:
		return "", "", 0, errNotWellFormed
	case c == 0 || c == len(name)-1:
		return "", name, len(name), nil
	}
	return name[:c], name[c+1:], len(name), nil
}

// name reads an XML name at i. ASCII names are checked here; a name with
// other characters is rare and is checked by encoding/xml's own name
// tables, so exactly the names encoding/xml accepts are accepted.
func (r *reader) name(i int) (string, bool) {
	s := r.s
	j := i
	ascii := true
	for j < len(s) && isNameByte(s[j]) {
		if s[j] >= utf8.RuneSelf {
			ascii = false
		}
		j++
	}
	name := s[i:j]
	if name == "" {
		return "", false
	}
	if !ascii {
		return name, xmlName(name)
	}
	if c := name[0]; '0' <= c && c <= '9' || c == '.' || c == '-' {
		return "", false
	}
	return name, true
}

// isNameByte is a byte that may be part of a name (as encoding/xml reads
// names; for non-ASCII bytes, xmlName checks the runes afterwards).
func isNameByte(c byte) bool {
	return c >= utf8.RuneSelf || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == ':' || c == '.' || c == '-'
}

// xmlName reports whether encoding/xml reads name as one XML name.
func xmlName(name string) bool {
	d := xml.NewDecoder(strings.NewReader("<" + name + "/>"))
	t, err := d.RawToken()
	if err != nil {
		return false
	}
	se, ok := t.(xml.StartElement)
	if !ok {
		return false
	}
	full := se.Name.Local
	if se.Name.Space != "" {
		full = se.Name.Space + ":" + full
	}
	return full == name
}
