package app_test

import (
	"context"
	"log/slog"
	"net/http"
	"testing"

	"github.com/speke-go/keyprovider/internal/app"
	"github.com/speke-go/keyprovider/internal/config"
	"github.com/speke-go/keyprovider/internal/httpapi/exporttest"
)

// TestLocalExport: the handler `make run` serves (local key store) answers
// SPEKE and the key export on one address, and the exported keys, opened
// outside with the certificate's private key, are the keys SPEKE issued,
// also after a restart on the same DATA_DIR.
func TestLocalExport(t *testing.T) {
	env := map[string]string{"DATA_DIR": t.TempDir()}
	start := func() http.Handler {
		cfg, err := config.Load(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		h, err := app.New(context.Background(), cfg, func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	h := start()
	exporttest.RoundTrip(t, h, "local-export")
	issued := exporttest.Issue(t, h, "local-export")
	got := exporttest.Export(t, start(), "local-export", exporttest.KIDs)
	for _, kid := range exporttest.KIDs {
		if got[kid] != issued[kid] {
			t.Errorf("KID %s: a restarted server exports another key", kid)
		}
	}
}
