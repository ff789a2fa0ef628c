package speke_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/cke"
	"github.com/speke-go/keyprovider/internal/cke/cketest"
	"github.com/speke-go/keyprovider/internal/cpix"
	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/httpapi/exporttest"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/speke"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// store is a key store that issued only the keys in issued; it counts its
// calls so tests can tell a refusal happened before the store was asked.
type store struct {
	issued        map[uuid.UUID]keys.Key
	keys, lookups int
}

func (s *store) Keys(context.Context, string, []uuid.UUID) ([]keys.Key, error) {
	s.keys++
	return nil, errors.New("Keys must not be called by the export")
}

func (s *store) Lookup(_ context.Context, _ string, kids []uuid.UUID) ([]keys.Key, error) {
	s.lookups++
	var out []keys.Key
	var missing []uuid.UUID
	for _, k := range kids {
		key, ok := s.issued[k]
		if !ok {
			missing = append(missing, k)
		}
		out = append(out, key)
	}
	if missing != nil {
		return nil, &keys.NotFoundError{KIDs: missing}
	}
	return out, nil
}

func newExporter(src speke.Lookuper) *speke.Exporter {
	return speke.NewExporter(src, drm.NewDefaultRegistry(drm.Config{}))
}

func issuedStore(t *testing.T) *store {
	t.Helper()
	s := &store{issued: map[uuid.UUID]keys.Key{}}
	for i, text := range exporttest.KIDs {
		kid, err := uuid.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		s.issued[kid], _ = keys.NewKey(bytes.Repeat([]byte{byte(0xa0 + i)}, keys.Size))
	}
	return s
}

func exportRequest(t *testing.T) string {
	return string(exporttest.ExportRequest(t, "movie-1", exporttest.KIDs))
}

func TestExportEncryptsTheIssuedKeys(t *testing.T) {
	s := issuedStore(t)
	// Whatever else the document carries comes back unchanged.
	extra := `<cpix:DRMSystemList><cpix:DRMSystem kid="` + exporttest.KIDs[0] + `" systemId="edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"/></cpix:DRMSystemList>`
	body := strings.Replace(exportRequest(t), "</cpix:CPIX>", extra+"</cpix:CPIX>", 1)
	body = strings.Replace(body, `kid="`+exporttest.KIDs[1]+`"/>`, `kid="`+exporttest.KIDs[1]+`" commonEncryptionScheme="cbcs"><cpix:Data><pskc:Secret/></cpix:Data></cpix:ContentKey>`, 1)
	exp, err := newExporter(s).Export(context.Background(), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	cketest.XMLLint(t, exp.Body)
	got := cketest.Decrypt(t, exp.Body)
	for _, text := range exporttest.KIDs {
		kid, _ := uuid.Parse(text)
		want := s.issued[kid].Reveal()
		if got[text] != base64.StdEncoding.EncodeToString(want[:]) {
			t.Errorf("KID %s: decrypts to another key", text)
		}
	}
	for _, want := range []string{extra, `commonEncryptionScheme="cbcs"`, `contentId="movie-1"`, `id="license-server"`, "DocumentKey", "MACMethod", "ValueMAC"} {
		if !bytes.Contains(exp.Body, []byte(want)) {
			t.Errorf("answer lacks %s", want)
		}
	}
	if bytes.Contains(exp.Body, []byte("PlainValue")) {
		t.Error("answer has a PlainValue")
	}
	if s.keys != 0 || s.lookups != 1 {
		t.Errorf("%d Keys and %d Lookup calls, want 0 and 1", s.keys, s.lookups)
	}
	if exp.Summary.ContentID != "movie-1" || len(exp.Summary.KIDs) != 2 || exp.Summary.KIDs[1].String() != exporttest.KIDs[1] {
		t.Errorf("summary %+v", exp.Summary)
	}
}

// TestExportUnknownKID: a KID the store never issued is a NotFoundError
// naming exactly it; nothing is created.
func TestExportUnknownKID(t *testing.T) {
	s := issuedStore(t)
	unknown := "11111111-2222-3333-4444-555555555555"
	body := exporttest.ExportRequest(t, "movie-1", []string{exporttest.KIDs[0], unknown})
	_, err := newExporter(s).Export(context.Background(), body)
	var nf *keys.NotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, keys.ErrNotFound) || len(nf.KIDs) != 1 || nf.KIDs[0].String() != unknown {
		t.Fatalf("err = %v, want a NotFoundError for %s", err, unknown)
	}
	if s.keys != 0 {
		t.Error("the export called Keys")
	}
}

