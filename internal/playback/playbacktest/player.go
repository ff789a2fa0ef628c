package playbacktest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// BrowserDir finds internal/playback/testdata/browser (the page, the
// driver and the npm packages) from the working directory upwards.
func BrowserDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			b := filepath.Join(dir, "internal", "playback", "testdata", "browser")
			if _, err := os.Stat(filepath.Join(b, "node_modules", "shaka-player", "dist", "shaka-player.compiled.js")); err != nil {
				return "", fmt.Errorf("shaka-player is not installed: run `npm ci` in %s (make player-deps does)", b)
			}
			return b, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = up
	}
}

// Chromium is the browser binary: $CHROMIUM, else chromium on PATH.
func Chromium() (string, error) {
	if c := os.Getenv("CHROMIUM"); c != "" {
		return c, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("chromium not found (Debian package chromium; or set CHROMIUM)")
}

// PlayerSite serves the player page, Shaka Player and the media on its
// own 127.0.0.1 origin, apart from the key provider's, so key and license
// requests are cross-origin as on a real site and need CORS.
type PlayerSite struct {
	URL string
	srv *http.Server
}

// ServePlayer serves browserDir's page at /, Shaka at /shaka/ and
// mediaDir at /media/ on addr ("127.0.0.1:0" for a free port).
func ServePlayer(addr, browserDir, mediaDir string) (*PlayerSite, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	page := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "no-store")
			http.ServeFile(w, r, filepath.Join(browserDir, name))
		}
	}
	mux.HandleFunc("GET /{$}", page("player.html"))
	mux.HandleFunc("GET /player.js", page("player.js"))
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.Handle("GET /shaka/", http.StripPrefix("/shaka/", http.FileServer(http.Dir(filepath.Join(browserDir, "node_modules", "shaka-player", "dist")))))
	mux.Handle("GET /media/", http.StripPrefix("/media/", http.FileServer(http.Dir(mediaDir))))
	s := &PlayerSite{URL: "http://" + ln.Addr().String(), srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the site.
func (s *PlayerSite) Close() { _ = s.srv.Close() }

// PageURL is the player page for a manifest under /media/ and a token.
func (s *PlayerSite) PageURL(manifest, token string) string {
	q := url.Values{"manifest": {s.URL + "/media/" + manifest}, "token": {token}}
	return s.URL + "/?" + q.Encode()
}

// Page is one page load of a run.
type Page struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Result is what a page reported.
type Result struct {
	Name string `json:"name"`
	// Outcome is "played" (past 3 s with no error), "error" or "timeout".
	Outcome     string   `json:"outcome"`
	CurrentTime float64  `json:"currentTime"`
	FirstFrame  *float64 `json:"firstFrameMs"`
	WallMs      float64  `json:"wallMs"`
	Error       *struct {
		Code     any    `json:"code"`
		Category any    `json:"category"`
		Data     string `json:"data"`
		// HTTPStatus is the status of the refused request behind a
		// network or license error (Shaka 1001, 6007), or 0.
		HTTPStatus int `json:"httpStatus"`
	} `json:"error"`
	Requests []struct {
		Type string `json:"type"`
		URI  string `json:"uri"`
	} `json:"requests"`
	Log []string `json:"log"`
}

// ErrorCode is the Shaka error code of a failed page, or 0.
func (r Result) ErrorCode() int {
	if r.Error == nil {
		return 0
	}
	if f, ok := r.Error.Code.(float64); ok {
		return int(f)
	}
	return -1
}

func (r Result) String() string {
	b, _ := json.Marshal(r)
	return string(b)
}

// Play loads each page in one headless Chromium, one after another, and
// returns what each reported; a page that reports nothing within timeout
// is a "timeout".
func Play(ctx context.Context, browserDir string, timeout time.Duration, pages []Page) ([]Result, error) {
	chromium, err := Chromium()
	if err != nil {
		return nil, err
	}
	in, err := json.Marshal(map[string]any{"chromium": chromium, "timeoutMs": timeout.Milliseconds(), "pages": pages})
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "node", filepath.Join(browserDir, "play.mjs"))
	cmd.Dir = browserDir
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("node play.mjs: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var out []Result
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("node play.mjs output %q: %w", stdout.String(), err)
	}
	return out, nil
}
