package apigw_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/speke-go/keyprovider/internal/apigw"
	"github.com/speke-go/keyprovider/internal/caller"
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
	return serve(httpapi.New(speke.New(src, drm.NewDefaultRegistry(drm.Config{})), httpapi.Options{PublicBaseURL: publicBase}))
}

// serve runs events through apigw.Serve, after the JSON decoding that
// TestLambdaInvoke covers.
func serve(h http.Handler) func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return apigw.Serve(ctx, h, ev), nil
	}
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

// TestLambdaInvoke goes through aws-lambda-go's own handler wrapping, as
// lambda.Start does, and reads the answer with encoding/json, as a check
// independent of the JSON v2 the adapter writes it with.
func TestLambdaInvoke(t *testing.T) {
	src, err := keys.NewLocalFromSeed(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	h := httpapi.New(speke.New(src, drm.NewDefaultRegistry(drm.Config{})), httpapi.Options{
		PublicBaseURL: "https://keys.example.com", Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
	})
	fn := lambda.NewHandler(apigw.Handler(h))
	ev := event(request(t, "v2.1/clearkey-live-times.request.xml"), map[string]string{"Content-Type": "application/xml", "X-Speke-Version": "2.1"})
	payload, _ := json.Marshal(ev)
	out, err := fn.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	var r events.APIGatewayProxyResponse
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	if want := apigw.Serve(context.Background(), h, ev); !reflect.DeepEqual(r, want) {
		t.Fatalf("Invoke's answer differs from Serve's:\n%+v\n%+v", r, want)
	}
	if r.StatusCode != 200 || r.Headers["X-Speke-Version"] != "2.1" || strings.Count(r.Body, "PlainValue>") != 4 {
		t.Fatalf("%d %v", r.StatusCode, r.Headers)
	}
	again, _ := fn.Invoke(context.Background(), payload)
	if !bytes.Equal(again, out) {
		t.Fatal("the same event gave other bytes")
	}

	// A payload that is not an API Gateway event is a 400 answer, not a
	// Lambda error (which API Gateway would turn into a 502).
	for _, bad := range []string{`{"body": 1}`, `[`, `{"httpMethod":"POST","httpMethod":"GET"}`, "{\"body\":\"\xff\"}"} {
		logs.Reset()
		out, err := fn.Invoke(context.Background(), []byte(bad))
		if err != nil {
			t.Fatalf("%q: %v", bad, err)
		}
		var r events.APIGatewayProxyResponse
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatal(err)
		}
		if r.StatusCode != 400 || r.Body != "Malformed event" || r.Headers["X-Speke-User-Agent"] == "" || !strings.Contains(logs.String(), `"status":400`) {
			t.Errorf("%q: %d %q %v %s", bad, r.StatusCode, r.Body, r.Headers, logs.String())
		}
	}
}

// TestHeaderSpellings: one header under several spellings resolves by the
// package's rule, every time (the event's maps are iterated in random order,
// so a rule that depends on it fails within a few runs).
func TestHeaderSpellings(t *testing.T) {
	ck := request(t, "v2.0/aes128-live.request.xml")
	h := handler(t, "")
	tests := []struct {
		name    string
		headers map[string]string
		multi   map[string][]string
		status  int
		version string // the X-Speke-Version the handler saw (echoed)
	}{
		{"two spellings in headers", map[string]string{"x-speke-version": "1.0", "X-Speke-Version": "2.0", "Content-Type": "application/xml"}, nil, 200, "2.0"},
		{"two spellings in multiValueHeaders", nil, map[string][]string{"x-speke-version": {"1.0"}, "X-SPEKE-VERSION": {"2.0"}, "content-type": {"application/xml"}}, 200, "2.0"},
		{"lower-case spelling first when it sorts first", nil, map[string][]string{"X-speke-version": {"2.0", "1.0"}, "x-speke-version": {"1.0"}}, 200, "2.0"},
		{"multiValueHeaders over headers", map[string]string{"x-speke-version": "1.0"}, map[string][]string{"X-Speke-Version": {"2.0"}}, 200, "2.0"},
		{"headers where multiValueHeaders lacks the name", map[string]string{"X-Speke-Version": "2.0"}, map[string][]string{"content-type": {"application/xml"}}, 200, "2.0"},
		{"empty multi-value list falls back to headers", map[string]string{"x-speke-version": "2.0"}, map[string][]string{"X-Speke-Version": {}}, 200, "2.0"},
		{"refused version in the winning spelling", map[string]string{"X-Speke-Version": "1.0", "x-speke-version": "2.0"}, nil, 422, "1.0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for range 40 {
				ev := event(ck, tc.headers)
				ev.MultiValueHeaders = tc.multi
				r, err := h(context.Background(), ev)
				if err != nil {
					t.Fatal(err)
				}
				if r.StatusCode != tc.status || r.Headers["X-Speke-Version"] != tc.version {
					t.Fatalf("status %d, X-Speke-Version %q; want %d, %q", r.StatusCode, r.Headers["X-Speke-Version"], tc.status, tc.version)
				}
			}
		})
	}
}

