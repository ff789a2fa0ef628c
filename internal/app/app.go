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

// New builds the handler for cfg: the SPEKE routes and the key export, on
// one address.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (http.Handler, error) {
	src, err := keySource(ctx, cfg)
	if err != nil {
		return nil, err
	}
	reg, err := drm.NewRegistryFromConfig(cfg.DRM)
	if err != nil {
		return nil, err
	}
	opt := httpapi.Options{PublicBaseURL: cfg.PublicBaseURL, Logger: log}
	mux := http.NewServeMux()
	// The export reaches the key source only through Lookup.
	mux.Handle("POST "+httpapi.PathExport, httpapi.NewExport(speke.NewExporter(src, reg), opt))
	mux.Handle("/", httpapi.New(speke.New(src, reg), opt))
	return mux, nil
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
