package app

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/httpapi"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/speke"
)

// benchClients is the number of concurrent keep-alive clients: a busy
// packager fleet's worth against one local server.
const benchClients = 8

// BenchmarkServer measures the local server (the one `make run` starts)
// under benchClients concurrent keep-alive HTTP/1.1 clients on loopback, in
// requests per second. Clients and server share the machine's cores, so
// req/s is a lower bound of what the server alone can do.
func BenchmarkServer(b *testing.B) {
	for _, name := range []string{"2key-1drm", "8key-3drm"} {
		b.Run(name, func(b *testing.B) {
			body, err := os.ReadFile("../../testdata/bench/" + name + ".request.xml")
			if err != nil {
				b.Fatal(err)
			}
			src, err := keys.OpenLocal(b.TempDir()) // with its ledger, as make run
			if err != nil {
				b.Fatal(err)
			}
			defer src.Close()
			reg, err := drm.NewRegistryFromConfig(drm.Config{})
			if err != nil {
				b.Fatal(err)
			}
			log := slog.New(slog.DiscardHandler)
			srv := NewServer(httpapi.New(speke.New(src, reg), httpapi.Options{Logger: log}), log)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			go func() { _ = srv.Serve(ln) }()
			defer srv.Close()
			url := "http://" + ln.Addr().String() + httpapi.PathCopyProtection
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients, DisableCompression: true}}
			defer client.CloseIdleConnections()

			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			b.ResetTimer()
			var next atomic.Int64
			var failed atomic.Value
			var wg sync.WaitGroup
			for range benchClients {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						if err := post(client, url, body); err != nil {
							failed.Store(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			if err, ok := failed.Load().(error); ok {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

func post(c *http.Client, url string, body []byte) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/xml")
	req.Header.Set("X-Speke-Version", "2.0")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// Read to EOF so the connection is reused (keep-alive).
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}