// TestExportRefusals: each rule, with its message; a refused document
// never reaches the key store.
func TestExportRefusals(t *testing.T) {
	good := exportRequest(t)
	k0 := `<cpix:ContentKey kid="` + exporttest.KIDs[0] + `"/>`
	ddl := good[strings.Index(good, "<cpix:DeliveryDataList>"):strings.Index(good, "<cpix:ContentKeyList>")]
	repl := func(pairs ...string) string { return strings.NewReplacer(pairs...).Replace(good) }
	cert := func(name string) string {
		return strings.Replace(good, cketest.Base64(t, cketest.RSA2048), cketest.Base64(t, name), 1)
	}
	for _, tc := range []struct {
		name, body, msg string
	}{
		{"no contentId", repl(`contentId="movie-1"`, ""), speke.MsgMissingContentID},
		{"DEL in contentId", repl(`contentId="movie-1"`, `contentId="a&#x7f;b"`), "Invalid CPIX@contentId"},
		{"CPIX 2.0", repl(`version="2.3"`, `version="2.0"`), speke.MsgUnsupportedVersion},
		{"no DeliveryDataList", repl(ddl, ""), speke.MsgExportNeedsDeliveryData},
		{"empty DeliveryDataList", repl(ddl, "<cpix:DeliveryDataList/>"), "Missing DeliveryData"},
		{"two DeliveryDataLists", repl(ddl, ddl+ddl), "Duplicate DeliveryDataList"},
		{"no ContentKeyList", good[:strings.Index(good, "<cpix:ContentKeyList>")] + "</cpix:CPIX>", "Missing ContentKeyList"},
		{"no ContentKey", repl(k0, "", `<cpix:ContentKey kid="`+exporttest.KIDs[1]+`"/>`, ""), "Missing ContentKey"},
		{"ContentKey without kid", repl(k0, `<cpix:ContentKey/>`), "Missing ContentKey@kid"},
		{"malformed kid", repl(k0, `<cpix:ContentKey kid="98ee5596-cd3e"/>`), "Invalid ContentKey@kid"},
		{"duplicate kid", repl(k0, k0+k0), "Duplicate ContentKey@kid " + exporttest.KIDs[0]},
		{"key in the request", repl(k0, `<cpix:ContentKey kid="`+exporttest.KIDs[0]+`"><cpix:Data><pskc:Secret><pskc:PlainValue>AAAAAAAAAAAAAAAAAAAAAA==</pskc:PlainValue></pskc:Secret></cpix:Data></cpix:ContentKey>`), "Unexpected key value in request for KID " + exporttest.KIDs[0]},
		{"EC certificate", cert(cketest.ECP256), "DeliveryKey certificate must carry an RSA key, not an elliptic-curve key"},
		{"1024-bit RSA", cert(cketest.RSA1024), "DeliveryKey certificate RSA key has 1024 bits; at least 2048 are required"},
		{"DRMSystem for another KID", repl("</cpix:CPIX>", `<cpix:DRMSystemList><cpix:DRMSystem kid="11111111-2222-3333-4444-555555555555" systemId="`+fairPlay+`"/></cpix:DRMSystemList></cpix:CPIX>`), "DRMSystem@kid 11111111-2222-3333-4444-555555555555 has no ContentKey"},
		{"unknown DRM system", repl("</cpix:CPIX>", `<cpix:DRMSystemList><cpix:DRMSystem kid="`+exporttest.KIDs[0]+`" systemId="11111111-2222-3333-4444-555555555555"/></cpix:DRMSystemList></cpix:CPIX>`), "Unsupported DRMSystem 11111111-2222-3333-4444-555555555555"},
		{"certificate not base64", repl(cketest.Base64(t, cketest.RSA2048), "MIIC!!"), "DeliveryKey X509Certificate is not base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := issuedStore(t)
			_, err := newExporter(s).Export(context.Background(), []byte(tc.body))
			var re *speke.RequestError
			var ce *cke.CertificateError
			switch {
			case errors.As(err, &re):
				if re.Message != tc.msg {
					t.Errorf("message %q, want %q", re.Message, tc.msg)
				}
			case errors.As(err, &ce):
				if ce.Reason != tc.msg {
					t.Errorf("reason %q, want %q", ce.Reason, tc.msg)
				}
			default:
				t.Fatalf("err = %v, want a refusal %q", err, tc.msg)
			}
			if s.lookups+s.keys != 0 {
				t.Error("a refused export reached the key store")
			}
		})
	}
	if _, err := newExporter(issuedStore(t)).Export(context.Background(), []byte("<cpix:CPIX")); !errors.Is(err, cpix.ErrMalformed) {
		t.Errorf("malformed XML: err = %v", err)
	}
}

