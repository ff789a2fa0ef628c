package cpix

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"
)

// The checks in this file look at the raw body, for what encoding/xml
// accepts although XML 1.0 forbids it and strict parsers (libxml2, expat)
// refuse it. Each is one pass over the body.

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

// checkMarkup scans the markup of a body for what encoding/xml lets
// through: character references to non-Chars (it turns &#xD800; into
// U+FFFD), attributes not separated by white space, and a processing
// instruction target not followed by white space. It also counts the
// attributes against MaxTotalAttributes. It runs before encoding/xml reads
// the body; markup it cannot follow is refused as not well-formed (which
// encoding/xml would refuse too).
func checkMarkup(b []byte) error {
	attrs := 0
	for i := 0; i < len(b); {
		switch b[i] {
		case '&':
			n, err := charRef(b[i:])
			if err != nil {
				return err
			}
			i += n
		case '<':
			rest := b[i:]
			var n int
			switch {
			case bytes.HasPrefix(rest, []byte("<!--")):
				n = skipPast(rest, 4, "-->")
			case bytes.HasPrefix(rest, []byte("<![CDATA[")):
				n = skipPast(rest, 9, "]]>")
			case bytes.HasPrefix(rest, []byte("<!")):
				return nil // a directive: refused once the tree is read
			case bytes.HasPrefix(rest, []byte("<?")):
				t := 2
				for t < len(rest) && isNameByte(rest[t]) {
					t++
				}
				if !bytes.HasPrefix(rest[t:], []byte("?>")) && (t == len(rest) || !isSpaceByte(rest[t])) {
					return malformed("no white space after processing instruction target", nil)
				}
				n = skipPast(rest, t, "?>")
			default:
				var err error
				var a int
				if n, a, err = scanTag(rest); err != nil {
					return err
				}
				if attrs += a; attrs > MaxTotalAttributes {
					return malformed("too many attributes", nil)
				}
			}
			if n < 0 {
				return malformed("not well-formed", nil)
			}
			i += n
		default:
			i++
		}
	}
	return nil
}

// isNameByte is a byte that may be part of a name (as encoding/xml reads
// names; it checks the runes afterwards).
func isNameByte(c byte) bool {
	return c >= utf8.RuneSelf || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == ':' || c == '.' || c == '-'
}

// skipPast returns the length of b up to and including the first end at or
// after from, or -1.
func skipPast(b []byte, from int, end string) int {
	j := bytes.Index(b[from:], []byte(end))
	if j < 0 {
		return -1
	}
	return from + j + len(end)
}

// scanTag checks a start or end tag and returns its length and the number
// of attributes (quoted values) in it.
func scanTag(b []byte) (int, int, error) {
	attrs := 0
	for i := 1; i < len(b); {
		switch c := b[i]; c {
		case '>':
			return i + 1, attrs, nil
		case '"', '\'':
			attrs++
			end := bytes.IndexByte(b[i+1:], c)
			if end < 0 {
				return -1, 0, nil
			}
			// References in the value (it holds no quote of its kind).
			for v := b[i+1 : i+1+end]; ; {
				amp := bytes.IndexByte(v, '&')
				if amp < 0 {
					break
				}
				n, err := charRef(v[amp:])
				if err != nil {
					return 0, 0, err
				}
				v = v[amp+n:]
			}
			i += end + 2 // past the closing quote
			if i < len(b) && !isSpaceByte(b[i]) && b[i] != '/' && b[i] != '>' {
				return 0, 0, malformed("no white space between attributes", nil)
			}
		default:
			i++
		}
	}
	return -1, 0, nil
}

// charRef checks the reference at the start of b (which starts with '&')
// and returns its length. encoding/xml has checked its syntax; a character
// reference must also name a Char.
func charRef(b []byte) (int, error) {
	end := bytes.IndexByte(b, ';')
	if end < 0 {
		return 0, malformed("not well-formed", nil)
	}
	if len(b) < 3 || b[1] != '#' {
		return end + 1, nil // an entity reference
	}
	digits, base := b[2:end], rune(10)
	if len(digits) > 0 && digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	var r rune
	for _, c := range digits {
		var v rune
		switch {
		case '0' <= c && c <= '9':
			v = rune(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			v = rune(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			v = rune(c-'A') + 10
		default:
			return 0, malformed("invalid character reference", nil)
		}
		if r = r*base + v; r > utf8.MaxRune {
			return 0, malformed("invalid character reference", nil)
		}
	}
	if len(digits) == 0 || !isXMLChar(r) {
		return 0, malformed("invalid character reference", nil)
	}
	return end + 1, nil
}
