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
// and the seed file (0600, 32 bytes from crypto/rand) on first use, first
// writer wins (see ReadOrCreateSecretFile).
func OpenLocal(dir string) (*Local, error) {
	seed, err := ReadOrCreateSecretFile(dir, SeedFileName, SeedSize)
	if err != nil {
		return nil, err
	}
	h, err := NewHKDF(seed)
	if err != nil {
		return nil, fmt.Errorf("keys: seed file %s: %w", filepath.Join(dir, SeedFileName), err)
	}
	return &Local{h: h}, nil
}

// ReadOrCreateSecretFile returns the contents of dir/name, a file of
// exactly size random bytes, creating the directory (0700) and the file
// (0600, from crypto/rand) if it does not exist. It keeps the local seed
// and the local playback-token key.
//
// Creation is first-writer-wins across processes: the bytes are written
// to a temporary file and hard-linked into place, and a process that loses
// the race reads the winner's file. A file of the wrong size is an error,
// never silently replaced, because replacing it would change every key or
// token derived from it. Errors name the file, never its contents.
func ReadOrCreateSecretFile(dir, name string, size int) ([]byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys: create data dir: %w", err)
	}
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		b, err = createSecretFile(dir, path, size)
	}
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %w", path, err)
	}
	if len(b) != size {
		return nil, fmt.Errorf("keys: %s holds %d bytes, want %d (restore the original file; a new one would change every key)", path, len(b), size)
	}
	return b, nil
}

func createSecretFile(dir, path string, size int) ([]byte, error) {
	tmp, err := os.CreateTemp(dir, ".secret-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	b := make([]byte, size)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, err
	}
	if _, err := tmp.Write(b); err != nil {
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
	return b, nil
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
