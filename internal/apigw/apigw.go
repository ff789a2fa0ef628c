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
// URL. A REST API hands over path as the client sent it, still
// percent-encoded (HTTP APIs would decode it), and the query parameters
// decoded. The handler gets the URL net/http parses from the same request
// line: URL.Path decoded, URL.EscapedPath() and RequestURI the wire form,
// so a content ID with "%2F" is one path segment for ServeMux and
// PathValue returns it decoded, under Lambda as under `make run`. The
// query is encoded again from multiValueQueryStringParameters (or from
// queryStringParameters when an event has only those).
//
// Events the adapter cannot turn into a request (a body that is not
// base64, an invalid httpMethod, a path that is not an absolute
// percent-encoded path, a requestContext.domainName that is not a host
// name) are answered 400 by the handler itself (httpapi.WithRefusal),
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
	"errors"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
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
// The event JSON is decoded with JSON v2 (the standard library's
// encoding/json/v2, from its module until the Go version here ships it
// without GOEXPERIMENT): one pass over the payload instead of
// encoding/json's two. The body is unquoted straight into the buffer the
// handler reads, and the answer quoted from the handler's bytes straight
// into the response event (see json.go).
func (f *Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	body := bodyBuffers.Get().(*[]byte)
	defer putBody(body)
	ev, err := decodeEvent(payload, body)
	if err != nil {
		// Path "/" so that the event's own refusal is the answer.
		ev = events.APIGatewayProxyRequest{Path: "/"}
		ctx = httpapi.WithRefusal(ctx, http.StatusBadRequest, "Malformed event")
		*body = (*body)[:0]
	}
	rec := serve(ctx, f.h, ev, body)
	defer rec.free()
	return rec.encode()
}

// Serve runs one event through h. It never returns a Go error: a Lambda
// error would reach the client as a 502 and its text the logs, so every
// outcome is an HTTP response.
func Serve(ctx context.Context, h http.Handler, ev events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	rec := serve(ctx, h, ev, nil)
	defer rec.free()
	return rec.response()
}

// serve runs ev through h and returns what h answered, for Serve to turn
// into a response event and Invoke into its JSON. The caller frees it. The
// request body is *body if body is not nil (Invoke decodes it there), else
// ev.Body.
func serve(ctx context.Context, h http.Handler, ev events.APIGatewayProxyRequest, body *[]byte) *recorder {
	ctx = withEventContext(ctx, ev)
	var refusal string
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(*body)
	} else {
		rd = strings.NewReader(ev.Body)
	}
	if ev.IsBase64Encoded {
		var b []byte
		var err error
		if body != nil {
			b, err = base64.StdEncoding.AppendDecode(nil, *body)
		} else {
			b, err = base64.StdEncoding.DecodeString(ev.Body)
		}
		if err != nil {
			refusal = "Malformed base64 body"
		}
		rd = bytes.NewReader(b)
	}
	host := ev.RequestContext.DomainName
	if host != "" && !validHost(host) {
		refusal, host = "Malformed event: requestContext.domainName is not a host name", ""
	}
	if base := baseURL(host, ev.RequestContext.Stage); base != "" {
		ctx = httpapi.WithBaseURL(ctx, base)
	}
	u, err := requestURL(ev)
	if err != nil {
		refusal, u = "Malformed event: path", &url.URL{Path: "/"}
	}
	r, err := http.NewRequestWithContext(ctx, ev.HTTPMethod, "/", rd)
	if err != nil {
		refusal = "Malformed event: httpMethod"
		r, _ = http.NewRequestWithContext(ctx, http.MethodPost, "/", http.NoBody)
	}
	if refusal != "" {
		r = r.WithContext(httpapi.WithRefusal(r.Context(), http.StatusBadRequest, refusal))
	}
	r.URL = u
	r.RequestURI = u.RequestURI()
	r.Host = host
	r.Header = requestHeader(ev)
	rec := newRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// requestURL is the URL net/http would have parsed from the client's
// request line (see the package comment). A literal '?' or '#', a bad
// escape or a control character cannot be in a path as sent, so it is an
// error rather than a guess.
func requestURL(ev events.APIGatewayProxyRequest) (*url.URL, error) {
	if !strings.HasPrefix(ev.Path, "/") || strings.ContainsAny(ev.Path, "?#") {
		return nil, errors.New("apigw: path is not an absolute escaped path")
	}
	u, err := url.ParseRequestURI(ev.Path)
	if err != nil {
		return nil, err
	}
	q := url.Values(ev.MultiValueQueryStringParameters)
	if len(q) == 0 && len(ev.QueryStringParameters) > 0 {
		q = make(url.Values, len(ev.QueryStringParameters))
		for k, v := range ev.QueryStringParameters {
			q[k] = []string{v}
		}
	}
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return u, nil
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

// bodyBuffers holds buffers for request and answer bodies, reused from
// one event to the next.
var bodyBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBody bounds the buffers kept for reuse: above any CPIX request
// or answer, so that one odd body does not stay in memory.
const maxPooledBody = 4 << 20

// putBody zeroes b and keeps it for reuse: an answer holds content keys,
// and a buffer waiting in the pool must not hold the last one.
func putBody(b *[]byte) {
	clear((*b)[:cap(*b)])
	if cap(*b) <= maxPooledBody {
		bodyBuffers.Put(b)
	}
}

// recorder keeps the answer in a buffer reused from one request to the
// next: the handler's body is copied into it once and read from it once
// (quoted into the response JSON, or copied into the response event's
// string), so an answer costs no allocation of its size beside the one
// that leaves the adapter.
type recorder struct {
	header http.Header
	status int
	body   *[]byte
}

func newRecorder() *recorder {
	b := bodyBuffers.Get().(*[]byte)
	*b = (*b)[:0]
	return &recorder{header: http.Header{}, body: b}
}

// free returns the body buffer for reuse; the recorder is not used again.
func (r *recorder) free() {
	putBody(r.body)
	r.body = nil
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
	*r.body = append(*r.body, b...)
	return len(b), nil
}

// statusCode is the status the handler answered with.
func (r *recorder) statusCode() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// headers are the response event's two header maps.
func (r *recorder) headers() (map[string]string, map[string][]string) {
	single := make(map[string]string, len(r.header))
	for k, v := range r.header {
		if len(v) > 0 {
			single[k] = v[0]
		}
	}
	return single, map[string][]string(r.header)
}

func (r *recorder) response() events.APIGatewayProxyResponse {
	resp := events.APIGatewayProxyResponse{StatusCode: r.statusCode()}
	resp.Headers, resp.MultiValueHeaders = r.headers()
	if b := *r.body; utf8.Valid(b) {
		resp.Body = string(b)
	} else {
		resp.Body = base64.StdEncoding.EncodeToString(b)
		resp.IsBase64Encoded = true
	}
	return resp
}
