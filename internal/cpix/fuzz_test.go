package cpix

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks, with the real limits in place, that Parse never panics,
// that an error comes with a nil document and one of the sentinels, and that
// an accepted document is a fixed point of write-then-parse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte(nested(MaxDepth + 2)))
	f.Add([]byte(`<!DOCTYPE x><cpix:CPIX xmlns:cpix="urn:dashif:org:cpix"/>`))
	f.Add([]byte(`<c:CPIX xmlns:c="urn:dashif:org:cpix" a="&amp;&#10;"><![CDATA[x]]><!--c--></c:CPIX>`))
	seeds, _ := filepath.Glob("../../testdata/speke/*/*.request.xml")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := Parse(in)
		if err != nil {
			if d != nil {
				t.Fatal("error with a document")
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrNotCPIX) {
				t.Fatalf("error outside the sentinels: %v", err)
			}
			return
		}
		out := d.Bytes()
		d2, err := Parse(out)
		if err != nil {
			t.Fatalf("output does not parse: %v\n%q", err, out)
		}
		if len(d2.ContentKeys) != len(d.ContentKeys) || len(d2.DRMSystems) != len(d.DRMSystems) ||
			len(d2.UsageRules) != len(d.UsageRules) || len(d2.Periods) != len(d.Periods) {
			t.Fatal("model changed across write and parse")
		}
		if out2 := d2.Bytes(); !bytes.Equal(out, out2) {
			t.Fatalf("write(parse(write(x))) != write(x)\n%q\n%q", out, out2)
		}
	})
}
