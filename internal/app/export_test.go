package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/speke-go/keyprovider/internal/apigw"
	"github.com/speke-go/keyprovider/internal/app"
	"github.com/speke-go/keyprovider/internal/cke/cketest"
	"github.com/speke-go/keyprovider/internal/config"
	"github.com/speke-go/keyprovider/internal/httpapi/exporttest"
)

// localHandler is what `make run` serves: the default configuration with
// the local key store in dir.
func localHandler(t *testing.T, dir string, log *slog.Logger) http.Handler {
	t.Helper()
	getenv := func(k string) string { return map[string]string{"DATA_DIR": dir}[k] }
	cfg, err := config.Load(getenv)
	if err != nil {
		t.Fatal(err)
	}
	h, err := app.New(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestLocalExport: the handler `make run` serves (local key store) answers
// SPEKE and the key export on one address, and the exported keys, opened
// outside with the certificate's private key, are the keys SPEKE issued,
// also after a restart on the same DATA_DIR.
func TestLocalExport(t *testing.T) {
	dir := t.TempDir()
	start := func() http.Handler { return localHandler(t, dir, slog.New(slog.DiscardHandler)) }
	h := start()
	exporttest.RoundTrip(t, h, "local-export")
	issued := exporttest.Issue(t, h, "local-export")
	got := exporttest.Export(t, start(), "local-export", exporttest.KIDs)
	for _, kid := range exporttest.KIDs {
		if got[kid] != issued[kid] {
			t.Errorf("KID %s: a restarted server exports another key", kid)
		}
	}
}

// TestExportThroughLambda: an API Gateway event for POST /export, through
// the Lambda adapter and the handler `make run` serves, is answered with the
// encrypted keys, and its audit line names the caller API Gateway reported.
func TestExportThroughLambda(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/events/speke-v2.0.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev.Path, ev.Resource, ev.RequestContext.ResourcePath = "/export", "/export", "/export"
	ev.RequestContext.Identity.UserArn = "arn:aws:sts::111122223333:assumed-role/LicenseServer/ksm-1"
	ev.RequestContext.Identity.AccountID = "111122223333"
	ev.Body = string(exporttest.ExportRequest(t, "lambda-export", exporttest.KIDs))

	var logs bytes.Buffer
	h := localHandler(t, t.TempDir(), slog.New(slog.NewJSONHandler(&logs, nil)))
	issued := exporttest.Issue(t, h, "lambda-export")
	logs.Reset()
	res := apigw.Serve(context.Background(), h, ev)
	if res.StatusCode != 200 {
		t.Fatalf("%d %.200s", res.StatusCode, res.Body)
	}
	got := cketest.Decrypt(t, []byte(res.Body))
	for _, kid := range exporttest.KIDs {
		if got[kid] != issued[kid] {
			t.Errorf("KID %s: exported key differs from the issued one", kid)
		}
	}
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, logs.String())
	}
	if line["msg"] != "export" || line["caller_arn"] != ev.RequestContext.Identity.UserArn ||
		line["caller_account"] != "111122223333" || line["apigw_request_id"] != ev.RequestContext.RequestID ||
		line["ExportedKeys"] != 2.0 || line["content_id"] != "lambda-export" {
		t.Errorf("audit line %v", line)
	}
}
