package apigw

import (
	"bytes"
	"context"
	"math/bits"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/httpapi"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/speke"
)

// quoteCases are strings whose escapes sit at every place appendQuote
// treats differently: inside and at the edges of its 16-byte blocks, in
// runs, next to multi-byte and invalid UTF-8.
func quoteCases() []string {
	cases := []string{
		"", "a", `"`, `\`, "\n", "\x00", "\x1f", " ", "\x7f", "<a href=\"x\">&amp;</a>",
		"\u2028\u2029", "é", "日本語", "😀", "\xff", "a\xffb", "\xe6\x97", "abc\xe6\x97",
		"\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "\ufffd", `\u0000`,
		strings.Repeat("a", 15) + `"`, strings.Repeat("a", 16) + `"`, strings.Repeat("a", 17) + `"`,
		strings.Repeat("b", 31) + "é" + strings.Repeat("c", 40), strings.Repeat(`""`, 20),
		strings.Repeat("\"\n\t\r\b\f\x01", 9), strings.Repeat("x", 1000) + "\xff",
	}
	for pos := 0; pos < 34; pos++ {
		for _, c := range []string{`"`, `\`, "\n", "\x00", "\x1f", "\x7f", "é", "\xff", "\xe2\x80\xa8"} {
			cases = append(cases, strings.Repeat("z", pos)+c+strings.Repeat("y", 34-pos))
		}
	}
	return cases
}

// The fast path against the library, byte for byte and error for error,
// after an empty and a non-empty dst (the library's opening quote goes over
// the last byte written).
func checkQuote(t *testing.T, s []byte) {
	t.Helper()
	for _, prefix := range []string{"", "{\"body\":"} {
		got, gotErr := appendQuote([]byte(prefix), s)
		want, wantErr := jsontext.AppendQuote([]byte(prefix), s)
		if !bytes.Equal(got, want) {
			t.Fatalf("appendQuote(%q, %q)\n got %q\nwant %q", prefix, s, got, want)
		}
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("appendQuote(%q): error %v, library %v", s, gotErr, wantErr)
		}
		// encode relies on this to choose base64, as response does.
		if (gotErr != nil) == utf8.Valid(s) {
			t.Fatalf("appendQuote(%q): error %v for valid UTF-8 %v", s, gotErr, utf8.Valid(s))
		}
	}
}

func TestAppendQuote(t *testing.T) {
	for _, s := range quoteCases() {
		checkQuote(t, []byte(s))
	}
	// Every answer the handler's golden tests hold.
	files, _ := filepath.Glob("../../testdata/speke/*/*.response.xml")
	if len(files) == 0 {
		t.Fatal("no golden answers")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkQuote(t, b)
	}
}

func FuzzQuote(f *testing.F) {
	for _, s := range quoteCases() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) { checkQuote(t, s) })
}

// controlOrHigh is exact: for every byte value at every place in a word,
// and for every pair of bytes, the lowest bit set is the top bit of the
// first control or non-ASCII byte, and a word without one gives 0.
func TestControlOrHigh(t *testing.T) {
	const filler = 'a'
	word := func(b []byte) uint64 {
		var x uint64
		for i := 7; i >= 0; i-- {
			x = x<<8 | uint64(b[i])
		}
		return x
	}
	first := func(b []byte) int {
		for i, c := range b {
			if c < ' ' || c >= 0x80 {
				return i
			}
		}
		return 8
	}
	b := make([]byte, 8)
	for p1 := 0; p1 < 8; p1++ {
		for p2 := p1; p2 < 8; p2++ {
			for c1 := 0; c1 < 256; c1++ {
				for c2 := 0; c2 < 256; c2++ {
					for i := range b {
						b[i] = filler
					}
					b[p1], b[p2] = byte(c1), byte(c2)
					got := 8
					if m := controlOrHigh(word(b)); m != 0 {
						got = bits.TrailingZeros64(m) / 8
					}
					if want := first(b); got != want {
						t.Fatalf("% x: first control or high byte %d, controlOrHigh says %d", b, want, got)
					}
				}
			}
		}
	}
}

// responseCases are answers as a handler may write them.
func responseCases() []*recorder {
	var cases []*recorder
	add := func(status int, header http.Header, body string) {
		r := newRecorder()
		r.status = status
		r.header = header
		*r.body = append(*r.body, body...)
		cases = append(cases, r)
	}
	add(0, http.Header{}, "")
	add(200, http.Header{"Content-Type": {"application/xml"}, "X-Request-Id": {"abc"}}, `<?xml version="1.0"?>`+"\n<a b=\"c\">\u2028é</a>\n")
	add(400, http.Header{"Content-Type": {"text/plain"}, "Vary": {"Origin", "Accept"}, "X-Empty": {}}, "Malformed event")
	add(200, http.Header{"Content-Type": {"application/octet-stream"}}, "\x00\xff\xfe binary")
	add(204, http.Header{"X-Odd": {"\"quoted\" <tag> \xff"}}, "")
	add(503, nil, strings.Repeat(`"\`, 3000))
	return cases
}

// checkResponse: encode is what the library writes for the response event
// Serve returns.
func checkResponse(t *testing.T, r *recorder) {
	t.Helper()
	want, wantErr := json.Marshal(r.response(), jsonOptions)
	got, gotErr := r.encode()
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("encode error %v, library %v", gotErr, wantErr)
	}
	if gotErr == nil && !bytes.Equal(got, want) {
		t.Fatalf("encode\n got %s\nwant %s", got, want)
	}
}

func TestResponseJSON(t *testing.T) {
	for _, r := range responseCases() {
		checkResponse(t, r)
		r.free()
	}
}

func FuzzResponseJSON(f *testing.F) {
	f.Add(200, "Content-Type", "application/xml", "X-Speke-Version", "2.0", []byte(`<a b="c"/>`))
	f.Add(0, "", "", "x", "\xff", []byte("\xff"))
	f.Fuzz(func(t *testing.T, status int, k1, v1, k2, v2 string, body []byte) {
		r := newRecorder()
		defer r.free()
		r.status = status
		r.header[k1] = append(r.header[k1], v1)
		r.header[k2] = append(r.header[k2], v2)
		*r.body = append(*r.body, body...)
		checkResponse(t, r)
	})
}

// eventCases are the events in testdata and malformed variants of them.
func eventCases(t testing.TB) [][]byte {
	files, _ := filepath.Glob("../../testdata/events/*.json")
	if len(files) == 0 {
		t.Fatal("no events")
	}
	var cases [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, b)
	}
	for _, s := range []string{
		`{}`, `null`, `[]`, `{"body":null}`, `{"body":""}`, `{"body":1}`, `{"body":{}}`, `{"body":[]}`,
		`{"body":true}`, `{"body":"a","body":"b"}`, `{"Body":"x"}`, `{"body":"\ud83d\ude00\u003c\"\\\/\b\f\n\r\t"}`,
		`{"body":"\ud83d"}`, `{"body":"\ude00x"}`, "{\"body\":\"\xff\"}", "{\"body\":\"a\x01\"}", `{"body":"\x"}`,
		`{"body":"abc`, `{"body":"abc"} x`, `{"body":"abc"}{}`, `{"httpMethod":"POST","body":"<a/>","isBase64Encoded":"yes"}`,
		`{"headers":{"a":"b","a":"c"},"body":"x"}`, `{"headers":{"a":1}}`, `{"requestContext":{"identity":{"userArn":"u"}},"body":"b"}`,
		` {"body" : "x" } `, `{"httpMethod":"POST","path":"/copyProtection","body":"%%%","isBase64Encoded":true}`,
		`{"httpMethod":"POST","path":"/copyProtection","body":"PGEvPg==","isBase64Encoded":true}`, `{"multiValueHeaders":{"A":["1","2"]},"body":"\u00e9"}`,
	} {
		cases = append(cases, []byte(s))
	}
	return cases
}

