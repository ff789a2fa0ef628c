// Package app wires the service together from its configuration: the key
// source, the DRM registry, the SPEKE service and the HTTP handler. It is
// the only package that knows every concrete type.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/speke-go/keyprovider/internal/config"
	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/httpapi"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/keys/awskeys"
	"github.com/speke-go/keyprovider/internal/speke"
)

// New builds the handler for cfg.
func New(ctx context.Context, cfg config.Config, getenv func(string) string, log *slog.Logger) (http.Handler, error) {
	src, err := keySource(ctx, cfg, getenv)
	if err != nil {
		return nil, err
	}
	reg, err := drm.NewRegistryFromConfig(cfg.DRM)
	if err != nil {
		return nil, err
	}
	h := httpapi.New(speke.New(src, reg), httpapi.Options{
		PublicBaseURL: cfg.PublicBaseURL,
		Logger:        log,
	})
	// Outermost, so that every request gets its one log line, also the
	// 404s and 405s of whatever router sits in front of the routes.
	return httpapi.LogRequests(h, log), nil
}

// startupTimeout bounds the AWS calls that check the key store at start
// (DescribeTable, GetSecretValue), well inside Lambda's 10 s init phase.
const startupTimeout = 8 * time.Second

func keySource(ctx context.Context, cfg config.Config, getenv func(string) string) (keys.Source, error) {
	switch cfg.KeySource {
	case config.SourceLocal:
		return keys.OpenLocal(cfg.DataDir)
	case config.SourceDynamoDB, config.SourceSecretsManager:
		ctx, cancel := context.WithTimeout(ctx, startupTimeout)
		defer cancel()
		src, err := awskeys.NewFromEnv(ctx, getenv)
		if err != nil {
			return nil, fmt.Errorf("KEY_SOURCE=%s: %w", cfg.KeySource, err)
		}
		return src, nil
	}
	return nil, fmt.Errorf("KEY_SOURCE=%s is not available in this build", cfg.KeySource)
}
