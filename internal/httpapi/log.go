package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"
	"unicode/utf8"
)

// Log line bounds: request-derived strings that reach a log line are cut
// to these lengths, so a hostile request cannot make a long line.
const (
	maxLoggedPath   = 128 // an unmatched path (a matched one is logged as its route pattern)
	maxLoggedMethod = 16  // longer than any real method
)

// requestLog is the one log line of a request; routes add to it.
type requestLog struct {
	attrs []any
	err   error
}

type logKey struct{}

// annotate adds attributes (and the error, if any) to the request's log
// line. Without LogRequests around the handler it does nothing.
func annotate(ctx context.Context, err error, attrs ...any) {
	if l, ok := ctx.Value(logKey{}).(*requestLog); ok {
		l.attrs = append(l.attrs, attrs...)
		if err != nil {
			l.err = err
		}
	}
}

// LogRequests writes one log line per request that h answers, whatever
// answers it: a route, a ServeMux's 404 or 405, or a recovered panic. The
// line has the request id (also sent as X-Request-Id), method, route
// pattern (or the cut path when no route matched), status and latency,
// plus what the route added. Level: error for 5xx, warn for 4xx, debug for
// a successful /healthz, info otherwise.
//
// Wrap the outermost handler. A LogRequests inside another one only passes
// the request through, so nesting never logs a request twice.
func LogRequests(h http.Handler, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
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
		defer func() {
			if v := recover(); v != nil {
				// Only the type: a panic value or stack could carry key bytes.
				entry.attrs = append(entry.attrs, "panic_type", typeName(v))
				if rec.status == 0 {
					writeError(rec, http.StatusInternalServerError, "Internal error")
				}
			}
			logRequest(log, r, rec.status, time.Since(start), entry)
		}()
		h.ServeHTTP(rec, r)
	})
}

func logRequest(log *slog.Logger, r *http.Request, status int, d time.Duration, e *requestLog) {
	if status == 0 {
		status = http.StatusOK // nothing written: net/http sends an empty 200
	}
	attrs := []any{"request_id", requestID(r), "method", cut(r.Method, maxLoggedMethod)}
	if r.Pattern != "" {
		attrs = append(attrs, "route", r.Pattern)
	} else {
		attrs = append(attrs, "path", cut(r.URL.Path, maxLoggedPath))
	}
	attrs = append(attrs, "status", status, "latency_ms", float64(d.Microseconds())/1000)
	attrs = append(attrs, e.attrs...)
	if e.err != nil {
		attrs = append(attrs, "error", e.err.Error())
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

// cut shortens s to at most n bytes (on a rune boundary), marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
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
