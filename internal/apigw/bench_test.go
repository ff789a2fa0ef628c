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

// BenchmarkLambda measures the whole Lambda path as lambda.Start runs it:
// the API Gateway event's JSON bytes in (aws-lambda-go's reflection and
// JSON decoding), the adapter and the handler, the response event's JSON
// bytes out. The requests are those of BenchmarkHandler in internal/httpapi,
// so the two compare directly.
func BenchmarkLambda(b *testing.B) {
	tmpl, err := os.ReadFile("../../testdata/events/speke-v2.0.json")
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"2key-1drm", "8key-2drm", "8key-3drm"} {
		b.Run(name, func(b *testing.B) {
			body, err := os.ReadFile("../../testdata/bench/" + name + ".request.xml")
			if err != nil {
				b.Fatal(err)
			}
			var ev events.APIGatewayProxyRequest
			if err := json.Unmarshal(tmpl, &ev); err != nil {
				b.Fatal(err)
			}
			ev.Body = string(body)
			payload, err := json.Marshal(ev)
			if err != nil {
				b.Fatal(err)
			}
			lh := lambda.NewHandler(benchHandler(b))
			ctx := context.Background()
			b.SetBytes(int64(len(body)))
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

func benchHandler(b *testing.B) func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	src, err := keys.NewLocalFromSeed(bytes.Repeat([]byte{7}, keys.SeedSize))
	if err != nil {
		b.Fatal(err)
	}
	reg, err := drm.NewRegistryFromConfig(drm.Config{})
	if err != nil {
		b.Fatal(err)
	}
	var h http.Handler = httpapi.New(speke.New(src, reg), httpapi.Options{})
	return apigw.Handler(h)
}
