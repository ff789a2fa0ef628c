// Command lambda is the SPEKE key provider. Under the Lambda runtime it
// serves API Gateway proxy events; anywhere else it listens on $ADDR.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/speke-go/keyprovider/internal/apigw"
	"github.com/speke-go/keyprovider/internal/app"
	"github.com/speke-go/keyprovider/internal/config"
)

func main() {
	cfg, err := config.Load(os.Getenv)
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if err != nil {
		log.Error("configuration", "error", err.Error())
		os.Exit(1)
	}
	startup := app.Inspect(cfg) // before New creates a missing seed
	h, err := app.New(context.Background(), cfg, log)
	if err != nil {
		log.Error("startup", "error", err.Error())
		os.Exit(1)
	}
	if cfg.Lambda {
		lambda.Start(apigw.Handler(h))
		return
	}
	if err := app.ListenAndServe(cfg.Addr, h, log, startup.Attrs()...); err != nil {
		log.Error("server", "error", err.Error())
		os.Exit(1)
	}
}
