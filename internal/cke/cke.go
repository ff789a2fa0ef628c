// Package cke is content key encryption as CPIX defines it and SPEKE uses
// it: the encryptor sends its X.509 certificate in DeliveryData, and the key
// provider answers with content keys that only the holder of the matching
// private key can read.
//
// # Scheme
//
// Per answer, a random 256-bit document key and a random 512-bit MAC key
// are drawn and each is wrapped for every recipient with RSA-OAEP
// (SHA-1 digest, MGF1-SHA-1, empty label: xmlenc#rsa-oaep-mgf1p). Each
// content key is encrypted as IV (16 random bytes) || AES-256-CBC(PKCS#7
// (key)) under the document key, and authenticated with HMAC-SHA512 under
// the MAC key over those bytes. The wrapped document and MAC keys carry an
// HMAC over their RSA ciphertexts too, as AWS's example and reference
// server do.
//
// # Certificates
//
// Only the public key is used: the certificate is not a credential here
// (encryptors authenticate with SigV4), so its chain, issuer and key usage
// are not checked. The key must be RSA with a modulus of MinRSABits to
// MaxRSABits bits; anything else is refused with a CertificateError whose
// Reason is safe to show the client. Validity dates are not enforced: a
// certificate that expires mid-event would otherwise stop a live channel
// at that second while protecting nothing (the private key is as secret
// after the date as before). Recipient.ValidAt lets callers log it.
//
// # Guarantees
//
//   - Document and MAC keys come from crypto/rand, are never reused across
//     sessions, and never print (Session redacts itself).
//   - WriteDeliveryData and Seal write no clear key anywhere.
package cke

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha512"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Algorithm URIs written into the answer.
const (
	AlgAES256CBC    = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
	AlgRSAOAEPMGF1P = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
	AlgHMACSHA512   = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha512"
)

// Limits and sizes.
const (
	// MinRSABits: SPEKE requires 2048-bit RSA certificates; shorter keys
	// are below any current recommendation.
	MinRSABits = 2048
	// MaxRSABits bounds the work a request can cause (RSA cost grows with
	// the modulus) while allowing every size CAs issue.
	MaxRSABits = 8192
	// MaxCertificateBytes bounds the DER certificate: an 8192-bit RSA
	// certificate with long names is under 3 KB.
	MaxCertificateBytes = 16 << 10
	// DocumentKeySize is the AES-256 document key length.
	DocumentKeySize = 32
	// MACKeySize is the HMAC-SHA512 key length (the hash block size / 2 is
	// enough; the full output size matches the reference server).
	MACKeySize = 64
	// IVSize is the AES-CBC IV length prefixed to each ciphertext.
	IVSize = aes.BlockSize
)

// ErrCertificate is wrapped by every CertificateError.
var ErrCertificate = errors.New("cke: unusable delivery certificate")

// CertificateError says why a delivery certificate cannot be used. Reason
// is a fixed phrase of ours, safe to send to the client.
type CertificateError struct {
	Reason string
	cause  error // parser detail, for logs
}

func (e *CertificateError) Error() string {
	if e.cause != nil {
		return "cke: " + e.Reason + ": " + e.cause.Error()
	}
	return "cke: " + e.Reason
}

// Unwrap returns ErrCertificate and the parser's error, if any.
func (e *CertificateError) Unwrap() []error {
	if e.cause != nil {
		return []error{ErrCertificate, e.cause}
	}
	return []error{ErrCertificate}
}

func certErr(reason string, cause error) error {
	return &CertificateError{Reason: reason, cause: cause}
}

// Recipient is the public key content keys are encrypted for.
type Recipient struct {
	pub                 *rsa.PublicKey
	NotBefore, NotAfter time.Time
}

// Bits is the RSA modulus size.
func (r *Recipient) Bits() int { return r.pub.N.BitLen() }

// ValidAt reports whether t is inside the certificate's validity period.
func (r *Recipient) ValidAt(t time.Time) bool {
	return !t.Before(r.NotBefore) && !t.After(r.NotAfter)
}

// Session is the document key and MAC key of one answer.
type Session struct {
	docKey [DocumentKeySize]byte
	macKey [MACKeySize]byte
	block  cipher.Block // AES-256 under docKey, built once per session
}

// NewSession draws fresh document and MAC keys from crypto/rand.
func NewSession() (*Session, error) {
	s := &Session{}
	if _, err := io.ReadFull(rand.Reader, s.docKey[:]); err != nil {
		return nil, fmt.Errorf("cke: document key: %w", err)
	}
	if _, err := io.ReadFull(rand.Reader, s.macKey[:]); err != nil {
		return nil, fmt.Errorf("cke: MAC key: %w", err)
	}
	block, err := aes.NewCipher(s.docKey[:])
	if err != nil {
		return nil, fmt.Errorf("cke: %w", err)
	}
	s.block = block
	return s, nil
}

const redacted = "[redacted]"

// String, GoString, Format and LogValue keep the keys out of any output.
func (*Session) String() string               { return "cke.Session" + redacted }
func (*Session) GoString() string             { return "cke.Session{" + redacted + "}" }
func (*Session) Format(f fmt.State, _ rune)   { _, _ = io.WriteString(f, "cke.Session"+redacted) }
func (*Session) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (*Session) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Wrapped is the document key and MAC key encrypted for one recipient, each
// with the HMAC of its ciphertext.
type Wrapped struct {
	DocumentKey, DocumentKeyMAC []byte
	MACKey, MACKeyMAC           []byte
}

// Wrap encrypts the session's keys for r with RSA-OAEP (SHA-1, MGF1-SHA-1,
// no label).
func (s *Session) Wrap(r *Recipient) (Wrapped, error) {
	var w Wrapped
	var err error
	if w.DocumentKey, err = rsa.EncryptOAEP(sha1.New(), rand.Reader, r.pub, s.docKey[:], nil); err != nil {
		return Wrapped{}, fmt.Errorf("cke: wrapping the document key: %w", err)
	}
	if w.MACKey, err = rsa.EncryptOAEP(sha1.New(), rand.Reader, r.pub, s.macKey[:], nil); err != nil {
		return Wrapped{}, fmt.Errorf("cke: wrapping the MAC key: %w", err)
	}
	w.DocumentKeyMAC = s.MAC(w.DocumentKey)
	w.MACKeyMAC = s.MAC(w.MACKey)
	return w, nil
}

// Seal encrypts one content key: it returns IV || AES-256-CBC(PKCS#7(key))
// under the document key, and the HMAC-SHA512 of those bytes.
func (s *Session) Seal(key []byte) (ciphertext, mac []byte, err error) {
	pad := aes.BlockSize - len(key)%aes.BlockSize
	out := make([]byte, IVSize+len(key)+pad)
	iv, body := out[:IVSize], out[IVSize:]
	if _, err := io.ReadFull(rand.Reader, iv); err != nil {
		return nil, nil, fmt.Errorf("cke: IV: %w", err)
	}
	copy(body, key)
	for i := len(key); i < len(body); i++ {
		body[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(s.block, iv).CryptBlocks(body, body)
	return out, s.MAC(out), nil
}

// MAC is HMAC-SHA512 under the session's MAC key.
func (s *Session) MAC(b []byte) []byte {
	h := hmac.New(sha512.New, s.macKey[:])
	h.Write(b)
	return h.Sum(nil)
}
