package cpix

import (
	"bytes"
	"encoding/base64"
	"io"

	"github.com/beevik/etree"
)

const xmlDecl = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// AppendTo appends the document, with an XML declaration, to b.
//
// It streams the tree directly instead of using etree's writer: the answer
// to a large request is ~60 KB, mostly base64, and a single pass with a
// fast path for text that needs no escaping is several times cheaper.
// Comments and processing instructions inside the root are kept; the
// document prolog is replaced by a UTF-8 declaration.
func (d *Document) AppendTo(b []byte) []byte {
	b = append(b, xmlDecl...)
	b = writer{b64: d.b64}.element(b, d.root)
	return append(b, '\n')
}

type writer struct{ b64 map[*etree.Element][]byte }

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

func (w writer) element(b []byte, e *etree.Element) []byte {
	b = append(b, '<')
	b = appendName(b, e.Space, e.Tag)
	for i := range e.Attr {
		a := &e.Attr[i]
		b = append(b, ' ')
		b = appendName(b, a.Space, a.Key)
		b = append(b, '=', '"')
		b = appendEscaped(b, a.Value, true)
		b = append(b, '"')
	}
	raw, isB64 := w.b64[e]
	if !isB64 && writesNothing(e) {
		return append(b, '/', '>')
	}
	b = append(b, '>')
	if isB64 {
		b = base64.StdEncoding.AppendEncode(b, raw)
	}
	for _, c := range e.Child {
		switch t := c.(type) {
		case *etree.Element:
			b = w.element(b, t)
		case *etree.CharData:
			b = appendEscaped(b, t.Data, false)
		case *etree.Comment:
			b = append(b, "<!--"...)
			b = append(b, t.Data...)
			b = append(b, "-->"...)
		case *etree.ProcInst:
			b = append(b, "<?"...)
			b = append(b, t.Target...)
			if t.Inst != "" {
				b = append(b, ' ')
				b = append(b, t.Inst...)
			}
			b = append(b, "?>"...)
		}
	}
	b = append(b, '<', '/')
	b = appendName(b, e.Space, e.Tag)
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
func writesNothing(e *etree.Element) bool {
	for _, c := range e.Child {
		if t, ok := c.(*etree.CharData); !ok || t.Data != "" {
			return false
		}
	}
	return true
}
