// Package xmlcheck checks documents the way strict XML parsers read them,
// for tests: an in-process checker of XML 1.0 and Namespaces in XML
// well-formedness (encoding/xml in strict mode plus the rules it does not
// enforce), a count of key values per CPIX ContentKey, and runners for the
// outside parsers libxml2 (xmllint) and expat (Python's pyexpat).
//
// It shares no code with package cpix on purpose: it exists to catch what
// cpix gets wrong.
package xmlcheck

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	nsXML   = "http://www.w3.org/XML/1998/namespace"
	nsXMLNS = "http://www.w3.org/2000/xmlns/"
	nsCPIX  = "urn:dashif:org:cpix"
	nsPSKC  = "urn:ietf:params:xml:ns:keyprov:pskc"
)

var (
	// markup that may hold anything but its own end: removed before tags
	// and text are checked.
	opaqueRE = regexp.MustCompile(`(?s)<!--.*?-->|<\?.*?\?>|<!\[CDATA\[.*?\]\]>`)
	// a start or end tag: a name, attributes each after white space, and
	// quoted values.
	tagRE  = regexp.MustCompile(`^</?[^\s/>"'=<&]+(?:[ \t\r\n]+[^\s/>"'=<&]+[ \t\r\n]*=[ \t\r\n]*(?:"[^"<]*"|'[^'<]*'))*[ \t\r\n]*/?>`)
	refRE  = regexp.MustCompile(`&#(x[0-9a-fA-F]+|[0-9]+);`)
	declRE = regexp.MustCompile(`^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:"1\.0"|'1\.0')` +
		`(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:"[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?` +
		`(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\r\n]*\?>`)
	piRE = regexp.MustCompile(`^<\?(?:[A-Za-z0-9_:.\-]|[^\x00-\x7F])+(?:[ \t\r\n]|\?>)`)
)

func isChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xd7ff) ||
		(r >= 0xe000 && r <= 0xfffd) || (r >= 0x10000 && r <= 0x10ffff)
}

// WellFormed returns why doc is not a namespace-well-formed XML 1.0
// document with one root and no DOCTYPE, or nil.
func WellFormed(doc []byte) error {
	doc = bytes.TrimPrefix(doc, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(doc) {
		return errors.New("invalid UTF-8")
	}
	for i, r := range string(doc) {
		if !isChar(r) {
			return fmt.Errorf("character %U at byte %d is not an XML Char", r, i)
		}
	}
	if err := lexical(doc); err != nil {
		return err
	}
	return tokens(doc)
}

// lexical checks what encoding/xml does not: the declaration's grammar and
// place, white space after PI targets and between attributes, character
// references to Chars, and "]]>" outside CDATA sections.
func lexical(doc []byte) error {
	if bytes.HasPrefix(doc, []byte("<?xml")) && len(doc) > 5 && strings.ContainsRune(" \t\r\n?", rune(doc[5])) {
		if declRE.Find(doc) == nil {
			return errors.New("malformed XML declaration")
		}
	}
	for _, loc := range opaqueRE.FindAllIndex(doc, -1) {
		if doc[loc[0]+1] == '?' && piRE.Find(doc[loc[0]:loc[1]]) == nil {
			return fmt.Errorf("no white space after the PI target at byte %d", loc[0])
		}
	}
	rest := opaqueRE.ReplaceAll(doc, []byte(" "))
	var text bytes.Buffer
	for {
		i := bytes.IndexByte(rest, '<')
		if i < 0 {
			text.Write(rest)
			break
		}
		text.Write(rest[:i])
		text.WriteByte(' ')
		m := tagRE.Find(rest[i:])
		if m == nil {
			return fmt.Errorf("malformed markup: %.40q", rest[i:])
		}
		// Attribute values are text for references.
		if err := refs(m); err != nil {
			return err
		}
		rest = rest[i+len(m):]
	}
	if bytes.Contains(text.Bytes(), []byte("]]>")) {
		return errors.New(`"]]>" in content`)
	}
	return refs(text.Bytes())
}

func refs(b []byte) error {
	for _, m := range refRE.FindAllSubmatch(b, -1) {
		s, base := string(m[1]), 10
		if s[0] == 'x' {
			s, base = s[1:], 16
		}
		n, err := strconv.ParseUint(s, base, 32)
		if err != nil || !isChar(rune(n)) {
			return fmt.Errorf("reference %s to a non-Char", m[0])
		}
	}
	return nil
}

// tokens reads doc with encoding/xml in strict mode, keeping the namespace
// scope itself to check Namespaces in XML: bound prefixes, QNames, no
// duplicate expanded attribute names, reserved prefixes and names.
func tokens(doc []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	type frame struct {
		name  xml.Name
		bound map[string]string
	}
	stack := []frame{{bound: map[string]string{"xml": nsXML}}}
	lookup := func(p string) (string, bool) {
		for i := len(stack) - 1; i >= 0; i-- {
			if u, ok := stack[i].bound[p]; ok {
				return u, true
			}
		}
		return "", p == ""
	}
	roots, first := 0, true
	for {
		start := dec.InputOffset()
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		wasFirst := first
		first = false
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 1 {
				roots++
			}
			f := frame{name: t.Name, bound: map[string]string{}}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					if a.Name.Local == "xml" && a.Value != nsXML || a.Name.Local == "xmlns" || a.Value == "" ||
						a.Name.Local != "xml" && (a.Value == nsXML || a.Value == nsXMLNS) {
						return fmt.Errorf("reserved or empty namespace declaration xmlns:%s", a.Name.Local)
					}
					f.bound[a.Name.Local] = a.Value
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					if a.Value == nsXML || a.Value == nsXMLNS {
						return errors.New("reserved default namespace")
					}
					f.bound[""] = a.Value
				}
			}
			stack = append(stack, f)
			if strings.Contains(t.Name.Local, ":") || t.Name.Local == "" {
				return fmt.Errorf("element name %q is not a QName", t.Name.Local)
			}
			if _, ok := lookup(t.Name.Space); !ok || t.Name.Space == "xmlns" {
				return fmt.Errorf("unbound prefix %q", t.Name.Space)
			}
			seen := map[xml.Name]bool{}
			for _, a := range t.Attr {
				if strings.Contains(a.Name.Local, ":") || a.Name.Local == "" {
					return fmt.Errorf("attribute name %q is not a QName", a.Name.Local)
				}
				n := a.Name
				if n.Space != "" && n.Space != "xmlns" {
					u, ok := lookup(n.Space)
					if !ok {
						return fmt.Errorf("unbound attribute prefix %q", n.Space)
					}
					n.Space = "{" + u
				}
				if seen[n] {
					return fmt.Errorf("duplicate attribute %s", a.Name.Local)
				}
				seen[n] = true
			}
		case xml.EndElement:
			// RawToken does not match end tags to start tags.
			if len(stack) == 1 || stack[len(stack)-1].name != t.Name {
				return fmt.Errorf("end tag %s:%s does not match", t.Name.Space, t.Name.Local)
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			// RawToken decodes references and CDATA sections, neither of
			// which may appear outside the root, even as white space.
			raw := doc[start:dec.InputOffset()]
			if len(stack) == 1 && (len(bytes.Trim(t, " \t\r\n")) > 0 || bytes.ContainsAny(raw, "&<")) {
				return errors.New("text outside the root")
			}
		case xml.ProcInst:
			if strings.EqualFold(t.Target, "xml") && !(t.Target == "xml" && wasFirst && bytes.HasPrefix(doc, []byte("<?xml"))) {
				return fmt.Errorf("PI target %q", t.Target)
			}
			if strings.Contains(t.Target, ":") {
				return fmt.Errorf("colon in PI target %q", t.Target)
			}
		case xml.Directive:
			return errors.New("DOCTYPE or other directive")
		}
	}
	if roots != 1 || len(stack) != 1 {
		return fmt.Errorf("%d root elements, %d unclosed", roots, len(stack)-1)
	}
	return nil
}

