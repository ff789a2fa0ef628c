// Package secretkeys is the keys.Source that derives content keys from a
// seed held in AWS Secrets Manager (KEY_SOURCE=secretsmanager).
//
// # Secret contract
//
// The secret string is a JSON object with exactly two members:
//
//		{"seed": "<standard base64>", "algorithm": "hkdf-sha256"}
//
//	  - hkdf-sha256: a 32-byte seed; keys depend on content ID and KID and
//	    equal those of the local source (keys.HKDF) for the same seed.
//	  - playready-keyseed: the 30-byte PlayReady key seed; keys depend on the
//	    KID only (keys.PlayReadyKeySeed), so a PlayReady license server that
//	    holds the same seed computes the same keys.
//
// Changing the seed or the algorithm changes every key: content packaged
// before the change can no longer be decrypted with keys from this source.
//
// # Guarantees
//
//   - New fetches the secret once and fails with a descriptive error if it
//     is missing, unreadable or breaks the contract, so a misconfigured
//     deployment does not start.
//   - Keys makes no AWS call: it derives from the seed cached in memory.
//     When the cached copy is older than the refresh interval, the first
//     request to notice starts one background refresh and is answered from
//     the cached seed without waiting.
//   - A refresh that fails (network, permissions, a secret that no longer
//     parses) keeps the last good seed and is tried again after a back-off;
//     the failure is logged without the secret's contents.
//   - Keys are derived, so they are durable as long as the seed is kept.
//
// # Threat model
//
// The seed is the master of every key. It is held only in memory, never
// logged, and never put in an error message; only the secret's name lives
// in the environment.
package secretkeys

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/keys/internal/awserr"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// Algorithm names of the secret contract.
const (
	AlgorithmHKDF      = "hkdf-sha256"
	AlgorithmPlayReady = "playready-keyseed"
)

// DefaultRefresh is how long a fetched seed is used before it is fetched
// again. Seeds are meant never to change, so this only bounds how long a
// deliberate change takes to reach every instance.
const DefaultRefresh = 10 * time.Minute

// maxSecretBytes bounds the secret string we parse; a valid one is under
// 150 bytes, and Secrets Manager itself caps secrets at 64 KiB.
const maxSecretBytes = 4096

// API is the client method the source uses; *secretsmanager.Client
// implements it (IAM action secretsmanager:GetSecretValue).
type API interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Options tune a Source. The zero value gives the defaults.
type Options struct {
	// Refresh is the age after which the seed is fetched again.
	// Default DefaultRefresh.
	Refresh time.Duration
	// RetryAfterFailure is the wait before another refresh after a failed
	// one. Default min(Refresh, 30 s).
	RetryAfterFailure time.Duration
	// CallTimeout bounds one GetSecretValue call including SDK retries.
	// Default 3 s.
	CallTimeout time.Duration
	// Logger receives refresh failures and seed changes. Default
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Source is a keys.Source deriving keys from a seed in Secrets Manager.
// It is safe for concurrent use.
type Source struct {
	api      API
	secretID string
	opt      Options

	cur        atomic.Pointer[snapshot]
	next       atomic.Int64 // unix nanoseconds of the next refresh
	refreshing atomic.Bool
	wg         sync.WaitGroup // in-flight background refresh
}

// snapshot is one parsed version of the secret; it is never modified.
type snapshot struct {
	algorithm string
	seed      []byte
	versionID string
	// derive returns the keys for kids, in order.
	derive func(contentID string, kids []uuid.UUID) []keys.Key
}

var _ keys.Source = (*Source)(nil)

// New fetches the secret secretID and returns a Source over it, or an error
// that says what is wrong with the configuration or the secret.
func New(ctx context.Context, api API, secretID string, opt Options) (*Source, error) {
	if api == nil {
		return nil, errors.New("secretkeys: nil Secrets Manager client")
	}
	if secretID == "" {
		return nil, errors.New("secretkeys: empty secret ID")
	}
	if opt.Refresh <= 0 {
		opt.Refresh = DefaultRefresh
	}
	if opt.RetryAfterFailure <= 0 {
		opt.RetryAfterFailure = min(opt.Refresh, 30*time.Second)
	}
	if opt.CallTimeout <= 0 {
		opt.CallTimeout = 3 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	s := &Source{api: api, secretID: secretID, opt: opt}
	snap, err := s.fetch(ctx)
	if err != nil {
		return nil, err
	}
	s.cur.Store(snap)
	s.next.Store(opt.Now().Add(opt.Refresh).UnixNano())
	return s, nil
}

// Algorithm reports the derivation named by the current secret.
func (s *Source) Algorithm() string { return s.cur.Load().algorithm }

// Keys implements keys.Source. It does no I/O.
func (s *Source) Keys(ctx context.Context, contentID string, kids []uuid.UUID) ([]keys.Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", keys.ErrUnavailable, err)
	}
	// The seed first, then the refresh: the request that finds the seed
	// stale is answered from the seed it found, whatever the refresh does.
	snap := s.cur.Load()
	s.maybeRefresh()
	return snap.derive(contentID, kids), nil
}

// Lookup implements keys.Source: keys are derived, so every KID is found
// and nothing is written. Like Keys it does no I/O.
func (s *Source) Lookup(ctx context.Context, contentID string, kids []uuid.UUID) ([]keys.Key, error) {
	return s.Keys(ctx, contentID, kids)
}

// maybeRefresh starts a background refresh if the seed is due and none is
// running. Requests never wait for it.
func (s *Source) maybeRefresh() {
	if s.opt.Now().UnixNano() < s.next.Load() || !s.refreshing.CompareAndSwap(false, true) {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.refreshing.Store(false)
		// Detached from any request: the request that noticed the stale
		// seed may finish long before the refresh does.
		_ = s.Refresh(context.Background())
	}()
}

// Refresh fetches the secret now and, if it is valid, makes it current.
// On error the previous seed stays current and the next attempt is
// scheduled after RetryAfterFailure.
func (s *Source) Refresh(ctx context.Context) error {
	snap, err := s.fetch(ctx)
	if err != nil {
		s.next.Store(s.opt.Now().Add(s.opt.RetryAfterFailure).UnixNano())
		s.opt.Logger.Warn("secretkeys: refresh failed; keeping the last good seed",
			"secretId", s.secretID, "error", err.Error())
		return err
	}
	old := s.cur.Swap(snap)
	s.next.Store(s.opt.Now().Add(s.opt.Refresh).UnixNano())
	if old != nil && (old.algorithm != snap.algorithm || subtle.ConstantTimeCompare(old.seed, snap.seed) != 1) {
		s.opt.Logger.Warn("secretkeys: seed or algorithm changed; every key derived from now on differs from before",
			"secretId", s.secretID, "versionId", snap.versionID, "algorithm", snap.algorithm)
	}
	return nil
}

func (s *Source) fetch(ctx context.Context) (*snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opt.CallTimeout)
	defer cancel()
	out, err := s.api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.secretID)})
	if err != nil {
		return nil, awserr.WrapWithMessage("secretkeys", "GetSecretValue", fmt.Sprintf("%q", s.secretID), err)
	}
	if out.SecretString == nil {
		return nil, fmt.Errorf("secretkeys: secret %q has no secret string (binary secrets are not supported)", s.secretID)
	}
	snap, err := parse([]byte(*out.SecretString))
	if err != nil {
		return nil, fmt.Errorf("secretkeys: secret %q: %w", s.secretID, err)
	}
	snap.versionID = aws.ToString(out.VersionId)
	return snap, nil
}

