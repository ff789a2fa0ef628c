// Package httpapi is the HTTP face of the key provider: routes, body limits,
// response headers, per-request logging, and the one place where errors
// become HTTP statuses. The same http.Handler serves the local server and,
// through package apigw, the Lambda function.
//
// Logs carry identifiers only (request id, content ID, counts, version,
// status, latency); never a request or response body, never a key. Every
// string in a log record is cut to MaxLogValueBytes and every error body to
// MaxErrorBodyBytes, whatever the request contained.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/speke-go/keyprovider/internal/caller"
	"github.com/speke-go/keyprovider/internal/cke"
	"github.com/speke-go/keyprovider/internal/cpix"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/routes"
	"github.com/speke-go/keyprovider/internal/speke"
)

// UserAgent identifies this key provider in X-Speke-User-Agent (SPEKE v2)
// and Speke-User-Agent (SPEKE v1).
const UserAgent = "speke-go-keyprovider/0.1"

// Routes (defined in package routes).
const (
	PathCopyProtection = routes.CopyProtection
	PathHealth         = routes.Health
	// PathHeartbeat is the SPEKE v1 heartbeat: v1 lets the provider choose
	// the path; this one is next to copyProtection, as in the v1 examples.
	PathHeartbeat = routes.Heartbeat
	// PathExport is the license servers' CPIX key export (SigV4 only).
	PathExport = routes.Export
)

// HeartbeatMessage is the heartbeat's status message.
const HeartbeatMessage = "OK " + UserAgent + "\n"

// Options configure the handler.
type Options struct {
	// PublicBaseURL is the base of key URIs. Empty means: derive it per
	// request from BaseURLFromRequest (API Gateway domain and stage).
	PublicBaseURL string
	Logger        *slog.Logger
}

type handler struct {
	svc *speke.Service
	exp *speke.Exporter
	opt Options
	log *slog.Logger
	mux *http.ServeMux
	now func() time.Time
}

// Output bounds.
const (
	// MaxErrorBodyBytes bounds an error body: the longest message of ours
	// is about 110 bytes, so only a message quoting request text could
	// reach it, and it is cut instead.
	MaxErrorBodyBytes = 256
	// MaxLogValueBytes bounds each string value of a log record (error
	// strings included), keeping a record to a few KiB: request-derived
	// text (a version header, an XML decoder's message quoting element
	// names) could otherwise be as long as the body.
	MaxLogValueBytes = 512
)

// New returns the key provider's handler.
func New(svc *speke.Service, opt Options) http.Handler {
	h := newHandler(opt)
	h.svc = svc
	h.mux.HandleFunc("POST "+PathCopyProtection, h.copyProtection)
	h.mux.HandleFunc("GET "+PathHealth, h.health)
	h.mux.HandleFunc("GET "+PathHeartbeat, h.heartbeat)
	return LogRequests(h, h.log)
}

// NewExport returns the handler of POST PathExport alone. It holds only an
// Exporter (read-only key lookups), so a process that must never create a
// key can serve it.
func NewExport(exp *speke.Exporter, opt Options) http.Handler {
	h := newHandler(opt)
	h.exp = exp
	h.mux.HandleFunc("POST "+PathExport, h.export)
	return LogRequests(h, h.log)
}

func newHandler(opt Options) *handler {
	h := &handler{opt: opt, log: opt.Logger, now: time.Now, mux: http.NewServeMux()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.log = slog.New(boundedHandler{h.log.Handler()})
	return h
}

type ctxKey int

const (
	requestIDKey ctxKey = iota
	baseURLKey
	refusalKey
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

type refusal struct {
	status int
	msg    string
}

// WithRefusal returns a context telling the handler to answer status and
// msg instead of routing the request. The Lambda adapter uses it for the
// events it cannot turn into a request (a bad base64 body, a malformed
// event), so that they get the headers and the log line of every other
// error.
func WithRefusal(ctx context.Context, status int, msg string) context.Context {
	return context.WithValue(ctx, refusalKey, refusal{status, msg})
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			// Only the type: a panic value or stack could carry key bytes.
			h.log.Error("panic", "request_id", requestID(r), "panic_type", typeName(v))
			writeError(w, http.StatusInternalServerError, "Internal error")
		}
	}()
	if rf, ok := r.Context().Value(refusalKey).(refusal); ok {
		h.refuse(w, r, rf)
		return
	}
	h.mux.ServeHTTP(w, r)
}