// Infoset lists what the root element of doc holds, as encoding/xml reads
// it: elements by the name they are written with, attributes in order with
// their values, character data with adjacent pieces (text, references,
// CDATA sections) merged, comments and processing instructions. Two
// documents with the same listing carry the same content, whatever their
// escaping, empty-element tags or prolog.
func Infoset(doc []byte) (string, error) {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	var out, text strings.Builder
	name := func(n xml.Name) string {
		if n.Space != "" {
			return n.Space + ":" + n.Local
		}
		return n.Local
	}
	flush := func() {
		if text.Len() > 0 {
			fmt.Fprintf(&out, "T %q\n", text.String())
			text.Reset()
		}
	}
	depth := 0
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			flush()
			depth++
			fmt.Fprintf(&out, "S %s\n", name(t.Name))
			for _, a := range t.Attr {
				fmt.Fprintf(&out, "A %s=%q\n", name(a.Name), a.Value)
			}
		case xml.EndElement:
			flush()
			depth--
			fmt.Fprintf(&out, "E %s\n", name(t.Name))
		case xml.CharData:
			if depth > 0 {
				text.Write(t)
			}
		case xml.Comment:
			if depth > 0 {
				flush()
				fmt.Fprintf(&out, "C %q\n", []byte(t))
			}
		case xml.ProcInst:
			if depth > 0 {
				flush()
				fmt.Fprintf(&out, "P %s %q\n", t.Target, t.Inst)
			}
		}
	}
	return out.String(), nil
}

// ValuesPerKey counts, for each {urn:dashif:org:cpix}ContentKey of doc in
// document order, the PSKC PlainValue and EncryptedValue elements under
// it, and returns how many such values lie outside every ContentKey and
// outside DeliveryData (where content key encryption puts the document
// and MAC keys).
func ValuesPerKey(doc []byte) (perKey []int, outside int, err error) {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var open []int // indexes into perKey of the ContentKeys being read
	depth := []bool{}
	delivery := 0 // depth inside DeliveryData elements
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return perKey, outside, nil
		}
		if err != nil {
			return nil, 0, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			isKey := t.Name.Space == nsCPIX && t.Name.Local == "ContentKey"
			depth = append(depth, isKey)
			if isKey {
				open = append(open, len(perKey))
				perKey = append(perKey, 0)
			}
			if t.Name.Space == nsCPIX && t.Name.Local == "DeliveryData" || delivery > 0 {
				delivery++
			}
			if t.Name.Space == nsPSKC && (t.Name.Local == "PlainValue" || t.Name.Local == "EncryptedValue") {
				switch {
				case len(open) > 0:
					perKey[open[len(open)-1]]++
				case delivery == 0:
					outside++
				}
			}
		case xml.EndElement:
			if depth[len(depth)-1] {
				open = open[:len(open)-1]
			}
			depth = depth[:len(depth)-1]
			if delivery > 0 {
				delivery--
			}
		}
	}
}

// OneValuePerKey returns an error unless every ContentKey of doc carries
// exactly one key value and no value lies outside a ContentKey.
func OneValuePerKey(doc []byte) error {
	perKey, outside, err := ValuesPerKey(doc)
	if err != nil {
		return err
	}
	for i, n := range perKey {
		if n != 1 {
			return fmt.Errorf("ContentKey %d carries %d key values", i, n)
		}
	}
	if outside > 0 {
		return fmt.Errorf("%d key values outside every ContentKey", outside)
	}
	return nil
}
