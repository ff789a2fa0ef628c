package apigw_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/speke-go/keyprovider/internal/apigw"
	"github.com/speke-go/keyprovider/internal/httpapi"
	"github.com/speke-go/keyprovider/internal/routes"
)

// seen is what a handler reads of a request's URL.
type seen struct {
	Path, RawPath, EscapedPath, RequestURI string
	ContentID, KID                         string
	Query                                  url.Values
}

// urlEcho answers with what it saw of the URL; the player route's pattern
// decides the path values, as it does in package playback.
func urlEcho() http.Handler {
	echo := func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(seen{
			Path: r.URL.Path, RawPath: r.URL.RawPath, EscapedPath: r.URL.EscapedPath(), RequestURI: r.RequestURI,
			ContentID: r.PathValue(routes.ContentIDParam), KID: r.PathValue(routes.KIDParam),
			Query: r.URL.Query(),
		})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+routes.ClientKey, echo)
	mux.HandleFunc("GET /", echo)
	return mux
}

// wireGet sends target as the request line's target, byte for byte, to
// the net/http server at addr (what `make run` is) and returns the status
// and body.
func wireGet(t *testing.T, addr, target string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target, addr); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	if _, err := bufio.NewReader(res.Body).WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b.String()
}

// restEvent is the event an API Gateway REST API (Lambda proxy
// integration) makes of a GET of target: path still percent-encoded as
// the client sent it, query parameters decoded, every value in
// multiValueQueryStringParameters and the last in queryStringParameters.
func restEvent(t *testing.T, target string) events.APIGatewayProxyRequest {
	t.Helper()
	path, rawQuery, _ := strings.Cut(target, "?")
	ev := events.APIGatewayProxyRequest{
		HTTPMethod: "GET",
		Path:       path,
		Headers:    map[string]string{"Host": "abc123.execute-api.eu-west-1.amazonaws.com"},
		RequestContext: events.APIGatewayProxyRequestContext{
			RequestID: "req-1", Stage: "prod", DomainName: "abc123.execute-api.eu-west-1.amazonaws.com",
			HTTPMethod: "GET", Path: "/prod" + path,
		},
	}
	if rawQuery != "" {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			t.Fatal(err)
		}
		ev.MultiValueQueryStringParameters = q
		ev.QueryStringParameters = map[string]string{}
		for k, vs := range q {
			ev.QueryStringParameters[k] = vs[len(vs)-1]
		}
	}
	return ev
}

const kid = "10000000-1000-1000-1000-100000000001"

// TestURLAsNetHTTP: a request reaches the handler with the same URL, path
// values and query through the adapter (REST API event) as through the
// net/http server `make run` runs, for content IDs with every character
// that needs escaping in a path and for query values API Gateway decodes.
func TestURLAsNetHTTP(t *testing.T) {
	srv := httptest.NewServer(urlEcho())
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	h := urlEcho()
	for _, tc := range []struct {
		target    string
		contentID string // what the player route must see ("" = not that route)
	}{
		{"/client/movie-1/" + kid, "movie-1"},
		{"/client/movie%2F1/" + kid, "movie/1"},
		{"/client/movie%2f1/" + kid, "movie/1"},
		{"/client/a%2Fb%2Fc/" + kid, "a/b/c"},
		{"/client/movie%201/" + kid, "movie 1"},
		{"/client/a+b/" + kid, "a+b"},
		{"/client/a%2Bb/" + kid, "a+b"},
		{"/client/100%25/" + kid, "100%"},
		{"/client/100%252F/" + kid, "100%2F"},
		{"/client/%C3%9Cber%20%E6%97%A5%E6%9C%AC/" + kid, "Über 日本"},
		{"/client/%41/" + kid, "A"},
		{"/client/a%3Fb%23c/" + kid, "a?b#c"},
		{"/client/" + url.PathEscape(`q"'<>;,=&@:$!*()`) + "/" + kid, `q"'<>;,=&@:$!*()`},
		{"/client/a/b/" + kid, ""}, // three segments: not the key route
		{"/client/movie%2F1/" + kid + "?token=eyJh.eyJi.c2ln", "movie/1"},
		{"/client/m/" + kid + "?token=a%2Bb%3D%3D%25", "m"},
		{"/client/m/" + kid + "?token=a+b", "m"},
		{"/client/m/" + kid + "?a=1&a=2&b=x%26y&c=%E6%97%A5&d=", "m"},
		{"/copyProtection", ""},
		{"/", ""},
	} {
		t.Run(tc.target, func(t *testing.T) {
			status, body := wireGet(t, addr, tc.target)
			if status != 200 {
				t.Fatalf("net/http: %d %s", status, body)
			}
			var want seen
			if err := json.Unmarshal([]byte(body), &want); err != nil {
				t.Fatal(err)
			}
			if want.ContentID != tc.contentID {
				t.Fatalf("net/http sees content ID %q, the test expects %q", want.ContentID, tc.contentID)
			}
			res := apigw.Serve(context.Background(), h, restEvent(t, tc.target))
			var got seen
			if err := json.Unmarshal([]byte(res.Body), &got); err != nil {
				t.Fatalf("%d %q: %v", res.StatusCode, res.Body, err)
			}
			if res.StatusCode != 200 || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("adapter %d\n got %+v\nwant %+v", res.StatusCode, got, want)
			}
		})
	}
}

// TestMalformedPath: a path that is not a percent-encoded path is refused
// 400 by the handler, as net/http refuses a request line with a bad
// escape; nothing is routed.
func TestMalformedPath(t *testing.T) {
	srv := httptest.NewServer(urlEcho())
	defer srv.Close()
	if status, _ := wireGet(t, srv.Listener.Addr().String(), "/client/%zz/"+kid); status != 400 {
		t.Errorf("net/http: %d", status)
	}
	h := httpapi.New(nil, httpapi.Options{})
	for _, path := range []string{"/client/%zz/" + kid, "/client/%/" + kid, "/client/100%/" + kid, "/client/%2/" + kid, "/a?b", "/a#b", "client/x", "/a\x7fb", "/a\nb"} {
		res := apigw.Serve(context.Background(), h, events.APIGatewayProxyRequest{
			HTTPMethod: "GET", Path: path,
			RequestContext: events.APIGatewayProxyRequestContext{RequestID: "req-1"},
		})
		if res.StatusCode != 400 || res.Body != "Malformed event: path" || res.Headers["X-Request-Id"] != "req-1" {
			t.Errorf("%q: %d %q %v", path, res.StatusCode, res.Body, res.Headers)
		}
	}
}

// TestQueryFromSingleValues: an event with queryStringParameters alone (as
// a hand-written one may be) gives the handler that query.
func TestQueryFromSingleValues(t *testing.T) {
	ev := restEvent(t, "/client/m/"+kid)
	ev.QueryStringParameters = map[string]string{"token": "a+b=%/?&#"}
	res := apigw.Serve(context.Background(), urlEcho(), ev)
	var got seen
	if err := json.Unmarshal([]byte(res.Body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Query.Get("token") != "a+b=%/?&#" || len(got.Query) != 1 {
		t.Errorf("query %v", got.Query)
	}
}
