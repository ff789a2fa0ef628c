package speke_test

import (
	"context"
	"errors"
	"testing"

	"github.com/speke-go/keyprovider/internal/speke"
	"github.com/speke-go/keyprovider/internal/xmlcheck"
)

// TestClientKeyValueRefused: a key value from the client is refused in any
// shape (directly under the ContentKey, inside foreign wrappers, empty
// placeholders, encrypted forms) and anywhere in the document, before the
// key source is asked, so an answer never carries a value that is not ours
// next to ours.
func TestClientKeyValueRefused(t *testing.T) {
	const pv = `<pskc:PlainValue>AAAAAAAAAAAAAAAAAAAAAA==</pskc:PlainValue>`
	key := `kid="` + kidA + `" commonEncryptionScheme="cenc"/>`
	in := func(inner string) string {
		return edit(t, key, `kid="`+kidA+`" commonEncryptionScheme="cenc">`+inner+`</cpix:ContentKey>`)
	}
	forKID := "Unexpected key value in request for KID " + kidA
	tests := []struct{ name, body, msg string }{
		{"Data/Secret/PlainValue", in(`<cpix:Data><pskc:Secret>` + pv + `</pskc:Secret></cpix:Data>`), forKID},
		{"empty placeholder", in(`<cpix:Data><pskc:Secret><pskc:PlainValue/></pskc:Secret></cpix:Data>`), forKID},
		{"empty Secret", in(`<cpix:Data><pskc:Secret/></cpix:Data>`), forKID},
		{"EncryptedValue", in(`<cpix:Data><pskc:Secret><pskc:EncryptedValue><enc:CipherData xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:CipherValue>AAAA</enc:CipherValue></enc:CipherData></pskc:EncryptedValue></pskc:Secret></cpix:Data>`), forKID},
		{"ValueMAC", in(`<cpix:Data><pskc:Secret><pskc:ValueMAC>AAAA</pskc:ValueMAC></pskc:Secret></cpix:Data>`), forKID},
		{"Secret directly under ContentKey", in(`<pskc:Secret>` + pv + `</pskc:Secret>`), forKID},
		{"PlainValue directly under ContentKey", in(pv), forKID},
		{"foreign wrapper around Data", in(`<x:W xmlns:x="urn:x"><cpix:Data><pskc:Secret>` + pv + `</pskc:Secret></cpix:Data></x:W>`), forKID},
		{"foreign wrapper inside Data", in(`<cpix:Data><x:W xmlns:x="urn:x"><pskc:Secret>` + pv + `</pskc:Secret></x:W></cpix:Data>`), forKID},
		{"foreign wrapper inside Secret", in(`<cpix:Data><pskc:Secret><x:W xmlns:x="urn:x">` + pv + `</x:W></pskc:Secret></cpix:Data>`), forKID},
		{"PSKC bound to another prefix", in(`<cpix:Data><p:Secret xmlns:p="urn:ietf:params:xml:ns:keyprov:pskc"><p:PlainValue>AAAAAAAAAAAAAAAAAAAAAA==</p:PlainValue></p:Secret></cpix:Data>`), forKID},
		{"second Data", in(`<cpix:Data/><cpix:Data><pskc:Secret>` + pv + `</pskc:Secret></cpix:Data>`), forKID},
		{"value in a foreign element of the list", edit(t, `<cpix:ContentKeyList>`, `<cpix:ContentKeyList><x:W xmlns:x="urn:x"><cpix:Data><pskc:Secret>`+pv+`</pskc:Secret></cpix:Data></x:W>`), "Unexpected key value in request"},
		{"value under DRMSystem", edit(t, `<cpix:PSSH/><cpix:ContentProtectionData/>`, `<cpix:PSSH/><cpix:ContentProtectionData/><pskc:Secret>`+pv+`</pskc:Secret>`), "Unexpected key value in request"},
		{"ContentKey in a foreign wrapper", edit(t, `<cpix:ContentKeyList>`, `<cpix:ContentKeyList><x:W xmlns:x="urn:x"><cpix:ContentKey kid="`+kidA+`"><cpix:Data><pskc:Secret>`+pv+`</pskc:Secret></cpix:Data></cpix:ContentKey></x:W>`), "Unexpected ContentKey outside ContentKeyList"},
		{"ContentKey inside a ContentKey", in(`<cpix:ContentKey kid="` + kidA + `"/>`), "Unexpected ContentKey outside ContentKeyList"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := newRecorder(t)
			_, err := newService(t, src).Handle(context.Background(), request("2.0", tc.body))
			var re *speke.RequestError
			if !errors.As(err, &re) || re.Message != tc.msg {
				t.Fatalf("err = %v, want message %q", err, tc.msg)
			}
			if n := src.calls.Load(); n != 0 {
				t.Errorf("refused request called the key source %d times", n)
			}
		})
	}
	// A foreign element named like a PSKC one is not a key value: the
	// answer has exactly one value per ContentKey.
	res, err := newService(t, newRecorder(t)).Handle(context.Background(), request("2.0", in(`<x:PlainValue xmlns:x="urn:x">not a key</x:PlainValue>`)))
	if err != nil {
		t.Fatal(err)
	}
	if err := xmlcheck.OneValuePerKey(res.Body); err != nil {
		t.Fatal(err)
	}
}
