package apigw_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/speke-go/keyprovider/internal/apigw"
	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/httpapi"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/speke"
)

// benchRequests are BenchmarkHandler's requests in internal/httpapi (in
// testdata/bench), so the benchmarks here compare with it directly.
var benchRequests = []string{"2key-1drm", "8key-2drm", "8key-3drm"}

// benchEvent is testdata/events/speke-v2.0.json (an event as API Gateway
// sends it: headers, identity, request context) carrying the named request.
func benchEvent(b *testing.B, name string) (events.APIGatewayProxyRequest, int) {
	tmpl, err := os.ReadFile("../../testdata/events/speke-v2.0.json")
	if err != nil {
		b.Fatal(err)
	}
	body, err := os.ReadFile("../../testdata/bench/" + name + ".request.xml")
	if err != nil {
		b.Fatal(err)
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(tmpl, &ev); err != nil {
		b.Fatal(err)
	}
	ev.Body = string(body)
	return ev, len(body)
}

// BenchmarkLambda measures the whole Lambda path as lambda.Start runs it:
// the API Gateway event's JSON bytes in, through aws-lambda-go's handler
// wrapping, the adapter and the handler, to the response event's JSON bytes.
func BenchmarkLambda(b *testing.B) {
	for _, name := range benchRequests {
		b.Run(name, func(b *testing.B) {
			ev, n := benchEvent(b, name)
			payload, err := json.Marshal(ev)
			if err != nil {
				b.Fatal(err)
			}
			lh := lambda.NewHandler(benchHandler(b))
			ctx := context.Background()
			b.SetBytes(int64(n))
			b.ReportAllocs()
			var out []byte
			for b.Loop() {
				out, err = lh.Invoke(ctx, payload)
				if err != nil || !bytes.HasPrefix(out, []byte(`{"statusCode":200,`)) {
					b.Fatalf("%v %.300s", err, out)
				}
			}
			b.ReportMetric(float64(len(out)), "resp-bytes")
		})
	}
}

// BenchmarkServe measures the adapter alone: a decoded event through
// apigw.Serve and the handler to the response event, no JSON.
func BenchmarkServe(b *testing.B) {
	for _, name := range benchRequests {
		b.Run(name, func(b *testing.B) {
			ev, n := benchEvent(b, name)
			h := benchHTTPHandler(b)
			ctx := context.Background()
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if r := apigw.Serve(ctx, h, ev); r.StatusCode != 200 {
					b.Fatal(r.StatusCode, r.Body)
				}
			}
		})
	}
}

func benchHandler(b *testing.B) *apigw.Function { return apigw.Handler(benchHTTPHandler(b)) }

func benchHTTPHandler(b *testing.B) http.Handler {
	src, err := keys.NewLocalFromSeed(bytes.Repeat([]byte{7}, keys.SeedSize))
	if err != nil {
		b.Fatal(err)
	}
	reg, err := drm.NewRegistryFromConfig(drm.Config{})
	if err != nil {
		b.Fatal(err)
	}
	return httpapi.New(speke.New(src, reg), httpapi.Options{})
}
