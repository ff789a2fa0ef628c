package cpix

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

const minimal = `<?xml version="1.0" encoding="UTF-8"?>
<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" contentId="abc" version="2.3">
  <cpix:ContentKeyList><cpix:ContentKey kid="98ee5596-cd3e-a20d-163a-e382420c6eff" commonEncryptionScheme="cenc"/></cpix:ContentKeyList>
  <cpix:DRMSystemList><cpix:DRMSystem kid="98ee5596-cd3e-a20d-163a-e382420c6eff" systemId="1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"><cpix:PSSH/></cpix:DRMSystem></cpix:DRMSystemList>
  <cpix:ContentKeyUsageRuleList><cpix:ContentKeyUsageRule kid="98ee5596-cd3e-a20d-163a-e382420c6eff" intendedTrackType="ALL"><cpix:AudioFilter/><cpix:VideoFilter/></cpix:ContentKeyUsageRule></cpix:ContentKeyUsageRuleList>
</cpix:CPIX>`

func nested(depth int) string {
	return `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix">` + strings.Repeat("<a>", depth) + strings.Repeat("</a>", depth) + `</cpix:CPIX>`
}

// TestParseRefuses pins every strictness rule, including the etree
// behaviours security.md §2 says must not change silently on an upgrade.
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
		{"too many elements by pre-scan", `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix">` + strings.Repeat("<a/>", 3*MaxElements) + `</cpix:CPIX>`, ErrMalformed, "too many elements"},
		{"too large", `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix">` + strings.Repeat(" ", MaxBodyBytes) + `</cpix:CPIX>`, ErrTooLarge, "body exceeds limit"},
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
	} {
		if _, err := Parse([]byte(in)); err != nil {
			t.Errorf("Parse(%.60q): %v", in, err)
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
	if v, _ := d2.Attr("name"); v != "tab\tnl\ncr\rend" {
		t.Errorf("name = %q (attribute whitespace must survive)", v)
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
	for _, data := range k.e.ChildElements() {
		ds := extendScope(data, k.scope)
		if u, _ := ds.lookup(data.Space); u != NSCPIX || data.Tag != "Data" {
			continue
		}
		for _, sec := range data.ChildElements() {
			ss := extendScope(sec, ds)
			if u, _ := ss.lookup(sec.Space); u != NSPSKC || sec.Tag != "Secret" {
				continue
			}
			for _, pv := range sec.ChildElements() {
				ps := extendScope(pv, ss)
				if u, _ := ps.lookup(pv.Space); u == NSPSKC && pv.Tag == "PlainValue" {
					return text(pv)
				}
			}
		}
	}
	return ""
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
