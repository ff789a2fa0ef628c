package secretkeys_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/keys/keystest"
	"github.com/speke-go/keyprovider/internal/keys/secretkeys"
	"github.com/speke-go/keyprovider/internal/uuid"
)

const playReadyTestSeed = "XVBovsmzhP9gRIZxWfFta3VVRPzVEWmJsazEJ46I"

var hkdfSeed = bytes.Repeat([]byte{0x42}, 32)

func secretJSON(seed []byte, alg string) string {
	return fmt.Sprintf(`{"seed":%q,"algorithm":%q}`, base64.StdEncoding.EncodeToString(seed), alg)
}

// fakeSM serves a secret string that tests can change, and counts calls.
type fakeSM struct {
	mu     sync.Mutex
	secret *string
	err    error
	calls  atomic.Int32
	// gate, if set, blocks GetSecretValue until it is closed or the call's
	// context ends; ctxEnded records the latter.
	gate     chan struct{}
	ctxEnded atomic.Bool
}

func (f *fakeSM) set(secret string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secret, f.err = &secret, err
}

func (f *fakeSM) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.calls.Add(1)
	f.mu.Lock()
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			f.ctxEnded.Store(true)
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: f.secret, VersionId: aws.String("v")}, nil
}

// clock is a settable time source.
type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) Add(d time.Duration) { c.ns.Add(int64(d)) }
func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func quiet() *slog.Logger              { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
func opts(c *clock) secretkeys.Options { return secretkeys.Options{Now: c.Now, Logger: quiet()} }

func TestFakeConformance(t *testing.T) {
	for _, tc := range []struct {
		alg        string
		seed       []byte
		perContent bool
	}{
		{secretkeys.AlgorithmHKDF, hkdfSeed, true},
		{secretkeys.AlgorithmPlayReady, mustB64(playReadyTestSeed), false},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			f := &fakeSM{}
			f.set(secretJSON(tc.seed, tc.alg), nil)
			keystest.Run(t, func(t *testing.T) keys.Source {
				s, err := secretkeys.New(t.Context(), f, "seed", secretkeys.Options{Logger: quiet()})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}, keystest.Options{PerContent: tc.perContent, Stateless: true})
		})
	}
}

