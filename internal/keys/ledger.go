package keys

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/speke-go/keyprovider/internal/uuid"
)

// LedgerFileName is the local source's issuance ledger inside the data
// directory: the (content ID, KID) pairs Keys has issued, no key material.
const LedgerFileName = "issued-kids.log"

const (
	// MaxRecordedContentID bounds a content ID the ledger records, and so
	// its memory per content ID; SPEKE allows 1024 bytes.
	MaxRecordedContentID = 4096
	// maxLedgerLine bounds one ledger line as read back: a KID, a space and
	// the quoted content ID (at most 4 bytes per byte, \xNN) fit; a longer
	// line is not one this code wrote and is skipped.
	maxLedgerLine = 36 + 1 + 2 + 4*MaxRecordedContentID + 1
)

// ledger records which (content ID, KID) pairs a Local issued, so that
// Lookup finds only those.
//
// The file is append-only text, one pair per line:
//
//	98ee5596-cd3e-a20d-163a-e382420c6eff "movie/1"
//
// (the KID, a space, the content ID quoted as a Go string literal, so any
// content ID fits on one line). Each Keys call that issues new pairs
// appends them with one write on an O_APPEND descriptor, preceded by a
// newline, and syncs the file before the keys are returned. The leading
// newline ends any torn line a crash left behind, so a torn line is one
// unreadable line, which is skipped, and never swallows the next record.
// Several processes may share the file: each reads what the others
// appended when a Lookup misses. Memory is one map entry per pair plus
// each content ID once.
type ledger struct {
	path string

	mu     sync.RWMutex
	f      *os.File
	issued map[string]map[uuid.UUID]struct{}
	off    int64         // file offset just past the last complete line read
	br     *bufio.Reader // reused by catchUp
	n      int           // pairs in issued
	bad    int           // lines skipped as unreadable
}

// openLedger opens (creating, mode 0600) dir's ledger and reads it.
// created reports that this call made the file.
func openLedger(dir string) (g *ledger, created bool, err error) {
	path := filepath.Join(dir, LedgerFileName)
	_, statErr := os.Lstat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("keys: ledger %s: %w", path, err)
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, false, fmt.Errorf("keys: ledger %s is not a regular file", path)
	}
	created = errors.Is(statErr, fs.ErrNotExist)
	if created {
		// The new name must survive a crash as the records will.
		if err := syncDir(dir); err != nil {
			f.Close()
			return nil, false, fmt.Errorf("keys: ledger %s: %w", path, err)
		}
	}
	g = &ledger{
		path:   path,
		f:      f,
		issued: map[string]map[uuid.UUID]struct{}{},
		br:     bufio.NewReaderSize(nil, maxLedgerLine),
	}
	if err := g.catchUp(); err != nil {
		f.Close()
		return nil, false, err
	}
	return g, created, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// has reports whether every KID was issued for contentID, from memory.
func (g *ledger) has(contentID string, kids []uuid.UUID) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	set := g.issued[contentID]
	for _, k := range kids {
		if _, ok := set[k]; !ok {
			return false
		}
	}
	return true
}

