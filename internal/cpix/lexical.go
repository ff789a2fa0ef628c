package cpix

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf8"
)

// The checks in this file look at the raw body before the reader does, for
// what encoding/xml accepts although XML 1.0 forbids it and strict parsers
// (libxml2, expat) refuse it. Each is one pass over the body.

// isXMLChar reports whether r is a Char of XML 1.0 (§2.2).
func isXMLChar(r rune) bool {
	switch {
	case r == 0x9 || r == 0xA || r == 0xD:
		return true
	case r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// validChars reports whether b is UTF-8 made only of XML Chars. No markup
// of XML may contain anything else, so the whole body is checked at once.
func validChars(b []byte) bool {
	const ones, high = 0x2020202020202020, 0x8080808080808080
	for i := 0; i < len(b); {
		// Eight bytes at a time while they are all printable ASCII: no
		// byte has its top bit set, and none is below 0x20 (subtracting
		// 0x20 from such a byte borrows into its top bit).
		if i+8 <= len(b) {
			if w := binary.LittleEndian.Uint64(b[i:]); w&high == 0 && (w-ones)&^w&high == 0 {
				i += 8
				continue
			}
		}
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 || !isXMLChar(r) {
			return false
		}
		i += n
	}
	return true
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// checkDeclaration checks the XML declaration, if the body starts with one,
// against the grammar of XML 1.0 §2.8 (encoding/xml accepts a declaration
// without a version, with unknown pseudo-attributes or in any order):
//
//	'<?xml' S 'version' Eq '1.0' (S 'encoding' Eq EncName)? (S 'standalone' Eq ('yes'|'no'))? S? '?>'
//
// with each value quoted by ' or ". The only encoding accepted is UTF-8.
func checkDeclaration(body []byte) (bool, error) {
	if !bytes.HasPrefix(body, []byte("<?xml")) || len(body) < 6 || !isSpaceByte(body[5]) && body[5] != '?' {
		return false, nil // no declaration (or a PI target such as xml-stylesheet)
	}
	end := bytes.Index(body, []byte("?>"))
	if end < 0 {
		return true, malformed("invalid XML declaration", nil)
	}
	d := declParser{s: body[5:end]}
	bad := malformed("invalid XML declaration", nil)
	if v, ok := d.pseudoAttr("version"); !ok || v != "1.0" {
		return true, bad
	}
	if v, ok := d.pseudoAttr("encoding"); ok {
		if !isUTF8Name(v) {
			return true, malformed("encoding must be UTF-8", nil)
		}
	} else if d.failed {
		return true, bad
	}
	if v, ok := d.pseudoAttr("standalone"); ok {
		if v != "yes" && v != "no" {
			return true, bad
		}
	} else if d.failed {
		return true, bad
	}
	d.space()
	if len(d.s) != 0 {
		return true, bad
	}
	return true, nil
}

// declParser reads the pseudo-attributes of an XML declaration in order.
type declParser struct {
	s      []byte
	failed bool // a pseudo-attribute was there but malformed
}

func (d *declParser) space() bool {
	n := 0
	for n < len(d.s) && isSpaceByte(d.s[n]) {
		n++
	}
	d.s = d.s[n:]
	return n > 0
}

// pseudoAttr reads S name Eq quoted-value. When the next pseudo-attribute
// is another one, it consumes nothing and reports !ok without failing.
func (d *declParser) pseudoAttr(name string) (string, bool) {
	save := d.s
	if !d.space() || !bytes.HasPrefix(d.s, []byte(name)) {
		d.s = save
		return "", false
	}
	d.s = d.s[len(name):]
	d.space()
	if len(d.s) == 0 || d.s[0] != '=' {
		d.failed = true
		return "", false
	}
	d.s = d.s[1:]
	d.space()
	if len(d.s) == 0 || d.s[0] != '"' && d.s[0] != '\'' {
		d.failed = true
		return "", false
	}
	q := d.s[0]
	end := bytes.IndexByte(d.s[1:], q)
	if end < 0 {
		d.failed = true
		return "", false
	}
	v := string(d.s[1 : 1+end])
	d.s = d.s[2+end:]
	return v, true
}

// isUTF8Name: the IANA name only; expat does not know aliases such as
// "utf8".
func isUTF8Name(enc string) bool { return strings.EqualFold(enc, "utf-8") }
