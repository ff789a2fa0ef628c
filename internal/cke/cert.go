package cke

import (
	"crypto/dsa" //lint:ignore SA1019 only to name DSA keys in the refusal
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"strconv"
	"strings"
)

// ParseCertificate reads the text of a ds:X509Certificate element: base64
// (XML whitespace allowed) of a DER X.509 certificate carrying an RSA key
// of MinRSABits to MaxRSABits bits.
func ParseCertificate(text string) (*Recipient, error) {
	s := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, text)
	if s == "" {
		return nil, certErr("DeliveryKey X509Certificate is empty", nil)
	}
	if len(s) > base64.StdEncoding.EncodedLen(MaxCertificateBytes) {
		return nil, certErr("DeliveryKey X509Certificate is too large", nil)
	}
	der, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, certErr("DeliveryKey X509Certificate is not base64", err)
	}
	return ParseCertificateDER(der)
}

// ParseCertificateDER is ParseCertificate for DER bytes.
func ParseCertificateDER(der []byte) (*Recipient, error) {
	if len(der) > MaxCertificateBytes {
		return nil, certErr("DeliveryKey X509Certificate is too large", nil)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, certErr("DeliveryKey X509Certificate is not a valid X.509 certificate", err)
	}
	var pub *rsa.PublicKey
	switch k := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		pub = k
	case *ecdsa.PublicKey, *ecdh.PublicKey, ed25519.PublicKey:
		return nil, certErr("DeliveryKey certificate must carry an RSA key, not an elliptic-curve key", nil)
	case *dsa.PublicKey:
		return nil, certErr("DeliveryKey certificate must carry an RSA key, not a DSA key", nil)
	default:
		return nil, certErr("DeliveryKey certificate must carry an RSA key", nil)
	}
	switch n := pub.N.BitLen(); {
	case n < MinRSABits:
		return nil, certErr("DeliveryKey certificate RSA key has "+strconv.Itoa(n)+" bits; at least "+strconv.Itoa(MinRSABits)+" are required", nil)
	case n > MaxRSABits:
		return nil, certErr("DeliveryKey certificate RSA key has more than "+strconv.Itoa(MaxRSABits)+" bits", nil)
	}
	return &Recipient{pub: pub, NotBefore: cert.NotBefore, NotAfter: cert.NotAfter}, nil
}
