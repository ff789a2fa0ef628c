// Package playback serves content keys to players that present a playback
// token: the raw 16-byte key of an HLS AES-128 key URI and the W3C Clear
// Key license (EME JSON in, JWK set out).
//
// # Guarantees
//
//   - Keys come from Lookup only: these routes never create a key, so a
//     read-only role is enough to serve them.
//   - Every request needs a JWT (HS256 only; exp required; nbf honoured;
//     Leeway of clock skew) whose content_id is the requested content ID
//     and whose kids claim, when present, lists each requested KID.
//   - Statuses: 401 missing, malformed, badly signed, expired or not yet
//     valid token; 403 valid token for another content ID or KID; 400
//     malformed KID, content ID or license body; 404 a KID the store never
//     issued; 503 key store failure (retryable). Key bytes appear only in
//     a 200 answer, never in another status, a log line or an error.
//   - Answers carry Cache-Control: no-store (a key must not sit in a
//     shared cache) and CORS headers for the configured origins; OPTIONS
//     preflights allow the Authorization and Content-Type headers.
//
// Logs carry the route, status, latency, content ID, KID count and the
// reason for a refusal; never the token (a bearer credential) or a key.
package playback

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/speke-go/keyprovider/internal/httpapi"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/routes"
	"github.com/speke-go/keyprovider/internal/speke"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// Errors of the player routes; status maps them to HTTP statuses.
var (
	ErrUnauthorized = errors.New("unauthorized")
	ErrForbidden    = errors.New("forbidden")
	ErrBadRequest   = errors.New("bad request")
	errTooLarge     = errors.New("license request too large")
)

// maxLicenseBody bounds a license request: 64 KIDs of 22 characters fit
// in under 2 KiB.
const maxLicenseBody = 16 << 10

// maxLicenseKIDs bounds the KIDs of one license request, hence the size of
// one Lookup.
const maxLicenseKIDs = 64

// preflightMaxAge lets a browser reuse a preflight answer for ten minutes.
const preflightMaxAge = "600"

// Lookuper is the read-only part of keys.Source.
type Lookuper interface {
	Lookup(ctx context.Context, contentID string, kids []uuid.UUID) ([]keys.Key, error)
}

// Options configure the handler.
type Options struct {
	// Keys serves the keys (required).
	Keys Lookuper
	// TokenKey is the 32-byte HS256 key tokens are signed with (required).
	TokenKey []byte
	// AllowedOrigins are the CORS origins; "*" (the default when empty)
	// allows any.
	AllowedOrigins []string
	// RequestID names a request in logs (default: none).
	RequestID func(*http.Request) string
	Logger    *slog.Logger
	// Now is the clock for token times (default time.Now).
	Now func() time.Time
}

type handler struct {
	keys      Lookuper
	tokens    *verifier
	anyOrigin bool
	origins   map[string]bool
	reqID     func(*http.Request) string
	log       *slog.Logger
	now       func() time.Time
	mux       *http.ServeMux
}

// New returns the handler of the routes in routes.Players.
func New(opt Options) (http.Handler, error) {
	if opt.Keys == nil {
		return nil, errors.New("playback: no key source")
	}
	h := &handler{keys: opt.Keys, reqID: opt.RequestID, log: opt.Logger, now: opt.Now, origins: map[string]bool{}}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.reqID == nil {
		h.reqID = func(*http.Request) string { return "" }
	}
	v, err := newVerifier(opt.TokenKey, h.now)
	if err != nil {
		return nil, err
	}
	h.tokens = v
	for _, o := range opt.AllowedOrigins {
		if o == "*" {
			h.anyOrigin = true
		}
		h.origins[o] = true
	}
	if len(opt.AllowedOrigins) == 0 {
		h.anyOrigin = true
	}
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("GET "+routes.ClientKey, h.serve("key", h.key))
	h.mux.HandleFunc("OPTIONS "+routes.ClientKey, h.preflight("GET, OPTIONS"))
	h.mux.HandleFunc("POST "+routes.ClearKeyLicense, h.serve("license", h.license))
	h.mux.HandleFunc("OPTIONS "+routes.ClearKeyLicense, h.preflight("POST, OPTIONS"))
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// result is what a route reports for its log line.
type result struct {
	contentID string
	kids      int
}

func (h *handler) serve(route string, fn func(http.ResponseWriter, *http.Request, *result) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := h.now()
		h.cors(w, r)
		w.Header().Set("Cache-Control", "no-store")
		var res result
		err := fn(w, r, &res)
		code := http.StatusOK
		if err != nil {
			var msg string
			code, msg = status(err)
			if code == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			}
			if code == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", "1")
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(code)
			_, _ = io.WriteString(w, msg)
		}
		attrs := []any{"route", route, "status", code,
			"latency_ms", float64(h.now().Sub(start).Microseconds()) / 1000}
		if id := h.reqID(r); id != "" {
			attrs = append(attrs, "request_id", id)
		}
		if res.contentID != "" {
			attrs = append(attrs, "content_id", res.contentID, "kids", res.kids)
		}
		httpapi.MarkLogged(r.Context()) // this is the request's line
		switch {
		case err == nil:
			h.log.Info("playback", attrs...)
		case code >= 500:
			h.log.Error("playback", append(attrs, "error", err.Error())...)
		default:
			h.log.Warn("playback", append(attrs, "error", err.Error())...)
		}
	}
}

