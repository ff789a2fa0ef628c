package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/speke-go/keyprovider/internal/apigw"
	"github.com/speke-go/keyprovider/internal/httpapi/exporttest"
	"github.com/speke-go/keyprovider/internal/routes"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// playersEvent is the event the players' REST API (Lambda proxy) makes of
// a GET of path?query: the path as the player sent it, still
// percent-encoded, the route's resource and path parameters (decoded, as
// in testdata/events/client-key.json), the query decoded.
func playersEvent(path, authorization string, query map[string]string) events.APIGatewayProxyRequest {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	ev := events.APIGatewayProxyRequest{
		Resource:       routes.ClientKey,
		Path:           path,
		HTTPMethod:     http.MethodGet,
		Headers:        map[string]string{"Host": "p1a2b3c4d5.execute-api.us-east-1.amazonaws.com", "Origin": "https://player.example"},
		PathParameters: map[string]string{routes.ContentIDParam: unescape(segs[1]), routes.KIDParam: segs[2]},
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID: "123456789012", APIID: "p1a2b3c4d5", Stage: "v1", RequestID: "req-player",
			ResourcePath: routes.ClientKey, HTTPMethod: http.MethodGet, Path: "/v1" + path,
			DomainName: "p1a2b3c4d5.execute-api.us-east-1.amazonaws.com",
		},
	}
	if authorization != "" {
		ev.Headers["Authorization"] = authorization
	}
	if len(query) > 0 {
		ev.QueryStringParameters = query
		ev.MultiValueQueryStringParameters = map[string][]string{}
		for k, v := range query {
			ev.MultiValueQueryStringParameters[k] = []string{v}
		}
	}
	return ev
}

// TestPlayerKeyThroughLambda: a player's key request for a content ID that
// needs escaping in the key URL (the one SPEKE signals, routes.KeyURL) gets
// the same answer from `make run`'s server and through the Lambda adapter
// with the REST API's event: the key, with a token for that content ID in
// the Authorization header or the token query parameter; 403 with a token
// for another content ID.
func TestPlayerKeyThroughLambda(t *testing.T) {
	dir := t.TempDir()
	h := localHandler(t, dir, slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(h)
	defer srv.Close()
	kid := exporttest.KIDs[0]
	for _, cid := range []string{"movie-1", "movie/1", "a b", "a+b", "100%", "a%2Fb", "Über 日本/🎬", `x/y z+%?#&"'<>;`} {
		t.Run(cid, func(t *testing.T) {
			var esc strings.Builder
			_ = xml.EscapeText(&esc, []byte(cid))
			issued := exporttest.Issue(t, h, strings.ReplaceAll(esc.String(), `"`, "&quot;"))
			key, _ := base64.StdEncoding.DecodeString(issued[kid])
			path := routes.KeyURL("", cid, uuid.MustParse(kid))
			own, other := token(t, dir, cid), token(t, dir, "movie-2")
			for _, tc := range []struct {
				name, auth, query string
				want              int
			}{
				{"Authorization", "Bearer " + own, "", 200},
				{"token query", "", own, 200},
				{"another title's token", "Bearer " + other, "", 403},
			} {
				req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
				if err != nil {
					t.Fatal(err)
				}
				var query map[string]string
				if tc.auth != "" {
					req.Header.Set("Authorization", tc.auth)
				} else {
					req.URL.RawQuery = "token=" + tc.query
					query = map[string]string{"token": tc.query}
				}
				if req.URL.EscapedPath() != path {
					t.Fatalf("the client would send %s, not %s", req.URL.EscapedPath(), path)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				local, _ := io.ReadAll(res.Body)
				res.Body.Close()
				lambda := apigw.Serve(context.Background(), h, playersEvent(path, tc.auth, query))
				if res.StatusCode != tc.want || lambda.StatusCode != tc.want {
					t.Errorf("%s: make run %d %.80q, Lambda %d %.80q; want %d", tc.name, res.StatusCode, local, lambda.StatusCode, lambda.Body, tc.want)
					continue
				}
				got := []byte(lambda.Body)
				if lambda.IsBase64Encoded {
					got, _ = base64.StdEncoding.DecodeString(lambda.Body)
				}
				if !bytes.Equal(got, local) || (tc.want == 200) != bytes.Equal(local, key) {
					t.Errorf("%s: make run %x, Lambda %x, issued %x", tc.name, local, got, key)
				}
			}
		})
	}
}

func unescape(seg string) string {
	s, err := url.PathUnescape(seg)
	if err != nil {
		panic(err)
	}
	return s
}
