package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"
)

// NewServer returns the local HTTP server for h, with the timeouts that
// keep a slow client from holding a connection.
func NewServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// ListenAndServe serves h on addr until SIGINT (Ctrl-C) or SIGTERM, then
// drains in-flight requests for up to drainTimeout; a second signal stops
// at once. The "listening" line carries addr, the URL and attrs (Startup).
func ListenAndServe(addr string, h http.Handler, log *slog.Logger, attrs ...any) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%w (another `make run` still running? choose another port with ADDR=127.0.0.1:8081)", err)
		}
		return err
	}
	srv := NewServer(h, log)
	log.Info("listening", append([]any{"addr", ln.Addr().String(), "url", "http://" + ln.Addr().String()}, attrs...)...)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	stop() // from here on a second Ctrl-C kills the process
	log.Info("shutting down", "drain_timeout", drainTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped", "addr", ln.Addr().String())
	return nil
}

// drainTimeout bounds how long a stopping server waits for requests in
// flight; SPEKE requests take milliseconds.
const drainTimeout = 10 * time.Second
