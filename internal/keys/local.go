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

// Local derives keys with HKDF-SHA256 from a 32-byte seed kept in a file,
// and records in a ledger file beside it which (content ID, KID) pairs
// Keys has issued, so that Lookup finds those and no others, as a store
// would: a player or a license server asking for a KID no encryptor was
// given gets ErrNotFound, not a key nobody uses.
//
// The key itself still comes from the seed: the ledger holds no key
// material, and a pair recorded or not always has the same key. Deleting
// the ledger (while no process uses the data directory) loses no key,
// only Lookup's knowledge of what was issued: every pair must be requested
// once more through Keys (SPEKE) before Lookup finds it again. Deleting the
// seed changes every key.
type Local struct {
	h   *HKDF
	led *ledger // nil for NewLocalFromSeed: no record, Lookup derives
	// preLedger: OpenLocal created the ledger for a seed that already
	// existed, so pairs issued before are not in it.
	preLedger bool
}

var _ Source = (*Local)(nil)

// LedgerStatus describes a Local's ledger, for the startup log.
type LedgerStatus struct {
	Path  string
	Pairs int // distinct (content ID, KID) pairs recorded
	// Skipped counts unreadable lines, such as the torn last line of a
	// write a crash interrupted; they are ignored.
	Skipped int
	// PreLedger: the seed existed before the ledger did (a data directory
	// from a version without one). Keys issued then are not found by
	// Lookup until an encryptor requests them again.
	PreLedger bool
}

// OpenLocal loads the seed from dir/seed.key, creating the directory (0700)
// and the seed file (0600, 32 bytes from crypto/rand) on first use, first
// writer wins (see ReadOrCreateSecretFile). It then opens the issuance
// ledger dir/issued-kids.log (created empty, 0600, if missing) and reads
// it. Several processes may share dir.
func OpenLocal(dir string) (*Local, error) {
	_, seedErr := os.Stat(filepath.Join(dir, SeedFileName))
	seed, err := ReadOrCreateSecretFile(dir, SeedFileName, SeedSize)
	if err != nil {
		return nil, err
	}
	h, err := NewHKDF(seed)
	if err != nil {
		return nil, fmt.Errorf("keys: seed file %s: %w", filepath.Join(dir, SeedFileName), err)
	}
	led, created, err := openLedger(dir)
	if err != nil {
		return nil, err
	}
	return &Local{h: h, led: led, preLedger: created && seedErr == nil}, nil
}

// Ledger reports the ledger's state; ok is false for a Local without one.
func (l *Local) Ledger() (s LedgerStatus, ok bool) {
	if l.led == nil {
		return LedgerStatus{}, false
	}
	s = l.led.status()
	s.PreLedger = l.preLedger
	return s, true
}

// Close releases the ledger file. The Local must not be used afterwards.
func (l *Local) Close() error {
	if l.led == nil {
		return nil
	}
	return l.led.close()
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

// NewLocalFromSeed returns a Local for a given seed that keeps no ledger
// (tests, golden files, examples): its Lookup derives every key, like the
// Secrets Manager source.
func NewLocalFromSeed(seed []byte) (*Local, error) {
	h, err := NewHKDF(seed)
	if err != nil {
		return nil, err
	}
	return &Local{h: h}, nil
}

// Keys implements Source. A pair already recorded costs a map lookup; new
// pairs are appended to the ledger and synced before any key is returned.
func (l *Local) Keys(ctx context.Context, contentID string, kids []uuid.UUID) ([]Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if l.led != nil {
		if err := l.led.record(contentID, kids); err != nil {
			return nil, err
		}
	}
	return l.derive(contentID, kids), nil
}

// Lookup implements Source: it finds the pairs the ledger records (any
// process's), and derives their keys; without a ledger it derives all.
func (l *Local) Lookup(ctx context.Context, contentID string, kids []uuid.UUID) ([]Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if l.led != nil {
		missing, err := l.led.missing(contentID, kids)
		if err != nil {
			return nil, err
		}
		if missing != nil {
			return nil, &NotFoundError{KIDs: missing}
		}
	}
	return l.derive(contentID, kids), nil
}

func (l *Local) derive(contentID string, kids []uuid.UUID) []Key {
	return l.h.DeriveAll(contentID, kids)
}
