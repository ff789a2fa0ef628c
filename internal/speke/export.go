package speke

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/speke-go/keyprovider/internal/cke"
	"github.com/speke-go/keyprovider/internal/cpix"
	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// Lookuper is the read-only half of keys.Source: the export sees only it,
// so it cannot create a key even by mistake.
type Lookuper interface {
	Lookup(ctx context.Context, contentID string, kids []uuid.UUID) ([]keys.Key, error)
}

// Exporter answers license servers' key exports: a CPIX document naming a
// content ID, the KIDs wanted and the license server's certificate comes
// back with every key encrypted to that certificate, as SPEKE content key
// encryption does (package cke).
//
// # Guarantees
//
//   - Keys leave only encrypted: a document without a DeliveryDataList is
//     refused (ErrRequest, MsgExportNeedsDeliveryData); no answer holds a
//     PlainValue.
//   - No key value comes from the client: a request with a PSKC Secret,
//     PlainValue, EncryptedValue or ValueMAC anywhere (empty or not, in
//     any wrapper), or a ContentKey outside the ContentKeyList, is refused
//     with SPEKE's messages, so every key element of an answer is the
//     export's own.
//   - Read-only: keys come from Lookup; a KID the store never issued for
//     the content ID is an error wrapping keys.ErrNotFound (a
//     *keys.NotFoundError naming it), and nothing is created.
//   - The KID, content ID and certificate rules and messages are SPEKE's;
//     every rule is checked before the key store is asked.
//   - A key that a DRMSystem of the document ties to a system taking its
//     IV from the key provider (FairPlay, HLS AES-128), and that has no
//     explicitIV, gets the IV SPEKE signaled for it (a FairPlay KSM puts
//     it in its CKC). DRMSystem signaling is not filled.
//   - Everything else in the document comes back unchanged.
type Exporter struct {
	keys Lookuper
	drm  *drm.Registry
	now  func() time.Time
}

// NewExporter returns an Exporter that reads keys from src and knows the
// DRM systems of reg (to tell which keys SPEKE gave an IV).
func NewExporter(src Lookuper, reg *drm.Registry) *Exporter {
	return &Exporter{keys: src, drm: reg, now: time.Now}
}

// Export refusals of our own (the others are SPEKE's).
const (
	MsgExportNeedsDeliveryData = "Missing DeliveryDataList: keys are exported only encrypted to a certificate"
	// msgUnexpectedValue is SPEKE's refusal of a key in a request.
	msgUnexpectedValue = "Unexpected key value in request for KID "
)

// exportVersions are the CPIX versions whose ContentKey and DeliveryData
// structure the export reads; a document without CPIX@version is taken as
// it comes.
var exportVersions = map[string]bool{"2.3": true, "2.4": true}

// ExportSummary describes an export for the audit log; it holds no key
// material.
type ExportSummary struct {
	ContentID string
	KIDs      []uuid.UUID
	// CertificateOutsideValidity: the certificate is expired or not yet
	// valid; it is used anyway (package cke explains why).
	CertificateOutsideValidity bool
}

// Export is an answered export.
type Export struct {
	Body    []byte
	Summary ExportSummary
}

