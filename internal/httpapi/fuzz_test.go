package httpapi_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/cke/cketest"
	"github.com/speke-go/keyprovider/internal/cpix"
	"github.com/speke-go/keyprovider/internal/speke"
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
	// Content key encryption, SPEKE v1 (no header).
	b, err := os.ReadFile("../../testdata/speke/v1.0/aws-vod.request.xml")
	if err != nil {
		tb.Fatal(err)
	}
	return append(seeds, [2]string{"", withDelivery(tb, string(b), cketest.Base64(tb, cketest.RSA2048))})
}

var cipherValueRE = regexp.MustCompile(`<[^/<>]*CipherValue>`)

// FuzzHandler: whatever the body, the handler answers 200, 400, 413 or 422,
// never 5xx and never a panic, with a short error body and X-Speke-Version
// only in the Major.Minor form; a refusal never reached the key source
// (keys are derived here, so no explicitIV can equal one); and a 200
// answers a request strict parsers accept, is itself well-formed for them
// (libxml2, expat), has exactly one key value per ContentKey and none
// elsewhere (encrypted when the request has a DeliveryDataList), and is a
// CPIX document in which every requested signaling child (v1 and v2) is
// filled (or is a FairPlay PSSH, which has no form).
func FuzzHandler(f *testing.F) {
	for _, s := range handlerSeeds(f) {
		f.Add(s[0], s[1])
	}
	h, calls := newCountingHandler(f)
	f.Fuzz(func(t *testing.T, version, body string) {
		before := calls.Load()
		res := post(t, h, version, body)
		if res.Code != 200 && calls.Load() != before {
			t.Fatalf("%d %q after the key source was called", res.Code, res.Body.String())
		}
		if got, ok := res.Header()["X-Speke-Version"]; ok {
			if want, echo := speke.EchoVersion(version); !echo || len(got) != 1 || got[0] != want {
				t.Fatalf("X-Speke-Version %q for request value %q", got, version)
			}
		}
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
		plain, sealed := len(plainValues(t, res.Body.Bytes())), len(cipherValueRE.FindAll(res.Body.Bytes(), -1))
		if len(d.DeliveryData) > 0 {
			// Encrypted: no clear key, one CipherValue per key plus the
			// document and MAC keys of each recipient.
			if plain != 0 || sealed != len(d.ContentKeys)+2*len(d.DeliveryData) {
				t.Fatalf("%d PlainValues and %d CipherValues for %d ContentKeys, %d recipients", plain, sealed, len(d.ContentKeys), len(d.DeliveryData))
			}
		} else if plain != len(d.ContentKeys) {
			t.Fatalf("%d keys for %d ContentKeys", plain, len(d.ContentKeys))
		}
		for _, ds := range d.DRMSystems {
			for _, els := range [][]*cpix.Element{ds.ContentProtectionData, ds.HLSSignalingData, ds.SmoothStreaming,
				ds.URIExtXKey, ds.KeyFormat, ds.KeyFormatVersions, ds.ProtectionHeader} {
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
