// Package apigw adapts the key provider's http.Handler to Lambda behind an
// API Gateway REST API with Lambda proxy integration (payload format 1.0).
//
// Request bodies may arrive base64-encoded (binary media types). Responses
// that are valid UTF-8 go back as text, anything else base64-encoded.
//
// Headers. API Gateway passes header names in the client's spelling, so one
// header can appear under several spellings, in headers, in
// multiValueHeaders or in both. The adapter resolves them by one rule, so
// the same event always gives the same request:
//
//   - names are matched case-insensitively (canonicalised as net/http does);
//   - if multiValueHeaders has any value for a name, the values come from
//     multiValueHeaders alone (it holds every value API Gateway received;
//     headers holds only the last one); otherwise from headers;
//   - the values of several spellings are joined in the byte order of the
//     spellings ("X-Speke-Version" before "x-speke-version"), each
//     spelling's values in event order.
//
// The handler reads the first value of a header, so for the example above
// it sees the value of "X-Speke-Version".
//
// Events the adapter cannot turn into a request (a body that is not
// base64, a path that is not valid percent-encoding, an invalid
// httpMethod, a requestContext.domainName that is not a host name) are
// answered 400 by the handler itself (httpapi.WithRefusal),
// with the headers and the log line of every other error. The domain name
// must be a host name because it becomes part of the key URLs handed to
// players.
//
// The caller identity and API Gateway's request id (requestContext) reach
// the handler through package caller.
package apigw

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/go-json-experiment/json"

	"github.com/speke-go/keyprovider/internal/caller"
	"github.com/speke-go/keyprovider/internal/httpapi"
)

// maxIdentityLen bounds each caller identity field copied from the event:
// longer than any IAM ARN API Gateway reports, short enough to keep the
// log line of a hand-written event bounded.
const maxIdentityLen = 1024

// Function is the Lambda function serving an http.Handler: lambda.Start
// runs its Invoke for every event.
type Function struct{ h http.Handler }

// Handler returns the Lambda function serving h, for lambda.Start.
func Handler(h http.Handler) *Function { return &Function{h} }

// jsonOptions: map keys (the response headers) in sorted order, so that the
// same answer is the same bytes.
var jsonOptions = json.Deterministic(true)

// Invoke decodes the API Gateway event in payload, serves it and returns the
// response event. It never returns an error (see Serve): a payload that is
// not an API Gateway proxy event is answered 400.
//
// The event JSON is decoded and the answer encoded with JSON v2 (the
// standard library's encoding/json/v2, from its module until the Go version
// here ships it without GOEXPERIMENT): one pass over the payload instead of
// encoding/json's two, which on an 8-key request's 57 KB answer was a third
// of the whole Lambda path.
func (f *Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(payload, &ev, jsonOptions); err != nil {
		ev = events.APIGatewayProxyRequest{}
		ctx = httpapi.WithRefusal(ctx, http.StatusBadRequest, "Malformed event")
	}
	resp := Serve(ctx, f.h, ev)
	// One buffer of about the final size: JSON v2 encodes straight into a
	// bytes.Buffer's spare capacity, so the answer is neither regrown nor
	// copied out of an encoder buffer. The third on top is escapes plus the
	// quarter of spare room the encoder keeps free after each flush.
	out := bytes.NewBuffer(make([]byte, 0, len(resp.Body)+len(resp.Body)/3+responseOverhead))
	if err := json.MarshalWrite(out, resp, jsonOptions); err != nil {
		return nil, err // only for values JSON cannot hold; Serve makes none
	}
	return out.Bytes(), nil
}

// responseOverhead is room for the status and headers of a response event,
// beside the body and its escapes.
const responseOverhead = 1024

