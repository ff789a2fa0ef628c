package cpix

import (
	"fmt"
	"strings"
	"testing"
)

// benchSize is the size of the bodies the CPU-bound benchmark compares: as
// large as Parse accepts.
const benchSize = MaxBodyBytes - 64

// padTo pads a document to exactly n bytes with whitespace before the root
// end tag.
func padTo(tb testing.TB, doc string, n int) []byte {
	tb.Helper()
	end := strings.LastIndex(doc, "</")
	if len(doc) > n || end < 0 {
		tb.Fatalf("body of %d bytes does not fit in %d", len(doc), n)
	}
	return []byte(doc[:end] + strings.Repeat("\n", n-len(doc)) + doc[end:])
}

// ordinaryBody is a realistic request of n bytes: keys with Widevine,
// PlayReady and FairPlay systems, usage rules and a period, as many as fit.
func ordinaryBody(tb testing.TB, n int) []byte {
	tb.Helper()
	var keys, systems, rules strings.Builder
	head := `<?xml version="1.0" encoding="UTF-8"?>
<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" contentId="ordinary-channel-1" version="2.3">
`
	build := func() string {
		return head + "  <cpix:ContentKeyList>\n" + keys.String() + "  </cpix:ContentKeyList>\n  <cpix:DRMSystemList>\n" + systems.String() +
			"  </cpix:DRMSystemList>\n  <cpix:ContentKeyPeriodList>\n    <cpix:ContentKeyPeriod id=\"keyPeriod_1\" index=\"1\"/>\n  </cpix:ContentKeyPeriodList>\n  <cpix:ContentKeyUsageRuleList>\n" +
			rules.String() + "  </cpix:ContentKeyUsageRuleList>\n</cpix:CPIX>\n"
	}
	doc := build()
	for i := 0; ; i++ {
		kid := fmt.Sprintf("%08x-1111-2222-3333-444444444444", i)
		k := `    <cpix:ContentKey kid="` + kid + `" commonEncryptionScheme="cbcs"/>` + "\n"
		var s strings.Builder
		for _, sys := range []string{"edef8ba9-79d6-4ace-a3c8-27dcd51d21ed", "9a04f079-9840-4286-ab92-e65be0885f95", "94ce86fb-07ff-4f43-adb8-93d2fa968ca2"} {
			s.WriteString(`    <cpix:DRMSystem kid="` + kid + `" systemId="` + sys + `">` + "\n      <cpix:PSSH/>\n      <cpix:ContentProtectionData/>\n" +
				`      <cpix:HLSSignalingData playlist="media"/>` + "\n" + `      <cpix:HLSSignalingData playlist="master"/>` + "\n    </cpix:DRMSystem>\n")
		}
		r := `    <cpix:ContentKeyUsageRule kid="` + kid + `" intendedTrackType="VIDEO-` + fmt.Sprint(i) + `">` +
			"\n      <cpix:KeyPeriodFilter periodId=\"keyPeriod_1\"/>\n      <cpix:VideoFilter minPixels=\"0\" maxPixels=\"8847360\"/>\n    </cpix:ContentKeyUsageRule>\n"
		if len(doc)+len(k)+s.Len()+len(r) > n || countElements(doc)+20 > MaxElements {
			break
		}
		keys.WriteString(k)
		systems.WriteString(s.String())
		rules.WriteString(r)
		doc = build()
	}
	return padTo(tb, doc, n)
}

func countElements(doc string) int { return strings.Count(doc, "<") - strings.Count(doc, "</") }

