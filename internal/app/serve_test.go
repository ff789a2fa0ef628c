package app_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/speke-go/keyprovider/internal/app"
	"github.com/speke-go/keyprovider/internal/config"
	"github.com/speke-go/keyprovider/internal/cpix"
)

// serve starts the production handler and server on a loopback port.
func serve(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Load(func(k string) string { return map[string]string{"DATA_DIR": dir}[k] })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	h, err := app.New(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := app.NewServer(h, log)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// exchange writes raw request bytes and reads one response. The client
// never sends more than it writes here, so a server that waits for the
// declared body answers only when its read timeout fires, and then not
// with a 413. The deadline is a safety net beyond that timeout.
func exchange(t *testing.T, addr, raw string) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(40 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// TestDeclaredLengthOverLimit: a Content-Length over the body limit is
// refused from the headers alone, through the real server and its
// timeouts; with "Expect: 100-continue" the client is not even asked for
// the body.
func TestDeclaredLengthOverLimit(t *testing.T) {
	addr := serve(t)
	head := func(extra string, n int) string {
		return "POST /copyProtection HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/xml\r\nX-Speke-Version: 2.0\r\n" +
			extra + fmt.Sprintf("Content-Length: %d\r\n\r\n", n)
	}
	for _, tc := range []struct{ name, raw string }{
		{"part of a 10 MB body", head("", 10<<20) + "<cpix:CPIX " + strings.Repeat(" ", 1000)},
		{"one byte over, nothing sent", head("", cpix.MaxBodyBytes+1)},
		{"expect 100-continue", head("Expect: 100-continue\r\n", 10<<20)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := exchange(t, addr, tc.raw)
			if res.StatusCode != http.StatusRequestEntityTooLarge || body != "Request body too large" {
				t.Fatalf("got %d %q", res.StatusCode, body)
			}
			if res.Header.Get("X-Speke-Version") != "2.0" || res.Header.Get("X-Speke-User-Agent") == "" {
				t.Errorf("headers %v", res.Header)
			}
		})
	}
	// At the limit the body is read (and, being spaces, is malformed XML).
	res, body := exchange(t, addr, head("", cpix.MaxBodyBytes)+strings.Repeat(" ", cpix.MaxBodyBytes))
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("at the limit: %d %q", res.StatusCode, body)
	}
	// Without a declared length the limit still holds.
	chunk := strings.Repeat(" ", 64<<10)
	raw := "POST /copyProtection HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/xml\r\nX-Speke-Version: 2.0\r\nTransfer-Encoding: chunked\r\n\r\n"
	for range 5 {
		raw += fmt.Sprintf("%x\r\n%s\r\n", len(chunk), chunk)
	}
	if res, body := exchange(t, addr, raw); res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked over the limit: %d %q", res.StatusCode, body)
	}
}

// TestStartupErrorNamesVariable: a data directory that cannot be created
// is reported by the variable that names it.
func TestStartupErrorNamesVariable(t *testing.T) {
	file := t.TempDir() + "/file"
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(k string) string { return map[string]string{"DATA_DIR": file + "/sub"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "DATA_DIR="+file+"/sub") {
		t.Fatalf("err = %v", err)
	}
}
