package playback_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/speke-go/keyprovider/internal/keys/keystest"
	"github.com/speke-go/keyprovider/internal/playback/playbacktest"
	"github.com/speke-go/keyprovider/internal/routes"
)

// pageTimeout bounds one page load: playing 3 s of a local clip takes
// about 4 s; a stalled player is reported as a timeout.
const pageTimeout = 15 * time.Second

// fixture is the service, a content ID with one DASH and one HLS key
// (both from real SPEKE answers), and the clip packaged with them.
type fixture struct {
	svc       *playbacktest.Service
	contentID string
	dash, hls *playbacktest.Answer
	clip      string
	media     string
	tokenKey  []byte
	logs      *lockedBuffer
}

// lockedBuffer collects the service's log lines, written by its request
// goroutines, for the test to read.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	f := &fixture{contentID: "playback/" + keystest.RandomContentID(), logs: &lockedBuffer{}}
	var err error
	f.svc, err = playbacktest.StartService(t.TempDir(), nil, f.logs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.svc.Close)
	if f.dash, err = f.svc.RequestKey(ctx, f.contentID, keystest.RandomKID(), playbacktest.SystemCommon); err != nil {
		t.Fatal(err)
	}
	if f.hls, err = f.svc.RequestKey(ctx, f.contentID, keystest.RandomKID(), playbacktest.SystemAES128HLS); err != nil {
		t.Fatal(err)
	}
	if f.tokenKey, err = f.svc.TokenKey(); err != nil {
		t.Fatal(err)
	}
	f.media = t.TempDir()
	if f.clip, err = playbacktest.MakeClip(ctx, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) token(t *testing.T, contentID string) string {
	t.Helper()
	tok, err := playbacktest.Token(f.tokenKey, contentID, 10*time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (f *fixture) packageHLS(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(f.media, "hls")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := playbacktest.PackageHLS(t.Context(), f.clip, dir, f.hls); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "index.m3u8")
}

// TestBrowserPlayback plays DASH CENC (W3C Clear Key through the signaled
// license URL) and HLS AES-128 (through the signaled key URI) in headless
// Chromium with Shaka Player, from another origin than the key provider's;
// then the same pages with a token for another content ID must fail with
// a license or key error.
func TestBrowserPlayback(t *testing.T) {
	browserDir, err := playbacktest.BrowserDir()
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	dashDir := filepath.Join(f.media, "dash")
	if err := os.MkdirAll(dashDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := playbacktest.PackageDASH(f.clip, dashDir, f.dash); err != nil {
		t.Fatal(err)
	}
	f.packageHLS(t)
	site, err := playbacktest.ServePlayer("127.0.0.1:0", browserDir, f.media)
	if err != nil {
		t.Fatal(err)
	}
	defer site.Close()

	good, other := f.token(t, f.contentID), f.token(t, f.contentID+"-other")
	keyURI, err := f.hls.KeyURI()
	if err != nil {
		t.Fatal(err)
	}
	licenseURL := routes.LicenseURL(f.svc.URL)
	if !strings.Contains(f.dash.CPD, ">"+licenseURL+"<") {
		t.Fatalf("the answer signals no license URL %s: %s", licenseURL, f.dash.CPD)
	}
	results, err := playbacktest.Play(t.Context(), browserDir, pageTimeout, []playbacktest.Page{
		{Name: "dash", URL: site.PageURL("dash/manifest.mpd", good)},
		{Name: "hls", URL: site.PageURL("hls/index.m3u8", good)},
		{Name: "dash, other content's token", URL: site.PageURL("dash/manifest.mpd", other)},
		{Name: "hls, other content's token", URL: site.PageURL("hls/index.m3u8", other)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 4 {
		t.Fatalf("%d results", len(results))
	}
	wantURI := map[string]string{"dash": licenseURL, "hls": keyURI}
	for _, r := range results {
		kind := strings.TrimSuffix(strings.Fields(r.Name)[0], ",")
		if !strings.Contains(r.Name, "other") {
			if r.Outcome != "played" || r.CurrentTime < 3 {
				t.Errorf("%s: did not play past 3 s: %v", r.Name, r)
				continue
			}
			if len(r.Requests) == 0 || r.Requests[0].URI != wantURI[kind] {
				t.Errorf("%s: requests %v, want %s", r.Name, r.Requests, wantURI[kind])
			}
			ff := -1.0
			if r.FirstFrame != nil {
				ff = *r.FirstFrame
			}
			t.Logf("%s: played to %.1f s; first frame %.0f ms after navigation; page wall time %.0f ms", r.Name, r.CurrentTime, ff, r.WallMs)
			continue
		}
		// HLS: Shaka 1001 BAD_HTTP_STATUS, the key URI answered 403 (the
		// URI names this content, the token another). DASH: the license
		// URL names no content, so the token's content ID is looked up:
		// its store never issued these KIDs, 404, Shaka 6007
		// LICENSE_REQUEST_FAILED wrapping the 1001.
		want := map[string]struct{ code, status int }{"dash": {6007, 404}, "hls": {1001, 403}}[kind]
		if r.Outcome != "error" || r.ErrorCode() != want.code || r.CurrentTime > 0.5 {
			t.Errorf("%s: want Shaka error %d and no playback, got %v", r.Name, want.code, r)
			continue
		}
		if len(r.Requests) == 0 || r.Requests[0].URI != wantURI[kind] {
			t.Errorf("%s: requests %v, want %s", r.Name, r.Requests, wantURI[kind])
		}
		if !strings.Contains(r.Error.Data, wantURI[kind]) || r.Error.HTTPStatus != want.status {
			t.Errorf("%s: the error is not a %d from %s: %+v", r.Name, want.status, wantURI[kind], *r.Error)
		}
		route := map[string]string{"dash": "license", "hls": "key"}[kind]
		if !strings.Contains(f.logs.String(), fmt.Sprintf(`"route":"%s","status":%d`, route, want.status)) {
			t.Errorf("%s: the service logged no %s %d:\n%s", r.Name, route, want.status, f.logs)
		}
		t.Logf("%s: Shaka error %d as expected", r.Name, r.ErrorCode())
	}
	for _, l := range leaks(f.dash.Key, f.hls.Key) {
		if strings.Contains(f.logs.String(), l) {
			t.Error("the service log carries a key")
		}
	}
	if !strings.Contains(f.logs.String(), `"route":"license"`) || !strings.Contains(f.logs.String(), `"route":"key"`) {
		t.Errorf("the service log has no player requests:\n%s", f.logs)
	}
}

// TestFFmpegHLSKeyURL decodes the HLS AES-128 package with ffmpeg, which
// fetches the key from the signaled key URI with a bearer token: the
// decoded frames must equal the clip's, and a wrong or missing token must
// fail the decode.
func TestFFmpegHLSKeyURL(t *testing.T) {
	f := newFixture(t)
	f.packageHLS(t)
	// Over HTTP, as players get it: ffmpeg sends -headers with the
	// playlist's own requests and those it derives (segments, key).
	site, err := playbacktest.ServePlayer("127.0.0.1:0", t.TempDir(), f.media)
	if err != nil {
		t.Fatal(err)
	}
	defer site.Close()
	playlist := site.URL + "/media/hls/index.m3u8"
	want := framemd5(t, f.clip, "")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("service log:\n%s", f.logs)
		}
	})
	if got := framemd5(t, playlist, "Authorization: Bearer "+f.token(t, f.contentID)+"\r\n"); got != want {
		t.Fatalf("HLS decoded through the key URL differs from the clip:\n%s\nwant\n%s", got, want)
	}
	for name, hdr := range map[string]string{
		"other content's token": "Authorization: Bearer " + f.token(t, "other") + "\r\n",
		"no token":              "",
	} {
		out, err := ffmpegDecode(playlist, hdr)
		if err == nil {
			t.Errorf("%s: ffmpeg decoded the stream", name)
		} else if !strings.Contains(out, "403") && !strings.Contains(out, "401") && !strings.Contains(out, "Unable to open key file") {
			t.Errorf("%s: ffmpeg failed for another reason: %s", name, out)
		}
	}
}

// ffmpegDecode decodes input's video to per-frame MD5s; headers, if not
// empty, go with every HTTP request (the key fetch).
func ffmpegDecode(input, headers string) (string, error) {
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error"}
	if headers != "" {
		args = append(args, "-headers", headers)
	}
	if strings.HasSuffix(input, ".m3u8") {
		args = append(args, "-protocol_whitelist", "file,http,tcp,crypto")
	}
	args = append(args, "-i", input, "-map", "0:v", "-f", "framemd5", "-")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ffmpeg", args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stderr.String(), err
	}
	return stdout.String(), nil
}

// framemd5 is the per-frame MD5 list of input's decoded video, without the
// header lines (which name the input).
func framemd5(t *testing.T, input, headers string) string {
	t.Helper()
	out, err := ffmpegDecode(input, headers)
	if err != nil {
		t.Fatalf("ffmpeg %s: %v: %s", input, err, out)
	}
	var frames []string
	for _, l := range strings.Split(out, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			f := strings.Split(l, ",")
			frames = append(frames, strings.TrimSpace(f[len(f)-1]))
		}
	}
	if len(frames) < playbacktest.ClipSeconds*20 {
		t.Fatalf("ffmpeg decoded %d frames from %s", len(frames), input)
	}
	return strings.Join(frames, "\n")
}
