package cpix

import (
	"bytes"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// benchDoc is an 8-key request with Widevine, PlayReady and FairPlay
// children per key, and its filled form (about 56 KB, mostly base64) for
// the writer benchmarks.
func benchDoc(tb testing.TB) (req []byte, filled *Document) {
	tb.Helper()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" contentId="bench" version="2.3">
<cpix:ContentKeyList>`)
	kids := make([]string, 8)
	for i := range kids {
		kids[i] = "00000000-1111-2222-3333-44444444444" + string(rune('0'+i))
		b.WriteString(`<cpix:ContentKey kid="` + kids[i] + `" commonEncryptionScheme="cbcs"/>`)
	}
	b.WriteString(`</cpix:ContentKeyList><cpix:DRMSystemList>`)
	for _, k := range kids {
		for _, sys := range []string{"edef8ba9-79d6-4ace-a3c8-27dcd51d21ed", "9a04f079-9840-4286-ab92-e65be0885f95", "94ce86fb-07ff-4f43-adb8-93d2fa968ca2"} {
			b.WriteString(`<cpix:DRMSystem kid="` + k + `" systemId="` + sys + `"><cpix:PSSH/><cpix:ContentProtectionData/><cpix:HLSSignalingData playlist="media"/><cpix:HLSSignalingData playlist="master"/></cpix:DRMSystem>`)
		}
	}
	b.WriteString(`</cpix:DRMSystemList><cpix:ContentKeyUsageRuleList>`)
	for i, k := range kids {
		b.WriteString(`<cpix:ContentKeyUsageRule kid="` + k + `" intendedTrackType="T` + string(rune('0'+i)) + `"><cpix:VideoFilter/></cpix:ContentKeyUsageRule>`)
	}
	b.WriteString(`</cpix:ContentKeyUsageRuleList></cpix:CPIX>`)
	req = []byte(b.String())
	d, err := Parse(req)
	if err != nil {
		tb.Fatal(err)
	}
	blob := bytes.Repeat([]byte{0xab}, 700) // a PlayReady-sized payload
	for _, k := range d.ContentKeys {
		k.SetPlainValue("AAAAAAAAAAAAAAAAAAAAAA==")
	}
	for _, s := range d.DRMSystems {
		s.PSSH[0].SetBase64(blob)
		s.ContentProtectionData[0].SetBase64(blob)
		s.HLSSignalingData[0].SetBase64(blob)
		s.HLSSignalingData[1].SetBase64(blob)
	}
	return req, d
}

// BenchmarkParse compares our Parse (etree plus the strict checks and the
// model) with etree's parse alone on the same request.
func BenchmarkParse(b *testing.B) {
	req, _ := benchDoc(b)
	b.Run("etree-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d := etree.NewDocument()
			if err := d.ReadFromBytes(req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cpix.Parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Parse(req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkWrite compares the streaming writer with etree's writer on the
// same filled document (etree gets the base64 as text, as it would have to).
func BenchmarkWrite(b *testing.B) {
	_, d := benchDoc(b)
	out := d.AppendTo(nil)
	b.Run("cpix.AppendTo", func(b *testing.B) {
		b.SetBytes(int64(len(out)))
		b.ReportAllocs()
		buf := make([]byte, 0, len(out)+1024)
		for b.Loop() {
			buf = d.AppendTo(buf[:0])
		}
	})
	b.Run("etree.WriteTo", func(b *testing.B) {
		tree := etree.NewDocument()
		if err := tree.ReadFromBytes(out); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(out)))
		b.ReportAllocs()
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if _, err := tree.WriteTo(&buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}