// status maps an error to its status and client message. It is the only
// place where the player routes' errors become statuses. Messages are
// fixed texts or the refusal's reason, which never holds a key or a token.
func status(err error) (int, string) {
	var nf *keys.NotFoundError
	switch {
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized, reason(err, ErrUnauthorized)
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden, reason(err, ErrForbidden)
	case errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge, "License request too large"
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest, reason(err, ErrBadRequest)
	case errors.As(err, &nf):
		return http.StatusNotFound, "No key issued for this KID"
	case errors.Is(err, keys.ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable, "Key store unavailable, retry later"
	}
	return http.StatusInternalServerError, "Internal error"
}

// reason is the text after "<sentinel>: " in err, capitalised.
func reason(err, sentinel error) string {
	s := strings.TrimPrefix(err.Error(), sentinel.Error()+": ")
	if s == "" {
		return sentinel.Error()
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (h *handler) authorize(r *http.Request) (*grant, error) {
	raw, err := tokenFrom(r)
	if err != nil {
		return nil, err
	}
	return h.tokens.verify(raw)
}

// key answers GET /client/{contentId}/{kid} with the raw key.
func (h *handler) key(w http.ResponseWriter, r *http.Request, res *result) error {
	g, err := h.authorize(r)
	if err != nil {
		return err
	}
	cid := r.PathValue(routes.ContentIDParam)
	if !speke.ValidContentID(cid) {
		return fmt.Errorf("%w: invalid content ID", ErrBadRequest)
	}
	kid, err := uuid.Parse(r.PathValue(routes.KIDParam))
	if err != nil {
		return fmt.Errorf("%w: invalid KID (want a 36-character UUID)", ErrBadRequest)
	}
	res.contentID, res.kids = cid, 1
	if err := g.covers(cid, []uuid.UUID{kid}); err != nil {
		return err
	}
	ks, err := h.keys.Lookup(r.Context(), cid, []uuid.UUID{kid})
	if err != nil {
		return err
	}
	if len(ks) != 1 {
		return fmt.Errorf("%w: playback: %d keys for 1 KID", keys.ErrUnavailable, len(ks))
	}
	b := ks[0].Reveal()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", "16")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b[:])
	return nil
}

// licenseRequest is the W3C EME Clear Key license request.
type licenseRequest struct {
	KIDs []string `json:"kids"`
	Type string   `json:"type"`
}

type jwk struct {
	Kty string `json:"kty"`
	KID string `json:"kid"`
	K   string `json:"k"`
}

type jwkSet struct {
	Keys []jwk  `json:"keys"`
	Type string `json:"type"`
}

// license answers the Clear Key license request with a JWK set.
func (h *handler) license(w http.ResponseWriter, r *http.Request, res *result) error {
	g, err := h.authorize(r)
	if err != nil {
		return err
	}
	kids, typ, err := readLicenseRequest(w, r)
	if err != nil {
		return err
	}
	res.contentID, res.kids = g.contentID, len(kids)
	if err := g.covers(g.contentID, kids); err != nil {
		return err
	}
	ks, err := h.keys.Lookup(r.Context(), g.contentID, kids)
	if err != nil {
		return err
	}
	if len(ks) != len(kids) {
		return fmt.Errorf("%w: playback: %d keys for %d KIDs", keys.ErrUnavailable, len(ks), len(kids))
	}
	out := jwkSet{Type: typ, Keys: make([]jwk, len(kids))}
	for i, kid := range kids {
		b := ks[i].Reveal()
		out.Keys[i] = jwk{Kty: "oct", KID: b64(kid[:]), K: b64(b[:])}
	}
	body, err := json.Marshal(out)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// readLicenseRequest parses the EME request: kids (1 to maxLicenseKIDs
// base64url KIDs without padding; repeats are answered once) and type
// (absent or "temporary", the only kind of license we give).
func readLicenseRequest(w http.ResponseWriter, r *http.Request) ([]uuid.UUID, string, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxLicenseBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, "", errTooLarge
		}
		return nil, "", fmt.Errorf("%w: unreadable license request", ErrBadRequest)
	}
	var req licenseRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, "", fmt.Errorf("%w: license request is not the EME JSON {\"kids\":[...],\"type\":\"temporary\"}", ErrBadRequest)
	}
	if len(req.KIDs) == 0 {
		return nil, "", fmt.Errorf("%w: license request has no kids", ErrBadRequest)
	}
	if len(req.KIDs) > maxLicenseKIDs {
		return nil, "", fmt.Errorf("%w: license request has more than %d kids", ErrBadRequest, maxLicenseKIDs)
	}
	switch req.Type {
	case "":
		req.Type = "temporary"
	case "temporary":
	default:
		return nil, "", fmt.Errorf("%w: license type must be temporary", ErrBadRequest)
	}
	kids := make([]uuid.UUID, 0, len(req.KIDs))
	for _, s := range req.KIDs {
		b, err := base64.RawURLEncoding.Strict().DecodeString(s)
		if err != nil || len(b) != len(uuid.UUID{}) {
			return nil, "", fmt.Errorf("%w: invalid KID in license request (want 16 bytes, base64url without padding)", ErrBadRequest)
		}
		kid := uuid.UUID(b)
		if !slices.Contains(kids, kid) {
			kids = append(kids, kid)
		}
	}
	return kids, req.Type, nil
}

// cors sets Access-Control-Allow-Origin for an allowed origin.
func (h *handler) cors(w http.ResponseWriter, r *http.Request) {
	if h.anyOrigin {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		return
	}
	w.Header().Add("Vary", "Origin")
	if o := r.Header.Get("Origin"); o != "" && h.origins[o] {
		w.Header().Set("Access-Control-Allow-Origin", o)
	}
}

// preflight answers a CORS preflight. A disallowed origin gets no
// Access-Control-Allow-Origin, which the browser reports as a CORS error.
func (h *handler) preflight(methods string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h.cors(w, r)
		w.Header().Set("Access-Control-Allow-Methods", methods)
		w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		w.Header().Set("Access-Control-Max-Age", preflightMaxAge)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
	}
}