// TestExportKIDMessagesAreSPEKEs: the same broken KID gets the same words
// from a SPEKE request and from an export.
func TestExportKIDMessagesAreSPEKEs(t *testing.T) {
	src, _ := keys.NewLocalFromSeed(bytes.Repeat([]byte{1}, keys.SeedSize))
	svc := speke.New(src, drm.NewDefaultRegistry(drm.Config{}))
	exp := newExporter(src)
	k0 := `kid="` + exporttest.KIDs[0] + `"`
	for _, bad := range []string{`kid="98ee5596-cd3e"`, `kid=""`, `kid="{98ee5596-cd3e-a20d-163a-e382420c6eff"`} {
		spekeBody := bytes.Replace(exporttest.SPEKERequest(t, "movie-1"), []byte(k0+` commonEncryptionScheme`), []byte(bad+` commonEncryptionScheme`), 1)
		_, errSPEKE := svc.Handle(context.Background(), speke.Request{Version: "2.0", HasVersion: true, Body: spekeBody})
		_, errExport := exp.Export(context.Background(), []byte(strings.Replace(exportRequest(t), k0, bad, 1)))
		var a, b *speke.RequestError
		if !errors.As(errSPEKE, &a) || !errors.As(errExport, &b) || a.Message != b.Message {
			t.Errorf("%s: SPEKE says %v, the export %v", bad, errSPEKE, errExport)
		}
	}
}

const fairPlay = "94ce86fb-07ff-4f43-adb8-93d2fa968ca2"

// explicitIVs reads kid -> explicitIV from a CPIX document.
func explicitIVs(t *testing.T, doc []byte) map[string]string {
	t.Helper()
	var d struct {
		Keys []struct {
			KID string `xml:"kid,attr"`
			IV  string `xml:"explicitIV,attr"`
		} `xml:"ContentKeyList>ContentKey"`
	}
	if err := xml.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range d.Keys {
		if k.IV != "" {
			out[k.KID] = k.IV
		}
	}
	return out
}

// TestExportIV: a key the export request ties to FairPlay gets the
// explicitIV SPEKE signaled for it (a KSM needs it for the CKC); a key tied
// to Widevine gets none, and a request's own explicitIV is echoed.
func TestExportIV(t *testing.T) {
	src, _ := keys.NewLocalFromSeed(bytes.Repeat([]byte{1}, keys.SeedSize))
	reg := drm.NewDefaultRegistry(drm.Config{})
	spekeBody := strings.NewReplacer(
		`commonEncryptionScheme="cenc"`, `commonEncryptionScheme="cbcs"`,
		"1077efec-c0b2-4d02-ace3-3c1e52e2fb4b", fairPlay,
		"<cpix:PSSH/>", `<cpix:HLSSignalingData playlist="media"/>`,
		"<cpix:ContentProtectionData/>", `<cpix:HLSSignalingData playlist="master"/>`,
	).Replace(string(exporttest.SPEKERequest(t, "movie-1")))
	res, err := speke.New(src, reg).Handle(context.Background(), speke.Request{Version: "2.0", HasVersion: true, Body: []byte(spekeBody), BaseURL: "https://k.example"})
	if err != nil {
		t.Fatal(err)
	}
	issued := explicitIVs(t, res.Body)
	if len(issued) != 2 {
		t.Fatalf("SPEKE gave %d explicitIVs for FairPlay keys, want 2", len(issued))
	}
	body := strings.Replace(exportRequest(t), "</cpix:CPIX>", `<cpix:DRMSystemList>
<cpix:DRMSystem kid="`+exporttest.KIDs[0]+`" systemId="`+fairPlay+`"/>
<cpix:DRMSystem kid="`+exporttest.KIDs[1]+`" systemId="edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"/>
</cpix:DRMSystemList></cpix:CPIX>`, 1)
	exp, err := speke.NewExporter(src, reg).Export(context.Background(), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	got := explicitIVs(t, exp.Body)
	if len(got) != 1 || got[exporttest.KIDs[0]] != issued[exporttest.KIDs[0]] {
		t.Errorf("export explicitIVs %v, want only %s=%s", got, exporttest.KIDs[0], issued[exporttest.KIDs[0]])
	}
	const own = "AAECAwQFBgcICQoLDA0ODw=="
	body = strings.Replace(body, `<cpix:ContentKey kid="`+exporttest.KIDs[0]+`"/>`, `<cpix:ContentKey kid="`+exporttest.KIDs[0]+`" explicitIV="`+own+`"/>`, 1)
	if exp, err = speke.NewExporter(src, reg).Export(context.Background(), []byte(body)); err != nil {
		t.Fatal(err)
	}
	if got := explicitIVs(t, exp.Body); got[exporttest.KIDs[0]] != own {
		t.Errorf("the request's explicitIV came back as %q", got[exporttest.KIDs[0]])
	}
}

// BenchmarkExport: one export of 8 keys to a 2048-bit certificate (two
// RSA-OAEP encryptions, eight AES-CBC + HMAC), from a derivation source.
func BenchmarkExport(b *testing.B) {
	src, _ := keys.NewLocalFromSeed(bytes.Repeat([]byte{1}, keys.SeedSize))
	exp := speke.NewExporter(src, drm.NewDefaultRegistry(drm.Config{}))
	kids := make([]string, 8)
	for i := range kids {
		kids[i] = fmt.Sprintf("%08x-2222-3333-4444-555555555555", i)
	}
	body := exporttest.ExportRequest(b, "movie-1", kids)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := exp.Export(context.Background(), body); err != nil {
			b.Fatal(err)
		}
	}
}