// TestAdapterRefusals: events the adapter cannot turn into a request get a
// 400 with the headers of the handler's own errors, and a log line.
func TestAdapterRefusals(t *testing.T) {
	ck := request(t, "v2.0/aes128-live.request.xml")
	tests := []struct {
		name string
		ev   func() events.APIGatewayProxyRequest
		msg  string
	}{
		{"bad base64 body", func() events.APIGatewayProxyRequest {
			ev := event("%%%", map[string]string{"X-Speke-Version": "2.0"})
			ev.IsBase64Encoded = true
			return ev
		}, "Malformed base64 body"},
		{"invalid httpMethod", func() events.APIGatewayProxyRequest {
			ev := event(ck, map[string]string{"X-Speke-Version": "2.0"})
			ev.HTTPMethod = "PO ST"
			return ev
		}, "Malformed event: httpMethod"},
		{"path not percent-encoding", func() events.APIGatewayProxyRequest {
			ev := event(ck, map[string]string{"X-Speke-Version": "2.0"})
			ev.Path = "/copyProtection%zz"
			return ev
		}, "Malformed event: path"},
		{"domainName with a path", func() events.APIGatewayProxyRequest {
			ev := event(ck, map[string]string{"X-Speke-Version": "2.0"})
			ev.RequestContext.DomainName = "evil.example/x?"
			return ev
		}, "Malformed event: requestContext.domainName is not a host name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := loggingHandler(t, &logs)
			r, err := h(context.Background(), tc.ev())
			if err != nil {
				t.Fatal(err)
			}
			if r.StatusCode != 400 || r.Body != tc.msg {
				t.Fatalf("%d %q", r.StatusCode, r.Body)
			}
			for k, want := range map[string]string{
				"X-Speke-User-Agent":     httpapi.UserAgent,
				"X-Request-Id":           "req-1",
				"X-Content-Type-Options": "nosniff",
				"Content-Type":           "text/plain; charset=utf-8",
				"X-Speke-Version":        "2.0",
			} {
				if r.Headers[k] != want || len(r.MultiValueHeaders[k]) != 1 {
					t.Errorf("%s = %q, want %q", k, r.Headers[k], want)
				}
			}
			var line map[string]any
			if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
				t.Fatalf("want one JSON log line: %v\n%s", err, logs.String())
			}
			if line["status"] != 400.0 || line["request_id"] != "req-1" || line["error"] != tc.msg {
				t.Errorf("log line %v", line)
			}
		})
	}
}

