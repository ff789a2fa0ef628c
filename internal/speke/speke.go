// Package speke implements the SPEKE key-provider protocol on top of CPIX:
// version dispatch on X-Speke-Version (none or 1.0: SPEKE v1.0; 2.0; 2.1),
// the request rules with the exact SPEKE v2 error messages, the encryption
// contract, and filling the response with keys (in the clear, or encrypted
// with package cke when the request has a DeliveryDataList) and DRM
// signaling. The same content ID and KID give the same key in every
// version.
//
// # Guarantees
//
//   - A request is answered only after every rule has passed and every key
//     has come back from the key source: the response is complete or there
//     is none.
//   - Every rule is decided before the key source is called, so a refused
//     request creates no key. The one exception needs the key to be known:
//     an explicitIV equal to its content key, which can only match a key
//     that existed before the request.
//   - Request text quoted in an error (message or detail) is cut to a few
//     dozen bytes.
//   - Every rejected request yields an error wrapping ErrRequest (SPEKE rule),
//     cpix.ErrMalformed or cpix.ErrTooLarge (XML), never a panic; a key store
//     failure yields an error wrapping keys.ErrUnavailable.
//   - Everything the request carried comes back in the response; only key
//     values, IVs and the requested signaling elements are filled in (and,
//     for content key encryption, the wrapped document and MAC keys in
//     DeliveryData). An answer with a DeliveryDataList holds no clear key.
//   - The package does no HTTP and no AWS calls of its own.
package speke

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/speke-go/keyprovider/internal/cpix"
	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// Service answers SPEKE requests.
type Service struct {
	keys keys.Source
	drm  *drm.Registry
	now  func() time.Time
}

// New returns a Service that takes keys from src and signaling from reg.
func New(src keys.Source, reg *drm.Registry) *Service {
	return &Service{keys: src, drm: reg, now: time.Now}
}

// Request is a SPEKE request as it arrived.
type Request struct {
	// Version is the X-Speke-Version header value; HasVersion says whether
	// the header was present at all.
	Version    string
	HasVersion bool
	Body       []byte
	// BaseURL is the public base URL of this service for key URIs.
	BaseURL string
}

// Response is a filled CPIX document.
type Response struct {
	Body    []byte
	Summary Summary
}

// Summary describes a request for logs; it never holds key material.
type Summary struct {
	ContentID string
	Keys      int
	// KIDs are the requested KIDs in document order (for the audit log).
	KIDs       []uuid.UUID
	DRMSystems int
	// EncryptedKeys: the answer carries content keys encrypted for the
	// DeliveryData certificate(s).
	EncryptedKeys bool
	// CertificateOutsideValidity: a DeliveryData certificate is expired
	// or not yet valid. It is used anyway (package cke explains why);
	// this is for a warning in the logs.
	CertificateOutsideValidity bool
}

// version is one SPEKE protocol version.
type version struct {
	header string // X-Speke-Version value
	cpix   string // the CPIX@version it pairs with
	v1     bool   // SPEKE 1.0: CPIX@id, speke: children, no contract
	v21    bool   // SPEKE 2.1 additions (period times, HLS method tokens)
}

// versions are the supported X-Speke-Version values. A request without
// the header is SPEKE v1.0 (which predates it); "1.0" is accepted too.
var versions = map[string]version{
	"1.0": v10,
	"2.0": {header: "2.0", cpix: "2.3"},
	"2.1": {header: "2.1", cpix: "2.4", v21: true},
}

var v10 = version{header: "1.0", v1: true}

// dispatch picks the version from the X-Speke-Version header.
func dispatch(value string, present bool) (version, bool) {
	if !present {
		return v10, true
	}
	v, ok := versions[strings.TrimSpace(value)]
	return v, ok
}

// Response header names for the user agent: SPEKE v1 named it
// Speke-User-Agent, v2 renamed it X-Speke-User-Agent.
const (
	UserAgentHeaderV1 = "Speke-User-Agent"
	UserAgentHeaderV2 = "X-Speke-User-Agent"
)

// UserAgentHeader is the user-agent header name for a request with this
// X-Speke-Version header (value, and whether it was present).
func UserAgentHeader(value string, present bool) string {
	if v, ok := dispatch(value, present); ok && v.v1 {
		return UserAgentHeaderV1
	}
	return UserAgentHeaderV2
}

// EchoVersion returns the X-Speke-Version value to send back for a
// request's header value, and false when none should be sent. SPEKE wants
// the request's value back unchanged; it comes back (without surrounding
// spaces) when it has the MajorVersion.MinorVersion form, supported or not,
// and never otherwise, so no request text of any other shape or length is
// reflected.
func EchoVersion(header string) (string, bool) {
	v := strings.TrimSpace(header)
	major, minor, ok := strings.Cut(v, ".")
	return v, ok && isVersionNumber(major) && isVersionNumber(minor)
}

// isVersionNumber accepts 1 to 3 ASCII digits.
func isVersionNumber(s string) bool {
	if len(s) == 0 || len(s) > 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Handle validates and answers one request.
func (s *Service) Handle(ctx context.Context, req Request) (*Response, error) {
	v, ok := dispatch(req.Version, req.HasVersion)
	if !ok {
		return nil, reject(MsgUnsupportedSPEKEVersion)
	}
	doc, err := cpix.Parse(req.Body)
	if err != nil {
		return nil, fmt.Errorf("speke: parse: %w", err)
	}
	p, err := s.validate(doc, v)
	if err != nil {
		return nil, err
	}
	sum := Summary{ContentID: p.contentID, Keys: len(p.kids), DRMSystems: len(p.systems)}
	if p.enc != nil {
		sum.EncryptedKeys = true
		now := s.now()
		for _, r := range p.enc.Recipients() {
			sum.CertificateOutsideValidity = sum.CertificateOutsideValidity || !r.ValidAt(now)
		}
	}
	got, err := s.keys.Keys(ctx, p.contentID, p.kids)
	if err != nil {
		return nil, fmt.Errorf("speke: keys for %d KIDs: %w", len(p.kids), err)
	}
	sum.KIDs = p.kids
	if len(got) != len(p.kids) {
		return nil, fmt.Errorf("speke: key source returned %d keys for %d KIDs: %w", len(got), len(p.kids), keys.ErrUnavailable)
	}
	if err := p.checkIVs(got); err != nil {
		return nil, err
	}
	if err := s.fill(doc, p, got, req.BaseURL); err != nil {
		return nil, err
	}
	return &Response{Body: doc.AppendTo(make([]byte, 0, p.sizeHint(len(req.Body)))), Summary: sum}, nil
}
