package cke_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/speke-go/keyprovider/internal/cke"
	"github.com/speke-go/keyprovider/internal/cke/cketest"
	"github.com/speke-go/keyprovider/internal/cpix"
)

const (
	kid1 = "98ee5596-cd3e-a20d-163a-e382420c6eff"
	kid2 = "11111111-2222-3333-4444-555555555555"
)

func request(certs ...string) []byte {
	var dd strings.Builder
	for i, c := range certs {
		fmt.Fprintf(&dd, `<cpix:DeliveryData id="origin-%d"><cpix:DeliveryKey><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></cpix:DeliveryKey></cpix:DeliveryData>`, i, c)
	}
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<cpix:CPIX id="abc123" xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
<cpix:DeliveryDataList>` + dd.String() + `</cpix:DeliveryDataList>
<cpix:ContentKeyList>
<cpix:ContentKey kid="` + kid1 + `"/>
<cpix:ContentKey kid="` + kid2 + `"><cpix:Data><pskc:Secret/></cpix:Data></cpix:ContentKey>
</cpix:ContentKeyList>
</cpix:CPIX>`)
}

// encrypt runs the package over a parsed request and returns the answer.
func encrypt(t *testing.T, body []byte, keys map[string][]byte) []byte {
	t.Helper()
	doc, err := cpix.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := cke.ForDocument(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, ck := range doc.ContentKeys {
		kid, _ := ck.Attr("kid")
		if err := enc.SetKey(ck, keys[kid]); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Finish(); err != nil {
		t.Fatal(err)
	}
	return doc.Bytes()
}

func TestRoundTripIndependentDecryption(t *testing.T) {
	keys := map[string][]byte{
		kid1: bytes.Repeat([]byte{0xa5}, 16),
		kid2: []byte("0123456789abcdef"),
	}
	// Two recipients: ours and another; each must find the same keys.
	answer := encrypt(t, request(cketest.Base64(t, cketest.RSA4096), cketest.Base64(t, cketest.RSA2048)), keys)
	cketest.XMLLint(t, answer)
	got := cketest.Decrypt(t, answer)
	if len(got) != len(keys) {
		t.Fatalf("decrypted %d keys, want %d", len(got), len(keys))
	}
	for kid, want := range keys {
		if got[kid] != base64.StdEncoding.EncodeToString(want) {
			t.Errorf("key %s: independent decryption gives %s, want %x", kid, got[kid], want)
		}
	}
	for _, s := range []string{"PlainValue", cke.AlgRSAOAEPMGF1P, cke.AlgHMACSHA512, "cpix:MACMethod", "cpix:Key>"} {
		if has := bytes.Contains(answer, []byte(s)); has != (s != "PlainValue") {
			t.Errorf("answer contains %q: %v", s, has)
		}
	}
}

// TestFreshKeysPerAnswer: two answers for the same request share no
// ciphertext, so document keys, MAC keys and IVs are fresh each time.
func TestFreshKeysPerAnswer(t *testing.T) {
	keys := map[string][]byte{kid1: make([]byte, 16), kid2: make([]byte, 16)}
	body := request(cketest.Base64(t, cketest.RSA2048))
	a, b := encrypt(t, body, keys), encrypt(t, body, keys)
	values := func(doc []byte) []string {
		var out []string
		for _, p := range strings.Split(string(doc), "<enc:CipherValue>")[1:] {
			out = append(out, p[:strings.Index(p, "<")])
		}
		return out
	}
	va, vb := values(a), values(b)
	if len(va) != 4 || len(vb) != 4 {
		t.Fatalf("want 4 CipherValues (document key, MAC key, 2 content keys), got %d and %d", len(va), len(vb))
	}
	seen := map[string]bool{}
	for _, v := range append(va, vb...) {
		if seen[v] {
			t.Errorf("CipherValue %s repeats", v)
		}
		seen[v] = true
	}
	// The two equal (zero) keys of one answer encrypt differently: random IVs.
	if va[2] == va[3] {
		t.Error("equal content keys gave equal ciphertexts")
	}
}

func TestSealLayout(t *testing.T) {
	s, err := cke.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	ct, mac, err := s.Seal(make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	if len(ct) != 48 || len(mac) != 64 {
		t.Fatalf("ciphertext %d bytes, MAC %d bytes; want 48 and 64", len(ct), len(mac))
	}
	if !bytes.Equal(mac, s.MAC(ct)) {
		t.Error("MAC is not over IV || ciphertext")
	}
	for _, f := range []string{"%v", "%x", "%#v", "%s", "%d"} {
		if out := fmt.Sprintf(f, s); !strings.Contains(out, "redacted") {
			t.Errorf("%s of a Session prints %q", f, out)
		}
	}
}

// certificate makes a self-signed certificate for pub, signed by a
// throwaway key.
func certificate(t *testing.T, pub any, notBefore, notAfter time.Time) []byte {
	t.Helper()
	signer, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "t"}, NotBefore: notBefore, NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestCertificates(t *testing.T) {
	b64 := func(name string) string { return cketest.Base64(t, name) }
	wrapped := b64(cketest.RSA2048)
	var lines []string
	for len(wrapped) > 64 {
		lines, wrapped = append(lines, wrapped[:64]), wrapped[64:]
	}
	wrapped = "\n  " + strings.Join(append(lines, wrapped), "\n  ") + "\n"
	for _, tc := range []struct {
		name, text string
		bits       int    // accepted with this modulus size
		refusal    string // or refused with this reason (substring)
	}{
		{"rsa2048", b64(cketest.RSA2048), 2048, ""},
		{"rsa2048 with line breaks", wrapped, 2048, ""},
		{"rsa4096", b64(cketest.RSA4096), 4096, ""},
		{"rsa1024", b64(cketest.RSA1024), 0, "1024 bits; at least 2048"},
		{"ec", b64(cketest.ECP256), 0, "not an elliptic-curve key"},
		{"dsa", b64(cketest.DSA2048), 0, "not a DSA key"},
		{"ed25519", b64(cketest.Ed25519), 0, "not an elliptic-curve key"},
		{"empty", "  \n", 0, "is empty"},
		{"not base64", "MIIC!!", 0, "not base64"},
		{"garbage DER", base64.StdEncoding.EncodeToString([]byte("hello, world")), 0, "not a valid X.509"},
		{"truncated", b64(cketest.RSA2048)[:400], 0, "not a valid X.509"},
		{"too large", strings.Repeat("A", 4*cke.MaxCertificateBytes), 0, "too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := cke.ParseCertificate(tc.text)
			if tc.refusal == "" {
				if err != nil {
					t.Fatal(err)
				}
				if r.Bits() != tc.bits {
					t.Errorf("bits %d, want %d", r.Bits(), tc.bits)
				}
				return
			}
			var ce *cke.CertificateError
			if !errors.As(err, &ce) || !errors.Is(err, cke.ErrCertificate) {
				t.Fatalf("err = %v, want a CertificateError", err)
			}
			if !strings.Contains(ce.Reason, tc.refusal) {
				t.Errorf("reason %q, want it to contain %q", ce.Reason, tc.refusal)
			}
		})
	}
}

// TestValidityNotEnforced: expired and not-yet-valid certificates are
// accepted (see the package documentation), and ValidAt tells them apart.
func TestValidityNotEnforced(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, tc := range []struct {
		name     string
		from, to time.Time
		valid    bool
	}{
		{"expired", now.AddDate(-2, 0, 0), now.AddDate(-1, 0, 0), false},
		{"not yet valid", now.AddDate(1, 0, 0), now.AddDate(2, 0, 0), false},
		{"current", now.Add(-time.Hour), now.Add(time.Hour), true},
	} {
		r, err := cke.ParseCertificateDER(certificate(t, &key.PublicKey, tc.from, tc.to))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if r.ValidAt(now) != tc.valid {
			t.Errorf("%s: ValidAt = %v", tc.name, !tc.valid)
		}
	}
}

func TestDeliveryDataStructure(t *testing.T) {
	good := cketest.Base64(t, cketest.RSA2048)
	for _, tc := range []struct{ name, dd string }{
		{"no DeliveryKey", `<cpix:DeliveryData id="x"/>`},
		{"two certificates", `<cpix:DeliveryData id="x"><cpix:DeliveryKey><ds:X509Data><ds:X509Certificate>` + good + `</ds:X509Certificate><ds:X509Certificate>` + good + `</ds:X509Certificate></ds:X509Data></cpix:DeliveryKey></cpix:DeliveryData>`},
		{"certificate in the wrong namespace", `<cpix:DeliveryData id="x"><cpix:DeliveryKey><ds:X509Data><cpix:X509Certificate>` + good + `</cpix:X509Certificate></ds:X509Data></cpix:DeliveryKey></cpix:DeliveryData>`},
		{"too many recipients", strings.Repeat(`<cpix:DeliveryData id="x"><cpix:DeliveryKey><ds:X509Data><ds:X509Certificate>`+good+`</ds:X509Certificate></ds:X509Data></cpix:DeliveryKey></cpix:DeliveryData>`, cke.MaxRecipients+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(string(request()), "<cpix:DeliveryDataList></cpix:DeliveryDataList>", "<cpix:DeliveryDataList>"+tc.dd+"</cpix:DeliveryDataList>", 1)
			doc, err := cpix.Parse([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cke.ForDocument(doc); !errors.Is(err, cke.ErrCertificate) {
				t.Fatalf("err = %v, want ErrCertificate", err)
			}
		})
	}
	doc, err := cpix.Parse(request())
	if err != nil {
		t.Fatal(err)
	}
	if e, err := cke.ForDocument(doc); e != nil || err != nil {
		t.Fatalf("no DeliveryData: got %v, %v; want nil, nil", e, err)
	}
}
