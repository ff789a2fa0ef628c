package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/httpapi"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/speke"
	"github.com/speke-go/keyprovider/internal/uuid"
)

type fakeSource func(ctx context.Context, cid string, kids []uuid.UUID) ([]keys.Key, error)

func (f fakeSource) Keys(ctx context.Context, cid string, kids []uuid.UUID) ([]keys.Key, error) {
	return f(ctx, cid, kids)
}

func (f fakeSource) Lookup(ctx context.Context, cid string, kids []uuid.UUID) ([]keys.Key, error) {
	return f(ctx, cid, kids)
}

// TestSourceFailures: a key store failure is a retryable 503 with a short
// fixed body; nothing partial, no internals.
func TestSourceFailures(t *testing.T) {
	tests := []struct {
		name   string
		src    fakeSource
		status int
		body   string
	}{
		{"unavailable", func(context.Context, string, []uuid.UUID) ([]keys.Key, error) {
			return nil, fmt.Errorf("dynamodb: throttled: %w", keys.ErrUnavailable)
		}, 503, "Key store unavailable, retry later"},
		{"deadline", func(ctx context.Context, _ string, _ []uuid.UUID) ([]keys.Key, error) {
			return nil, context.DeadlineExceeded
		}, 503, "Key store unavailable, retry later"},
		{"canceled", func(ctx context.Context, _ string, _ []uuid.UUID) ([]keys.Key, error) {
			return nil, fmt.Errorf("secretsmanager: %w", context.Canceled)
		}, 503, "Key store unavailable, retry later"},
		{"short batch", func(context.Context, string, []uuid.UUID) ([]keys.Key, error) {
			return make([]keys.Key, 1), nil
		}, 503, "Key store unavailable, retry later"},
		{"unclassified", func(context.Context, string, []uuid.UUID) ([]keys.Key, error) {
			return nil, errors.New("secret detail /var/task/x")
		}, 500, "Internal error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := httpapi.New(speke.New(tc.src, drm.NewDefaultRegistry(drm.Config{})), httpapi.Options{PublicBaseURL: testBaseURL})
			res := post(t, h, "2.0", base)
			if res.Code != tc.status || res.Body.String() != tc.body {
				t.Fatalf("got %d %q", res.Code, res.Body.String())
			}
			if tc.status == http.StatusServiceUnavailable && res.Header().Get("Retry-After") == "" {
				t.Error("no Retry-After on 503")
			}
		})
	}
}

// TestPanicIsContained: a panicking key source gives a 500, not a crash.
func TestPanicIsContained(t *testing.T) {
	src := fakeSource(func(context.Context, string, []uuid.UUID) ([]keys.Key, error) { panic("boom") })
	h := httpapi.New(speke.New(src, drm.NewDefaultRegistry(drm.Config{})), httpapi.Options{PublicBaseURL: testBaseURL})
	if res := post(t, h, "2.0", base); res.Code != 500 || res.Body.String() != "Internal error" {
		t.Fatalf("got %d %q", res.Code, res.Body.String())
	}
}
