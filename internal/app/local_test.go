package app_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/speke-go/keyprovider/internal/app"
	"github.com/speke-go/keyprovider/internal/httpapi/exporttest"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/playback/playbacktest"
	"github.com/speke-go/keyprovider/internal/routes"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// neverIssued is a KID no test asks SPEKE for.
const neverIssued = "0badc0de-1000-4000-8000-000000000404"

// token mints a playback token for contentID with DATA_DIR's token key,
// as an entitlement service sharing it would.
func token(t *testing.T, dir, contentID string) string {
	t.Helper()
	key, err := os.ReadFile(filepath.Join(dir, app.TokenKeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := playbacktest.Token(key, contentID, time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func playerGet(t *testing.T, h http.Handler, dir, tokenContentID, path string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.Header.Set("Authorization", "Bearer "+token(t, dir, tokenContentID))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func license(t *testing.T, h http.Handler, dir, contentID, kid string) *httptest.ResponseRecorder {
	t.Helper()
	u := uuid.MustParse(kid)
	body, _ := json.Marshal(map[string]any{"kids": []string{base64.RawURLEncoding.EncodeToString(u[:])}, "type": "temporary"})
	r := httptest.NewRequest(http.MethodPost, routes.ClearKeyLicense, bytes.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+token(t, dir, contentID))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func ledgerBytes(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, keys.LedgerFileName))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLocalUnknownKID: what `make run` serves (app.New, local key source,
// a fresh DATA_DIR) answers 404 for a KID it never issued on the player
// key URL, the Clear Key license and the export, also for an issued KID
// asked under another content ID, and creates nothing; the KIDs it issued
// are served, by a restarted server too and by a second server on the
// same DATA_DIR started before they were issued.
func TestLocalUnknownKID(t *testing.T) {
	dir := t.TempDir()
	discard := slog.New(slog.DiscardHandler)
	other := localHandler(t, dir, discard) // another process on DATA_DIR, started first
	h := localHandler(t, dir, discard)
	issued := exporttest.Issue(t, h, "movie-1")
	before := ledgerBytes(t, dir)

	keyPath := func(cid, kid string) string { return "/client/" + cid + "/" + kid }
	for name, tc := range map[string]struct {
		tokenCID, path string
		want           int
	}{
		"issued":                   {"movie-1", keyPath("movie-1", exporttest.KIDs[0]), 200},
		"never issued":             {"movie-1", keyPath("movie-1", neverIssued), 404},
		"issued for another title": {"movie-2", keyPath("movie-2", exporttest.KIDs[0]), 404},
		"token for another title":  {"movie-2", keyPath("movie-1", exporttest.KIDs[0]), 403},
	} {
		for i, srv := range []http.Handler{h, other, localHandler(t, dir, discard)} {
			w := playerGet(t, srv, dir, tc.tokenCID, tc.path)
			if w.Code != tc.want {
				t.Errorf("key URL, %s, server %d: %d %q, want %d", name, i, w.Code, w.Body, tc.want)
				continue
			}
			key, _ := base64.StdEncoding.DecodeString(issued[exporttest.KIDs[0]])
			if got := bytes.Equal(w.Body.Bytes(), key); got != (tc.want == 200) {
				t.Errorf("key URL, %s, server %d: body is the key: %v", name, i, got)
			}
		}
	}
	for name, tc := range map[string]struct {
		cid, kid string
		want     int
	}{
		"issued":                   {"movie-1", exporttest.KIDs[1], 200},
		"never issued":             {"movie-1", neverIssued, 404},
		"issued for another title": {"movie-2", exporttest.KIDs[1], 404},
	} {
		if w := license(t, other, dir, tc.cid, tc.kid); w.Code != tc.want {
			t.Errorf("license, %s: %d %.100q, want %d", name, w.Code, w.Body, tc.want)
		}
	}

	for name, tc := range map[string]struct {
		cid  string
		kids []string
	}{
		"never issued":             {"movie-1", []string{neverIssued}},
		"one of two never issued":  {"movie-1", []string{exporttest.KIDs[0], neverIssued}},
		"issued for another title": {"movie-2", []string{exporttest.KIDs[0]}},
	} {
		missing := tc.kids[len(tc.kids)-1]
		for i, srv := range []http.Handler{h, other} {
			w := exporttest.Post(t, srv, routes.Export, exporttest.ExportRequest(t, tc.cid, tc.kids))
			if w.Code != 404 || strings.TrimSpace(w.Body.String()) != "No key issued for KID "+missing {
				t.Errorf("export, %s, server %d: %d %.100q", name, i, w.Code, w.Body)
			}
		}
	}
	if !bytes.Equal(before, ledgerBytes(t, dir)) {
		t.Error("a lookup wrote to the ledger")
	}
	// Nothing was created: still 404 after a restart.
	w := exporttest.Post(t, localHandler(t, dir, discard), routes.Export, exporttest.ExportRequest(t, "movie-1", []string{neverIssued}))
	if w.Code != 404 {
		t.Errorf("export after restart: %d", w.Code)
	}
	got := exporttest.Export(t, other, "movie-1", exporttest.KIDs)
	for _, kid := range exporttest.KIDs {
		if got[kid] != issued[kid] {
			t.Errorf("KID %s: exported key differs from the issued one", kid)
		}
	}
}

// TestLocalPreLedgerDataDir: a DATA_DIR from before the ledger keeps its
// keys. The start warns that keys issued before are 404 until requested
// again; once requested, they are served, unchanged.
func TestLocalPreLedgerDataDir(t *testing.T) {
	dir := t.TempDir()
	seed, err := keys.ReadOrCreateSecretFile(dir, keys.SeedFileName, keys.SeedSize)
	if err != nil {
		t.Fatal(err)
	}
	old, err := keys.NewLocalFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	oldKeys := exporttest.Issue(t, exporttest.Handler(old), "movie-1")

	var logs bytes.Buffer
	h := localHandler(t, dir, slog.New(slog.NewJSONHandler(&logs, nil)))
	if !strings.Contains(logs.String(), `"level":"WARN","msg":"key ledger"`) || !strings.Contains(logs.String(), "requests them again") {
		t.Errorf("no warning about the new ledger:\n%s", logs.String())
	}
	if w := playerGet(t, h, dir, "movie-1", "/client/movie-1/"+exporttest.KIDs[0]); w.Code != 404 {
		t.Errorf("a key from before the ledger: %d", w.Code)
	}
	if again := exporttest.Issue(t, h, "movie-1"); again[exporttest.KIDs[0]] != oldKeys[exporttest.KIDs[0]] {
		t.Fatal("the ledger changed a key")
	}
	w := playerGet(t, h, dir, "movie-1", "/client/movie-1/"+exporttest.KIDs[0])
	if key, _ := base64.StdEncoding.DecodeString(oldKeys[exporttest.KIDs[0]]); w.Code != 200 || !bytes.Equal(w.Body.Bytes(), key) {
		t.Errorf("after a new SPEKE request: %d", w.Code)
	}
	logs.Reset()
	localHandler(t, dir, slog.New(slog.NewJSONHandler(&logs, nil)))
	if strings.Contains(logs.String(), "WARN") {
		t.Errorf("a warning on the next start:\n%s", logs.String())
	}
}