// record makes sure every (contentID, KID) pair is in the ledger, writing
// the new ones durably. Repeat pairs cost a map lookup each.
func (g *ledger) record(contentID string, kids []uuid.UUID) error {
	if g.has(contentID, kids) {
		return nil
	}
	if len(contentID) > MaxRecordedContentID {
		return fmt.Errorf("keys: content ID of %d bytes is over the ledger's %d", len(contentID), MaxRecordedContentID)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	// Another process may have issued some of them: do not write those twice.
	if err := g.catchUp(); err != nil {
		return err
	}
	fresh := g.absent(contentID, kids)
	if len(fresh) == 0 {
		return nil
	}
	quoted := strconv.Quote(contentID)
	buf := make([]byte, 0, 1+len(fresh)*(36+1+len(quoted)+1))
	buf = append(buf, '\n')
	for _, k := range fresh {
		buf = appendLedgerLine(buf, quoted, k)
	}
	if _, err := g.f.Write(buf); err != nil {
		return fmt.Errorf("%w: ledger %s: %w", ErrUnavailable, g.path, err)
	}
	if err := g.f.Sync(); err != nil {
		return fmt.Errorf("%w: ledger %s: %w", ErrUnavailable, g.path, err)
	}
	g.add(contentID, fresh)
	return nil
}

// missing returns the KIDs never issued for contentID, each once, in
// request order, reading what other processes appended if memory misses.
func (g *ledger) missing(contentID string, kids []uuid.UUID) ([]uuid.UUID, error) {
	if g.has(contentID, kids) {
		return nil, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.catchUp(); err != nil {
		return nil, err
	}
	return g.absent(contentID, kids), nil
}

// absent lists the KIDs not in memory for contentID, each once, in
// request order. The caller holds mu.
func (g *ledger) absent(contentID string, kids []uuid.UUID) []uuid.UUID {
	set := g.issued[contentID]
	var out []uuid.UUID
	var seen map[uuid.UUID]bool
	for _, k := range kids {
		if _, ok := set[k]; ok || seen[k] {
			continue
		}
		if seen == nil {
			seen = map[uuid.UUID]bool{}
		}
		seen[k] = true
		out = append(out, k)
	}
	return out
}

// add puts pairs in memory. The caller holds mu for writing.
func (g *ledger) add(contentID string, kids []uuid.UUID) {
	set := g.issued[contentID]
	if set == nil {
		set = make(map[uuid.UUID]struct{}, len(kids))
		// A copy: contentID may be a slice of a large request body.
		g.issued[strings.Clone(contentID)] = set
	}
	for _, k := range kids {
		if _, ok := set[k]; !ok {
			set[k] = struct{}{}
			g.n++
		}
	}
}

// catchUp reads the complete lines appended since the last call (by this
// process or another). A line without its newline yet, a write in progress
// or a crash's torn tail, is left for later. The caller holds mu for
// writing.
func (g *ledger) catchUp() error {
	g.br.Reset(io.NewSectionReader(g.f, g.off, math.MaxInt64-g.off))
	pos, long := g.off, false
	for {
		line, err := g.br.ReadSlice('\n')
		pos += int64(len(line))
		switch {
		case err == nil:
			switch cid, kid, ok := parseLedgerLine(line[:len(line)-1]); {
			case long:
				g.bad++
			case ok:
				g.add(cid, []uuid.UUID{kid})
			case len(line) > 1:
				g.bad++
			}
			long, g.off = false, pos
		case errors.Is(err, bufio.ErrBufferFull):
			long = true // not a line this code wrote: skip to its end
		case errors.Is(err, io.EOF):
			return nil
		default:
			return fmt.Errorf("%w: ledger %s: %w", ErrUnavailable, g.path, err)
		}
	}
}

// appendLedgerLine appends the line for kid under a content ID already
// quoted with strconv.Quote.
func appendLedgerLine(buf []byte, quotedContentID string, kid uuid.UUID) []byte {
	buf, _ = kid.AppendText(buf)
	buf = append(buf, ' ')
	buf = append(buf, quotedContentID...)
	return append(buf, '\n')
}

// parseLedgerLine reads one line (without its newline). ok is false for
// a blank, torn or foreign line.
func parseLedgerLine(b []byte) (contentID string, kid uuid.UUID, ok bool) {
	if len(b) < 36+1+3 || b[36] != ' ' || b[37] != '"' {
		return "", uuid.UUID{}, false
	}
	kid, err := uuid.Parse(string(b[:36]))
	if err != nil {
		return "", uuid.UUID{}, false
	}
	contentID, err = strconv.Unquote(string(b[37:]))
	if err != nil || contentID == "" || len(contentID) > MaxRecordedContentID {
		return "", uuid.UUID{}, false
	}
	return contentID, kid, true
}

// status reports the ledger's state for the startup log.
func (g *ledger) status() LedgerStatus {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return LedgerStatus{Path: g.path, Pairs: g.n, Skipped: g.bad}
}

func (g *ledger) close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.f.Close()
}
