package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/speke-go/keyprovider/internal/caller"
)

// Log line bounds for what LogRequests quotes from the request.
const (
	maxLoggedPath   = 128 // an unmatched path (a matched one is logged as its route pattern)
	maxLoggedMethod = 16  // longer than any real method
)

// requestLog tracks whether a route wrote the request's log line.
type requestLog struct{ logged bool }

type logKey struct{}

// MarkLogged records that a route wrote the request's log line, so
// LogRequests does not add its own. logAttrs calls it for every
// copyProtection, export and refusal line; handlers of other packages
// that log each request (playback) call it too.
func MarkLogged(ctx context.Context) {
	if l, ok := ctx.Value(logKey{}).(*requestLog); ok {
		l.logged = true
	}
}

// LogRequests makes sure every request h answers is logged with its
// status. The routes of this package write their own line (with content
// ID, keys, audit fields); for every other answer, such as a ServeMux's
// 404 or 405, the health check or a recovered panic, it writes one
// "request" line: request id (also sent as X-Request-Id), method, route
// pattern or the cut path when no route matched, status, latency and the
// caller under Lambda. Level: error for 5xx, warn for 4xx, debug for a
// successful /healthz, info otherwise.
//
// Wrap the outermost handler. A LogRequests inside another one only passes
// the request through, so nesting never logs a request twice.
func LogRequests(h http.Handler, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = slog.New(boundedHandler{log.Handler()})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Context().Value(logKey{}).(*requestLog); ok {
			h.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		id := requestID(r)
		entry := &requestLog{}
		r = r.WithContext(context.WithValue(WithRequestID(r.Context(), id), logKey{}, entry))
		w.Header().Set("X-Request-Id", id)
		rec := &statusRecorder{ResponseWriter: w}
		var panicType string
		defer func() {
			if v := recover(); v != nil {
				// Only the type: a panic value or stack could carry key bytes.
				panicType = typeName(v)
				if rec.status == 0 {
					writeError(rec, http.StatusInternalServerError, "Internal error")
				}
			}
			if !entry.logged || panicType != "" {
				logRequest(log, r, rec.status, time.Since(start), panicType)
			}
		}()
		h.ServeHTTP(rec, r)
	})
}

func logRequest(log *slog.Logger, r *http.Request, status int, d time.Duration, panicType string) {
	if status == 0 {
		status = http.StatusOK // nothing written: net/http sends an empty 200
	}
	attrs := []any{"request_id", requestID(r), "method", truncate(r.Method, maxLoggedMethod)}
	if r.Pattern != "" {
		attrs = append(attrs, "route", r.Pattern)
	} else {
		attrs = append(attrs, "path", truncate(r.URL.Path, maxLoggedPath))
	}
	attrs = append(attrs, "status", status, "latency_ms", float64(d.Microseconds())/1000)
	if c, ok := caller.FromContext(r.Context()); ok {
		attrs = append(attrs, "caller_arn", c.UserARN, "caller_account", c.AccountID,
			"caller", c.Caller, "apigw_request_id", c.RequestID)
	}
	if panicType != "" {
		attrs = append(attrs, "panic_type", panicType)
	}
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
	case status >= 400:
		level = slog.LevelWarn
	case r.URL.Path == PathHealth:
		level = slog.LevelDebug
	}
	log.Log(r.Context(), level, "request", attrs...)
}

// statusRecorder remembers the status written through it.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