// Export validates body and answers it.
func (e *Exporter) Export(ctx context.Context, body []byte) (*Export, error) {
	doc, err := cpix.Parse(body)
	if err != nil {
		return nil, fmt.Errorf("speke: export: parse: %w", err)
	}
	cid, err := exportRules(doc)
	if err != nil {
		return nil, err
	}
	kids, texts, index, err := contentKeyIDs(doc)
	if err != nil {
		return nil, err
	}
	needIV, err := exportIVs(doc, e.drm, index)
	if err != nil {
		return nil, err
	}
	// As in a SPEKE request, no PSKC key element is taken from the client,
	// not even an empty placeholder, in any wrapper, under a ContentKey or
	// elsewhere: every key element of the answer is one the export wrote.
	for i, ck := range doc.ContentKeys {
		if len(ck.KeyElements) > 0 {
			return nil, reject(msgUnexpectedValue + texts[i])
		}
	}
	if err := refuseStrayKeys(doc); err != nil {
		return nil, err
	}
	enc, err := cke.ForDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("speke: export: DeliveryData: %w", err)
	}
	sum := ExportSummary{ContentID: cid, KIDs: kids}
	now := e.now()
	for _, r := range enc.Recipients() {
		sum.CertificateOutsideValidity = sum.CertificateOutsideValidity || !r.ValidAt(now)
	}
	got, err := e.keys.Lookup(ctx, cid, kids)
	if err != nil {
		return nil, fmt.Errorf("speke: export: lookup of %d KIDs: %w", len(kids), err)
	}
	if len(got) != len(kids) {
		return nil, fmt.Errorf("speke: export: key source returned %d keys for %d KIDs: %w", len(got), len(kids), keys.ErrUnavailable)
	}
	for i, ck := range doc.ContentKeys {
		kb := got[i].Reveal()
		if err := enc.SetKey(ck, kb[:]); err != nil {
			return nil, fmt.Errorf("speke: export: encrypting the key for KID %s: %w", texts[i], err)
		}
		if needIV[i] {
			iv := keys.DeriveIV(got[i], cid, kids[i])
			ck.SetAttr("explicitIV", base64.StdEncoding.EncodeToString(iv[:]))
		}
	}
	if err := enc.Finish(); err != nil {
		return nil, fmt.Errorf("speke: export: encrypting the document key: %w", err)
	}
	// EncryptedValue and ValueMAC per key; two RSA blocks per recipient.
	hint := len(body) + 512*len(kids) + 4096*len(enc.Recipients())
	return &Export{Body: doc.AppendTo(make([]byte, 0, hint)), Summary: sum}, nil
}

// exportIVs reads the optional DRMSystemList (SPEKE's rules and messages)
// and says, per ContentKey, whether it gets explicitIV: its KID is tied to a
// system that NeedsIV and the request carries none, as in SPEKE's fill.
func exportIVs(doc *cpix.Document, reg *drm.Registry, index map[uuid.UUID]int) ([]bool, error) {
	if len(doc.DRMSystems) > MaxDRMSystems {
		return nil, reject("Too many DRMSystem elements")
	}
	need := make([]bool, len(doc.ContentKeys))
	seen := make(map[[2]uuid.UUID]bool, len(doc.DRMSystems))
	for _, ds := range doc.DRMSystems {
		ki, sys, _, err := drmSystemFor(ds, reg, index, seen)
		if err != nil {
			return nil, err
		}
		if _, has := doc.ContentKeys[ki].Attr("explicitIV"); sys.NeedsIV() && !has {
			need[ki] = true
		}
	}
	return need, nil
}

// exportRules checks the document's identity and lists and returns the
// content ID.
func exportRules(doc *cpix.Document) (string, error) {
	cid, ok := doc.Attr("contentId")
	if !ok || cid == "" {
		return "", reject(MsgMissingContentID)
	}
	if err := checkContentID(cid, "contentId"); err != nil {
		return "", err
	}
	if ver, ok := doc.Attr("version"); ok && !exportVersions[ver] {
		return "", rejectDetail(MsgUnsupportedVersion, "export of CPIX@version "+ver)
	}
	switch n := doc.ListCounts["ContentKeyList"]; {
	case n == 0:
		return "", reject("Missing ContentKeyList")
	case n > 1:
		return "", reject("Duplicate ContentKeyList")
	}
	switch n := doc.ListCounts["DeliveryDataList"]; {
	case n == 0:
		return "", reject(MsgExportNeedsDeliveryData)
	case n > 1:
		return "", reject("Duplicate DeliveryDataList")
	}
	if len(doc.DeliveryData) == 0 {
		return "", reject("Missing DeliveryData")
	}
	return cid, nil
}
