package speke_test

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/cke/cketest"
	"github.com/speke-go/keyprovider/internal/httpapi/exporttest"
	"github.com/speke-go/keyprovider/internal/speke"
)

// TestExportClientKeyValueRefused: as a SPEKE request, an export request
// with a key value from the client in any shape (under a ContentKey in any
// wrapper, empty placeholders included, or anywhere else) is refused with
// SPEKE's message before the key store is asked, so an answer never
// carries a client's value next to the encrypted keys.
func TestExportClientKeyValueRefused(t *testing.T) {
	const value = "AAAAAAAAAAAAAAAAAAAAAA=="
	const pv = `<pskc:PlainValue>` + value + `</pskc:PlainValue>`
	good := exportRequest(t)
	k0 := `<cpix:ContentKey kid="` + exporttest.KIDs[0] + `"/>`
	if !strings.Contains(good, k0) {
		t.Fatal("export request lacks " + k0)
	}
	edit := func(old, new string) string { return strings.Replace(good, old, new, 1) }
	in := func(inner string) string {
		return edit(k0, `<cpix:ContentKey kid="`+exporttest.KIDs[0]+`">`+inner+`</cpix:ContentKey>`)
	}
	forKID := "Unexpected key value in request for KID " + exporttest.KIDs[0]
	const stray = "Unexpected key value in request"
	drmList := func(inner string) string {
		return edit("</cpix:CPIX>", `<cpix:DRMSystemList><cpix:DRMSystem kid="`+exporttest.KIDs[0]+`" systemId="`+fairPlay+`">`+inner+`</cpix:DRMSystem></cpix:DRMSystemList></cpix:CPIX>`)
	}
	for _, tc := range []struct{ name, body, msg string }{
		{"Data/Secret/PlainValue", in(`<cpix:Data><pskc:Secret>` + pv + `</pskc:Secret></cpix:Data>`), forKID},
		{"empty placeholder", in(`<cpix:Data><pskc:Secret><pskc:PlainValue/></pskc:Secret></cpix:Data>`), forKID},
		{"empty Secret", in(`<cpix:Data><pskc:Secret/></cpix:Data>`), forKID},
		{"Secret with text", in(`<cpix:Data><pskc:Secret>` + value + `</pskc:Secret></cpix:Data>`), forKID},
		{"EncryptedValue", in(`<cpix:Data><pskc:Secret><pskc:EncryptedValue><enc:CipherData xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:CipherValue>AAAA</enc:CipherValue></enc:CipherData></pskc:EncryptedValue></pskc:Secret></cpix:Data>`), forKID},
		{"ValueMAC", in(`<cpix:Data><pskc:Secret><pskc:ValueMAC>AAAA</pskc:ValueMAC></pskc:Secret></cpix:Data>`), forKID},
		{"PlainValue directly under ContentKey", in(pv), forKID},
		{"foreign wrapper around Data", in(`<x:W xmlns:x="urn:x"><cpix:Data><pskc:Secret>` + pv + `</pskc:Secret></cpix:Data></x:W>`), forKID},
		{"foreign wrapper inside Data", in(`<cpix:Data><x:W xmlns:x="urn:x"><pskc:Secret>` + pv + `</pskc:Secret></x:W></cpix:Data>`), forKID},
		{"foreign wrapper inside Secret", in(`<cpix:Data><pskc:Secret><x:W xmlns:x="urn:x">` + pv + `</x:W></pskc:Secret></cpix:Data>`), forKID},
		{"empty Secret in a foreign wrapper", in(`<x:W xmlns:x="urn:x"><pskc:Secret/></x:W>`), forKID},
		{"PSKC bound to another prefix", in(`<cpix:Data><p:Secret xmlns:p="urn:ietf:params:xml:ns:keyprov:pskc"><p:PlainValue>` + value + `</p:PlainValue></p:Secret></cpix:Data>`), forKID},
		{"second Data", in(`<cpix:Data/><cpix:Data><pskc:Secret>` + pv + `</pskc:Secret></cpix:Data>`), forKID},
		{"value in a foreign element of the list", edit(`<cpix:ContentKeyList>`, `<cpix:ContentKeyList><x:W xmlns:x="urn:x"><cpix:Data><pskc:Secret>`+pv+`</pskc:Secret></cpix:Data></x:W>`), stray},
		{"value in a foreign root element", edit("</cpix:CPIX>", `<x:W xmlns:x="urn:x"><pskc:Secret>`+pv+`</pskc:Secret></x:W></cpix:CPIX>`), stray},
		{"value under a DRMSystem", drmList(`<pskc:Secret>` + pv + `</pskc:Secret>`), stray},
		{"value in the DeliveryData", edit(`</cpix:DeliveryKey>`, `</cpix:DeliveryKey><x:W xmlns:x="urn:x"><pskc:Secret>`+pv+`</pskc:Secret></x:W>`), stray},
		{"a client's DocumentKey", edit(`</cpix:DeliveryKey>`, `</cpix:DeliveryKey><cpix:DocumentKey><cpix:Data><pskc:Secret>`+pv+`</pskc:Secret></cpix:Data></cpix:DocumentKey>`), stray},
		{"value in a ContentKeyPeriodList", edit("</cpix:CPIX>", `<cpix:ContentKeyPeriodList><cpix:ContentKeyPeriod id="p"><pskc:ValueMAC>AAAA</pskc:ValueMAC></cpix:ContentKeyPeriod></cpix:ContentKeyPeriodList></cpix:CPIX>`), stray},
		{"ContentKey in a foreign wrapper", edit(`<cpix:ContentKeyList>`, `<cpix:ContentKeyList><x:W xmlns:x="urn:x"><cpix:ContentKey kid="`+exporttest.KIDs[0]+`"><cpix:Data><pskc:Secret>`+pv+`</pskc:Secret></cpix:Data></cpix:ContentKey></x:W>`), "Unexpected ContentKey outside ContentKeyList"},
		{"ContentKey inside a ContentKey", in(`<cpix:ContentKey kid="` + exporttest.KIDs[1] + `"/>`), "Unexpected ContentKey outside ContentKeyList"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := issuedStore(t)
			exp, err := newExporter(s).Export(context.Background(), []byte(tc.body))
			var re *speke.RequestError
			if !errors.As(err, &re) || re.Message != tc.msg {
				if err == nil {
					// Say also what the answer carried.
					checkAnswerKeyElements(t, exp.Body, 0)
					t.Fatalf("200, want %q", tc.msg)
				}
				t.Fatalf("err = %v, want %q", err, tc.msg)
			}
			if s.lookups+s.keys != 0 {
				t.Error("a refused export reached the key store")
			}
		})
	}
}

