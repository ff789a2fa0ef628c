package cke_test

import (
	"errors"
	"testing"

	"github.com/speke-go/keyprovider/internal/cke"
	"github.com/speke-go/keyprovider/internal/cke/cketest"
)

// FuzzParseCertificate: any text either yields a usable RSA recipient
// within the size limits or a CertificateError; never a panic or another
// error.
func FuzzParseCertificate(f *testing.F) {
	for _, n := range []string{cketest.RSA2048, cketest.RSA4096, cketest.RSA1024, cketest.ECP256, cketest.DSA2048, cketest.Ed25519} {
		f.Add(cketest.Base64(f, n))
	}
	f.Add("")
	f.Add("MIIB")
	f.Fuzz(func(t *testing.T, text string) {
		r, err := cke.ParseCertificate(text)
		if err != nil {
			var ce *cke.CertificateError
			if !errors.As(err, &ce) || r != nil {
				t.Fatalf("error %v is not a CertificateError (recipient %v)", err, r)
			}
			return
		}
		if b := r.Bits(); b < cke.MinRSABits || b > cke.MaxRSABits {
			t.Fatalf("accepted a %d-bit key", b)
		}
	})
}
