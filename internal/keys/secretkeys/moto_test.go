package secretkeys_test

// Integration tests against moto_server over the real Secrets Manager wire
// protocol; they run in plain `go test`, and fail if moto is missing.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/keys/internal/mototest"
	"github.com/speke-go/keyprovider/internal/keys/keystest"
	"github.com/speke-go/keyprovider/internal/keys/secretkeys"
	"github.com/speke-go/keyprovider/internal/uuid"
)

func TestMain(m *testing.M) { mototest.Main(m) }

func smClient(t testing.TB, rt http.RoundTripper) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(mototest.Config(t, rt))
}

// createSecret stores value under a fresh name and returns the name.
func createSecret(t testing.TB, value string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "speke/seed-" + hex.EncodeToString(b[:])
	mototest.CreateSecret(t, smClient(t, nil), name, value)
	return name
}

func putSecret(t *testing.T, name, value string) {
	t.Helper()
	mototest.PutSecretValue(t, smClient(t, nil), name, value)
}

func TestMotoConformance(t *testing.T) {
	for _, tc := range []struct {
		alg        string
		seed       []byte
		perContent bool
	}{
		{secretkeys.AlgorithmHKDF, hkdfSeed, true},
		{secretkeys.AlgorithmPlayReady, mustB64(playReadyTestSeed), false},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			name := createSecret(t, secretJSON(tc.seed, tc.alg))
			keystest.Run(t, func(t *testing.T) keys.Source {
				s, err := secretkeys.New(t.Context(), smClient(t, nil), name, secretkeys.Options{Logger: quiet()})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}, keystest.Options{PerContent: tc.perContent, Stateless: true})
		})
	}
}

// TestMotoCalls: one GetSecretValue at startup, none per request while the
// seed is fresh, one per refresh interval.
func TestMotoCalls(t *testing.T) {
	name := createSecret(t, secretJSON(hkdfSeed, secretkeys.AlgorithmHKDF))
	counter := &mototest.Counter{}
	c := newClock()
	o := opts(c)
	o.Refresh = 5 * time.Minute
	s, err := secretkeys.New(t.Context(), smClient(t, counter), name, o)
	if err != nil {
		t.Fatal(err)
	}
	if got := counter.Take(); got["GetSecretValue"] != 1 || mototest.Total(got) != 1 {
		t.Fatalf("startup calls %v, want one GetSecretValue", got)
	}
	kids := make([]uuid.UUID, 8)
	for i := range kids {
		kids[i] = keystest.RandomKID()
	}
	for i := range 100 {
		if _, err := s.Keys(t.Context(), fmt.Sprint("c", i), kids[:1+i%8]); err != nil {
			t.Fatal(err)
		}
	}
	s.WaitRefresh()
	warm := counter.Take()
	t.Logf("100 warm requests of 1-8 keys: %d AWS calls", mototest.Total(warm))
	if mototest.Total(warm) != 0 {
		t.Fatalf("warm requests made AWS calls: %v", warm)
	}
	c.Add(5 * time.Minute)
	for range 10 {
		if _, err := s.Keys(t.Context(), "c", kids); err != nil {
			t.Fatal(err)
		}
	}
	s.WaitRefresh()
	if got := counter.Take(); got["GetSecretValue"] != 1 || mototest.Total(got) != 1 {
		t.Fatalf("calls after the interval %v, want one GetSecretValue", got)
	}
}