// worstBodies are the most expensive bodies of n bytes we could construct,
// each aimed at one cost: namespace scope chains, attribute pairs, long
// namespace URIs, declarations on every element, and element count.
func worstBodies(tb testing.TB, n int) map[string][]byte {
	tb.Helper()
	const open = `<c:CPIX xmlns:c="urn:dashif:org:cpix">`
	const close = `</c:CPIX>`
	out := map[string][]byte{}

	// The shape: a chain of MaxDepth-2 elements, each declaring as
	// many namespaces as the attribute limit allows, then leaves whose
	// attributes all share one local name under prefixes bound at the top.
	{
		var b strings.Builder
		b.WriteString(open)
		depth := MaxDepth - 2
		for d := range depth {
			b.WriteString("<n")
			for i := range MaxAttributes {
				fmt.Fprintf(&b, ` xmlns:p%d_%d="u%d_%d"`, d, i, d, i)
			}
			b.WriteString(">")
		}
		tail := strings.Repeat("</n>", depth) + close
		for {
			var leaf strings.Builder
			leaf.WriteString("<e")
			for i := range MaxAttributes {
				fmt.Fprintf(&leaf, ` p0_%d:a=""`, i)
			}
			leaf.WriteString("/>")
			if b.Len()+leaf.Len()+len(tail) > n {
				break
			}
			b.WriteString(leaf.String())
		}
		b.WriteString(tail)
		out["scope-chain"] = padTo(tb, b.String(), n)
	}
	// Attribute density: the most attributes per byte, pairs sharing a local
	// name under two prefixes (so each pair must be compared by URI).
	{
		var b strings.Builder
		b.WriteString(`<c:CPIX xmlns:c="urn:dashif:org:cpix" xmlns:a="u" xmlns:b="v">`)
		for {
			var leaf strings.Builder
			leaf.WriteString("<e")
			for i := range MaxAttributes / 2 {
				fmt.Fprintf(&leaf, ` a:k%d="" b:k%d=""`, i, i)
			}
			leaf.WriteString("/>")
			if b.Len()+leaf.Len()+len(close) > n || countElements(b.String())+1 >= MaxElements {
				break
			}
			b.WriteString(leaf.String())
		}
		b.WriteString(close)
		out["attributes"] = padTo(tb, b.String(), n)
	}
	// Long namespace URIs referenced by many attributes.
	{
		long := strings.Repeat("u", n/3)
		var b strings.Builder
		b.WriteString(`<c:CPIX xmlns:c="urn:dashif:org:cpix" xmlns:a="` + long + `" xmlns:b="` + long + `">`)
		for i := 0; ; i++ {
			leaf := fmt.Sprintf(`<e a:x="" b:y="" a:z%d=""/>`, i)
			if b.Len()+len(leaf)+len(close) > n || countElements(b.String())+1 >= MaxElements {
				break
			}
			b.WriteString(leaf)
		}
		b.WriteString(close)
		out["long-uris"] = padTo(tb, b.String(), n)
	}
	// A namespace declaration on every element, each shadowing the last.
	{
		var b strings.Builder
		b.WriteString(open)
		for i := 0; ; i++ {
			var leaf strings.Builder
			leaf.WriteString("<e")
			for j := range MaxAttributes / 2 {
				fmt.Fprintf(&leaf, ` xmlns:p%d="v%d_%d" p%d:a=""`, j, i, j, j)
			}
			leaf.WriteString("/>")
			if b.Len()+leaf.Len()+len(close) > n || countElements(b.String())+1 >= MaxElements {
				break
			}
			b.WriteString(leaf.String())
		}
		b.WriteString(close)
		out["declarations"] = padTo(tb, b.String(), n)
	}
	// As many elements as allowed, nested as deep as allowed.
	{
		var b strings.Builder
		b.WriteString(open)
		depth := MaxDepth - 2
		for countElements(b.String())+depth < MaxElements {
			b.WriteString(strings.Repeat("<a>", depth) + strings.Repeat("</a>", depth))
		}
		b.WriteString(close)
		out["elements"] = padTo(tb, b.String(), n)
	}
	for name, body := range out {
		if _, err := Parse(body); err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
	}
	return out
}

// BenchmarkParseWorst compares Parse on the most expensive bodies we could
// construct with Parse on an ordinary request of the same size. Every parse
// step must be linear in the input, so the ratio stays small (the issue's
// bound: 3x).
func BenchmarkParseWorst(b *testing.B) {
	run := func(name string, body []byte) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	run("ordinary", ordinaryBody(b, benchSize))
	for name, body := range worstBodies(b, benchSize) {
		run("worst-"+name, body)
	}
}
