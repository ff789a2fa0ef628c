package cpix

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/xmlcheck"
)

const minimal = `<?xml version="1.0" encoding="UTF-8"?>
<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" contentId="abc" version="2.3">
  <cpix:ContentKeyList><cpix:ContentKey kid="98ee5596-cd3e-a20d-163a-e382420c6eff" commonEncryptionScheme="cenc"/></cpix:ContentKeyList>
  <cpix:DRMSystemList><cpix:DRMSystem kid="98ee5596-cd3e-a20d-163a-e382420c6eff" systemId="1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"><cpix:PSSH/></cpix:DRMSystem></cpix:DRMSystemList>
  <cpix:ContentKeyUsageRuleList><cpix:ContentKeyUsageRule kid="98ee5596-cd3e-a20d-163a-e382420c6eff" intendedTrackType="ALL"><cpix:AudioFilter/><cpix:VideoFilter/></cpix:ContentKeyUsageRule></cpix:ContentKeyUsageRuleList>
</cpix:CPIX>`

// root wraps inner in a CPIX root element.
func root(inner string) string {
	return `<c:CPIX xmlns:c="urn:dashif:org:cpix">` + inner + `</c:CPIX>`
}

func nested(depth int) string {
	return `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix">` + strings.Repeat("<a>", depth) + strings.Repeat("</a>", depth) + `</cpix:CPIX>`
}