func (h *handler) refuse(w http.ResponseWriter, r *http.Request, rf refusal) {
	start := h.now()
	id, ver, _ := setResponseHeaders(w, r)
	writeError(w, rf.status, rf.msg)
	h.log.Warn("refused", h.logAttrs(r, start, id, rf.status, ver, "error", rf.msg)...)
}

// setResponseHeaders sets the headers every SPEKE answer carries and
// returns the request id and the X-Speke-Version value, if any.
func setResponseHeaders(w http.ResponseWriter, r *http.Request) (id, ver string, hasVer bool) {
	id = requestID(r)
	w.Header().Set("X-Request-Id", id)
	ver, hasVer = headerValue(r.Header, "X-Speke-Version")
	if v, ok := speke.EchoVersion(ver); hasVer && ok {
		// Echoed on every answer, errors included (SPEKE v2), when it
		// looks like a version number at all.
		w.Header().Set("X-Speke-Version", v)
	}
	w.Header().Set("X-Speke-User-Agent", UserAgent)
	return id, ver, hasVer
}

// logAttrs are the attributes of a request's log line, extra appended.
func (h *handler) logAttrs(r *http.Request, start time.Time, id string, status int, ver string, extra ...any) []any {
	MarkLogged(r.Context())
	attrs := []any{
		"request_id", id, "status", status,
		"latency_ms", float64(h.now().Sub(start).Microseconds()) / 1000,
		"speke_version", ver,
	}
	if c, ok := caller.FromContext(r.Context()); ok {
		attrs = append(attrs, "caller_arn", c.UserARN, "caller_account", c.AccountID,
			"caller", c.Caller, "apigw_request_id", c.RequestID)
	}
	return append(attrs, extra...)
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

// RequestID is the id the request is logged under: the Lambda request id
// when the adapter set one, else a fresh random id.
func RequestID(r *http.Request) string { return requestID(r) }

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

// heartbeat answers the SPEKE v1 heartbeat: the service is up and
// answering. It touches no key store, so an encryptor polling it costs
// nothing and a store outage shows as 503s on copyProtection instead.
func (h *handler) heartbeat(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set(speke.UserAgentHeaderV1, UserAgent)
	_, _ = io.WriteString(w, HeartbeatMessage)
}

func (h *handler) copyProtection(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	id, verValue, hasVer := setResponseHeaders(w, r)
	if ua := speke.UserAgentHeader(verValue, hasVer); ua != speke.UserAgentHeaderV2 {
		// SPEKE v1 names the header without X- (and knows only that one).
		w.Header().Del(speke.UserAgentHeaderV2)
		w.Header().Set(ua, UserAgent)
	}

	status, sum, err := h.serve(w, r, verValue, hasVer)
	var summary []any
	if sum.ContentID != "" {
		summary = []any{"content_id", sum.ContentID, "keys", sum.Keys, "kids", kidStrings(sum.KIDs), "drm_systems", sum.DRMSystems}
	}
	if sum.EncryptedKeys {
		summary = append(summary, "keys_encrypted", true)
	}
	if sum.CertificateOutsideValidity {
		summary = append(summary, "warning", "DeliveryData certificate expired or not yet valid; used anyway")
	}
	attrs := h.logAttrs(r, start, id, status, verValue, summary...)
	switch {
	case err == nil:
		h.audit(r.Context(), "copyProtection", attrs)
	case status >= 500:
		h.log.Error("copyProtection", append(attrs, "error", err.Error())...)
	default:
		h.log.Warn("copyProtection", append(attrs, "error", err.Error())...)
	}
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, ver string, hasVer bool) (int, speke.Summary, error) {
	body, err := requestBody(w, r)
	if err != nil {
		return fail(w, err), speke.Summary{}, err
	}
	resp, err := h.svc.Handle(r.Context(), speke.Request{
		Version: ver, HasVersion: hasVer, Body: body, BaseURL: h.baseURL(r),
	})
	if err != nil {
		return fail(w, err), speke.Summary{}, err
	}
	writeXML(w, resp.Body)
	return http.StatusOK, resp.Summary, nil
}

// errContentType marks a request body declared as something other than
// XML.
var errContentType = errors.New("httpapi: content type is not XML")

// requestBody checks the content type and reads a CPIX request body.
func requestBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !isXML(ct) {
		return nil, fmt.Errorf("%w: %s", errContentType, ct)
	}
	if r.ContentLength > cpix.MaxBodyBytes {
		// Refused before reading: waiting for a body we would refuse
		// anyway holds the connection until the read timeout.
		return nil, cpix.ErrTooLarge
	}
	body, err := readBody(w, r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, cpix.ErrTooLarge
		}
		return nil, errors.Join(cpix.ErrMalformed, err)
	}
	return body, nil
}

