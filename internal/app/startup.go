package app

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/speke-go/keyprovider/internal/config"
	"github.com/speke-go/keyprovider/internal/keys"
)

// Startup is what the local server's startup line says about the key
// store. Take it with Inspect before New, which may create the seed.
type Startup struct {
	keySource string
	dataDir   string
	newSeed   bool
}

// Inspect records the key source, the absolute data directory and whether
// the local seed has yet to be created.
func Inspect(cfg config.Config) Startup {
	dir := cfg.DataDir
	if abs, err := filepath.Abs(dir); err == nil && dir != "" {
		dir = abs
	}
	st := Startup{keySource: cfg.KeySource, dataDir: dir}
	if cfg.KeySource == config.SourceLocal {
		_, err := os.Stat(filepath.Join(dir, keys.SeedFileName))
		st.newSeed = errors.Is(err, fs.ErrNotExist)
	}
	return st
}

// Attrs are the startup line's attributes (identifiers only, never a
// key): key_source, data_dir and, for the local source, new_seed (true
// when this start created DATA_DIR/seed.key, i.e. every key is new).
func (s Startup) Attrs() []any {
	a := []any{"key_source", s.keySource}
	if s.dataDir != "" {
		a = append(a, "data_dir", s.dataDir)
	}
	if s.keySource == config.SourceLocal {
		a = append(a, "new_seed", s.newSeed)
	}
	return a
}
