// Package keystest is the conformance suite for keys.Source: every
// implementation runs the same tests against its real backing store.
package keystest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// Open returns a Source over the store under test. Run calls it more than
// once; every Source it returns must share the same backing store (seed,
// table, secret), as two Lambda instances or a restarted process would.
type Open func(t *testing.T) keys.Source

// Options tune the suite for a Source.
type Options struct {
	// PerContent is false for sources whose keys depend on the KID only
	// (the PlayReady key-seed derivation); the suite then skips the check
	// that different content IDs give different keys.
	PerContent bool
	// Stateless is true for sources that derive every key from a seed and
	// keep no record of what they issued (the Secrets Manager sources,
	// keys.NewLocalFromSeed): their Lookup finds every KID. Sources that
	// record issuance leave it false, whether they store the keys
	// (DynamoDB) or derive them and record the pairs (the local source's
	// ledger). The suite then checks that Lookup finds what Keys issued,
	// the same key, from any instance, also one opened before the key was
	// issued; and that it reports KIDs never issued as not found and
	// creates nothing.
	Stateless bool
}

// RandomKID returns a fresh random KID.
func RandomKID() uuid.UUID {
	var u uuid.UUID
	_, _ = rand.Read(u[:])
	return u
}

// randomKIDs returns n fresh KIDs.
func randomKIDs(n int) []uuid.UUID {
	kids := make([]uuid.UUID, n)
	for i := range kids {
		kids[i] = RandomKID()
	}
	return kids
}

// mustGet calls Keys or Lookup and checks it answered one key per KID.
func mustGet(t *testing.T, get func(context.Context, string, []uuid.UUID) ([]keys.Key, error), cid string, kids []uuid.UUID) []keys.Key {
	t.Helper()
	ks, err := get(context.Background(), cid, kids)
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) != len(kids) {
		t.Fatalf("got %d keys for %d KIDs", len(ks), len(kids))
	}
	return ks
}

// RandomContentID returns a fresh content ID, so tests sharing a store do
// not see each other's keys.
func RandomContentID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("conformance_%x", b)
}

// Run runs the conformance suite.
func Run(t *testing.T, open Open, opt Options) {
	t.Run("BatchShapeAndDuplicates", func(t *testing.T) {
		src := open(t)
		a, b := RandomKID(), RandomKID()
		ks, err := src.Keys(context.Background(), RandomContentID(), []uuid.UUID{a, b, a})
		if err != nil {
			t.Fatal(err)
		}
		if len(ks) != 3 {
			t.Fatalf("got %d keys for 3 KIDs", len(ks))
		}
		if !ks[0].Equal(ks[2]) {
			t.Error("the same KID twice in one batch got two keys")
		}
		if ks[0].Equal(ks[1]) {
			t.Error("two KIDs got the same key")
		}
		for i, k := range ks {
			if k.IsZero() {
				t.Errorf("key %d is all zero", i)
			}
		}
	})
	t.Run("Empty", func(t *testing.T) {
		ks, err := open(t).Keys(context.Background(), RandomContentID(), nil)
		if err != nil || len(ks) != 0 {
			t.Fatalf("Keys(nil) = %d keys, %v", len(ks), err)
		}
	})
	t.Run("StableAcrossCallsAndInstances", func(t *testing.T) {
		cid := RandomContentID()
		kids := []uuid.UUID{RandomKID(), RandomKID(), RandomKID()}
		first, err := open(t).Keys(context.Background(), cid, kids)
		if err != nil {
			t.Fatal(err)
		}
		// Ask again for a superset in another order from a new instance.
		extra := RandomKID()
		again, err := open(t).Keys(context.Background(), cid, []uuid.UUID{kids[2], extra, kids[0], kids[1]})
		if err != nil {
			t.Fatal(err)
		}
		if !again[0].Equal(first[2]) || !again[2].Equal(first[0]) || !again[3].Equal(first[1]) {
			t.Error("keys changed between calls or instances")
		}
	})
	t.Run("ContentIDSeparation", func(t *testing.T) {
		if !opt.PerContent {
			t.Skip("keys of this source depend on the KID only")
		}
		src := open(t)
		kid := RandomKID()
		a, err := src.Keys(context.Background(), RandomContentID(), []uuid.UUID{kid})
		if err != nil {
			t.Fatal(err)
		}
		b, err := src.Keys(context.Background(), RandomContentID(), []uuid.UUID{kid})
		if err != nil {
			t.Fatal(err)
		}
		if a[0].Equal(b[0]) {
			t.Error("one KID under two content IDs got the same key")
		}
	})
	t.Run("ConcurrentFirstRequests", func(t *testing.T) {
		const workers = 16
		cid := RandomContentID()
		kids := []uuid.UUID{RandomKID(), RandomKID()}
		srcs := []keys.Source{open(t), open(t)}
		results := make([][]keys.Key, workers)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = srcs[i%2].Keys(context.Background(), cid, kids)
			}()
		}
		close(start)
		wg.Wait()
		for i := range workers {
			if errs[i] != nil {
				t.Fatalf("worker %d: %v", i, errs[i])
			}
			for j := range kids {
				if !results[i][j].Equal(results[0][j]) {
					t.Fatalf("worker %d got a different key for KID %d", i, j)
				}
			}
		}
	})
	t.Run("LargeBatch", func(t *testing.T) {
		// More KIDs than one DynamoDB BatchGetItem takes (100), some
		// repeated, half of them known before: order, duplicates and
		// stability must survive however a store splits the work.
		cid := RandomContentID()
		kids := randomKIDs(150)
		first := mustGet(t, open(t).Keys, cid, kids[:75])
		req := append(append([]uuid.UUID{}, kids...), kids[:10]...)
		all := mustGet(t, open(t).Keys, cid, req)
		for i := range first {
			if !all[i].Equal(first[i]) {
				t.Fatalf("KID %d changed key in a larger batch", i)
			}
		}
		for i := range 10 {
			if !all[150+i].Equal(all[i]) {
				t.Fatalf("repeated KID %d got another key", i)
			}
		}
		distinct := map[[keys.Size]byte]bool{}
		for _, k := range all[:150] {
			distinct[k.Reveal()] = true
		}
		if len(distinct) != 150 {
			t.Errorf("150 KIDs got %d distinct keys", len(distinct))
		}
	})
	t.Run("CancelledContext", func(t *testing.T) {
		// A source may answer from memory without I/O; it must then
		// still answer correctly.
		checkCancelled(t, open(t).Keys, true)
	})
	runLookup(t, open, opt)
}

