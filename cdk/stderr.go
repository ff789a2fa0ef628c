package main

import "os"

// guardStderr routes os.Stderr through a pipe and returns a function that
// drains it and ends the output with a newline if it lacks one. jsii's Go
// runtime reports a non-zero exit of its node child from a goroutine with
// Fprintf and no newline ("Runtime process exited abnormally: ..."), which
// otherwise runs into the next line of output (make's, or go test's "ok").
// Whatever is written to os.Stderr after the flush is dropped: by then the
// process is exiting and only that stray report can still arrive. Panics
// and the runtime's own messages go to fd 2 directly and are unaffected.
func guardStderr() (flush func()) {
	real := os.Stderr
	r, w, err := os.Pipe()
	if err != nil {
		return func() {}
	}
	os.Stderr = w
	done := make(chan struct{})
	last := byte('\n')
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				_, _ = real.Write(buf[:n])
				last = buf[n-1]
			}
			if err != nil {
				return
			}
		}
	}()
	return func() {
		w.Close()
		<-done
		if last != '\n' {
			_, _ = real.WriteString("\n")
		}
	}
}
