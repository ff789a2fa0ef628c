package mototest

import (
	"bytes"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Counter is an http.RoundTripper that counts the calls the code under
// test makes, per AWS operation: first attempts only. A retry (the SDK
// marks it amz-sdk-request: attempt=2 and up) is counted in Retries
// instead: the SDK retries when moto's answer is lost in transit, which
// happens now and then on a loaded machine and says nothing about how
// many calls the code makes.
type Counter struct {
	Base http.RoundTripper

	mu      sync.Mutex
	calls   map[string]int
	retries int
}

// RoundTrip implements http.RoundTripper.
func (c *Counter) RoundTrip(r *http.Request) (*http.Response, error) {
	op := Operation(r)
	c.mu.Lock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	if retry(r) {
		c.retries++
	} else {
		c.calls[op]++
	}
	c.mu.Unlock()
	return base(c.Base).RoundTrip(r)
}

// Retries is how many retried attempts passed through c.
func (c *Counter) Retries() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.retries
}

// retry reports whether r is a retried attempt of an SDK call.
func retry(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Amz-Sdk-Request"), ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "attempt="); ok {
			return v != "1"
		}
	}
	return false
}

// Take returns the counts since the last Take and resets them.
func (c *Counter) Take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.calls
	c.calls = nil
	if m == nil {
		m = map[string]int{}
	}
	return m
}

// Total sums counts.
func Total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// Operation names the AWS JSON-protocol operation of r ("PutItem").
func Operation(r *http.Request) string {
	t := r.Header.Get("X-Amz-Target")
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		return t[i+1:]
	}
	return t
}

func base(rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		return http.DefaultTransport
	}
	return rt
}

// Fault is what the Faulty transport does to one request.
type Fault int

const (
	// Pass forwards the request untouched.
	Pass Fault = iota
	// ResetBeforeSend fails with a connection reset; moto never sees it.
	ResetBeforeSend
	// ResetAfterSend forwards the request, so moto applies it, then drops
	// the response and reports a connection reset: the write happened but
	// the caller cannot know.
	ResetAfterSend
	// Status500 answers 500 InternalServerError without forwarding.
	Status500
	// Status500AfterSend forwards, then replaces the answer with a 500.
	Status500AfterSend
	// Throttle answers 400 ThrottlingException without forwarding.
	Throttle
)

// Faulty is an http.RoundTripper that injects faults chosen by Plan, which
// gets the 1-based sequence number of the request among all requests and
// among those of its operation.
type Faulty struct {
	Base http.RoundTripper
	Plan func(n int, op string, opN int) Fault

	mu  sync.Mutex
	n   int
	ops map[string]int
	// Injected counts the faults injected so far.
	Injected int
}

// RoundTrip implements http.RoundTripper.
func (f *Faulty) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.n++
	if f.ops == nil {
		f.ops = map[string]int{}
	}
	op := Operation(r)
	f.ops[op]++
	fault := f.Plan(f.n, op, f.ops[op])
	if fault != Pass {
		f.Injected++
	}
	f.mu.Unlock()

	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	switch fault {
	case ResetBeforeSend, Status500, Throttle:
		// A RoundTripper must close the body it does not send.
		if r.Body != nil {
			r.Body.Close()
		}
	}
	switch fault {
	case ResetBeforeSend:
		return nil, reset
	case Status500:
		return jsonError(r, http.StatusInternalServerError, "InternalServerError"), nil
	case Throttle:
		return jsonError(r, http.StatusBadRequest, "ThrottlingException"), nil
	}
	resp, err := base(f.Base).RoundTrip(r)
	if err != nil || fault == Pass {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if fault == ResetAfterSend {
		return nil, reset
	}
	return jsonError(r, http.StatusInternalServerError, "InternalServerError"), nil
}

func jsonError(r *http.Request, status int, code string) *http.Response {
	body := `{"__type":"com.amazonaws.dynamodb.v20120810#` + code + `","message":"injected fault"}`
	return &http.Response{
		StatusCode: status,
		Status:     http.StatusText(status),
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header: http.Header{
			"Content-Type":     {"application/x-amz-json-1.0"},
			"X-Amzn-Requestid": {"injected"},
			// DynamoDB clients verify this checksum of the body.
			"X-Amz-Crc32": {strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10)},
		},
		Body:          io.NopCloser(bytes.NewReader([]byte(body))),
		ContentLength: int64(len(body)),
		Request:       r,
	}
}
