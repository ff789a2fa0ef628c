package cke_test

import (
	"errors"
	"fmt"

	"github.com/speke-go/keyprovider/internal/cke"
)

func ExampleParseCertificate() {
	_, err := cke.ParseCertificate("not a certificate")
	var ce *cke.CertificateError
	fmt.Println(errors.As(err, &ce), ce.Reason)
	// Output: true DeliveryKey X509Certificate is not base64
}