func runLookup(t *testing.T, open Open, opt Options) {
	t.Run("LookupFindsIssuedKeys", func(t *testing.T) {
		cid := RandomContentID()
		kids := []uuid.UUID{RandomKID(), RandomKID(), RandomKID()}
		issued, err := open(t).Keys(context.Background(), cid, kids)
		if err != nil {
			t.Fatal(err)
		}
		// Another instance, another order, one KID twice.
		got, err := open(t).Lookup(context.Background(), cid, []uuid.UUID{kids[2], kids[0], kids[1], kids[2]})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 4 {
			t.Fatalf("got %d keys for 4 KIDs", len(got))
		}
		if !got[0].Equal(issued[2]) || !got[1].Equal(issued[0]) || !got[2].Equal(issued[1]) || !got[3].Equal(issued[2]) {
			t.Error("Lookup returned other keys than Keys issued")
		}
	})
	t.Run("LookupEmpty", func(t *testing.T) {
		ks, err := open(t).Lookup(context.Background(), RandomContentID(), nil)
		if err != nil || len(ks) != 0 {
			t.Fatalf("Lookup(nil) = %d keys, %v", len(ks), err)
		}
	})
	t.Run("LookupNeverIssued", func(t *testing.T) {
		cid := RandomContentID()
		known := RandomKID()
		if _, err := open(t).Keys(context.Background(), cid, []uuid.UUID{known}); err != nil {
			t.Fatal(err)
		}
		a, b := RandomKID(), RandomKID()
		req := []uuid.UUID{a, known, b, a}
		ks, err := open(t).Lookup(context.Background(), cid, req)
		if opt.Stateless {
			if err != nil {
				t.Fatalf("a deriving source did not find a KID: %v", err)
			}
			later, err := open(t).Keys(context.Background(), cid, req)
			if err != nil {
				t.Fatal(err)
			}
			for i := range req {
				if !ks[i].Equal(later[i]) || ks[i].IsZero() {
					t.Fatalf("Lookup and Keys disagree on KID %d", i)
				}
			}
			return
		}
		if err == nil || ks != nil {
			t.Fatalf("Lookup of never-issued KIDs: %d keys, error %v", len(ks), err)
		}
		if !errors.Is(err, keys.ErrNotFound) {
			t.Errorf("error %v does not wrap ErrNotFound", err)
		}
		if errors.Is(err, keys.ErrUnavailable) {
			t.Errorf("not-found error %v also claims the store is unavailable", err)
		}
		var nf *keys.NotFoundError
		if !errors.As(err, &nf) {
			t.Fatalf("error %v is not a *keys.NotFoundError", err)
		}
		if !slices.Equal(nf.KIDs, []uuid.UUID{a, b}) {
			t.Errorf("NotFoundError names %v, want %v", nf.KIDs, []uuid.UUID{a, b})
		}
		// Lookup created nothing: still not found, and the first Keys
		// call afterwards issues the key that Lookup then finds.
		if _, err := open(t).Lookup(context.Background(), cid, []uuid.UUID{a}); !errors.Is(err, keys.ErrNotFound) {
			t.Fatalf("second Lookup: %v; a Lookup created a key", err)
		}
		issued, err := open(t).Keys(context.Background(), cid, []uuid.UUID{a})
		if err != nil {
			t.Fatal(err)
		}
		found, err := open(t).Lookup(context.Background(), cid, []uuid.UUID{a})
		if err != nil || !found[0].Equal(issued[0]) {
			t.Fatalf("Lookup after Keys: %v", err)
		}
	})
	t.Run("LookupOtherContentID", func(t *testing.T) {
		// A KID issued under one content ID is not a key of another.
		kid := RandomKID()
		issued, err := open(t).Keys(context.Background(), RandomContentID(), []uuid.UUID{kid})
		if err != nil {
			t.Fatal(err)
		}
		ks, err := open(t).Lookup(context.Background(), RandomContentID(), []uuid.UUID{kid})
		switch {
		case !opt.Stateless && !errors.Is(err, keys.ErrNotFound):
			t.Fatalf("KID of another content ID: %d keys, %v", len(ks), err)
		case opt.Stateless && err != nil:
			t.Fatal(err)
		case opt.Stateless && opt.PerContent && ks[0].Equal(issued[0]):
			t.Fatal("one KID under two content IDs looked up the same key")
		}
	})
	t.Run("LookupSeesOtherInstance", func(t *testing.T) {
		// Two processes on one store: the reader was opened (and has
		// looked) before the writer issued the key.
		cid, kid := RandomContentID(), RandomKID()
		reader := open(t)
		_, err := reader.Lookup(context.Background(), cid, []uuid.UUID{kid})
		if !opt.Stateless && !errors.Is(err, keys.ErrNotFound) {
			t.Fatalf("Lookup before Keys: %v", err)
		}
		issued := mustGet(t, open(t).Keys, cid, []uuid.UUID{kid})
		got := mustGet(t, reader.Lookup, cid, []uuid.UUID{kid})
		if !got[0].Equal(issued[0]) {
			t.Fatal("an instance opened earlier looked up another key than the one issued")
		}
	})
	t.Run("LookupWhileIssuing", func(t *testing.T) {
		// One instance issues KIDs one call at a time while another looks
		// them all up: every answer is not-found or the issued keys, never
		// another key, and once Keys returned, Lookup finds the key.
		cid, kids := RandomContentID(), randomKIDs(8)
		writer, reader := open(t), open(t)
		issued := make([]keys.Key, len(kids))
		done := make(chan struct{})
		var werr error
		go func() {
			defer close(done)
			for i, k := range kids {
				ks, err := writer.Keys(context.Background(), cid, []uuid.UUID{k})
				if err != nil {
					werr = err
					return
				}
				issued[i] = ks[0]
			}
		}()
		var seen [][]keys.Key
		for finished := false; !finished; {
			select {
			case <-done:
				finished = true
			default:
			}
			ks, err := reader.Lookup(context.Background(), cid, kids)
			switch {
			case err == nil:
				seen = append(seen, ks)
			case !errors.Is(err, keys.ErrNotFound) || opt.Stateless:
				t.Fatalf("Lookup during issuance: %v", err)
			}
		}
		if werr != nil {
			t.Fatal(werr)
		}
		final := mustGet(t, reader.Lookup, cid, kids)
		for _, ks := range append(seen, final) {
			for i := range kids {
				if !ks[i].Equal(issued[i]) {
					t.Fatalf("KID %d: Lookup returned another key than Keys issued", i)
				}
			}
		}
	})
	t.Run("LookupLargeBatch", func(t *testing.T) {
		cid := RandomContentID()
		kids := randomKIDs(150)
		issued := mustGet(t, open(t).Keys, cid, kids)
		req := append(append([]uuid.UUID{}, kids...), kids[:10]...)
		got := mustGet(t, open(t).Lookup, cid, req)
		for i := range req {
			if !got[i].Equal(issued[i%150]) {
				t.Fatalf("KID %d: Lookup differs from Keys", i)
			}
		}
		if opt.Stateless {
			return
		}
		// One unknown KID past the first 100 fails the whole batch.
		extra := RandomKID()
		ks, err := open(t).Lookup(context.Background(), cid, append(append([]uuid.UUID{}, kids...), extra))
		var nf *keys.NotFoundError
		if ks != nil || !errors.As(err, &nf) || !slices.Equal(nf.KIDs, []uuid.UUID{extra}) {
			t.Fatalf("151st KID unknown: %d keys, %v", len(ks), err)
		}
	})
	t.Run("LookupCancelledContext", func(t *testing.T) {
		checkCancelled(t, open(t).Lookup, opt.Stateless)
	})
}

// checkCancelled asks get for a fresh KID with a cancelled context: an
// error wrapping ErrUnavailable and no keys, or, if mayAnswer, a key.
func checkCancelled(t *testing.T, get func(context.Context, string, []uuid.UUID) ([]keys.Key, error), mayAnswer bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ks, err := get(ctx, RandomContentID(), []uuid.UUID{RandomKID()})
	if err == nil {
		if !mayAnswer || len(ks) != 1 || ks[0].IsZero() {
			t.Fatalf("cancelled context: %d keys and no error", len(ks))
		}
		return
	}
	if ks != nil {
		t.Error("error with non-nil keys")
	}
	if !errors.Is(err, keys.ErrUnavailable) {
		t.Errorf("error %v does not wrap ErrUnavailable", err)
	}
}