// Serve runs one event through h. It never returns a Go error: a Lambda
// error would reach the client as a 502 and its text the logs, so every
// outcome is an HTTP response.
func Serve(ctx context.Context, h http.Handler, ev events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	ctx = withEventContext(ctx, ev)
	var refusal string
	var body io.Reader = strings.NewReader(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			refusal = "Malformed base64 body"
		}
		body = bytes.NewReader(b)
	}
	host := ev.RequestContext.DomainName
	if host != "" && !validHost(host) {
		refusal, host = "Malformed event: requestContext.domainName is not a host name", ""
	}
	if base := baseURL(host, ev.RequestContext.Stage); base != "" {
		ctx = httpapi.WithBaseURL(ctx, base)
	}
	// A REST API hands the path over as the client sent it, still
	// percent-encoded (pathParameters are the decoded values), so a
	// content ID such as "movie 1" arrives as /client/movie%201/...
	u := &url.URL{Path: ev.Path}
	if p, err := url.PathUnescape(ev.Path); err != nil {
		refusal = "Malformed event: path"
	} else {
		u.Path, u.RawPath = p, ev.Path
	}
	if len(ev.MultiValueQueryStringParameters) > 0 {
		u.RawQuery = url.Values(ev.MultiValueQueryStringParameters).Encode()
	}
	r, err := http.NewRequestWithContext(ctx, ev.HTTPMethod, u.String(), body)
	if err != nil {
		refusal = "Malformed event: httpMethod"
		r, _ = http.NewRequestWithContext(ctx, http.MethodPost, u.String(), http.NoBody)
	}
	if refusal != "" {
		r = r.WithContext(httpapi.WithRefusal(r.Context(), http.StatusBadRequest, refusal))
	}
	r.RequestURI = u.RequestURI()
	r.Host = host
	r.Header = requestHeader(ev)
	rec := &recorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	return rec.response()
}

// withEventContext adds what the handler needs from the event's context:
// the request id to log (the Lambda request id when there is one) and the
// caller identity.
func withEventContext(ctx context.Context, ev events.APIGatewayProxyRequest) context.Context {
	rc := ev.RequestContext
	reqID := rc.RequestID
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		reqID = lc.AwsRequestID
	}
	ctx = httpapi.WithRequestID(ctx, bounded(reqID))
	return caller.WithIdentity(ctx, caller.Identity{
		UserARN:   bounded(rc.Identity.UserArn),
		AccountID: bounded(rc.Identity.AccountID),
		Caller:    bounded(rc.Identity.Caller),
		RequestID: bounded(rc.RequestID),
	})
}

func bounded(s string) string {
	if len(s) > maxIdentityLen {
		return s[:maxIdentityLen]
	}
	return s
}

// requestHeader applies the rule in the package comment.
func requestHeader(ev events.APIGatewayProxyRequest) http.Header {
	h := make(http.Header, len(ev.MultiValueHeaders)+len(ev.Headers))
	for _, k := range slices.Sorted(maps.Keys(ev.MultiValueHeaders)) {
		if vs := ev.MultiValueHeaders[k]; len(vs) > 0 {
			ck := http.CanonicalHeaderKey(k)
			h[ck] = append(h[ck], vs...)
		}
	}
	var single http.Header
	for _, k := range slices.Sorted(maps.Keys(ev.Headers)) {
		ck := http.CanonicalHeaderKey(k)
		if _, inMulti := h[ck]; inMulti {
			continue
		}
		if single == nil {
			single = make(http.Header, len(ev.Headers))
		}
		single[ck] = append(single[ck], ev.Headers[k])
	}
	maps.Copy(h, single)
	return h
}

// baseURL is the public URL of the stage the request came through:
// https://<domain>/<stage> for execute-api domains. Behind a custom domain
// the stage is not part of the path; set PUBLIC_BASE_URL there.
func baseURL(domain, stage string) string {
	if domain == "" {
		return ""
	}
	if strings.Contains(domain, ".execute-api.") && stage != "" {
		return "https://" + domain + "/" + url.PathEscape(stage)
	}
	return "https://" + domain
}

// validHost reports whether s is a DNS host name (RFC 1123 labels of
// letters, digits and inner hyphens, at most 253 bytes), optionally with a
// :port, as sam local sends. Nothing else may become part of a key URL.
func validHost(s string) bool {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		port := s[i+1:]
		if port == "" || len(port) > 5 || strings.Trim(port, "0123456789") != "" {
			return false
		}
		s = s[:i]
	}
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// recorder keeps the answer in a strings.Builder: the handler writes its
// body once, and the builder hands it to the response event without a
// second copy.
type recorder struct {
	header http.Header
	status int
	body   strings.Builder
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *recorder) response() events.APIGatewayProxyResponse {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	resp := events.APIGatewayProxyResponse{
		StatusCode:        r.status,
		Headers:           make(map[string]string, len(r.header)),
		MultiValueHeaders: map[string][]string(r.header),
	}
	for k, v := range r.header {
		if len(v) > 0 {
			resp.Headers[k] = v[0]
		}
	}
	if b := r.body.String(); utf8.ValidString(b) {
		resp.Body = b
	} else {
		resp.Body = base64.StdEncoding.EncodeToString([]byte(b))
		resp.IsBase64Encoded = true
	}
	return resp
}
