// Package httpapi is the HTTP face of the key provider: routes, body limits,
// response headers, per-request logging, and the one place where errors
// become HTTP statuses. The same http.Handler serves the local server and,
// through package apigw, the Lambda function.
//
// Logs carry identifiers only (request id, content ID, counts, version,
// status, latency); never a request or response body, never a key.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/speke-go/keyprovider/internal/cpix"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/speke"
)

// UserAgent identifies this key provider in X-Speke-User-Agent.
const UserAgent = "speke-go-keyprovider/0.1"

// Routes.
const (
	PathCopyProtection = "/copyProtection"
	PathHealth         = "/healthz"
)

// Options configure the handler.
type Options struct {
	// PublicBaseURL is the base of key URIs. Empty means: derive it per
	// request from BaseURLFromRequest (API Gateway domain and stage).
	PublicBaseURL string
	Logger        *slog.Logger
}

type handler struct {
	svc *speke.Service
	opt Options
	log *slog.Logger
	mux *http.ServeMux
}

// New returns the key provider's handler.
func New(svc *speke.Service, opt Options) http.Handler {
	h := &handler{svc: svc, opt: opt, log: opt.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("POST "+PathCopyProtection, h.copyProtection)
	h.mux.HandleFunc("GET "+PathHealth, h.health)
	return LogRequests(h, h.log)
}

type ctxKey int

const (
	requestIDKey ctxKey = iota
	baseURLKey
)

// WithRequestID returns a context carrying the request id to log (the
// Lambda request id under Lambda).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// WithBaseURL returns a context carrying the public base URL derived from
// the incoming request (the API Gateway adapter sets it).
func WithBaseURL(ctx context.Context, u string) context.Context {
	return context.WithValue(ctx, baseURLKey, u)
}

// ServeHTTP routes; LogRequests around it (New) logs and contains panics.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

func typeName(v any) string {
	switch v.(type) {
	case error:
		return "error"
	case string:
		return "string"
	}
	return "other"
}

func requestID(r *http.Request) string {
	if id, ok := r.Context().Value(requestIDKey).(string); ok && id != "" {
		return id
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (h *handler) health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}

func (h *handler) copyProtection(w http.ResponseWriter, r *http.Request) {
	verValue, hasVer := headerValue(r.Header, "X-Speke-Version")
	if hasVer {
		// Echoed unchanged on every answer, errors included (SPEKE v2).
		w.Header().Set("X-Speke-Version", verValue)
	}
	w.Header().Set("X-Speke-User-Agent", UserAgent)

	_, sum, err := h.serve(w, r, verValue, hasVer)
	attrs := []any{"speke_version", verValue}
	if sum.ContentID != "" {
		attrs = append(attrs, "content_id", sum.ContentID, "keys", sum.Keys, "drm_systems", sum.DRMSystems)
	}
	annotate(r.Context(), err, attrs...)
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, ver string, hasVer bool) (int, speke.Summary, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !isXML(ct) {
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/xml")
		return http.StatusUnsupportedMediaType, speke.Summary{}, errors.New("content type " + ct)
	}
	body, err := readBody(w, r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = cpix.ErrTooLarge
		} else {
			err = errors.Join(cpix.ErrMalformed, err)
		}
		status, msg := Classify(err)
		writeError(w, status, msg)
		return status, speke.Summary{}, err
	}
	resp, err := h.svc.Handle(r.Context(), speke.Request{
		Version: ver, HasVersion: hasVer, Body: body, BaseURL: h.baseURL(r),
	})
	if err != nil {
		status, msg := Classify(err)
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		writeError(w, status, msg)
		return status, speke.Summary{}, err
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(resp.Body)
	return http.StatusOK, resp.Summary, nil
}

// readBody reads at most cpix.MaxBodyBytes, in one allocation when the
// length is announced.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	rd := http.MaxBytesReader(w, r.Body, cpix.MaxBodyBytes)
	if n := r.ContentLength; n > 0 && n <= cpix.MaxBodyBytes {
		buf := make([]byte, n)
		if _, err := io.ReadFull(rd, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(rd)
}

func (h *handler) baseURL(r *http.Request) string {
	if h.opt.PublicBaseURL != "" {
		return h.opt.PublicBaseURL
	}
	if u, ok := r.Context().Value(baseURLKey).(string); ok && u != "" {
		return u
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// headerValue looks a header up case-insensitively (net/http canonicalises
// names; API Gateway REST passes the client's spelling, which the adapter
// canonicalises too) and reports presence separately from emptiness.
func headerValue(h http.Header, name string) (string, bool) {
	v, ok := h[http.CanonicalHeaderKey(name)]
	if !ok || len(v) == 0 {
		return "", false
	}
	return strings.TrimSpace(v[0]), true
}

func isXML(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return false
	}
	return mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml")
}

// Classify maps an error to its HTTP status and client message. It is the
// only place where errors become statuses.
//
//   - SPEKE/CPIX rule violations: 422 with the exact SPEKE message.
//   - Well-formed XML that is not CPIX: 422.
//   - Body too large: 413. Malformed XML: 400.
//   - Key store failures and deadlines: 503 (retryable).
//   - Anything else: 500, with no detail.
func Classify(err error) (int, string) {
	var re *speke.RequestError
	var se *cpix.SyntaxError
	switch {
	case errors.As(err, &re):
		return http.StatusUnprocessableEntity, re.Message
	case errors.Is(err, cpix.ErrTooLarge):
		return http.StatusRequestEntityTooLarge, "Request body too large"
	case errors.Is(err, cpix.ErrNotCPIX):
		return http.StatusUnprocessableEntity, "Root element is not cpix:CPIX"
	case errors.As(err, &se):
		return http.StatusBadRequest, "Malformed XML: " + se.Reason
	case errors.Is(err, cpix.ErrMalformed):
		return http.StatusBadRequest, "Malformed XML"
	case errors.Is(err, keys.ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable, "Key store unavailable, retry later"
	}
	return http.StatusInternalServerError, "Internal error"
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg)
}