// TestParseRefuses pins every strictness rule, including the etree
// behaviours that must not change silently on a dependency upgrade.
func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
		reason   string
	}{
		{"empty", "", ErrMalformed, "empty body"},
		{"whitespace", " \n\t", ErrMalformed, "empty body"},
		{"not xml", "hello", ErrMalformed, "text outside the root element"},
		{"not xml either", "<<>>", ErrMalformed, "not well-formed"},
		{"unclosed", `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix">`, ErrMalformed, "not well-formed"},
		{"doctype", `<!DOCTYPE cpix:CPIX><cpix:CPIX xmlns:cpix="urn:dashif:org:cpix"/>`, ErrMalformed, "DOCTYPE and other directives are not allowed"},
		{"xxe", `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><cpix:CPIX xmlns:cpix="urn:dashif:org:cpix">&x;</cpix:CPIX>`, ErrMalformed, "not well-formed"},
		{"billion laughs", `<!DOCTYPE r [<!ENTITY a "aa"><!ENTITY b "&a;&a;">]><cpix:CPIX xmlns:cpix="urn:dashif:org:cpix">&b;</cpix:CPIX>`, ErrMalformed, "not well-formed"},
		{"two roots", `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix"/><cpix:CPIX xmlns:cpix="urn:dashif:org:cpix"/>`, ErrMalformed, "more than one root element"},
		{"text outside root", `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix"/>junk`, ErrMalformed, "text outside the root element"},
		{"utf-16 declaration", `<?xml version="1.0" encoding="UTF-16"?><cpix:CPIX xmlns:cpix="urn:dashif:org:cpix"/>`, ErrMalformed, "encoding must be UTF-8"},
		{"latin1 declaration", `<?xml version="1.0" encoding="ISO-8859-1"?><cpix:CPIX xmlns:cpix="urn:dashif:org:cpix"/>`, ErrMalformed, "encoding must be UTF-8"},
		{"duplicate attribute", `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" contentId="a" contentId="b"/>`, ErrMalformed, "duplicate attribute"},
		{"duplicate attribute via two prefixes", `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:a="urn:x" xmlns:b="urn:x" a:k="1" b:k="2"/>`, ErrMalformed, "duplicate attribute"},
		{"duplicate namespace declaration", `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:cpix="urn:other"/>`, ErrMalformed, "duplicate attribute"},
		{"unbound element prefix", `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix"><x:ContentKeyList/></cpix:CPIX>`, ErrMalformed, "unbound namespace prefix"},
		{"unbound attribute prefix", `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" y:contentId="a"/>`, ErrMalformed, "unbound namespace prefix"},
		{"unbound root prefix", `<cpix:CPIX contentId="a"/>`, ErrMalformed, "unbound namespace prefix"},
		{"empty namespace for a prefix", `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:p=""/>`, ErrMalformed, "empty namespace for a prefix"},
		{"xmlns prefix declared", `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:xmlns="urn:x"/>`, ErrMalformed, "reserved prefix declared"},
		{"too deep", nested(MaxDepth + 1), ErrMalformed, "nesting too deep"},
		{"very deep", nested(200000), ErrTooLarge, "body exceeds limit"},
		{"too many elements", `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix">` + strings.Repeat("<a/>", MaxElements) + `</cpix:CPIX>`, ErrMalformed, "too many elements"},
		{"too many attributes", `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix"` + strings.Repeat(` a="1"`, 1) + func() string {
			var b strings.Builder
			for i := range MaxAttributes {
				b.WriteString(` b` + strings.Repeat("x", i) + `="1"`)
			}
			return b.String()
		}() + `/>`, ErrMalformed, "too many attributes"},
		{"too many attributes in the document", root(func() string {
			var b strings.Builder
			for i := 0; i <= MaxTotalAttributes/32; i++ {
				b.WriteString("<a")
				for j := range 32 {
					b.WriteString(` a` + strconv.Itoa(j) + `=""`)
				}
				b.WriteString("/>")
			}
			return b.String()
		}()), ErrMalformed, "too many attributes"},
		{"too many elements by pre-scan", `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix">` + strings.Repeat("<a/>", 3*MaxElements) + `</cpix:CPIX>`, ErrMalformed, "too many elements"},
		{"too large", `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix">` + strings.Repeat(" ", MaxBodyBytes) + `</cpix:CPIX>`, ErrTooLarge, "body exceeds limit"},
		// What encoding/xml lets through and strict parsers (libxml2,
		// expat) refuse.
		{"NUL in a comment", root("<!--a\x00b-->"), ErrMalformed, "character not allowed in XML"},
		{"U+FFFE in a comment", root("<!--\uFFFE-->"), ErrMalformed, "character not allowed in XML"},
		{"U+FFFF in a PI", root("<?p \uFFFF?>"), ErrMalformed, "character not allowed in XML"},
		{"invalid UTF-8 in a comment", root("<!--\xff-->"), ErrMalformed, "character not allowed in XML"},
		{"encoded surrogate in a comment", root("<!--\xed\xa0\x80-->"), ErrMalformed, "character not allowed in XML"},
		{"control character in a PI", root("<?p \x01?>"), ErrMalformed, "character not allowed in XML"},
		{"control character in an attribute", "<c:CPIX xmlns:c=\"urn:dashif:org:cpix\" a=\"\x1f\"/>", ErrMalformed, "character not allowed in XML"},
		{"NUL in the prolog", "<!--\x00--><c:CPIX xmlns:c=\"urn:dashif:org:cpix\"/>", ErrMalformed, "character not allowed in XML"},
		{"surrogate reference in text", root("&#xD800;"), ErrMalformed, "invalid character reference"},
		{"surrogate reference in an attribute", `<c:CPIX xmlns:c="urn:dashif:org:cpix" a="x&#57343;"/>`, ErrMalformed, "invalid character reference"},
		{"XML declaration inside the root", root(`<?xml version="1.0"?>`), ErrMalformed, "XML declaration not at the start of the document"},
		{"XML declaration in a child", root(`<a><?xml version="1.0"?></a>`), ErrMalformed, "XML declaration not at the start of the document"},
		{"XML declaration after white space", ` <?xml version="1.0"?>` + root(""), ErrMalformed, "XML declaration not at the start of the document"},
		{"XML declaration after a comment", `<!--c--><?xml version="1.0"?>` + root(""), ErrMalformed, "XML declaration not at the start of the document"},
		{"two XML declarations", `<?xml version="1.0"?><?xml version="1.0"?>` + root(""), ErrMalformed, "XML declaration not at the start of the document"},
		{"PI target XML", root(`<?XML x?>`), ErrMalformed, "reserved processing instruction target"},
		{"PI target xMl in the prolog", `<?xMl x?>` + root(""), ErrMalformed, "reserved processing instruction target"},
		{"PI target with a colon", root(`<?a:b x?>`), ErrMalformed, "colon in processing instruction target"},
		{"PI target not followed by space", root(`<?p!x?>`), ErrMalformed, "no white space after processing instruction target"},
		{"element with an empty prefix", root(`<:a/>`), ErrMalformed, "invalid name"},
		{"element with an empty local name", root(`<a:/>`), ErrMalformed, "invalid name"},
		{"root with an empty prefix", `<:CPIX/>`, ErrMalformed, "invalid name"},
		{"attribute with an empty prefix", `<c:CPIX xmlns:c="urn:dashif:org:cpix" :a="x"/>`, ErrMalformed, "invalid name"},
		{"attribute with an empty local name", `<c:CPIX xmlns:c="urn:dashif:org:cpix" xmlns:a="urn:a" a:="x"/>`, ErrMalformed, "invalid name"},
		{"declaration with an empty prefix", `<c:CPIX xmlns:c="urn:dashif:org:cpix" xmlns:="urn:a"/>`, ErrMalformed, "invalid name"},
		{"attributes without white space", `<c:CPIX xmlns:c="urn:dashif:org:cpix" a="1"b="2"/>`, ErrMalformed, "no white space between attributes"},
		{"NBSP after the root", root("") + "\u00a0", ErrMalformed, "text outside the root element"},
		{"white-space reference before the root", "&#32;" + root(""), ErrMalformed, "text outside the root element"},
		{"CDATA after the root", root("") + "<![CDATA[ ]]>", ErrMalformed, "not well-formed"},
		{"xml namespace bound to another prefix", `<c:CPIX xmlns:c="urn:dashif:org:cpix" xmlns:x="http://www.w3.org/XML/1998/namespace"/>`, ErrMalformed, "reserved namespace declared"},
		{"xmlns namespace bound", `<c:CPIX xmlns:c="urn:dashif:org:cpix" xmlns:x="http://www.w3.org/2000/xmlns/"/>`, ErrMalformed, "reserved namespace declared"},
		{"xml namespace as default", `<c:CPIX xmlns:c="urn:dashif:org:cpix"><a xmlns="http://www.w3.org/XML/1998/namespace"/></c:CPIX>`, ErrMalformed, "reserved namespace declared"},
		// The XML declaration's grammar (encoding/xml reads it loosely).
		{"declaration without version", `<?xml encoding="UTF-8"?>` + root(""), ErrMalformed, "invalid XML declaration"},
		{"declaration in the wrong order", `<?xml encoding="UTF-8" version="1.0"?>` + root(""), ErrMalformed, "invalid XML declaration"},
		{"declaration with an unknown pseudo-attribute", `<?xml version="1.0" foo="bar"?>` + root(""), ErrMalformed, "invalid XML declaration"},
		{"declaration with a bad standalone", `<?xml version="1.0" standalone="maybe"?>` + root(""), ErrMalformed, "invalid XML declaration"},
		{"empty declaration", `<?xml?>` + root(""), ErrMalformed, "invalid XML declaration"},
		{"declaration without space before encoding", `<?xml version="1.0"encoding="UTF-8"?>` + root(""), ErrMalformed, "invalid XML declaration"},
		{"unquoted UTF-8 encoding", `<?xml version="1.0" encoding=UTF-8?>` + root(""), ErrMalformed, "invalid XML declaration"},
		{"encoding without =", `<?xml version="1.0" encoding "UTF-8"?>` + root(""), ErrMalformed, "invalid XML declaration"},
		{"unterminated encoding", `<?xml version="1.0" encoding="UTF-8?>` + root(""), ErrMalformed, "invalid XML declaration"},
		{"utf8 alias", `<?xml version="1.0" encoding="UTF8"?>` + root(""), ErrMalformed, "encoding must be UTF-8"},
		{"spaced UTF-16 encoding", `<?xml version="1.0" encoding = 'UTF-16'?>` + root(""), ErrMalformed, "encoding must be UTF-8"},
		{"tab-spaced latin1 encoding", "<?xml version=\"1.0\" encoding\t=\n\"ISO-8859-1\"?>" + root(""), ErrMalformed, "encoding must be UTF-8"},
		{"wrong root", `<CPIX/>`, ErrNotCPIX, "root element is not cpix:CPIX"},
		{"root in foreign namespace", `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix:fake"/>`, ErrNotCPIX, "root element is not cpix:CPIX"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse([]byte(tc.in))
			if d != nil {
				t.Fatal("non-nil document with error")
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var se *SyntaxError
			if !errors.As(err, &se) || se.Reason != tc.reason {
				t.Fatalf("reason = %v, want %q", err, tc.reason)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	for _, in := range []string{
		minimal,
		nested(MaxDepth - 1),
		`<?xml version="1.0" encoding="utf-8"?><CPIX xmlns="urn:dashif:org:cpix"/>`,
		`<?xml version='1.0'?><CPIX xmlns="urn:dashif:org:cpix"/>`,
		"\ufeff" + `<CPIX xmlns="urn:dashif:org:cpix"/>`,
		"\ufeff" + `<?xml version="1.0"?><CPIX xmlns="urn:dashif:org:cpix"/>`,
		// The declaration's S? Eq S? and either quote.
		`<?xml version = '1.0' encoding = 'UTF-8' ?>` + root(""),
		"<?xml\tversion=\"1.0\"\nencoding\r\n=\t'utf-8' standalone='no'?>" + root(""),
		`<?xml version="1.0" standalone="yes"?>` + root(""),
		// PIs whose target only starts with xml, and PIs without data.
		root(`<?xml-stylesheet href="a"?><?xmlfoo?><?p?><?p	x?>`),
		// References to Chars, non-ASCII names, attribute edge cases.
		root(`&#x9;&#10;&#xD;&#x10FFFF;&#xFFFD;&#0000065;`),
		`<c:CPIX xmlns:c="urn:dashif:org:cpix" a = "1"` + "\t" + `b='2'` + "\n" + `c="&#x9;"/>`,
		root(`<été xml:lang="fr" xmlns:ü="urn:u" ü:größe="1"/>`),
		root(`<!-- a - b --><![CDATA[ ]] > ]]><a></a >`),
		root(``) + "\n\t\r\n",
	} {
		d, err := Parse([]byte(in))
		if err != nil {
			t.Errorf("Parse(%.60q): %v", in, err)
			continue
		}
		if err := xmlcheck.WellFormed([]byte(in)); err != nil {
			t.Errorf("test input %.60q is not well-formed: %v", in, err)
		}
		if err := xmlcheck.WellFormed(d.Bytes()); err != nil {
			t.Errorf("output for %.60q: %v\n%s", in, err, d.Bytes())
		}
	}
}

func TestModelByNamespace(t *testing.T) {
	// The same document with other prefixes, a default namespace, and
	// decoy elements in a foreign namespace that share CPIX local names.
	in := `<c:CPIX xmlns:c="urn:dashif:org:cpix" contentId="x">
	  <ContentKeyList xmlns="urn:dashif:org:cpix">
	    <ContentKey kid="98ee5596-cd3e-a20d-163a-e382420c6eff"/>
	    <e:ContentKey xmlns:e="urn:evil" kid="11111111-1111-1111-1111-111111111111"/>
	  </ContentKeyList>
	  <e:DRMSystemList xmlns:e="urn:evil"><c:DRMSystem kid="k" systemId="s"/></e:DRMSystemList>
	  <c:DRMSystemList><c:DRMSystem kid="k" systemId="s"><c:PSSH/><c:HLSSignalingData playlist="media"/><e:PSSH xmlns:e="urn:evil"/></c:DRMSystem></c:DRMSystemList>
	</c:CPIX>`
	d, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.ContentKeys) != 1 {
		t.Fatalf("%d content keys, want 1 (foreign ContentKey must not match)", len(d.ContentKeys))
	}
	if kid, _ := d.ContentKeys[0].Attr("kid"); kid != "98ee5596-cd3e-a20d-163a-e382420c6eff" {
		t.Fatalf("kid = %q", kid)
	}
	if len(d.DRMSystems) != 1 || d.ListCounts["DRMSystemList"] != 1 {
		t.Fatalf("%d DRM systems in %d lists; the foreign list must not count", len(d.DRMSystems), d.ListCounts["DRMSystemList"])
	}
	ds := d.DRMSystems[0]
	if len(ds.PSSH) != 1 || len(ds.HLSSignalingData) != 1 || len(ds.Other) != 1 {
		t.Fatalf("PSSH %d HLS %d other %d", len(ds.PSSH), len(ds.HLSSignalingData), len(ds.Other))
	}
	if n := ds.Other[0].Name(); n != (Name{"urn:evil", "PSSH"}) {
		t.Fatalf("other = %+v", n)
	}
}

func TestWriteRoundTrip(t *testing.T) {
	in := `<?xml version="1.0"?>
<!-- prolog comments are not kept -->
<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" contentId="a&amp;b&lt;&quot;c" name="tab&#9;nl&#10;cr&#13;end">
  <!-- kept -->
  <?pi data?>
  <cpix:ContentKeyList><cpix:ContentKey kid="98ee5596-cd3e-a20d-163a-e382420c6eff"/></cpix:ContentKeyList>
  <x:Ext xmlns:x="urn:x"><![CDATA[<not markup> & ]]>text &gt; ]]&gt;</x:Ext>
</cpix:CPIX>`
	d, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out := d.Bytes()
	d2, err := Parse(out)
	if err != nil {
		t.Fatalf("re-parse: %v\n%s", err, out)
	}
	if got := d2.Bytes(); !bytes.Equal(got, out) {
		t.Fatalf("not a fixed point:\n%s\n---\n%s", out, got)
	}
	if v, _ := d2.Attr("contentId"); v != `a&b<"c` {
		t.Errorf("contentId = %q", v)
	}
	// encoding/xml does not normalize attribute values, so re-parsing
	// cannot show a raw tab or newline: pin the references, and have a
	// normalizing parser read the value back.
	if want := `name="tab&#x9;nl&#xA;cr&#xD;end"`; !bytes.Contains(out, []byte(want)) {
		t.Errorf("output lacks %s:\n%s", want, out)
	}
	if v, _ := d2.Attr("name"); v != "tab\tnl\ncr\rend" {
		t.Errorf("name = %q (attribute whitespace must survive)", v)
	}
	if v, ok := xmllintAttr(t, out, "name"); ok && v != "tab\tnl\ncr\rend" {
		t.Errorf("libxml2 reads name = %q (attribute whitespace must survive normalization)", v)
	}
	for _, want := range []string{"<!-- kept -->", "<?pi data?>", "&lt;not markup&gt; &amp; text &gt; ]]&gt;"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if bytes.Contains(out, []byte("prolog")) {
		t.Error("prolog comment written")
	}
}

func TestSetPlainValuePrefixes(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{
			"declared at root",
			`<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc"><cpix:ContentKeyList><cpix:ContentKey/></cpix:ContentKeyList></cpix:CPIX>`,
			`<cpix:ContentKey><cpix:Data><pskc:Secret><pskc:PlainValue>AAAA</pskc:PlainValue></pskc:Secret></cpix:Data></cpix:ContentKey>`,
		},
		{
			"other prefix",
			`<c:CPIX xmlns:c="urn:dashif:org:cpix" xmlns:pksc="urn:ietf:params:xml:ns:keyprov:pskc"><c:ContentKeyList><c:ContentKey/></c:ContentKeyList></c:CPIX>`,
			`<c:ContentKey><c:Data><pksc:Secret><pksc:PlainValue>AAAA</pksc:PlainValue></pksc:Secret></c:Data></c:ContentKey>`,
		},
		{
			"undeclared",
			`<CPIX xmlns="urn:dashif:org:cpix"><ContentKeyList><ContentKey/></ContentKeyList></CPIX>`,
			`<ContentKey><Data><pskc:Secret xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc"><pskc:PlainValue>AAAA</pskc:PlainValue></pskc:Secret></Data></ContentKey>`,
		},
		{
			"pskc prefix taken by another namespace",
			`<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:other"><cpix:ContentKeyList><cpix:ContentKey/></cpix:ContentKeyList></cpix:CPIX>`,
			`<cpix:ContentKey><cpix:Data><pskc1:Secret xmlns:pskc1="urn:ietf:params:xml:ns:keyprov:pskc"><pskc1:PlainValue>AAAA</pskc1:PlainValue></pskc1:Secret></cpix:Data></cpix:ContentKey>`,
		},
		{
			"request had empty Data and Secret",
			`<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:p="urn:ietf:params:xml:ns:keyprov:pskc"><cpix:ContentKeyList><cpix:ContentKey><cpix:Data><p:Secret><p:PlainValue/></p:Secret></cpix:Data></cpix:ContentKey></cpix:ContentKeyList></cpix:CPIX>`,
			`<cpix:ContentKey><cpix:Data><p:Secret><p:PlainValue>AAAA</p:PlainValue></p:Secret></cpix:Data></cpix:ContentKey>`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			d.ContentKeys[0].SetPlainValue("AAAA")
			out := d.Bytes()
			if !bytes.Contains(out, []byte(tc.want)) {
				t.Fatalf("got\n%s\nwant it to contain\n%s", out, tc.want)
			}
			// The result must parse and the value must be found by namespace.
			d2, err := Parse(out)
			if err != nil {
				t.Fatal(err)
			}
			if got := plainValue(t, d2); got != "AAAA" {
				t.Fatalf("re-parsed PlainValue = %q", got)
			}
		})
	}
}

// plainValue finds ContentKey/Data/Secret/PlainValue by namespace URI.
func plainValue(t *testing.T, d *Document) string {
	t.Helper()
	k := d.ContentKeys[0]
	for _, data := range childElements(k.e) {
		ds := extendScope(data, k.e.scope)
		if u, _ := ds.lookup(data.prefix); u != NSCPIX || data.local != "Data" {
			continue
		}
		for _, sec := range childElements(data) {
			ss := extendScope(sec, ds)
			if u, _ := ss.lookup(sec.prefix); u != NSPSKC || sec.local != "Secret" {
				continue
			}
			for _, pv := range childElements(sec) {
				ps := extendScope(pv, ss)
				if u, _ := ps.lookup(pv.prefix); u == NSPSKC && pv.local == "PlainValue" {
					return text(pv)
				}
			}
		}
	}
	return ""
}

func childElements(n *node) []*node {
	var out []*node
	n.elements(func(c *node) { out = append(out, c) })
	return out
}

func TestEnsureRootNamespace(t *testing.T) {
	d, err := Parse([]byte(`<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix"/>`))
	if err != nil {
		t.Fatal(err)
	}
	d.EnsureRootNamespace(NSPSKC)
	d.EnsureRootNamespace(NSPSKC)
	out := string(d.Bytes())
	if strings.Count(out, `xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc"`) != 1 {
		t.Fatalf("root: %s", out)
	}
}

// xmllintAttr has libxml2 read a root attribute of doc (with XML's
// attribute-value normalization); ok is false when xmllint is missing.
func xmllintAttr(t *testing.T, doc []byte, name string) (string, bool) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Log("xmllint not installed")
		return "", false
	}
	p := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(p, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("xmllint", "--xpath", "string(/*/@"+name+")", p).Output()
	if err != nil {
		t.Fatalf("xmllint: %v", err)
	}
	return strings.TrimSuffix(string(out), "\n"), true
}

