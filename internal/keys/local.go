package keys

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/speke-go/keyprovider/internal/uuid"
)

// SeedFileName is the name of the local seed file inside the data directory.
const SeedFileName = "seed.key"

// Local derives keys with HKDF-SHA256 from a 32-byte seed kept in a file.
// It does no I/O per request, so it never fails once constructed.
type Local struct{ h *HKDF }

var _ Source = (*Local)(nil)

// OpenLocal loads the seed from dir/seed.key, creating the directory (0700)
// and the seed file (0600, 32 bytes from crypto/rand) on first use.
//
// Creation is first-writer-wins across processes: the seed is written to a
// temporary file and hard-linked into place, and a process that loses the
// race reads the winner's seed. A seed file of the wrong size is an error,
// never silently replaced, because replacing it would change every key.
func OpenLocal(dir string) (*Local, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys: create data dir: %w", err)
	}
	path := filepath.Join(dir, SeedFileName)
	seed, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		seed, err = createSeed(dir, path)
	}
	if err != nil {
		return nil, fmt.Errorf("keys: seed file %s: %w", path, err)
	}
	h, err := NewHKDF(seed)
	if err != nil {
		return nil, fmt.Errorf("keys: seed file %s: %w", path, err)
	}
	return &Local{h: h}, nil
}

func createSeed(dir, path string) ([]byte, error) {
	tmp, err := os.CreateTemp(dir, ".seed-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	seed := make([]byte, SeedSize)
	_, _ = rand.Read(seed) // crypto/rand.Read never fails
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, err
	}
	if _, err := tmp.Write(seed); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return os.ReadFile(path) // another process won the race
		}
		return nil, err
	}
	return seed, nil
}

// NewLocalFromSeed returns a Local for a given seed (tests, golden files).
func NewLocalFromSeed(seed []byte) (*Local, error) {
	h, err := NewHKDF(seed)
	if err != nil {
		return nil, err
	}
	return &Local{h: h}, nil
}

// Keys implements Source.
func (l *Local) Keys(ctx context.Context, contentID string, kids []uuid.UUID) ([]Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	out := make([]Key, len(kids))
	for i, kid := range kids {
		out[i] = l.h.Derive(contentID, kid)
	}
	return out, nil
}

// Lookup implements Source: the key is derived, so it is always found.
func (l *Local) Lookup(ctx context.Context, contentID string, kids []uuid.UUID) ([]Key, error) {
	return l.Keys(ctx, contentID, kids)
}