// fail answers err with its status and message and returns the status.
func fail(w http.ResponseWriter, err error) int {
	status, msg := Classify(err)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeError(w, status, msg)
	return status
}

func writeXML(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
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
//   - An unusable DeliveryData certificate: 422 with the reason.
//   - A key the store never issued (export): 404 naming the KIDs.
//   - A body declared as something other than XML: 415.
//   - Well-formed XML that is not CPIX: 422.
//   - Body too large: 413. Malformed XML: 400.
//   - Key store failures and deadlines: 503 (retryable).
//   - Anything else: 500, with no detail.
func Classify(err error) (int, string) {
	var re *speke.RequestError
	var se *cpix.SyntaxError
	var ce *cke.CertificateError
	var nf *keys.NotFoundError
	switch {
	case errors.As(err, &re):
		return http.StatusUnprocessableEntity, re.Message
	case errors.As(err, &ce):
		return http.StatusUnprocessableEntity, ce.Reason
	case errors.As(err, &nf):
		return http.StatusNotFound, notFoundMessage(nf.KIDs)
	case errors.Is(err, keys.ErrNotFound):
		return http.StatusNotFound, notFoundMessage(nil)
	case errors.Is(err, errContentType):
		return http.StatusUnsupportedMediaType, "Content-Type must be application/xml"
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
	msg = truncate(msg, MaxErrorBodyBytes)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg)
}

// truncate cuts s to at most n bytes on a rune boundary, ending a cut
// string with "...".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("...")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// boundedHandler cuts every string attribute (and error, which slog
// renders as its string) to MaxLogValueBytes before the record reaches the
// real handler.
type boundedHandler struct{ slog.Handler }

func (b boundedHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, truncate(r.Message, MaxLogValueBytes), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(boundAttr(a))
		return true
	})
	return b.Handler.Handle(ctx, out)
}

func (b boundedHandler) WithAttrs(as []slog.Attr) slog.Handler {
	bs := make([]slog.Attr, len(as))
	for i, a := range as {
		bs[i] = boundAttr(a)
	}
	return boundedHandler{b.Handler.WithAttrs(bs)}
}

func (b boundedHandler) WithGroup(name string) slog.Handler {
	return boundedHandler{b.Handler.WithGroup(name)}
}

func boundAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(truncate(v.String(), MaxLogValueBytes))
	case slog.KindGroup:
		g := v.Group()
		bs := make([]slog.Attr, len(g))
		for i, x := range g {
			bs[i] = boundAttr(x)
		}
		a.Value = slog.GroupValue(bs...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			a.Value = slog.StringValue(truncate(err.Error(), MaxLogValueBytes))
		}
	}
	return a
}
