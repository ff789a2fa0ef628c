package xmlcheck

import (
	"strings"
	"testing"
)

const good = `<?xml version="1.0" encoding="UTF-8"?>
<c:CPIX xmlns:c="urn:dashif:org:cpix" xmlns:p="urn:ietf:params:xml:ns:keyprov:pskc" a="&#x9;" xml:lang="en">
  <!-- c --><?pi data?><![CDATA[ ]] ]]>&amp;&#x10000;
  <c:ContentKeyList><c:ContentKey kid="k"><c:Data><p:Secret><p:PlainValue>AAAA</p:PlainValue></p:Secret></c:Data></c:ContentKey></c:ContentKeyList>
</c:CPIX>`

func TestWellFormed(t *testing.T) {
	r := func(inner string) string { return `<c:CPIX xmlns:c="urn:dashif:org:cpix">` + inner + `</c:CPIX>` }
	bad := map[string]string{
		"NUL in a comment":          r("<!--\x00-->"),
		"U+FFFE in a PI":            r("<?p \uFFFE?>"),
		"invalid UTF-8":             r("<!--\xff-->"),
		"surrogate reference":       r("&#xD800;"),
		"declaration inside":        r(`<?xml version="1.0"?>`),
		"declaration late":          " " + `<?xml version="1.0"?>` + r(""),
		"declaration no version":    `<?xml encoding="UTF-8"?>` + r(""),
		"PI target XML":             r("<?XML x?>"),
		"PI target colon":           r("<?a:b x?>"),
		"PI without space":          r("<?p!x?>"),
		"empty prefix element":      r("<:a/>"),
		"empty prefix attribute":    `<c:CPIX xmlns:c="urn:dashif:org:cpix" :a="x"/>`,
		"unbound prefix":            r("<x:a/>"),
		"duplicate by namespace":    `<c:CPIX xmlns:c="urn:dashif:org:cpix" xmlns:a="u" xmlns:b="u" a:k="1" b:k="2"/>`,
		"attributes without space":  `<c:CPIX xmlns:c="urn:dashif:org:cpix" a="1"b="2"/>`,
		"]]> in text":               r("a]]&gt;b]]>"),
		"two roots":                 r("") + r(""),
		"text after the root":       r("") + "x",
		"reference before the root": "&#32;" + r(""),
		"CDATA after the root":      r("") + "<![CDATA[ ]]>",
		"DOCTYPE":                   "<!DOCTYPE x>" + r(""),
		"reserved namespace":        `<c:CPIX xmlns:c="urn:dashif:org:cpix" xmlns:x="http://www.w3.org/2000/xmlns/"/>`,
		"not well-formed for Go":    r("<a>"),
	}
	if err := WellFormed([]byte(good)); err != nil {
		t.Fatalf("good document: %v", err)
	}
	docs := map[string][]byte{}
	for name, doc := range bad {
		if err := WellFormed([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
		docs[name] = []byte(doc)
	}
	// The outside parsers agree with each refusal: each bad document must
	// be reported by name.
	delete(docs, "two roots") // refused by libxml2 and expat, but by
	delete(docs, "DOCTYPE")   // our rules only: not what this checks
	ft := &fakeT{TB: t, refused: map[string]bool{}}
	External(ft, docs)
	for name := range docs {
		if !ft.refused[name] && !ft.skipped {
			t.Errorf("%s: the outside parsers accept it", name)
		}
	}
	External(t, map[string][]byte{"good": []byte(good)})
}

func TestOneValuePerKey(t *testing.T) {
	if err := OneValuePerKey([]byte(good)); err != nil {
		t.Fatal(err)
	}
	cke := strings.Replace(good, `<!-- c -->`, `<c:DeliveryDataList><c:DeliveryData><c:DocumentKey><c:Data><p:Secret><p:EncryptedValue/></p:Secret></c:Data></c:DocumentKey></c:DeliveryData></c:DeliveryDataList>`, 1)
	if err := OneValuePerKey([]byte(cke)); err != nil {
		t.Fatalf("a document key under DeliveryData: %v", err)
	}
	for name, doc := range map[string]string{
		"two values":               strings.Replace(good, `</p:Secret>`, `<p:EncryptedValue/></p:Secret>`, 1),
		"no value":                 strings.Replace(good, `<p:PlainValue>AAAA</p:PlainValue>`, ``, 1),
		"value outside":            strings.Replace(good, `<!-- c -->`, `<p:PlainValue/>`, 1),
		"value after DeliveryData": strings.Replace(good, `<!-- c -->`, `<c:DeliveryDataList><c:DeliveryData/></c:DeliveryDataList><p:PlainValue/>`, 1),
		"key in a wrapper":         strings.Replace(good, `</c:ContentKeyList>`, `<x:W xmlns:x="u"><c:ContentKey/></x:W></c:ContentKeyList>`, 1),
	} {
		if err := OneValuePerKey([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// fakeT records failures instead of failing the test.
type fakeT struct {
	testing.TB
	refused map[string]bool
	skipped bool
}

func (f *fakeT) Errorf(_ string, args ...any) {
	if len(args) > 1 {
		f.refused[args[1].(string)] = true
	}
}
func (f *fakeT) Fatalf(format string, args ...any) { f.TB.Fatalf(format, args...) }
func (f *fakeT) Skip(...any)                       { f.skipped = true }
func (f *fakeT) Helper()                           {}
func (f *fakeT) Logf(string, ...any)               {}
func (f *fakeT) Log(...any)                        {}
