// Command demo (make demo) shows the player side working end to end on
// 127.0.0.1: it starts the key provider, asks it for a key with a SPEKE
// request, packages a generated clip as DASH CENC with that key, mints a
// playback token as an entitlement service would, and serves a Shaka
// Player page that plays the clip through the Clear Key license URL the
// SPEKE answer signals. A headless Chromium run checks it and reports the
// time to the first frame; then the page stays up until Ctrl-C.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/speke-go/keyprovider/internal/keys/keystest"
	"github.com/speke-go/keyprovider/internal/playback/playbacktest"
	"github.com/speke-go/keyprovider/internal/routes"
)

func main() {
	pageAddr := flag.String("page", "127.0.0.1:8090", "address of the player page")
	once := flag.Bool("once", false, "exit after the headless check")
	flag.Parse()
	if err := run(*pageAddr, *once); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(pageAddr string, once bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	browserDir, err := playbacktest.BrowserDir()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "speke-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	dataDir, media := filepath.Join(work, "data"), filepath.Join(work, "media")
	if err := os.MkdirAll(filepath.Join(media, "dash"), 0o755); err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(work, "service.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()

	svc, err := playbacktest.StartService(dataDir, nil, logFile)
	if err != nil {
		return err
	}
	defer svc.Close()
	fmt.Printf("1. key provider (SERVE=all, local key store in %s): %s\n", dataDir, svc.URL)

	contentID, kid := "demo/test-pattern-1", keystest.RandomKID()
	answer, err := svc.RequestKey(ctx, contentID, kid, playbacktest.SystemCommon)
	if err != nil {
		return err
	}
	fmt.Printf("2. SPEKE answer for content %q, KID %s: a key, a pssh and the license URL %s\n", contentID, kid, routes.LicenseURL(svc.URL))

	clip, err := playbacktest.MakeClip(ctx, work)
	if err != nil {
		return err
	}
	if err := playbacktest.PackageDASH(clip, filepath.Join(media, "dash"), answer); err != nil {
		return err
	}
	fmt.Printf("3. a %d s ffmpeg test pattern, encrypted (CENC, mp4ff) with that key, manifest carrying the answer's ContentProtectionData\n", playbacktest.ClipSeconds)

	tokenKey, err := svc.TokenKey()
	if err != nil {
		return err
	}
	token, err := playbacktest.Token(tokenKey, contentID, time.Hour, nil)
	if err != nil {
		return err
	}
	fmt.Printf("4. playback token (HS256 with %s, content_id %q, 1 h)\n", filepath.Join(dataDir, "playback-token.key"), contentID)

	site, err := playbacktest.ServePlayer(pageAddr, browserDir, media)
	if err != nil {
		return fmt.Errorf("player page on %s: %w (choose another with -page)", pageAddr, err)
	}
	defer site.Close()
	page := site.PageURL("dash/manifest.mpd", token)

	start := time.Now()
	res, err := playbacktest.Play(ctx, browserDir, 30*time.Second, []playbacktest.Page{{Name: "demo", URL: page}})
	if err != nil {
		return err
	}
	r := res[0]
	if r.Outcome != "played" {
		return fmt.Errorf("headless Chromium did not play it: %v", r)
	}
	ff := -1.0
	if r.FirstFrame != nil {
		ff = *r.FirstFrame
	}
	fmt.Printf("5. headless Chromium + Shaka Player: played past %.1f s; first frame %.0f ms after navigation (%.1f s for the whole check)\n",
		r.CurrentTime, ff, time.Since(start).Seconds())
	if once {
		return nil
	}
	fmt.Printf("\nOpen the player page (Chromium or Chrome; Firefox also plays Clear Key):\n\n  %s\n\nCtrl-C stops the demo.\n", page)
	<-ctx.Done()
	_, _ = io.WriteString(os.Stdout, "\n")
	return nil
}
