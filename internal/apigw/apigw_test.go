package apigw_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/speke-go/keyprovider/internal/apigw"
	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/httpapi"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/speke"
)

func handler(t *testing.T, publicBase string) func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	t.Helper()
	src, err := keys.NewLocalFromSeed(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return apigw.Handler(httpapi.New(speke.New(src, drm.NewDefaultRegistry(drm.Config{})), httpapi.Options{PublicBaseURL: publicBase}))
}

func request(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../testdata/speke/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func event(body string, headers map[string]string) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{
		HTTPMethod: "POST",
		Path:       "/copyProtection",
		Headers:    headers,
		Body:       body,
		RequestContext: events.APIGatewayProxyRequestContext{
			RequestID:  "req-1",
			Stage:      "prod",
			DomainName: "abc123.execute-api.eu-west-1.amazonaws.com",
		},
	}
}

func TestServe(t *testing.T) {
	ck := request(t, "v2.0/aes128-live.request.xml")
	h := handler(t, "")
	tests := []struct {
		name   string
		ev     events.APIGatewayProxyRequest
		status int
		check  func(t *testing.T, r events.APIGatewayProxyResponse)
	}{
		{"lowercase header names", event(ck, map[string]string{"content-type": "application/xml", "x-speke-version": "2.0"}), 200,
			func(t *testing.T, r events.APIGatewayProxyResponse) {
				if r.Headers["X-Speke-Version"] != "2.0" || r.Headers["Content-Type"] != "application/xml" || r.Headers["X-Speke-User-Agent"] == "" {
					t.Errorf("headers %v", r.Headers)
				}
				if r.IsBase64Encoded || !strings.Contains(r.Body, "PlainValue>") {
					t.Errorf("body not a filled CPIX document")
				}
			}},
		{"base64 body and key URI from the stage", func() events.APIGatewayProxyRequest {
			ev := event(base64.StdEncoding.EncodeToString([]byte(ck)), map[string]string{"Content-Type": "application/xml", "X-SPEKE-VERSION": "2.0"})
			ev.IsBase64Encoded = true
			return ev
		}(), 200,
			func(t *testing.T, r events.APIGatewayProxyResponse) {
				line := hlsMedia(t, r.Body)
				want := `URI="https://abc123.execute-api.eu-west-1.amazonaws.com/prod/client/MovieNight20261122/10000000-1000-1000-1000-100000000001"`
				if !strings.Contains(line, want) {
					t.Errorf("key URI: %s", line)
				}
			}},
		{"multi-value headers", func() events.APIGatewayProxyRequest {
			ev := event(ck, nil)
			ev.MultiValueHeaders = map[string][]string{"content-type": {"application/xml"}, "X-Speke-Version": {"2.0"}}
			return ev
		}(), 200, nil},
		{"bad base64", func() events.APIGatewayProxyRequest {
			ev := event("%%%", map[string]string{"x-speke-version": "2.0"})
			ev.IsBase64Encoded = true
			return ev
		}(), 400, nil},
		{"unsupported version", event(ck, map[string]string{"x-speke-version": "3.0"}), 422,
			func(t *testing.T, r events.APIGatewayProxyResponse) {
				if r.Body != "Unsupported SPEKE version" || r.Headers["X-Speke-Version"] != "3.0" {
					t.Errorf("%q %v", r.Body, r.Headers)
				}
			}},
		{"healthz", events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/healthz"}, 200, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := h(context.Background(), tc.ev)
			if err != nil {
				t.Fatal(err)
			}
			if r.StatusCode != tc.status {
				t.Fatalf("status %d: %s", r.StatusCode, r.Body)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func hlsMedia(t *testing.T, body string) string {
	t.Helper()
	const open = `<cpix:HLSSignalingData playlist="media">`
	i := strings.Index(body, open)
	if i < 0 {
		t.Fatal("no media HLSSignalingData")
	}
	rest := body[i+len(open):]
	b, err := base64.StdEncoding.DecodeString(rest[:strings.IndexByte(rest, '<')])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLambdaInvoke goes through aws-lambda-go's own handler reflection and
// JSON decoding, as the runtime loop does.
func TestLambdaInvoke(t *testing.T) {
	ev := event(request(t, "v2.1/clearkey-live-times.request.xml"), map[string]string{"Content-Type": "application/xml", "X-Speke-Version": "2.1"})
	payload, _ := json.Marshal(ev)
	out, err := lambda.NewHandler(handler(t, "https://keys.example.com")).Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	var r events.APIGatewayProxyResponse
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != 200 || r.Headers["X-Speke-Version"] != "2.1" || strings.Count(r.Body, "PlainValue>") != 4 {
		t.Fatalf("%d %v", r.StatusCode, r.Headers)
	}
}

// BenchmarkServe measures the Lambda path: an API Gateway event through the
// adapter and the handler to the proxy response.
func BenchmarkServe(b *testing.B) {
	src, _ := keys.NewLocalFromSeed(bytes.Repeat([]byte{7}, 32))
	h := httpapi.New(speke.New(src, drm.NewDefaultRegistry(drm.Config{})), httpapi.Options{})
	body, err := os.ReadFile("../../testdata/speke/v2.0/aes128-live.request.xml")
	if err != nil {
		b.Fatal(err)
	}
	ev := event(string(body), map[string]string{"Content-Type": "application/xml", "X-Speke-Version": "2.0"})
	b.ReportAllocs()
	for b.Loop() {
		if r := apigw.Serve(context.Background(), h, ev); r.StatusCode != 200 {
			b.Fatal(r.StatusCode, r.Body)
		}
	}
}