// TestExportAnswerKeyElements: in an export answer, read by libxml2, there
// is no PlainValue, every ContentKey has one Data/Secret with one
// EncryptedValue and one ValueMAC and no other key element, and outside
// the ContentKeys key elements are only the DeliveryData's DocumentKey and
// MACMethod, also for a request with foreign elements (which are echoed).
func TestExportAnswerKeyElements(t *testing.T) {
	foreign := `<x:W xmlns:x="urn:x"><x:PlainValue>not a key</x:PlainValue></x:W>`
	body := strings.Replace(exportRequest(t), "</cpix:ContentKeyList>", foreign+"</cpix:ContentKeyList>", 1)
	body = strings.Replace(body, `kid="`+exporttest.KIDs[1]+`"/>`, `kid="`+exporttest.KIDs[1]+`">`+foreign+`</cpix:ContentKey>`, 1)
	exp, err := newExporter(issuedStore(t)).Export(context.Background(), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	cketest.Decrypt(t, exp.Body)
	checkAnswerKeyElements(t, exp.Body, 2)
}

// checkAnswerKeyElements reads an export answer with libxml2 and fails
// unless it has no PlainValue and its key elements are exactly the
// export's own: per ContentKey one Data/Secret with one EncryptedValue and
// one ValueMAC, and otherwise only the DeliveryData's DocumentKey and
// MACMethod. foreign is how many foreign x:PlainValue elements the request
// carried (echoed, but not PSKC elements).
func checkAnswerKeyElements(t *testing.T, answer []byte, foreign int) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatal("xmllint (Debian: libxml2-utils) is needed to check answers")
	}
	const (
		pskc   = `namespace-uri()='urn:ietf:params:xml:ns:keyprov:pskc'`
		keyEl  = `*[` + pskc + ` and (local-name()='Secret' or local-name()='PlainValue' or local-name()='EncryptedValue' or local-name()='ValueMAC')]`
		cpixNS = `namespace-uri()='urn:dashif:org:cpix'`
		ck     = `//*[` + cpixNS + ` and local-name()='ContentKey']`
		dd     = `//*[` + cpixNS + ` and local-name()='DeliveryData']`
		own    = `*[` + cpixNS + ` and local-name()='Data']/*[` + pskc + ` and local-name()='Secret']`
	)
	n := len(exporttest.KIDs)
	for xpath, want := range map[string]string{
		`count(//*[` + pskc + ` and local-name()='PlainValue'])`: "0",
		`count(` + ck + `)`:             strconv.Itoa(n),
		`count(` + ck + `/` + own + `)`: strconv.Itoa(n),
		`count(` + ck + `/` + own + `/*[` + pskc + ` and local-name()='EncryptedValue'])`:   strconv.Itoa(n),
		`count(` + ck + `/` + own + `/*[` + pskc + ` and local-name()='ValueMAC'])`:         strconv.Itoa(n),
		`count(` + ck + `/` + own + `/text()[normalize-space()])`:                           "0",
		`count(` + ck + `//` + keyEl + `)`:                                                  strconv.Itoa(3 * n), // Secret, EncryptedValue, ValueMAC each
		`count(//` + keyEl + `)`:                                                            strconv.Itoa(3*n + 5),
		`count(` + dd + `/*[local-name()='DocumentKey']/` + own + `/*)`:                     "2",
		`count(` + dd + `/*[local-name()='MACMethod']/*[local-name()='Key']/` + keyEl + `)`: "2",
		`count(//*[namespace-uri()='urn:x' and local-name()='PlainValue'][.='not a key'])`:  strconv.Itoa(foreign),
	} {
		cmd := exec.Command("xmllint", "--nonet", "--xpath", xpath, "-")
		cmd.Stdin = bytes.NewReader(answer)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("xmllint --xpath %s: %v", xpath, err)
		}
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("%s = %s, want %s", xpath, got, want)
		}
	}
}
