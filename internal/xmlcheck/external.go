package xmlcheck

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// expatScript parses each file named on stdin with expat in namespace mode
// and prints "path<TAB>error" for each one expat refuses.
const expatScript = `
import sys, xml.parsers.expat as E
for path in sys.stdin.read().split("\n"):
    if not path:
        continue
    p = E.ParserCreate(namespace_separator=" ")
    try:
        with open(path, "rb") as f:
            p.Parse(f.read(), True)
    except Exception as e:
        print(path + "\t" + str(e))
`

// External has libxml2 (xmllint) and expat (python3's pyexpat) read every
// document and fails t for each one either refuses, namespace errors
// included. A parser that is not installed is skipped with a log line;
// both missing skips the test (.ci/run installs libxml2-utils; python3 is
// required there anyway).
func External(t testing.TB, docs map[string][]byte) {
	t.Helper()
	if len(docs) == 0 {
		t.Fatal("no documents to check")
	}
	dir := t.TempDir()
	names := make([]string, 0, len(docs))
	for n := range docs {
		names = append(names, n)
	}
	sort.Strings(names)
	byPath := map[string]string{}
	var paths []string
	for i, n := range names {
		p := filepath.Join(dir, strconv.Itoa(i)+".xml")
		if err := os.WriteFile(p, docs[n], 0o600); err != nil {
			t.Fatal(err)
		}
		byPath[p] = n
		paths = append(paths, p)
	}
	ran := 0
	if _, err := exec.LookPath("xmllint"); err == nil {
		ran++
		// xmllint exits 0 on namespace errors but prints them: any output
		// is a failure. Warnings (an xml:space value it does not know, for
		// one) are not well-formedness errors.
		out, _ := exec.Command("xmllint", append([]string{"--noout", "--nonet", "--nowarning"}, paths...)...).CombinedOutput()
		reportLines(t, "libxml2", out, byPath, ":")
	} else {
		t.Log("xmllint not installed: libxml2 check skipped")
	}
	if _, err := exec.LookPath("python3"); err == nil {
		ran++
		cmd := exec.Command("python3", "-c", expatScript)
		cmd.Stdin = strings.NewReader(strings.Join(paths, "\n"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("expat runner: %v\n%s", err, out)
		}
		reportLines(t, "expat", out, byPath, "\t")
	} else {
		t.Log("python3 not installed: expat check skipped")
	}
	if ran == 0 {
		t.Skip("neither xmllint nor python3 installed")
	}
	t.Logf("%d documents read by %d outside parsers", len(docs), ran)
}

// reportLines fails t once per document an outside parser complained about,
// with the first line it printed for it.
func reportLines(t testing.TB, parser string, out []byte, byPath map[string]string, sep string) {
	t.Helper()
	if len(bytes.TrimSpace(out)) == 0 {
		return
	}
	reported := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	other := 0
	for sc.Scan() {
		line := sc.Text()
		path, msg, ok := strings.Cut(line, sep)
		name, known := byPath[path]
		if !ok || !known {
			other++
			continue
		}
		if !reported[path] {
			reported[path] = true
			t.Errorf("%s refuses %s: %s\n%.300q", parser, name, msg, mustRead(path))
		}
	}
	if len(reported) == 0 && other > 0 {
		t.Errorf("%s printed:\n%s", parser, out)
	}
}

func mustRead(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// ReadCorpus returns the inputs of a Go fuzz corpus directory
// (testdata/fuzz/FuzzXxx), one slice of argument values per file, keyed by
// file name. A missing directory is an empty corpus.
func ReadCorpus(dir string) (map[string][]string, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) < 2 || lines[0] != "go test fuzz v1" {
			return nil, fmt.Errorf("%s: not a fuzz corpus file", e.Name())
		}
		var args []string
		for _, l := range lines[1:] {
			l = strings.TrimSpace(l)
			for _, p := range []string{"[]byte(", "string("} {
				if strings.HasPrefix(l, p) && strings.HasSuffix(l, ")") {
					l = l[len(p) : len(l)-1]
				}
			}
			s, err := strconv.Unquote(l)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", e.Name(), err)
			}
			args = append(args, s)
		}
		out[e.Name()] = args
	}
	return out, nil
}
