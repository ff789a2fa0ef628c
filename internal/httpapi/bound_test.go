package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestErrorBodyCap: whatever message reaches writeError, the body stays
// within MaxErrorBodyBytes and valid UTF-8 (the backstop behind the
// quoting in package speke).
func TestErrorBodyCap(t *testing.T) {
	for _, msg := range []string{strings.Repeat("x", 10<<10), strings.Repeat("é", 5000), "short"} {
		w := httptest.NewRecorder()
		writeError(w, 422, msg)
		b := w.Body.String()
		if len(b) > MaxErrorBodyBytes || !utf8.ValidString(b) || (len(msg) <= MaxErrorBodyBytes && b != msg) {
			t.Errorf("%d-byte message gave a %d-byte body %.40q", len(msg), len(b), b)
		}
	}
}