// checkEvent: decodeEvent decodes what json.Unmarshal decodes (the body
// into the buffer instead of the event) and refuses what it refuses.
func checkEvent(t *testing.T, payload []byte) {
	t.Helper()
	var want events.APIGatewayProxyRequest
	wantErr := json.Unmarshal(payload, &want, jsonOptions)
	body := []byte("stale")
	got, gotErr := decodeEvent(payload, &body)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%q: decodeEvent error %v, json.Unmarshal %v", payload, gotErr, wantErr)
	}
	if gotErr != nil {
		return
	}
	if got.Body != "" {
		t.Fatalf("%q: body left in the event", payload)
	}
	got.Body = string(body)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: decodeEvent\n got %+v\nwant %+v", payload, got, want)
	}
}

func TestEventJSON(t *testing.T) {
	for _, p := range eventCases(t) {
		checkEvent(t, p)
	}
}

func FuzzEventJSON(f *testing.F) {
	for _, p := range eventCases(f) {
		f.Add(p)
	}
	f.Fuzz(checkEvent)
}

// TestInvokeAsBefore: the Lambda path answers every event in testdata, and
// the benchmark requests, with the bytes it wrote when it decoded the
// event with json.Unmarshal and encoded Serve's answer with json.Marshal.
func TestInvokeAsBefore(t *testing.T) {
	src, err := keys.NewLocalFromSeed(bytes.Repeat([]byte{7}, keys.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	h := httpapi.New(speke.New(src, drm.NewDefaultRegistry(drm.Config{})), httpapi.Options{})
	fn := Handler(h)
	// A fixed request id, so that the two answers can be compared.
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-fixed"})
	payloads := eventCases(t)
	tmpl, err := os.ReadFile("../../testdata/events/speke-v2.0.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"2key-1drm", "8key-2drm", "8key-3drm"} {
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(tmpl, &ev); err != nil {
			t.Fatal(err)
		}
		body, err := os.ReadFile("../../testdata/bench/" + name + ".request.xml")
		if err != nil {
			t.Fatal(err)
		}
		ev.Body = string(body)
		p, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		payloads = append(payloads, p)
	}
	statuses := map[int]int{}
	for _, p := range payloads {
		var ev events.APIGatewayProxyRequest
		c := ctx
		if err := json.Unmarshal(p, &ev, jsonOptions); err != nil {
			ev = events.APIGatewayProxyRequest{Path: "/"}
			c = httpapi.WithRefusal(ctx, http.StatusBadRequest, "Malformed event")
		}
		resp := Serve(c, h, ev)
		statuses[resp.StatusCode]++
		want, err := json.Marshal(resp, jsonOptions)
		if err != nil {
			t.Fatal(err)
		}
		got, err := fn.Invoke(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%.80q: Invoke\n got %.400s\nwant %.400s", p, got, want)
		}
	}
	if statuses[200] < 7 || statuses[400] < 20 {
		t.Fatalf("the events should reach the handler's answers and its refusals: %v", statuses)
	}
}

// TestInvokeConcurrent: answers built in pooled buffers stay each event's
// own when events are served at once (run with -race in make test).
func TestInvokeConcurrent(t *testing.T) {
	src, err := keys.NewLocalFromSeed(bytes.Repeat([]byte{7}, keys.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	fn := Handler(httpapi.New(speke.New(src, drm.NewDefaultRegistry(drm.Config{})), httpapi.Options{}))
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-fixed"})
	var payloads, want [][]byte
	for _, f := range []string{"speke-v2.0.json", "speke-v2.1.json", "speke-v2.0-base64.json", "client-key.json"} {
		p, err := os.ReadFile("../../testdata/events/" + f)
		if err != nil {
			t.Fatal(err)
		}
		w, err := fn.Invoke(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		payloads, want = append(payloads, p), append(want, w)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				k := (g + i) % len(payloads)
				got, err := fn.Invoke(ctx, payloads[k])
				if err != nil || !bytes.Equal(got, want[k]) {
					t.Errorf("event %d: %v %.200s", k, err, got)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestPutBodyZeroes: a buffer goes back to the pool zeroed to its
// capacity, so no answer's keys wait in it for the next event.
func TestPutBodyZeroes(t *testing.T) {
	b := append(make([]byte, 0, 64), "<pskc:PlainValue>AAECAwQFBgcICQoLDA0ODw==</pskc:PlainValue>"...)
	b = b[:8] // what the last user left beyond len must go too
	putBody(&b)
	for i, c := range b[:cap(b)] {
		if c != 0 {
			t.Fatalf("byte %d of the pooled buffer is %q, want 0", i, c)
		}
	}
}
