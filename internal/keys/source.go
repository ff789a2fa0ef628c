package keys

import (
	"context"
	"errors"
	"strings"

	"github.com/speke-go/keyprovider/internal/uuid"
)

// Source hands out content keys. It is the one extension point between the
// protocol core and wherever keys live (a local seed file, DynamoDB, a seed
// in Secrets Manager).
//
// # Contract
//
//   - Keys(ctx, contentID, kids) returns exactly len(kids) keys, keys[i]
//     belonging to kids[i], or an error and no keys at all. Partial results
//     are never returned.
//   - Stability: for the same contentID and KID a Source returns the same key
//     for as long as the key material behind it (seed, table item) exists,
//     across calls, processes and restarts. Two callers racing to create the
//     key for a new KID both receive the single key that won.
//   - Durability: a key is returned only once it is durably stored or can be
//     derived again from durable material. A key that was not stored is
//     never handed out.
//   - The same KID may appear more than once in kids; each occurrence gets
//     the same key. KIDs are compared as values (uuid.UUID is canonical).
//   - Concurrency: a Source is safe for concurrent use by many goroutines.
//   - Context: implementations honour ctx cancellation and deadlines for
//     any I/O, and return an error wrapping ErrUnavailable (and ctx.Err())
//     when the context ends first.
//   - Errors: any failure of the backing store (network, throttling,
//     timeout, permissions, corrupt item) wraps ErrUnavailable: the caller
//     answers with a retryable 5xx. Error strings never contain key bytes.
//   - contentID is non-empty and has been validated by the caller; Sources
//     treat it as an opaque string.
//
// Lookup is the read-only half, for code that serves keys to players and
// must never mint one:
//
//   - Lookup(ctx, contentID, kids) never creates, writes or changes a key.
//     It returns keys[i] for kids[i] (duplicates allowed, as for Keys), or
//     an error and no keys.
//   - A source that derives keys and keeps no record of what it issued
//     (the Secrets Manager seed, HKDF or PlayReady key seed) always finds
//     them: Lookup returns exactly what Keys returns.
//   - A source that records what it issued, by storing the keys
//     (DynamoDB) or the (content ID, KID) pairs (the local source's
//     ledger), returns, when some KIDs were never issued for contentID, an
//     error that wraps ErrNotFound and is a *NotFoundError naming each
//     missing KID once, in request order.
//   - A key returned by Keys is returned by every later Lookup, from any
//     instance sharing the store; store failures wrap ErrUnavailable as in
//     Keys.
type Source interface {
	Keys(ctx context.Context, contentID string, kids []uuid.UUID) ([]Key, error)
	Lookup(ctx context.Context, contentID string, kids []uuid.UUID) ([]Key, error)
}

// ErrUnavailable marks a failure of the key store that a retry may cure.
var ErrUnavailable = errors.New("keys: key store unavailable")

// ErrNotFound marks a lookup of a key the store never issued. It is not
// retryable: the caller answers 404.
var ErrNotFound = errors.New("keys: no such key")

// NotFoundError names the KIDs a Lookup did not find. It wraps ErrNotFound.
// KIDs are not secret, so they may appear in messages.
type NotFoundError struct {
	KIDs []uuid.UUID
}

func (e *NotFoundError) Error() string {
	var b strings.Builder
	b.WriteString("keys: no key issued for KID")
	if len(e.KIDs) > 1 {
		b.WriteString("s")
	}
	for i, k := range e.KIDs {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(" ")
		b.WriteString(k.String())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrNotFound) hold.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }
