package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/cpix"
	"github.com/speke-go/keyprovider/internal/httpapi"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/speke"
)

// base is a valid v2.0 request (shared with the speke rule tests).
var base = func() string {
	b, err := os.ReadFile("../../testdata/speke/rules/base.xml")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

const (
	kidV = "98ee5596-cd3e-a20d-163a-e382420c6eff"
	w3c  = "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"
)

// edit returns base with the first old replaced by new; old must occur.
func edit(t *testing.T, old, new string) string {
	t.Helper()
	if !strings.Contains(base, old) {
		t.Fatalf("edit: %q not in base", old)
	}
	return strings.Replace(base, old, new, 1)
}

// TestStatusMapping: one request per class of error, through the handler:
// the status, the body, and the headers every answer carries. The SPEKE
// rules and their messages are tested in package speke.
func TestStatusMapping(t *testing.T) {
	tests := []struct {
		name    string
		version string // "" = header absent
		body    string
		status  int
		msg     string
	}{
		{"SPEKE rule", "2.0", edit(t, ` contentId="abc123"`, ``), 422, "Missing CPIX@contentId"},
		{"SPEKE rule, v2.1", "2.1", base, 422, "Unsupported CPIX@version"},
		// No header is SPEKE v1.0, where a CPIX@version means a v2
		// document sent without its header.
		{"no version header", "", base, 422, "Unsupported CPIX@version"},
		{"unknown version header", "3.0", base, 422, "Unsupported SPEKE version"},
		{"oversized version header", strings.Repeat("2.0", 4000), base, 422, "Unsupported SPEKE version"},
		{"version header with markup", "2.0<script>", base, 422, "Unsupported SPEKE version"},
		{"long version numbers", "2000.0", base, 422, "Unsupported SPEKE version"},
		{"empty version header", "-", base, 422, "Unsupported SPEKE version"},
		{"empty body", "2.0", "", 400, "Malformed XML: empty body"},
		{"not XML", "2.0", "<<", 400, "Malformed XML: not well-formed"},
		{"doctype", "2.0", `<!DOCTYPE x>` + base[strings.Index(base, "\n")+1:], 400, "Malformed XML: DOCTYPE and other directives are not allowed"},
		{"reference before the root", "2.0", "&#32;" + base[strings.Index(base, "\n")+1:], 400, "Malformed XML: text outside the root element"},
		{"duplicate attribute", "2.0", edit(t, `contentId="abc123"`, `contentId="abc123" contentId="other"`), 400, "Malformed XML: duplicate attribute"},
		{"deep", "2.0", edit(t, `<cpix:PSSH/>`, strings.Repeat("<a>", 40)+strings.Repeat("</a>", 40)), 400, "Malformed XML: nesting too deep"},
		{"wrong root", "2.0", `<CPIX contentId="a" version="2.3"/>`, 422, "Root element is not cpix:CPIX"},
		{"too large", "2.0", base + strings.Repeat(" ", 256<<10), 413, "Request body too large"},
		{"long element name quoted", "2.0", edit(t, `<cpix:PSSH/></cpix:DRMSystem>`, `<cpix:PSSH/><cpix:`+strings.Repeat("E", 200<<10)+`/></cpix:DRMSystem>`), 422, "Unsupported element " + strings.Repeat("E", 64) + "... in DRMSystem " + w3c},
	}
	h := newHandler(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := post(t, h, tc.version, tc.body)
			if res.Code != tc.status || res.Body.String() != tc.msg {
				t.Fatalf("got %d %q, want %d %q", res.Code, truncated(res.Body.String()), tc.status, tc.msg)
			}
			if res.Body.Len() > httpapi.MaxErrorBodyBytes {
				t.Errorf("error body of %d bytes", res.Body.Len())
			}
			checkErrorHeaders(t, res, tc.version)
		})
	}
}

// checkErrorHeaders: an error carries the same headers as an answer, and
// X-Speke-Version only when the request's value is a version number
// (echoed without surrounding spaces), never the request's text otherwise.
func checkErrorHeaders(t *testing.T, res *httptest.ResponseRecorder, version string) {
	t.Helper()
	if ct := res.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if res.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff")
	}
	got, echoed := res.Header()["X-Speke-Version"]
	switch v := strings.TrimSpace(version); v {
	case "1.0", "2.0", "2.1", "3.0":
		if len(got) != 1 || got[0] != v {
			t.Errorf("X-Speke-Version %q, want %q", got, v)
		}
	default:
		if echoed {
			t.Errorf("X-Speke-Version %q echoed for request value %q", truncated(got[0]), truncated(version))
		}
	}
	ua := "X-Speke-User-Agent"
	if version == "" || strings.TrimSpace(version) == "1.0" {
		ua = "Speke-User-Agent" // SPEKE v1's name
	}
	if res.Header().Get(ua) == "" {
		t.Error(ua + " missing")
	}
}

func truncated(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// TestClassify is the error → status table itself, including errors no
// request in TestStatusMapping produces.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		msg    string
	}{
		{"request error", fmt.Errorf("wrapped: %w", &speke.RequestError{Message: "Missing CPIX@contentId", Detail: "d"}), 422, "Missing CPIX@contentId"},
		{"too large", fmt.Errorf("x: %w", cpix.ErrTooLarge), 413, "Request body too large"},
		{"not CPIX", cpix.ErrNotCPIX, 422, "Root element is not cpix:CPIX"},
		{"malformed", errors.Join(cpix.ErrMalformed, io.ErrUnexpectedEOF), 400, "Malformed XML"},
		{"store unavailable", fmt.Errorf("dynamodb: %w", keys.ErrUnavailable), 503, "Key store unavailable, retry later"},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), 503, "Key store unavailable, retry later"},
		{"canceled", fmt.Errorf("x: %w", context.Canceled), 503, "Key store unavailable, retry later"},
		{"other", errors.New("boom"), 500, "Internal error"},
	} {
		if status, msg := httpapi.Classify(tc.err); status != tc.status || msg != tc.msg {
			t.Errorf("%s: %d %q, want %d %q", tc.name, status, msg, tc.status, tc.msg)
		}
	}
}
