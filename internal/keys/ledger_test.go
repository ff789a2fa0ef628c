package keys_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/keys/keystest"
	"github.com/speke-go/keyprovider/internal/uuid"
)

func ledgerPath(dir string) string { return filepath.Join(dir, keys.LedgerFileName) }

func readLedger(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(ledgerPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func appendLedger(t testing.TB, dir string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(ledgerPath(dir), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

func issue(t testing.TB, s keys.Source, cid string, kids ...uuid.UUID) []keys.Key {
	t.Helper()
	ks, err := s.Keys(t.Context(), cid, kids)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func wantNotFound(t *testing.T, s keys.Source, cid string, kids []uuid.UUID, missing ...uuid.UUID) {
	t.Helper()
	ks, err := s.Lookup(t.Context(), cid, kids)
	var nf *keys.NotFoundError
	if ks != nil || !errors.As(err, &nf) || !slices.Equal(nf.KIDs, missing) {
		t.Fatalf("Lookup %v: %d keys, %v; want not found %v", kids, len(ks), err, missing)
	}
}

func wantFound(t *testing.T, s keys.Source, cid string, kids []uuid.UUID, want []keys.Key) {
	t.Helper()
	ks, err := s.Lookup(t.Context(), cid, kids)
	if err != nil {
		t.Fatalf("Lookup %v: %v", kids, err)
	}
	for i := range want {
		if !ks[i].Equal(want[i]) {
			t.Fatalf("Lookup %v: key %d differs from the one issued", kids, i)
		}
	}
}

// TestLedgerFile pins the file: mode 0600, one line per new pair written
// in one append per Keys call, nothing written for a repeat pair, any
// content ID on one line.
func TestLedgerFile(t *testing.T) {
	dir := t.TempDir()
	s := openLocal(t, dir)
	st, err := os.Stat(ledgerPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 || st.Size() != 0 {
		t.Fatalf("new ledger: mode %v, %d bytes", st.Mode().Perm(), st.Size())
	}
	a := uuid.MustParse("98ee5596-cd3e-a20d-163a-e382420c6eff")
	b := uuid.MustParse("4060a865-8878-4267-9cbf-91ae5bae1e72")
	issue(t, s, "movie/1", a, b, a)
	want := "\n98ee5596-cd3e-a20d-163a-e382420c6eff \"movie/1\"\n4060a865-8878-4267-9cbf-91ae5bae1e72 \"movie/1\"\n"
	if got := readLedger(t, dir); got != want {
		t.Fatalf("ledger %q, want %q", got, want)
	}
	issue(t, s, "movie/1", b, a)
	if got := readLedger(t, dir); got != want {
		t.Fatalf("repeat pairs were written again: %q", got)
	}
	odd := "a \"quoted\" id\nwith a newline, \x00, \xff and é"
	issue(t, s, odd, a)
	want += "\n98ee5596-cd3e-a20d-163a-e382420c6eff " + strconv.Quote(odd) + "\n"
	if got := readLedger(t, dir); got != want {
		t.Fatalf("ledger %q, want %q", got, want)
	}
	// Only the pairs issued are found, also after a restart.
	r := openLocal(t, dir)
	for _, src := range []keys.Source{s, r} {
		wantFound(t, src, odd, []uuid.UUID{a}, issue(t, s, odd, a))
		wantNotFound(t, src, odd, []uuid.UUID{a, b}, b)
		wantNotFound(t, src, "movie/2", []uuid.UUID{a}, a)
	}
	if st, _ := r.Ledger(); st.Pairs != 3 || st.Skipped != 0 || st.PreLedger || st.Path != ledgerPath(dir) {
		t.Errorf("status %+v", st)
	}
	if _, ok := mustSeedLocal(t).Ledger(); ok {
		t.Error("NewLocalFromSeed has a ledger")
	}
}

func mustSeedLocal(t testing.TB) *keys.Local {
	s, err := keys.NewLocalFromSeed(bytes.Repeat([]byte{3}, keys.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// seedDeriver derives dir's keys without touching its ledger.
func seedDeriver(t testing.TB, dir string) *keys.Local {
	t.Helper()
	seed, err := os.ReadFile(filepath.Join(dir, keys.SeedFileName))
	if err != nil {
		t.Fatal(err)
	}
	s, err := keys.NewLocalFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestLedgerTornAndForeignLines: whatever a crash or a stray editor left
// in the file is skipped, never a panic or a refusal to start, and a
// record written after it is read.
func TestLedgerTornAndForeignLines(t *testing.T) {
	dir := t.TempDir()
	s := openLocal(t, dir)
	a, b, c := keystest.RandomKID(), keystest.RandomKID(), keystest.RandomKID()
	ka := issue(t, s, "c", a)
	// A crash in the middle of a write: the second record is torn.
	torn := a.String()[:20]
	appendLedger(t, dir, []byte("\n"+b.String()+" \"c\"\n"+c.String()+" \"c"))
	r := openLocal(t, dir)
	kb := issue(t, seedDeriver(t, dir), "c", b)
	wantFound(t, r, "c", []uuid.UUID{a, b}, []keys.Key{ka[0], kb[0]})
	wantNotFound(t, r, "c", []uuid.UUID{c}, c)
	if st, _ := r.Ledger(); st.Skipped != 0 || st.Pairs != 2 {
		t.Errorf("a torn last line is not yet a line: %+v", st)
	}
	// The next write ends the torn line; c was never issued.
	d := keystest.RandomKID()
	kd := issue(t, r, "c", d)
	appendLedger(t, dir, []byte(strings.Join([]string{
		"",
		torn,
		"\x00\x00\x00\x00",
		strings.Repeat("x", 200000),
		a.String() + " `c`",
		a.String() + " \"c\" trailing",
		a.String() + "  \"c\"",
		strings.ToUpper(a.String()) + " \"\"",
		c.String() + ` "c\"`,
		"not a kid at all \"c\"",
		"",
	}, "\n")))
	r2 := openLocal(t, dir)
	wantNotFound(t, r2, "c", []uuid.UUID{c}, c)
	wantFound(t, r2, "c", []uuid.UUID{a, d}, []keys.Key{ka[0], kd[0]})
	if st, _ := r2.Ledger(); st.Skipped != 10 || st.Pairs != 3 {
		t.Errorf("status %+v, want 10 skipped lines and 3 pairs", st)
	}
	// And a record after all that garbage is found.
	e := keystest.RandomKID()
	ke := issue(t, r2, "c", e)
	wantFound(t, openLocal(t, dir), "c", []uuid.UUID{e}, ke)
}

// TestLedgerPreLedgerDataDir: a data directory from before the ledger
// keeps its keys; Lookup finds a key once it is requested again.
func TestLedgerPreLedgerDataDir(t *testing.T) {
	dir := t.TempDir()
	seed, err := keys.ReadOrCreateSecretFile(dir, keys.SeedFileName, keys.SeedSize)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := keys.NewLocalFromSeed(seed)
	kid := keystest.RandomKID()
	before := issue(t, old, "movie", kid)

	s := openLocal(t, dir)
	if st, _ := s.Ledger(); !st.PreLedger || st.Pairs != 0 {
		t.Fatalf("status %+v, want PreLedger", st)
	}
	wantNotFound(t, s, "movie", []uuid.UUID{kid}, kid)
	if again := issue(t, s, "movie", kid); !again[0].Equal(before[0]) {
		t.Fatal("the ledger changed a key")
	}
	wantFound(t, s, "movie", []uuid.UUID{kid}, before)
	if st, _ := openLocal(t, dir).Ledger(); st.PreLedger {
		t.Error("PreLedger after the ledger exists")
	}
	if st, _ := openLocal(t, t.TempDir()).Ledger(); st.PreLedger {
		t.Error("PreLedger for a new data directory")
	}
}

// TestLedgerWriteFailure: a key is not returned when its pair could not
// be recorded; the failure is retryable.
func TestLedgerWriteFailure(t *testing.T) {
	s, err := keys.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	known := keystest.RandomKID()
	issue(t, s, "c", known)
	s.Close()
	ks, err := s.Keys(t.Context(), "c", []uuid.UUID{known, keystest.RandomKID()})
	if ks != nil || !errors.Is(err, keys.ErrUnavailable) {
		t.Fatalf("Keys with a closed ledger: %d keys, %v", len(ks), err)
	}
	if ks, err := s.Keys(t.Context(), "c", []uuid.UUID{known}); err != nil || len(ks) != 1 {
		t.Fatalf("a recorded pair needs no write: %v", err)
	}
	if ks, err := s.Keys(t.Context(), strings.Repeat("x", keys.MaxRecordedContentID+1), []uuid.UUID{known}); ks != nil || err == nil {
		t.Fatal("a content ID over the ledger's bound was issued")
	}
}

// helperEnv makes the test binary a helper process that issues keys.
const helperEnv = "KEYS_LEDGER_HELPER_DIR"

// TestLedgerHelperProcess is not a test: run by TestLedgerProcesses, it
// issues one key per Keys call for 40 new KIDs in DIR and prints them.
func TestLedgerHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process for TestLedgerProcesses")
	}
	s, err := keys.OpenLocal(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for range 40 {
		kid := keystest.RandomKID()
		if _, err := s.Keys(t.Context(), "shared", []uuid.UUID{kid}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(kid)
	}
	os.Exit(0)
}

// TestLedgerProcesses: three processes append to one ledger at once while
// this one, opened before, looks keys up: it finds every KID they issued,
// with their key, and the file holds every pair, whole.
func TestLedgerProcesses(t *testing.T) {
	dir := t.TempDir()
	reader := openLocal(t, dir)
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLedgerHelperProcess$")
		cmd.Env = append(os.Environ(), helperEnv+"="+dir)
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	var kids []uuid.UUID
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper %d: %v: %s", i, err, outs[i])
		}
		sc := bufio.NewScanner(outs[i])
		for sc.Scan() {
			kid, err := uuid.Parse(sc.Text())
			if err != nil {
				t.Fatalf("helper %d printed %q", i, sc.Text())
			}
			kids = append(kids, kid)
		}
	}
	if len(kids) != 120 {
		t.Fatalf("helpers issued %d KIDs", len(kids))
	}
	wantFound(t, reader, "shared", kids, issue(t, seedDeriver(t, dir), "shared", kids...))
	if st, _ := openLocal(t, dir).Ledger(); st.Pairs != 120 || st.Skipped != 0 {
		t.Errorf("ledger after three writers: %+v", st)
	}
}

// FuzzLedger: whatever bytes precede it in the file, a pair issued
// afterwards is found after a restart, and a pair never issued is not.
func FuzzLedger(f *testing.F) {
	kid := uuid.MustParse("98ee5596-cd3e-a20d-163a-e382420c6eff")
	f.Add([]byte("98ee5596-cd3e-a20d-163a-e382420c6eff \"x"), "c")
	f.Add([]byte("\n4060a865-8878-4267-9cbf-91ae5bae1e72 \"c\"\n"), "\x00\"\n")
	f.Add([]byte(strings.Repeat("y", 20000)), "é")
	f.Fuzz(func(t *testing.T, junk []byte, cid string) {
		if cid == "" || len(cid) > keys.MaxRecordedContentID {
			return
		}
		dir := t.TempDir()
		s := openLocal(t, dir)
		appendLedger(t, dir, junk)
		r := openLocal(t, dir)
		if _, err := r.Lookup(t.Context(), cid+"-never", []uuid.UUID{kid}); !errors.Is(err, keys.ErrNotFound) {
			t.Fatalf("never-issued pair: %v", err)
		}
		ks := issue(t, s, cid, kid)
		wantFound(t, openLocal(t, dir), cid, []uuid.UUID{kid}, ks)
		wantFound(t, r, cid, []uuid.UUID{kid}, ks)
	})
}

// BenchmarkLocalKeys compares Keys without and with the ledger: repeat
// KIDs (what an encryptor asks for again and again) cost a map lookup
// more; a new pair costs an append and an fsync.
func BenchmarkLocalKeys(b *testing.B) {
	kids := make([]uuid.UUID, 8)
	for i := range kids {
		kids[i] = keystest.RandomKID()
	}
	for _, name := range []string{"seed-only", "ledger"} {
		b.Run(name+"/repeat-8", func(b *testing.B) {
			s := mustSeedLocal(b)
			if name == "ledger" {
				s = openLocal(b, b.TempDir())
			}
			issue(b, s, "bench", kids...)
			b.ReportAllocs()
			for b.Loop() {
				issue(b, s, "bench", kids...)
			}
		})
	}
	b.Run("ledger/new-1", func(b *testing.B) {
		s := openLocal(b, b.TempDir())
		for b.Loop() {
			issue(b, s, "bench", keystest.RandomKID())
		}
	})
}
