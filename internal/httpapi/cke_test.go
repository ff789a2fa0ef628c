package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/cke/cketest"
	"github.com/speke-go/keyprovider/internal/drm/drmtest"
)

var rootRE = regexp.MustCompile(`<(?:([A-Za-z_][\w.-]*):)?CPIX[\s>]`)

// withDelivery puts a DeliveryDataList with the certificate text first in
// the request's root, as CPIX orders it.
func withDelivery(t testing.TB, req, cert string) string {
	t.Helper()
	m := rootRE.FindStringSubmatchIndex(req)
	if m == nil {
		t.Fatal("no CPIX root")
	}
	end := m[1] + strings.IndexByte(req[m[1]-1:], '>')
	p := ""
	if m[2] >= 0 {
		p = req[m[2]:m[3]] + ":"
	}
	dd := `<` + p + `DeliveryDataList xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><` + p + `DeliveryData id="origin-1"><` + p +
		`DeliveryKey><ds:X509Data><ds:X509Certificate>` + cert + `</ds:X509Certificate></ds:X509Data></` + p + `DeliveryKey></` + p +
		`DeliveryData></` + p + `DeliveryDataList>`
	return req[:end] + dd + req[end:]
}

// keysByKID reads the clear keys of an answer by lowercase KID.
func keysByKID(t *testing.T, body []byte) map[string]string {
	t.Helper()
	var a v1Answer
	if err := xml.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range a.Keys {
		out[strings.ToLower(k.KID)] = k.Data.Secret.PlainValue
	}
	return out
}

func drmSystemList(t *testing.T, body []byte) []byte {
	t.Helper()
	i, j := bytes.Index(body, []byte("DRMSystemList")), bytes.LastIndex(body, []byte("DRMSystemList"))
	if i < 0 || j <= i {
		t.Fatal("no DRMSystemList")
	}
	return body[i:j]
}

// TestEncryptedAnswers: v1 and v2 answers to requests with a certificate
// decrypt, in Python's cryptography, to the keys the clear answers carry
// for the same KIDs; every MAC verifies; no PlainValue is left; the
// signaling is the clear answer's, byte for byte, and still verifies
// against the decrypted keys.
func TestEncryptedAnswers(t *testing.T) {
	h := newHandler(t)
	cert := cketest.Base64(t, cketest.RSA2048)
	for _, tc := range []struct{ file, version string }{
		{"v1.0/aws-live", ""},
		{"v1.0/aws-vod", ""},
		{"v1.0/aes128-fairplay-common-rotation", "1.0"},
		{"v2.0/cmaf-3drm-live", "2.0"},
		{"v2.0/prefixes", "2.0"},
		{"v2.1/clearkey-live-times", "2.1"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile("../../testdata/speke/" + tc.file + ".request.xml")
			if err != nil {
				t.Fatal(err)
			}
			clear := post(t, h, tc.version, string(raw))
			enc := withDelivery(t, string(raw), cert)
			res := post(t, h, tc.version, enc)
			if clear.Code != 200 || res.Code != 200 {
				t.Fatalf("status %d / %d: %s", clear.Code, res.Code, res.Body)
			}
			body := res.Body.Bytes()
			cketest.XMLLint(t, body)
			got := cketest.Decrypt(t, body)
			want := keysByKID(t, clear.Body.Bytes())
			if len(got) != len(want) {
				t.Fatalf("decrypted %d keys, clear answer has %d", len(got), len(want))
			}
			byKID := map[string][16]byte{}
			for kid, k := range got {
				if want[strings.ToLower(kid)] != k {
					t.Errorf("KID %s: decrypted %s, clear answer %s", kid, k, want[strings.ToLower(kid)])
				}
				b, _ := base64.StdEncoding.DecodeString(k)
				byKID[strings.ToLower(kid)] = [16]byte(b)
			}
			if !bytes.Equal(drmSystemList(t, body), drmSystemList(t, clear.Body.Bytes())) {
				t.Error("signaling differs from the clear answer")
			}
			drmtest.CheckResponse(t, []byte(enc), body, byKID)
		})
	}
}

func TestRefusedCertificates(t *testing.T) {
	// Key fetches are counted: certificates are checked before any key is
	// created.
	h, calls := newCountingHandler(t)
	raw, err := os.ReadFile("../../testdata/speke/v1.0/aws-live.request.xml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, cert, msg string }{
		{"EC", cketest.Base64(t, cketest.ECP256), "DeliveryKey certificate must carry an RSA key, not an elliptic-curve key"},
		{"Ed25519", cketest.Base64(t, cketest.Ed25519), "DeliveryKey certificate must carry an RSA key, not an elliptic-curve key"},
		{"DSA", cketest.Base64(t, cketest.DSA2048), "DeliveryKey certificate must carry an RSA key, not a DSA key"},
		{"RSA 1024", cketest.Base64(t, cketest.RSA1024), "DeliveryKey certificate RSA key has 1024 bits; at least 2048 are required"},
		{"garbage", base64.StdEncoding.EncodeToString([]byte("not a certificate")), "DeliveryKey X509Certificate is not a valid X.509 certificate"},
		{"not base64", "%%%", "DeliveryKey X509Certificate is not base64"},
		{"empty", "", "DeliveryKey X509Certificate is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range []string{"", "2.0"} {
				body := string(raw)
				if v == "2.0" {
					body = withDelivery(t, v2Base(t), tc.cert)
				} else {
					body = withDelivery(t, body, tc.cert)
				}
				res := post(t, h, v, body)
				if res.Code != http.StatusUnprocessableEntity || res.Body.String() != tc.msg {
					t.Errorf("version %q: got %d %q, want 422 %q", v, res.Code, res.Body, tc.msg)
				}
			}
		})
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("%d key fetches for refused requests", n)
	}
}

func v2Base(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/speke/v2.0/cmaf-3drm-live.request.xml")
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
