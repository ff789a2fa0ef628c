//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMakeRun runs `make run` as a user does, twice on the same data
// directory: it must start, say what it serves from where, answer, stop on
// Ctrl-C (SIGINT to the foreground process group, as a terminal sends it)
// or on SIGTERM to make alone, and free its port, so the next `make run`
// starts again with the same seed.
func TestMakeRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server through make")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is required (Debian package make)")
	}
	data := t.TempDir()
	for _, tc := range []struct {
		name    string
		stop    func(pid int) error
		newSeed bool
	}{
		{"ctrl-c", func(pid int) error { return syscall.Kill(-pid, syscall.SIGINT) }, true},
		{"sigterm-to-make", func(pid int) error { return syscall.Kill(pid, syscall.SIGTERM) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := freeAddr(t)
			cmd := exec.Command("make", "--no-print-directory", "run", "ADDR="+addr, "DATA_DIR="+data)
			cmd.Dir = ".."
			cmd.Env = withoutMakeVars(os.Environ())
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = cmd.Stdout
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := make(chan string, 100)
			exited := make(chan struct{}) // closed once make has exited
			go func() {
				s := bufio.NewScanner(out)
				for s.Scan() {
					lines <- s.Text()
				}
				close(lines)
				_ = cmd.Wait() // after the output is read, as os/exec requires
				close(exited)
			}()
			defer func() {
				go func() {
					for range lines { // keep the reader going until make is gone
					}
				}()
				select {
				case <-exited:
				default:
					_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
					<-exited
				}
			}()

			var seen []string
			wait := func(want string, d time.Duration) map[string]any {
				t.Helper()
				deadline := time.After(d) // a safety net for a hung build, not a timing assertion
				for {
					select {
					case l, ok := <-lines:
						if !ok {
							t.Fatalf("make run ended before %q:\n%s", want, strings.Join(seen, "\n"))
						}
						seen = append(seen, l)
						var m map[string]any
						if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == want {
							return m
						}
					case <-deadline:
						t.Fatalf("no %q line:\n%s", want, strings.Join(seen, "\n"))
					}
				}
			}

			m := wait("listening", 5*time.Minute)
			if m["addr"] != addr || m["key_source"] != "local" || m["data_dir"] != data || m["new_seed"] != tc.newSeed {
				t.Errorf("startup line %v: want addr %s, key_source local, data_dir %s, new_seed %v", m, addr, data, tc.newSeed)
			}
			resp, err := http.Get("http://" + addr + "/nope")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if r := wait("request", time.Minute); r["status"] != float64(404) || r["path"] != "/nope" {
				t.Errorf("request line %v", r)
			}

			if err := tc.stop(cmd.Process.Pid); err != nil {
				t.Fatal(err)
			}
			wait("stopped", time.Minute)
			select {
			case <-exited:
			case <-time.After(time.Minute):
				t.Fatal("make run did not exit after the server stopped")
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				t.Fatalf("port still taken after make run exited: %v", err)
			}
			ln.Close()
		})
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// withoutMakeVars drops the variables of an enclosing make (make test),
// so the inner make behaves as when a user types it.
func withoutMakeVars(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "ADDR", "DATA_DIR", "LOG_LEVEL", "KEY_SOURCE":
			continue
		}
		out = append(out, kv)
	}
	return out
}