// TestDomainName: requestContext.domainName becomes part of key URLs only
// when it is a host name.
func TestDomainName(t *testing.T) {
	ck := request(t, "v2.0/aes128-live.request.xml")
	h := handler(t, "")
	kid := "/client/MovieNight20261122/10000000-1000-1000-1000-100000000001"
	for domain, want := range map[string]string{
		"abc123.execute-api.eu-west-1.amazonaws.com": "https://abc123.execute-api.eu-west-1.amazonaws.com/prod" + kid,
		"keys.example.com":                           "https://keys.example.com" + kid,
		"localhost:3000":                             "https://localhost:3000" + kid,
		"":                                           "http://" + kid, // no domain: no base URL (configure PUBLIC_BASE_URL)
		"evil.example/x":                             "",
		"evil.example\"":                             "",
		"a.execute-api.b@evil.example":               "",
		"evil.example:80:80":                         "",
		"evil.example:":                              "",
		"-evil.example":                              "",
		"evil..example":                              "",
		"evil_example.com":                           "",
		"k\u00e9ys.example.com":                      "",
		strings.Repeat("a", 64) + ".example":         "",
	} {
		ev := event(ck, map[string]string{"Content-Type": "application/xml", "X-Speke-Version": "2.0"})
		ev.RequestContext.DomainName = domain
		r, err := h(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		if want == "" {
			if r.StatusCode != 400 {
				t.Errorf("%q: status %d, want 400", domain, r.StatusCode)
			}
			continue
		}
		if r.StatusCode != 200 {
			t.Errorf("%q: status %d: %s", domain, r.StatusCode, r.Body)
			continue
		}
		if line := hlsMedia(t, r.Body); !strings.Contains(line, `URI="`+want+`"`) {
			t.Errorf("%q: key URI in %s, want %s", domain, line, want)
		}
	}
}

// TestCallerIdentity: the adapter hands requestContext's identity and
// request id to the handler, which logs them.
func TestCallerIdentity(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/events/speke-v2.0.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	want := caller.Identity{
		UserARN:   ev.RequestContext.Identity.UserArn,
		AccountID: ev.RequestContext.Identity.AccountID,
		Caller:    ev.RequestContext.Identity.Caller,
		RequestID: ev.RequestContext.RequestID,
	}
	if want.UserARN == "" || want.AccountID == "" || want.Caller == "" || want.RequestID == "" {
		t.Fatalf("test event lacks identity fields: %+v", want)
	}
	var got caller.Identity
	apigw.Serve(context.Background(), http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got, _ = caller.FromContext(r.Context())
	}), ev)
	if got != want {
		t.Fatalf("identity %+v, want %+v", got, want)
	}

	var logs bytes.Buffer
	if r, _ := loggingHandler(t, &logs)(context.Background(), ev); r.StatusCode != 200 {
		t.Fatalf("status %d: %s", r.StatusCode, r.Body)
	}
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line["caller_arn"] != want.UserARN || line["caller_account"] != want.AccountID ||
		line["caller"] != want.Caller || line["apigw_request_id"] != want.RequestID {
		t.Fatalf("log line %v", line)
	}

	ev.RequestContext.Identity.UserArn = strings.Repeat("a", 100_000)
	apigw.Serve(context.Background(), http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got, _ = caller.FromContext(r.Context())
	}), ev)
	if len(got.UserARN) > 1024 {
		t.Fatalf("identity field of %d bytes passed unbounded", len(got.UserARN))
	}
}

func loggingHandler(t *testing.T, buf *bytes.Buffer) func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	t.Helper()
	src, err := keys.NewLocalFromSeed(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(buf, nil))
	return serve(httpapi.New(speke.New(src, drm.NewDefaultRegistry(drm.Config{})), httpapi.Options{Logger: log}))
}

// TestEncodedPath: a REST API delivers the path percent-encoded, as the
// client sent it; the handler sees the decoded path segments (the values
// API Gateway puts in pathParameters), an encoded slash included.
func TestEncodedPath(t *testing.T) {
	for path, want := range map[string]string{
		"/client/movie%201/k":       "movie 1",
		"/client/movie%2F1/k":       "movie/1",
		"/client/caf%C3%A9%3F%23/k": "café?#",
		"/client/100%25/k":          "100%",
		"/client/plain/k":           "plain",
	} {
		mux := http.NewServeMux()
		var got string
		mux.HandleFunc("GET /client/{contentId}/{kid}", func(_ http.ResponseWriter, r *http.Request) {
			got = r.PathValue("contentId")
		})
		ev := event("", nil)
		ev.HTTPMethod, ev.Path = "GET", path
		if r := apigw.Serve(context.Background(), mux, ev); r.StatusCode != 200 || got != want {
			t.Errorf("path %s: status %d, contentId %q, want %q", path, r.StatusCode, got, want)
		}
	}
}
