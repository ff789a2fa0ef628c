package httpapi_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/cpix"
	"github.com/speke-go/keyprovider/internal/xmlcheck"
)

// handlerSeeds are FuzzHandler's seeds besides testdata/fuzz/FuzzHandler:
// (version, body) pairs.
func handlerSeeds(tb testing.TB) [][2]string {
	seeds := [][2]string{
		{"2.0", base},
		{"2.1", strings.Replace(base, `version="2.3"`, `version="2.4"`, 1)},
	}
	files, _ := filepath.Glob("../../testdata/speke/*/*.request.xml")
	for _, s := range files {
		b, err := os.ReadFile(s)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, [2]string{filepath.Base(filepath.Dir(s))[1:], string(b)})
	}
	return seeds
}

// FuzzHandler: whatever the body, the handler answers 200, 400, 413 or 422,
// never 5xx and never a panic; and a 200 answers a request strict parsers
// accept, is itself well-formed for them, has exactly one key value per
// ContentKey (and none elsewhere), and is a CPIX document in which every
// requested signaling child is filled (or is a FairPlay PSSH, which has no
// form).
func FuzzHandler(f *testing.F) {
	for _, s := range handlerSeeds(f) {
		f.Add(s[0], s[1])
	}
	h := newHandler(f)
	f.Fuzz(func(t *testing.T, version, body string) {
		res := post(t, h, version, body)
		switch res.Code {
		case 400, 413, 422:
			if res.Body.Len() == 0 || res.Body.Len() > 200 {
				t.Fatalf("%d with body of %d bytes", res.Code, res.Body.Len())
			}
			return
		case 200:
		default:
			t.Fatalf("status %d: %s", res.Code, res.Body.String())
		}
		// Strict parsers (libxml2, expat) must read every 200, and the
		// request it answers must have been well-formed for them too.
		if err := xmlcheck.WellFormed(res.Body.Bytes()); err != nil {
			t.Fatalf("200 response is not well-formed: %v\n%q", err, res.Body.Bytes())
		}
		if err := xmlcheck.WellFormed([]byte(body)); err != nil {
			t.Fatalf("200 for a request a strict parser refuses: %v", err)
		}
		if err := xmlcheck.OneValuePerKey(res.Body.Bytes()); err != nil {
			t.Fatalf("200 response: %v\n%q", err, res.Body.Bytes())
		}
		d, err := cpix.Parse(res.Body.Bytes())
		if err != nil {
			t.Fatalf("200 response does not parse: %v", err)
		}
		if got := len(plainValues(t, res.Body.Bytes())); got != len(d.ContentKeys) {
			t.Fatalf("%d keys for %d ContentKeys", got, len(d.ContentKeys))
		}
		for _, ds := range d.DRMSystems {
			for _, els := range [][]*cpix.Element{ds.ContentProtectionData, ds.HLSSignalingData, ds.SmoothStreaming} {
				for _, e := range els {
					if strings.TrimSpace(e.Text()) == "" {
						t.Fatalf("requested child left empty in a 200")
					}
				}
			}
		}
	})
}

// TestOutsideParsers has libxml2 and expat read every 200 the handler gives
// for the fuzz seeds and corpus.
func TestOutsideParsers(t *testing.T) {
	inputs := map[string][2]string{}
	for i, s := range handlerSeeds(t) {
		inputs["seed"+strconv.Itoa(i)] = s
	}
	corpus, err := xmlcheck.ReadCorpus("testdata/fuzz/FuzzHandler")
	if err != nil {
		t.Fatal(err)
	}
	for name, args := range corpus {
		inputs[name] = [2]string{args[0], args[1]}
	}
	h := newHandler(t)
	docs := map[string][]byte{}
	for name, in := range inputs {
		if res := post(t, h, in[0], in[1]); res.Code == 200 {
			docs[name] = res.Body.Bytes()
		}
	}
	xmlcheck.External(t, docs)
}
