package httpapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/httpapi"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/speke"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// testSeed is the fixed seed behind the golden files.
var testSeed = bytes.Repeat([]byte{0x5e}, keys.SeedSize)

const testBaseURL = "https://keys.example.com"

func newService(t testing.TB) *speke.Service {
	t.Helper()
	src, err := keys.NewLocalFromSeed(testSeed)
	if err != nil {
		t.Fatal(err)
	}
	return speke.New(src, drm.NewDefaultRegistry(drm.Config{}))
}

func newHandler(t testing.TB) http.Handler {
	return httpapi.New(newService(t), httpapi.Options{PublicBaseURL: testBaseURL})
}

// newCountingHandler is newHandler with a key source that counts its
// calls, to show a refused request never reached it.
func newCountingHandler(t testing.TB) (http.Handler, *atomic.Int64) {
	t.Helper()
	local, err := keys.NewLocalFromSeed(testSeed)
	if err != nil {
		t.Fatal(err)
	}
	calls := new(atomic.Int64)
	src := fakeSource(func(ctx context.Context, cid string, kids []uuid.UUID) ([]keys.Key, error) {
		calls.Add(1)
		return local.Keys(ctx, cid, kids)
	})
	return httpapi.New(speke.New(src, drm.NewDefaultRegistry(drm.Config{})), httpapi.Options{PublicBaseURL: testBaseURL}), calls
}

func newLoggingHandler(t testing.TB, buf *bytes.Buffer) http.Handler {
	log := slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return httpapi.New(newService(t), httpapi.Options{PublicBaseURL: testBaseURL, Logger: log})
}

// post sends a SPEKE request; version "" omits the header, "-" sends it empty.
func post(t testing.TB, h http.Handler, version, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/copyProtection", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/xml")
	switch version {
	case "":
	case "-":
		r.Header["X-Speke-Version"] = []string{""}
	default:
		r.Header.Set("X-Speke-Version", version)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
