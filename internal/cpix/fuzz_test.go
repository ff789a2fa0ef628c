package cpix

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/speke-go/keyprovider/internal/xmlcheck"
)

// fuzzSeeds are FuzzParse's seed inputs besides testdata/fuzz/FuzzParse.
func fuzzSeeds(tb testing.TB) [][]byte {
	seeds := [][]byte{
		[]byte(minimal),
		[]byte(nested(MaxDepth + 2)),
		[]byte(`<!DOCTYPE x><cpix:CPIX xmlns:cpix="urn:dashif:org:cpix"/>`),
		[]byte(`<c:CPIX xmlns:c="urn:dashif:org:cpix" a="&amp;&#10;"><![CDATA[x]]><!--c--></c:CPIX>`),
		[]byte(`<?xml version="1.0" encoding = 'UTF-8'?><c:CPIX xmlns:c="urn:dashif:org:cpix" xmlns:p="urn:ietf:params:xml:ns:keyprov:pskc"><?pi x?><c:ContentKeyList><c:ContentKey><x:W xmlns:x="urn:x"><p:Secret/></x:W></c:ContentKey></c:ContentKeyList></c:CPIX>`),
	}
	files, _ := filepath.Glob("../../testdata/speke/*/*.request.xml")
	for _, s := range files {
		b, err := os.ReadFile(s)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// FuzzParse checks, with the real limits in place, that Parse never panics;
// that an error comes with a nil document and one of the sentinels; that a
// document a strict parser accepts is refused only for one of our limits;
// that an accepted input is well-formed for a strict parser and so is the
// output; that the output carries the input's content as encoding/xml reads
// both (so the reader decodes as encoding/xml does); that an accepted
// document is a fixed point of write-then-parse; and that a document with
// no key value found gets exactly one per ContentKey once filled.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
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
			var se *SyntaxError
			if errors.Is(err, ErrMalformed) && errors.As(err, &se) && !refusedWellFormed[se.Reason] {
				if werr := xmlcheck.WellFormed(in); werr == nil {
					t.Fatalf("refused a well-formed document: %v\n%q", err, in)
				}
			}
			return
		}
		if err := xmlcheck.WellFormed(in); err != nil {
			t.Fatalf("accepted input a strict parser refuses: %v", err)
		}
		out := d.Bytes()
		if err := xmlcheck.WellFormed(out); err != nil {
			t.Fatalf("output is not well-formed: %v\n%q", err, out)
		}
		inSet, err := xmlcheck.Infoset(in)
		if err != nil {
			t.Fatal(err)
		}
		if outSet, _ := xmlcheck.Infoset(out); outSet != inSet {
			t.Fatalf("output does not carry the input's content\nin:\n%s\nout:\n%s", inSet, outSet)
		}
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
		clean := len(d.StrayKeyElements) == 0
		for _, k := range d.ContentKeys {
			clean = clean && len(k.KeyElements) == 0
		}
		if !clean {
			return
		}
		for _, k := range d.ContentKeys {
			k.SetPlainValue("AAAAAAAAAAAAAAAAAAAAAA==")
		}
		filled := d.Bytes()
		if err := xmlcheck.OneValuePerKey(filled); err != nil {
			t.Fatalf("no key value found in the request, but once filled: %v\n%q", err, filled)
		}
		if err := xmlcheck.WellFormed(filled); err != nil {
			t.Fatalf("filled output is not well-formed: %v\n%q", err, filled)
		}
	})
}

// refusedWellFormed are the reasons Parse may give for a document strict
// parsers accept: our limits, encodings other than UTF-8, and a declaration
// of the xml prefix (legal, if it names its own namespace, but never
// needed).
var refusedWellFormed = map[string]bool{
	"nesting too deep":         true,
	"too many elements":        true,
	"too many attributes":      true,
	"encoding must be UTF-8":   true,
	"reserved prefix declared": true,
}

// TestOutsideParsers has libxml2 and expat read every input Parse accepts
// among the fuzz seeds and corpus, and its output, so the in-process
// checker of FuzzParse is itself checked against strict parsers.
func TestOutsideParsers(t *testing.T) {
	inputs := map[string][]byte{}
	for i, s := range fuzzSeeds(t) {
		inputs["seed"+string(rune('a'+i))] = s
	}
	corpus, err := xmlcheck.ReadCorpus("testdata/fuzz/FuzzParse")
	if err != nil {
		t.Fatal(err)
	}
	for name, args := range corpus {
		inputs[name] = []byte(args[0])
	}
	docs := map[string][]byte{}
	for name, in := range inputs {
		d, err := Parse(in)
		if err != nil {
			continue
		}
		docs[name+" (input)"] = in
		docs[name+" (output)"] = d.Bytes()
	}
	xmlcheck.External(t, docs)
}
