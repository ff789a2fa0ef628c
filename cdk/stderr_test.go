package main

import (
	"io"
	"os"
	"testing"
)

// TestGuardStderrEndsLines: output to os.Stderr that lacks a final newline
// (jsii's "Runtime process exited abnormally: ...") gets one at flush;
// output that has one is passed through as is.
func TestGuardStderrEndsLines(t *testing.T) {
	for _, tc := range []struct{ write, want string }{
		{"Runtime process exited abnormally: exit status 1", "Runtime process exited abnormally: exit status 1\n"},
		{"a line\n", "a line\n"},
		{"", ""},
	} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		saved := os.Stderr
		os.Stderr = w
		flush := guardStderr()
		_, _ = os.Stderr.WriteString(tc.write)
		flush()
		os.Stderr = saved
		w.Close()
		got, _ := io.ReadAll(r)
		if string(got) != tc.want {
			t.Errorf("wrote %q, got %q, want %q", tc.write, got, tc.want)
		}
	}
}