func mustB64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// TestSameKeysAsLocal pins that a seed gives the same keys here as in the
// local source (hkdf-sha256) and as on a PlayReady license server.
func TestSameKeysAsLocal(t *testing.T) {
	kid := uuid.MustParse("10000000-1000-1000-1000-100000000001")
	local, _ := keys.NewLocalFromSeed(hkdfSeed)
	want, _ := local.Keys(t.Context(), "content-1", []uuid.UUID{kid})

	f := &fakeSM{}
	f.set(secretJSON(hkdfSeed, secretkeys.AlgorithmHKDF), nil)
	s, err := secretkeys.New(t.Context(), f, "seed", secretkeys.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.Keys(t.Context(), "content-1", []uuid.UUID{kid})
	if !got[0].Equal(want[0]) {
		t.Error("hkdf-sha256 secret and local source disagree for one seed")
	}

	f.set(secretJSON(mustB64(playReadyTestSeed), secretkeys.AlgorithmPlayReady), nil)
	s, err = secretkeys.New(t.Context(), f, "seed", secretkeys.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = s.Keys(t.Context(), "any content", []uuid.UUID{kid})
	if b := got[0].Reveal(); hex.EncodeToString(b[:]) != "3a2a1b68dd2bd9b2eeb25e84c4776668" {
		t.Error("playready-keyseed secret does not give the PlayReady test key")
	}
	if s.Algorithm() != secretkeys.AlgorithmPlayReady {
		t.Errorf("Algorithm() = %q", s.Algorithm())
	}
}

// TestStartupErrors: every broken secret stops startup with a message that
// says what is wrong and never quotes the seed.
func TestStartupErrors(t *testing.T) {
	seed32 := base64.StdEncoding.EncodeToString(hkdfSeed)
	seed30 := playReadyTestSeed
	for _, tc := range []struct {
		name    string
		secret  string
		err     error
		wantErr string
	}{
		{"not JSON", "seed=" + seed32, nil, "not valid JSON"},
		{"empty", "", nil, "empty or truncated"},
		{"truncated", `{"seed":"` + seed32, nil, "truncated"},
		{"array", `["` + seed32 + `"]`, nil, "must be a string"},
		{"unknown member", `{"seed":"` + seed32 + `","algorithm":"hkdf-sha256","algoritm":"x"}`, nil, `unexpected member "algoritm"`},
		{"no algorithm", `{"seed":"` + seed32 + `"}`, nil, `both "seed" and "algorithm" are required`},
		{"no seed", `{"algorithm":"hkdf-sha256"}`, nil, `both "seed" and "algorithm" are required`},
		{"seed not a string", `{"seed":42,"algorithm":"hkdf-sha256"}`, nil, `"seed" must be a string`},
		{"seed not base64", `{"seed":"` + seed32[:40] + `!!!!","algorithm":"hkdf-sha256"}`, nil, "not standard base64"},
		{"url-safe base64", `{"seed":"` + strings.ReplaceAll(seed32, "/", "_") + `_","algorithm":"hkdf-sha256"}`, nil, "not standard base64"},
		{"hkdf 30-byte seed", `{"seed":"` + seed30 + `","algorithm":"hkdf-sha256"}`, nil, "hkdf-sha256 needs a 32-byte seed, got 30 bytes"},
		{"playready 32-byte seed", `{"seed":"` + seed32 + `","algorithm":"playready-keyseed"}`, nil, "playready-keyseed needs the 30-byte PlayReady key seed, got 32 bytes"},
		{"unknown algorithm", `{"seed":"` + seed32 + `","algorithm":"HKDF-SHA256"}`, nil, `unknown algorithm "HKDF-SHA256"`},
		{"trailing data", `{"seed":"` + seed32 + `","algorithm":"hkdf-sha256"}{}`, nil, "trailing data"},
		{"too long", `{"seed":"` + strings.Repeat("A", 5000) + `","algorithm":"hkdf-sha256"}`, nil, "too long"},
		// The service's message names the missing permission; it is kept
		// because a GetSecretValue request carries no secret.
		{"access denied", "", &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: secretsmanager:GetSecretValue"},
			"AccessDeniedException: not authorized to perform: secretsmanager:GetSecretValue"},
		{"not found", "", &types.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")}, "ResourceNotFoundException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSM{}
			f.set(tc.secret, tc.err)
			s, err := secretkeys.New(t.Context(), f, "my-seed", secretkeys.Options{Logger: quiet()})
			if err == nil || s != nil {
				t.Fatal("broken secret accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.wantErr) || !strings.Contains(msg, `"my-seed"`) {
				t.Errorf("error %q does not mention %q and the secret ID", msg, tc.wantErr)
			}
			for _, seed := range []string{seed32[:8], seed30[:8]} {
				if strings.Contains(msg, seed) {
					t.Errorf("error %q quotes the seed", msg)
				}
			}
			if tc.err == nil && !errors.Is(err, secretkeys.ErrSecretFormat) {
				t.Errorf("error %v does not wrap ErrSecretFormat", err)
			}
			if tc.err != nil && !errors.Is(err, keys.ErrUnavailable) {
				t.Errorf("AWS error %v does not wrap ErrUnavailable", err)
			}
		})
	}
	t.Run("binary secret", func(t *testing.T) {
		f := &fakeSM{}
		f.err = nil // secret stays nil: a SecretBinary-only secret
		if _, err := secretkeys.New(t.Context(), f, "bin", secretkeys.Options{}); err == nil || !strings.Contains(err.Error(), "no secret string") {
			t.Fatalf("err = %v", err)
		}
	})
}

func keyOf(t *testing.T, s keys.Source, kid uuid.UUID) keys.Key {
	t.Helper()
	ks, err := s.Keys(t.Context(), "c", []uuid.UUID{kid})
	if err != nil {
		t.Fatal(err)
	}
	return ks[0]
}

// TestRefresh walks a source through warm requests, a refresh that does
// not hold requests up, a changed seed, and failed refreshes.
func TestRefresh(t *testing.T) {
	seedA, seedB := hkdfSeed, bytes.Repeat([]byte{0x17}, 32)
	local := func(seed []byte) keys.Key {
		l, _ := keys.NewLocalFromSeed(seed)
		k, _ := l.Keys(t.Context(), "c", []uuid.UUID{kid1})
		return k[0]
	}
	c := newClock()
	f := &fakeSM{}
	f.set(secretJSON(seedA, secretkeys.AlgorithmHKDF), nil)
	o := opts(c)
	o.Refresh, o.RetryAfterFailure = 10*time.Minute, time.Minute
	s, err := secretkeys.New(t.Context(), f, "seed", o)
	if err != nil {
		t.Fatal(err)
	}
	step := func(name string, advance time.Duration, wantCalls int32, want keys.Key) {
		t.Helper()
		c.Add(advance)
		got := keyOf(t, s, kid1)
		s.WaitRefresh()
		if n := f.calls.Load(); n != wantCalls {
			t.Errorf("%s: %d GetSecretValue calls in all, want %d", name, n, wantCalls)
		}
		if !got.Equal(want) {
			t.Errorf("%s: key from the wrong seed", name)
		}
	}
	step("warm", 0, 1, local(seedA))
	step("warm, just before the interval", 10*time.Minute-1, 1, local(seedA))

	// The secret changes; the request that finds the seed stale is still
	// answered from the cached seed, and the refresh runs behind it.
	f.set(secretJSON(seedB, secretkeys.AlgorithmHKDF), nil)
	f.mu.Lock()
	f.gate = make(chan struct{})
	f.mu.Unlock()
	c.Add(1)
	got := keyOf(t, s, kid1)
	if !got.Equal(local(seedA)) {
		t.Error("request during a refresh not served from the cached seed")
	}
	for range 20 {
		keyOf(t, s, kid1) // no second refresh while one is running
	}
	close(f.gate)
	s.WaitRefresh()
	if f.ctxEnded.Load() {
		t.Fatal("request waited for the refresh")
	}
	f.mu.Lock()
	f.gate = nil
	f.mu.Unlock()
	step("after refresh", 0, 2, local(seedB))

	// Failing refreshes keep the last good seed and back off.
	f.set("", errors.New("connection reset"))
	step("refresh error", 10*time.Minute, 3, local(seedB))
	step("within back-off", time.Minute-1, 3, local(seedB))
	f.set(`{"seed":"AAAA","algorithm":"hkdf-sha256"}`, nil)
	step("refresh finds a broken secret", 1, 4, local(seedB))
	f.set(secretJSON(seedA, secretkeys.AlgorithmHKDF), nil)
	// The request that starts a refresh is answered from the seed it had.
	step("recovering", time.Minute, 5, local(seedB))
	step("recovered", time.Minute, 5, local(seedA))
}

var kid1 = uuid.MustParse("10000000-1000-1000-1000-100000000001")

func TestRefreshMethod(t *testing.T) {
	f := &fakeSM{}
	f.set(secretJSON(hkdfSeed, secretkeys.AlgorithmHKDF), nil)
	s, err := secretkeys.New(t.Context(), f, "seed", secretkeys.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	f.set("{}", nil)
	if err := s.Refresh(t.Context()); err == nil {
		t.Fatal("Refresh accepted a broken secret")
	}
	if s.Algorithm() != secretkeys.AlgorithmHKDF {
		t.Fatal("broken secret replaced the good one")
	}
}
