// Package cketest checks encrypted CPIX answers from outside: it decrypts
// them with Python's `cryptography` package and a standard-library XML
// parser (testdata/cke/decrypt_cpix.py), so a bug shared by our writer and
// our reader cannot pass unnoticed. It also holds the test certificates.
package cketest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Test certificates in testdata/cke (DER), generated with openssl. Only
// RSA2048 has its private key in the repository (for decryption).
const (
	RSA2048 = "rsa2048"
	RSA4096 = "rsa4096"
	RSA1024 = "rsa1024"
	ECP256  = "ec-p256"
	DSA2048 = "dsa2048"
	Ed25519 = "ed25519"
)

// Dir is the repository's testdata/cke directory.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "cke")
}

// DER returns a test certificate.
func DER(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(), name+".der"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Base64 returns a test certificate as X509Certificate text.
func Base64(tb testing.TB, name string) string {
	return base64.StdEncoding.EncodeToString(DER(tb, name))
}

// Decrypt checks answer (a CPIX document encrypted for the RSA2048
// certificate) with decrypt_cpix.py and returns kid -> base64 key. It fails
// the test if Python or `cryptography` is missing, any MAC does not verify,
// or a PlainValue is present.
func Decrypt(tb testing.TB, answer []byte) map[string]string {
	tb.Helper()
	if out, err := exec.Command("python3", "-c", "import cryptography").CombinedOutput(); err != nil {
		tb.Fatalf("python3 with the cryptography package is needed to check encrypted answers "+
			"(Debian: python3-cryptography; moto depends on it): %v: %s", err, out)
	}
	f := filepath.Join(tb.TempDir(), "answer.xml")
	if err := os.WriteFile(f, answer, 0o600); err != nil {
		tb.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("python3", filepath.Join(Dir(), "decrypt_cpix.py"), filepath.Join(Dir(), RSA2048+".key.pem"), f)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("decrypt_cpix.py: %v: %s", err, stderr.Bytes())
	}
	var keys map[string]string
	if err := json.Unmarshal(out, &keys); err != nil {
		tb.Fatalf("decrypt_cpix.py output %q: %v", out, err)
	}
	return keys
}

// XMLLint runs libxml2's strict parser over doc and fails the test if it
// finds doc not well-formed or not namespace-well-formed.
func XMLLint(tb testing.TB, doc []byte) {
	tb.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		tb.Fatal("xmllint (Debian: libxml2-utils) is needed to check answers")
	}
	cmd := exec.Command("xmllint", "--noout", "--nonet", "-")
	cmd.Stdin = bytes.NewReader(doc)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("xmllint: %v: %s", err, out)
	}
}