// TestMotoRefresh: a new secret version reaches the source after the
// interval; refresh failures (AWS down, a broken new version) keep the last
// good seed.
func TestMotoRefresh(t *testing.T) {
	seedB := []byte(strings.Repeat("B", 32))
	name := createSecret(t, secretJSON(hkdfSeed, secretkeys.AlgorithmHKDF))
	var down atomic.Bool
	faulty := &mototest.Faulty{Plan: func(int, string, int) mototest.Fault {
		if down.Load() {
			return mototest.ResetBeforeSend
		}
		return mototest.Pass
	}}
	c := newClock()
	o := opts(c)
	o.Refresh, o.RetryAfterFailure = 10*time.Minute, time.Minute
	s, err := secretkeys.New(t.Context(), smClient(t, faulty), name, o)
	if err != nil {
		t.Fatal(err)
	}
	kid := keystest.RandomKID()
	derive := func(seed []byte) keys.Key {
		l, _ := keys.NewLocalFromSeed(seed)
		ks, _ := l.Keys(t.Context(), "c", []uuid.UUID{kid})
		return ks[0]
	}
	// request advances the clock, asks for a key, lets any refresh finish
	// and then asks again: the second answer shows the refresh's outcome.
	request := func(advance time.Duration) keys.Key {
		c.Add(advance)
		if _, err := s.Keys(t.Context(), "c", []uuid.UUID{kid}); err != nil {
			t.Fatal(err)
		}
		s.WaitRefresh()
		ks, err := s.Keys(t.Context(), "c", []uuid.UUID{kid})
		if err != nil {
			t.Fatal(err)
		}
		return ks[0]
	}
	if !request(0).Equal(derive(hkdfSeed)) {
		t.Fatal("first seed not served")
	}
	putSecret(t, name, secretJSON(seedB, secretkeys.AlgorithmHKDF))
	if !request(time.Minute).Equal(derive(hkdfSeed)) {
		t.Fatal("new version picked up before the interval")
	}
	if !request(10 * time.Minute).Equal(derive(seedB)) {
		t.Fatal("new version not picked up after the interval")
	}
	down.Store(true)
	putSecret(t, name, secretJSON(hkdfSeed, secretkeys.AlgorithmHKDF))
	if !request(10 * time.Minute).Equal(derive(seedB)) {
		t.Fatal("failed refresh did not keep the last good seed")
	}
	down.Store(false)
	putSecret(t, name, `{"seed":"short","algorithm":"hkdf-sha256"}`)
	if !request(time.Minute).Equal(derive(seedB)) {
		t.Fatal("broken new version replaced the last good seed")
	}
	if err := s.Refresh(t.Context()); !errors.Is(err, secretkeys.ErrSecretFormat) {
		t.Fatalf("Refresh on a broken version: %v", err)
	}
}

func TestMotoStartupErrors(t *testing.T) {
	good := createSecret(t, secretJSON(hkdfSeed, secretkeys.AlgorithmHKDF))
	for _, tc := range []struct {
		name, secretID, wantErr string
	}{
		{"missing secret", "speke/does-not-exist", "ResourceNotFoundException"},
		{"bad JSON", createSecret(t, "not json"), "not valid JSON"},
		{"31-byte hkdf seed", createSecret(t, secretJSON(hkdfSeed[:31], secretkeys.AlgorithmHKDF)), "needs a 32-byte seed, got 31 bytes"},
		{"32-byte playready seed", createSecret(t, secretJSON(hkdfSeed, secretkeys.AlgorithmPlayReady)), "needs the 30-byte PlayReady key seed, got 32 bytes"},
		{"good", good, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := secretkeys.New(t.Context(), smClient(t, nil), tc.secretID, secretkeys.Options{Logger: quiet()})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
			}
		})
	}
}

// BenchmarkMotoWarm is the per-request cost with a warm cache: derivation
// only, no AWS call.
func BenchmarkMotoWarm(b *testing.B) {
	name := createSecret(b, secretJSON(hkdfSeed, secretkeys.AlgorithmHKDF))
	s, err := secretkeys.New(context.Background(), smClient(b, nil), name, secretkeys.Options{Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{2, 8} {
		kids := make([]uuid.UUID, n)
		for i := range kids {
			kids[i] = keystest.RandomKID()
		}
		b.Run(fmt.Sprintf("%dkeys", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Keys(context.Background(), "c", kids); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