// ErrSecretFormat marks a secret string that breaks the contract.
var ErrSecretFormat = errors.New("secret does not match {\"seed\": \"<base64>\", \"algorithm\": \"hkdf-sha256\"|\"playready-keyseed\"}")

// parse checks a secret string against the contract. Its errors describe
// the problem (member, length, algorithm) but never quote the seed.
func parse(secret []byte) (*snapshot, error) {
	if len(secret) > maxSecretBytes {
		return nil, fmt.Errorf("%w: %d bytes is too long", ErrSecretFormat, len(secret))
	}
	var doc struct {
		Seed      *string `json:"seed"`
		Algorithm *string `json:"algorithm"`
	}
	dec := json.NewDecoder(bytes.NewReader(secret))
	// Unknown members are refused: a misspelt "algorithm" must not quietly
	// fall back to something else.
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrSecretFormat, jsonProblem(err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the JSON object", ErrSecretFormat)
	}
	if doc.Seed == nil || doc.Algorithm == nil {
		return nil, fmt.Errorf("%w: both \"seed\" and \"algorithm\" are required", ErrSecretFormat)
	}
	seed, err := base64.StdEncoding.Strict().DecodeString(*doc.Seed)
	if err != nil {
		return nil, fmt.Errorf("%w: seed is not standard base64", ErrSecretFormat)
	}
	snap := &snapshot{algorithm: *doc.Algorithm, seed: seed}
	switch *doc.Algorithm {
	case AlgorithmHKDF:
		h, err := keys.NewHKDF(seed)
		if err != nil {
			return nil, fmt.Errorf("%w: %s needs a %d-byte seed, got %d bytes", ErrSecretFormat, AlgorithmHKDF, keys.SeedSize, len(seed))
		}
		snap.derive = h.DeriveAll
	case AlgorithmPlayReady:
		// PlayReady uses the first 30 bytes of a longer seed; we refuse one
		// rather than guess that the operator meant that.
		if len(seed) != keys.PlayReadyKeySeedSize {
			return nil, fmt.Errorf("%w: %s needs the %d-byte PlayReady key seed, got %d bytes", ErrSecretFormat,
				AlgorithmPlayReady, keys.PlayReadyKeySeedSize, len(seed))
		}
		p, err := keys.NewPlayReadyKeySeed(seed)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSecretFormat, err)
		}
		snap.derive = func(_ string, kids []uuid.UUID) []keys.Key {
			out := make([]keys.Key, len(kids))
			for i, kid := range kids {
				out[i] = p.Derive(kid)
			}
			return out
		}
	default:
		return nil, fmt.Errorf("%w: unknown algorithm %q", ErrSecretFormat, *doc.Algorithm)
	}
	return snap, nil
}

// jsonProblem names what is wrong with the JSON without quoting input: a
// syntax error's message can include a character of the seed.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("not valid JSON (at byte %d)", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("member %q must be a string", typ.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// The member name is operator-written text, not the seed value.
		return "unexpected member " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "empty or truncated JSON"
	default:
		return "not a JSON object"
	}
}
