// Package exporttest drives the key export end to end for tests of every
// key source: it has keys issued over SPEKE, exports them to the test
// certificate, and checks the export with outside tools (xmllint, and
// Python's `cryptography` through package cketest), so that "a license
// server gets the keys the encryptor got" is checked by code that shares
// nothing with ours.
package exporttest

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/cke/cketest"
	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/httpapi"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/speke"
)

// KIDs are the KIDs of the SPEKE request (testdata/speke/v2.0/clearkey-vod).
var KIDs = []string{"98ee5596-cd3e-a20d-163a-e382420c6eff", "4060a865-8878-4267-9cbf-91ae5bae1e72"}

// SPEKERequest is a SPEKE v2.0 request for KIDs under contentID.
func SPEKERequest(tb testing.TB, contentID string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(cketest.Dir(), "..", "speke", "v2.0", "clearkey-vod.request.xml"))
	if err != nil {
		tb.Fatal(err)
	}
	return bytes.Replace(b, []byte(`contentId="abc123"`), []byte(`contentId="`+contentID+`"`), 1)
}

// ExportRequest is an export request for kids under contentID, for the
// RSA2048 test certificate unless cert (X509Certificate text) is given.
func ExportRequest(tb testing.TB, contentID string, kids []string, cert ...string) []byte {
	tb.Helper()
	c := cketest.Base64(tb, cketest.RSA2048)
	if len(cert) > 0 {
		c = cert[0]
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" contentId="` + contentID + `" version="2.3">
  <cpix:DeliveryDataList>
    <cpix:DeliveryData id="license-server">
      <cpix:DeliveryKey><ds:X509Data><ds:X509Certificate>` + c + `</ds:X509Certificate></ds:X509Data></cpix:DeliveryKey>
    </cpix:DeliveryData>
  </cpix:DeliveryDataList>
  <cpix:ContentKeyList>
`)
	for _, k := range kids {
		b.WriteString(`    <cpix:ContentKey kid="` + k + `"/>` + "\n")
	}
	b.WriteString("  </cpix:ContentKeyList>\n</cpix:CPIX>\n")
	return []byte(b.String())
}

// Post sends body to path on h, with the SPEKE version header for
// /copyProtection.
func Post(tb testing.TB, h http.Handler, path string, body []byte) *httptest.ResponseRecorder {
	tb.Helper()
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/xml")
	if path == "/copyProtection" {
		r.Header.Set("X-Speke-Version", "2.0")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// PlainKeys reads kid -> PlainValue from a SPEKE answer with the standard
// library's XML decoder.
func PlainKeys(tb testing.TB, answer []byte) map[string]string {
	tb.Helper()
	var doc struct {
		Keys []struct {
			KID   string `xml:"kid,attr"`
			Plain string `xml:"Data>Secret>PlainValue"`
		} `xml:"ContentKeyList>ContentKey"`
	}
	if err := xml.Unmarshal(answer, &doc); err != nil {
		tb.Fatalf("SPEKE answer: %v", err)
	}
	out := map[string]string{}
	for _, k := range doc.Keys {
		if k.Plain == "" {
			tb.Fatalf("SPEKE answer has no PlainValue for KID %s", k.KID)
		}
		out[k.KID] = k.Plain
	}
	return out
}

// Issue has h issue KIDs for contentID over SPEKE and returns kid -> key
// (base64).
func Issue(tb testing.TB, h http.Handler, contentID string) map[string]string {
	tb.Helper()
	res := Post(tb, h, "/copyProtection", SPEKERequest(tb, contentID))
	if res.Code != http.StatusOK {
		tb.Fatalf("SPEKE: %d %s", res.Code, res.Body.String())
	}
	return PlainKeys(tb, res.Body.Bytes())
}

// Export exports kids of contentID from h, checks the answer with xmllint
// and decrypts it with decrypt_cpix.py; it returns kid -> key (base64).
func Export(tb testing.TB, h http.Handler, contentID string, kids []string) map[string]string {
	tb.Helper()
	res := Post(tb, h, "/export", ExportRequest(tb, contentID, kids))
	if res.Code != http.StatusOK {
		tb.Fatalf("export: %d %s", res.Code, res.Body.String())
	}
	if ct := res.Header().Get("Content-Type"); ct != "application/xml" {
		tb.Errorf("export Content-Type %q", ct)
	}
	cketest.XMLLint(tb, res.Body.Bytes())
	return cketest.Decrypt(tb, res.Body.Bytes())
}

// RoundTrip is the license server's promise: the keys h issued over SPEKE
// for contentID are, once exported and decrypted outside, the same keys.
func RoundTrip(tb testing.TB, h http.Handler, contentID string) {
	tb.Helper()
	issued := Issue(tb, h, contentID)
	exported := Export(tb, h, contentID, KIDs)
	if len(exported) != len(KIDs) || len(issued) != len(KIDs) {
		tb.Fatalf("issued %d keys, exported %d, want %d", len(issued), len(exported), len(KIDs))
	}
	for _, kid := range KIDs {
		if exported[kid] != issued[kid] {
			tb.Errorf("KID %s: exported key differs from the issued one", kid)
		}
	}
}

// Handler serves SPEKE and the export from src, wired as the service does
// (the export sees src only through Lookup).
func Handler(src keys.Source) http.Handler {
	reg := drm.NewDefaultRegistry(drm.Config{})
	mux := http.NewServeMux()
	mux.Handle("POST "+httpapi.PathExport, httpapi.NewExport(speke.NewExporter(src, reg), httpapi.Options{}))
	mux.Handle("/", httpapi.New(speke.New(src, reg), httpapi.Options{PublicBaseURL: "https://keys.example.com"}))
	return mux
}
