package keys

import (
	"context"
	"errors"

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
type Source interface {
	Keys(ctx context.Context, contentID string, kids []uuid.UUID) ([]Key, error)
}

// ErrUnavailable marks a failure of the key store that a retry may cure.
var ErrUnavailable = errors.New("keys: key store unavailable")
