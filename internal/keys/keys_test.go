package keys_test

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/keys/keystest"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// TestLocalConformance: the local source records what it issued, so it
// runs the suite as a store does; every instance is another open of the
// same data directory, as another process or a restart would be.
func TestLocalConformance(t *testing.T) {
	dir := t.TempDir()
	keystest.Run(t, func(t *testing.T) keys.Source { return openLocal(t, dir) }, keystest.Options{PerContent: true})
}

// TestLocalFromSeedConformance: without a ledger the local source derives
// every key on Lookup, as the Secrets Manager source does.
func TestLocalFromSeedConformance(t *testing.T) {
	seed := bytes.Repeat([]byte{9}, keys.SeedSize)
	keystest.Run(t, func(t *testing.T) keys.Source {
		s, err := keys.NewLocalFromSeed(seed)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, keystest.Options{PerContent: true, Stateless: true})
}

// openLocal opens dir's local source and closes it when the test ends.
func openLocal(t testing.TB, dir string) *keys.Local {
	t.Helper()
	s, err := keys.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestKeyRedaction(t *testing.T) {
	raw, _ := hex.DecodeString("3a2a1b68dd2bd9b2eeb25e84c4776668")
	k, err := keys.NewKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("x", "key", k, "any", any(k), "ptr", &k)
	js, _ := json.Marshal(map[string]any{"k": k})
	outputs := []string{
		fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %x %X %d %q", k, k, k, k, k, k, k, k),
		fmt.Sprintf("%v", []keys.Key{k}), fmt.Sprintf("%v", struct{ K keys.Key }{k}),
		fmt.Errorf("wrap: %v", k).Error(), logBuf.String(), string(js),
	}
	needles := []string{"3a2a1b68", "3A2A1B68", "58", "OiobaN0r"}
	for _, out := range outputs {
		if !strings.Contains(out, "redacted") {
			t.Errorf("output %q does not say redacted", out)
		}
		for _, n := range needles[:2] {
			if strings.Contains(out, n) {
				t.Errorf("output %q leaks key bytes", out)
			}
		}
		if strings.Contains(out, needles[3]) {
			t.Errorf("output %q leaks base64 key", out)
		}
	}
	if got := k.Reveal(); !bytes.Equal(got[:], raw) {
		t.Error("Reveal does not return the key")
	}
}

func TestHKDFVector(t *testing.T) {
	// Pins the derivation: a change here changes every deployed key.
	seed := bytes.Repeat([]byte{0x42}, 32)
	h, err := keys.NewHKDF(seed)
	if err != nil {
		t.Fatal(err)
	}
	kid := uuid.MustParse("98ee5596-cd3e-a20d-163a-e382420c6eff")
	k := h.Derive("abc123", kid)
	got := k.Reveal()
	// Computed independently with RFC 5869 in Python (hmac + hashlib).
	const want = "dc1cde20786f2ed7b94ca40d81d594f1"
	if hex.EncodeToString(got[:]) != want {
		t.Fatalf("HKDF vector = %x, want %s", got, want)
	}
	// Injectivity of the info encoding: moving a byte between content ID and
	// KID must not collide.
	if h.Derive("a", kid).Equal(h.Derive("a\x00", kid)) {
		t.Fatal("content IDs a and a\\x00 collide")
	}
	if _, err := keys.NewHKDF(seed[:31]); err == nil {
		t.Fatal("31-byte seed accepted")
	}
}

func TestDeriveIV(t *testing.T) {
	h, _ := keys.NewHKDF(bytes.Repeat([]byte{1}, 32))
	kid := keystest.RandomKID()
	k := h.Derive("c", kid)
	iv1, iv2 := keys.DeriveIV(k, "c", kid), keys.DeriveIV(k, "c", kid)
	if iv1 != iv2 {
		t.Fatal("IV not deterministic")
	}
	if kb := k.Reveal(); keys.IV(kb) == iv1 {
		t.Fatal("IV equals key")
	}
	if keys.DeriveIV(k, "d", kid) == iv1 {
		t.Fatal("IV ignores content ID")
	}
}

// TestHKDFMatchesLibrary: Derive and DeriveAll (one HMAC for a request's
// keys) give hkdf.Key's output for the documented info, for content IDs
// whose info spans one, two and several SHA-256 blocks; and DeriveIV is the
// documented HMAC.
func TestHKDFMatchesLibrary(t *testing.T) {
	seed := bytes.Repeat([]byte{0x42}, keys.SeedSize)
	h, err := keys.NewHKDF(seed)
	if err != nil {
		t.Fatal(err)
	}
	kids := []uuid.UUID{keystest.RandomKID(), keystest.RandomKID(), keystest.RandomKID()}
	for _, cid := range []string{"", "a", "abc123", strings.Repeat("x", 40), strings.Repeat("é", 100), strings.Repeat("y", 1024)} {
		all := h.DeriveAll(cid, kids)
		if len(all) != len(kids) {
			t.Fatalf("DeriveAll returned %d keys for %d KIDs", len(all), len(kids))
		}
		for i, kid := range kids {
			info := []byte("speke-go content key v1\x00")
			info = binary.BigEndian.AppendUint32(info, uint32(len(cid)))
			info = append(info, cid...)
			info = append(info, kid[:]...)
			want, err := hkdf.Key(sha256.New, seed, nil, string(info), keys.Size)
			if err != nil {
				t.Fatal(err)
			}
			one, many := h.Derive(cid, kid).Reveal(), all[i].Reveal()
			if !bytes.Equal(one[:], want) || !bytes.Equal(many[:], want) {
				t.Fatalf("content ID of %d bytes, KID %d: Derive %x, DeriveAll %x, hkdf.Key %x", len(cid), i, one, many, want)
			}
			msg := []byte("speke-go iv v1\x00")
			msg = binary.BigEndian.AppendUint32(msg, uint32(len(cid)))
			msg = append(msg, cid...)
			msg = append(msg, kid[:]...)
			mac := hmac.New(sha256.New, many[:])
			mac.Write(msg)
			if iv := keys.DeriveIV(all[i], cid, kid); !bytes.Equal(iv[:], mac.Sum(nil)[:16]) {
				t.Fatalf("content ID of %d bytes: DeriveIV is not the documented HMAC", len(cid))
			}
		}
	}
}

func TestOpenLocalSeedFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	a, err := keys.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, keys.SeedFileName))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 || st.Size() != keys.SeedSize {
		t.Fatalf("seed file mode %v size %d", st.Mode().Perm(), st.Size())
	}
	kid := keystest.RandomKID()
	k1, _ := a.Keys(t.Context(), "c", []uuid.UUID{kid})
	b, err := keys.OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := b.Keys(t.Context(), "c", []uuid.UUID{kid})
	if !k1[0].Equal(k2[0]) {
		t.Fatal("reopened seed gives another key")
	}
	// A truncated seed is refused, never replaced.
	if err := os.WriteFile(filepath.Join(dir, keys.SeedFileName), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.OpenLocal(dir); err == nil {
		t.Fatal("short seed accepted")
	}
}

func TestOpenLocalRace(t *testing.T) {
	dir := t.TempDir()
	kid := keystest.RandomKID()
	const n = 16
	got := make([]keys.Key, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := keys.OpenLocal(dir)
			if err != nil {
				t.Error(err)
				return
			}
			ks, _ := s.Keys(t.Context(), "c", []uuid.UUID{kid})
			got[i] = ks[0]
		}()
	}
	wg.Wait()
	for i := range n {
		if !got[i].Equal(got[0]) {
			t.Fatal("concurrent first opens produced different seeds")
		}
	}
}
