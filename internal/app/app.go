// Package app wires the service together from its configuration: the key
// source, the DRM registry, the SPEKE service and the HTTP handler. It is
// the only package that knows every concrete type.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/speke-go/keyprovider/internal/config"
	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/httpapi"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/keys/awskeys"
	"github.com/speke-go/keyprovider/internal/playback"
	"github.com/speke-go/keyprovider/internal/routes"
	"github.com/speke-go/keyprovider/internal/speke"
)

// New builds the handler for cfg: exactly the routes of cfg.Serve. The
// player routes and the export reach the key source only through Lookup.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (http.Handler, error) {
	for _, w := range cfg.Warnings {
		log.Warn("configuration", "warning", w)
	}
	src, err := keySource(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if l, ok := src.(*keys.Local); ok {
		logLedger(log, l)
	}
	reg, err := drm.NewRegistryFromConfig(cfg.DRM)
	if err != nil {
		return nil, err
	}
	opt := httpapi.Options{PublicBaseURL: cfg.PublicBaseURL, Logger: log}
	mux := http.NewServeMux()
	var spekeH, playH http.Handler
	for _, r := range cfg.Serve.Routes() {
		var h http.Handler
		switch {
		case slices.Contains(routes.Players, r):
			if playH == nil {
				if playH, err = players(ctx, cfg, src, log); err != nil {
					return nil, err
				}
			}
			h = playH
		case r.Path == routes.Export:
			h = httpapi.NewExport(speke.NewExporter(src, reg), opt)
		case r.Path == routes.Health && cfg.Serve == config.ServeReadOnly:
			h = http.HandlerFunc(health)
		default:
			if spekeH == nil {
				spekeH = httpapi.New(speke.New(src, reg), opt)
			}
			h = spekeH
		}
		mux.Handle(r.Pattern(), h)
	}
	// Outermost, so that every request is logged with its status, also
	// the 404s and 405s of this router.
	return httpapi.LogRequests(mux, log), nil
}

// logLedger reports the local source's issuance ledger at start, with a
// warning for what Lookup will not find.
func logLedger(log *slog.Logger, l *keys.Local) {
	st, ok := l.Ledger()
	if !ok {
		return
	}
	log.Info("key ledger", "path", st.Path, "pairs", st.Pairs)
	if st.PreLedger {
		log.Warn("key ledger", "path", st.Path, "warning",
			"new ledger for an existing seed: keys issued before now are unknown to the player routes and the export (404) until an encryptor requests them again over SPEKE")
	}
	if st.Skipped > 0 {
		log.Warn("key ledger", "path", st.Path, "skipped_lines", st.Skipped, "warning",
			"unreadable lines skipped (a crash's torn write, or an edit); their pairs answer 404 until requested again over SPEKE")
	}
}

// players builds the player routes' handler. It sees the key source only
// as a playback.Lookuper, so it cannot create keys.
func players(ctx context.Context, cfg config.Config, src playback.Lookuper, log *slog.Logger) (http.Handler, error) {
	var key []byte
	var err error
	if id := cfg.Players.TokenSecretID; id != "" {
		ctx, cancel := context.WithTimeout(ctx, startupTimeout)
		defer cancel()
		key, err = awskeys.TokenKey(ctx, cfg.AWS, id)
	} else {
		key, err = keys.ReadOrCreateSecretFile(cfg.DataDir, TokenKeyFileName, playback.TokenKeySize)
	}
	if err != nil {
		return nil, fmt.Errorf("playback token key: %w", err)
	}
	return playback.New(playback.Options{
		Keys:           src,
		TokenKey:       key,
		AllowedOrigins: cfg.Players.AllowedOrigins,
		RequestID:      httpapi.RequestID,
		Logger:         log,
	})
}

// TokenKeyFileName is the local playback-token key in DATA_DIR.
const TokenKeyFileName = "playback-token.key"

func health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}

// startupTimeout bounds the AWS calls that check the key store at start
// (DescribeTable, GetSecretValue), well inside Lambda's 10 s init phase.
const startupTimeout = 8 * time.Second

func keySource(ctx context.Context, cfg config.Config) (keys.Source, error) {
	switch cfg.KeySource {
	case config.SourceLocal:
		src, err := keys.OpenLocal(cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("KEY_SOURCE=local DATA_DIR=%s: %w", cfg.DataDir, err)
		}
		return src, nil
	case config.SourceDynamoDB, config.SourceSecretsManager:
		ctx, cancel := context.WithTimeout(ctx, startupTimeout)
		defer cancel()
		return awskeys.New(ctx, cfg)
	}
	return nil, fmt.Errorf("KEY_SOURCE=%s is not available in this build", cfg.KeySource)
}
