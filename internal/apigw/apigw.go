// Package apigw adapts the key provider's http.Handler to Lambda behind an
// API Gateway REST API with Lambda proxy integration (payload format 1.0).
//
// Request bodies may arrive base64-encoded (binary media types); header
// names keep the client's spelling and are canonicalised here, so lookups
// are case-insensitive. Responses that are valid UTF-8 go back as text,
// anything else base64-encoded.
package apigw

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/speke-go/keyprovider/internal/httpapi"
)

// Handler returns a Lambda handler serving h.
func Handler(h http.Handler) func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return Serve(ctx, h, ev), nil
	}
}

// Serve runs one event through h. It never returns a Go error: a Lambda
// error would reach the client as a 502 and its text the logs, so every
// outcome is an HTTP response.
func Serve(ctx context.Context, h http.Handler, ev events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return textResponse(http.StatusBadRequest, "Malformed base64 body")
		}
		body = b
	}
	u := &url.URL{Path: ev.Path}
	if len(ev.MultiValueQueryStringParameters) > 0 {
		u.RawQuery = url.Values(ev.MultiValueQueryStringParameters).Encode()
	}
	reqID := ev.RequestContext.RequestID
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		reqID = lc.AwsRequestID
	}
	ctx = httpapi.WithRequestID(ctx, reqID)
	if base := baseURL(ev); base != "" {
		ctx = httpapi.WithBaseURL(ctx, base)
	}
	r, err := http.NewRequestWithContext(ctx, ev.HTTPMethod, u.String(), bytes.NewReader(body))
	if err != nil {
		return textResponse(http.StatusBadRequest, "Malformed request")
	}
	r.RequestURI = u.RequestURI()
	r.ContentLength = int64(len(body))
	r.Host = ev.RequestContext.DomainName
	if len(ev.MultiValueHeaders) > 0 {
		for k, vs := range ev.MultiValueHeaders {
			for _, v := range vs {
				r.Header.Add(k, v)
			}
		}
	} else {
		for k, v := range ev.Headers {
			r.Header.Set(k, v)
		}
	}
	rec := &recorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	return rec.response()
}

// baseURL is the public URL of the stage the request came through:
// https://<domain>/<stage> for execute-api domains. Behind a custom domain
// the stage is not part of the path; set PUBLIC_BASE_URL there.
func baseURL(ev events.APIGatewayProxyRequest) string {
	d := ev.RequestContext.DomainName
	if d == "" {
		return ""
	}
	if strings.Contains(d, ".execute-api.") && ev.RequestContext.Stage != "" {
		return "https://" + d + "/" + url.PathEscape(ev.RequestContext.Stage)
	}
	return "https://" + d
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
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
	if b := r.body.Bytes(); utf8.Valid(b) {
		resp.Body = string(b)
	} else {
		resp.Body = base64.StdEncoding.EncodeToString(b)
		resp.IsBase64Encoded = true
	}
	return resp
}

func textResponse(status int, msg string) events.APIGatewayProxyResponse {
	return events.APIGatewayProxyResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "text/plain; charset=utf-8"},
		Body:       msg,
	}
}
