package cpix

import (
	"bytes"
	"encoding/base64"
	"io"
)

const xmlDecl = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// AppendTo appends the document, with an XML declaration, to b.
//
// The answer to a large request is ~60 KB, mostly base64, so the writer
// encodes base64 content straight into b and copies text that needs no
// escaping in one piece. Comments and processing instructions inside the root are kept; the
// document prolog is replaced by a UTF-8 declaration.
func (d *Document) AppendTo(b []byte) []byte {
	b = append(b, xmlDecl...)
	b = appendElement(b, d.root)
	return append(b, '\n')
}

// WriteTo writes the document to w.
func (d *Document) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(d.AppendTo(nil))
	return int64(n), err
}

// Bytes returns the serialized document.
func (d *Document) Bytes() []byte {
	var buf bytes.Buffer
	_, _ = d.WriteTo(&buf)
	return buf.Bytes()
}

func appendElement(b []byte, e *node) []byte {
	b = append(b, '<')
	b = appendName(b, e.prefix, e.local)
	for i := range e.attrs {
		a := &e.attrs[i]
		b = append(b, ' ')
		b = append(b, a.name...)
		b = append(b, '=', '"')
		b = appendEscaped(b, a.value, true)
		b = append(b, '"')
	}
	if !e.hasB64 && writesNothing(e) {
		return append(b, '/', '>')
	}
	b = append(b, '>')
	if e.hasB64 {
		b = base64.StdEncoding.AppendEncode(b, e.b64)
	}
	for i := range e.children {
		switch c := &e.children[i]; c.kind {
		case kindElement:
			b = appendElement(b, c.el)
		case kindText:
			b = appendEscaped(b, c.data, false)
		case kindComment:
			b = append(b, "<!--"...)
			b = append(b, c.data...)
			b = append(b, "-->"...)
		case kindProcInst:
			target, inst := procInstParts(c.data)
			b = append(b, "<?"...)
			b = append(b, target...)
			if inst != "" {
				b = append(b, ' ')
				b = append(b, inst...)
			}
			b = append(b, "?>"...)
		}
	}
	b = append(b, '<', '/')
	b = appendName(b, e.prefix, e.local)
	return append(b, '>')
}

func appendName(b []byte, space, local string) []byte {
	if space != "" {
		b = append(b, space...)
		b = append(b, ':')
	}
	return append(b, local...)
}

// appendEscaped escapes s as character data or as a double-quoted attribute
// value. In attributes, whitespace other than space is written as character
// references so attribute-value normalization gives back the same string.
func appendEscaped(b []byte, s string, inAttr bool) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\r':
			esc = "&#xD;"
		case '"':
			if !inAttr {
				continue
			}
			esc = "&quot;"
		case '\n':
			if !inAttr {
				continue
			}
			esc = "&#xA;"
		case '\t':
			if !inAttr {
				continue
			}
			esc = "&#x9;"
		default:
			continue
		}
		b = append(b, s[start:i]...)
		b = append(b, esc...)
		start = i + 1
	}
	return append(b, s[start:]...)
}

// writesNothing reports whether e's children write no bytes (none, or only
// empty text such as an empty CDATA section leaves), so that e is written
// as an empty-element tag and writing is a fixed point of parsing.
func writesNothing(e *node) bool {
	for i := range e.children {
		if c := &e.children[i]; c.kind != kindText || c.data != "" {
			return false
		}
	}
	return true
}