// TestTextPieces: text split by comments reads back whole, at a cost linear
// in its length (it used to be copied once per piece).
func TestTextPieces(t *testing.T) {
	for _, pieces := range []int{0, 1, 2, 3, 4000} {
		in := root(`<a>` + strings.Repeat(`x<!---->`, pieces) + `</a>`)
		d, err := Parse([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		a := Element{e: childElements(d.root)[0], doc: d}
		if got := a.Text(); got != strings.Repeat("x", pieces) {
			t.Fatalf("%d pieces: text %q", pieces, got)
		}
	}
}

// TestValidChars covers the eight-bytes-at-a-time path: a bad byte at any
// offset of a word is found.
func TestValidChars(t *testing.T) {
	for _, bad := range []string{"\x00", "\x01", "\x1f", "\x80", "\xff", "\xef\xbf\xbe"} {
		for pos := range 17 {
			b := []byte(strings.Repeat("a", pos) + bad + strings.Repeat("\x7f", 17-pos))
			if validChars(b) {
				t.Errorf("%q at %d accepted", bad, pos)
			}
		}
	}
	if !validChars([]byte(strings.Repeat("ab\tc\nd\re ~\x7f\u00e9\U00010000", 5))) {
		t.Error("valid text refused")
	}
}

// extendScope, for tests that resolve names on their own, returns parent extended with e's namespace declarations, or
// parent itself when e declares none.
func extendScope(e *node, parent *scope) *scope {
	n := 0
	for i := range e.attrs {
		if isDecl(&e.attrs[i]) {
			n++
		}
	}
	if n == 0 {
		return parent
	}
	s := &scope{parent: parent, bindings: make([]binding, 0, n)}
	for i := range e.attrs {
		if a := &e.attrs[i]; isDecl(a) {
			prefix, local := a.split()
			if prefix == "" {
				local = ""
			}
			s.bindings = append(s.bindings, binding{local, a.value})
		}
	}
	return s
}

// isDecl reports whether a is a namespace declaration.
func isDecl(a *attr) bool {
	prefix, local := a.split()
	return prefix == "xmlns" || prefix == "" && local == "xmlns"
}
