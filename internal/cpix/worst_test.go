package cpix

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// benchSize is the size of the bodies the CPU-bound benchmark compares: as
// large as Parse accepts.
const benchSize = MaxBodyBytes - 64

// padTo pads a document to exactly n bytes with newlines before the root
// end tag.
func padTo(tb testing.TB, doc string, n int) []byte {
	tb.Helper()
	end := strings.LastIndex(doc, "</")
	if len(doc) > n || end < 0 {
		tb.Fatalf("body of %d bytes does not fit in %d", len(doc), n)
	}
	return []byte(doc[:end] + strings.Repeat("\n", n-len(doc)) + doc[end:])
}

// fill writes open, then unit(i) for i = 0, 1, ... while the body stays
// within n bytes, MaxElements elements and MaxTotalAttributes attributes
// (each unit has elems elements and attrs attributes, open has openAttrs),
// then as many empty elements as the limits leave room for, then close,
// and pads to n bytes.
func fill(tb testing.TB, n int, open string, openAttrs, elems, attrs int, unit func(i int) string, close string) []byte {
	var b strings.Builder
	b.WriteString(open)
	elements, attributes := 1+strings.Count(open, "<"), openAttrs
	for i := 0; ; i++ {
		u := unit(i)
		if b.Len()+len(u)+len(close) > n || elements+elems > MaxElements-8 || attributes+attrs > MaxTotalAttributes {
			break
		}
		b.WriteString(u)
		elements += elems
		attributes += attrs
	}
	for b.Len()+len("<f/>")+len(close) <= n && elements < MaxElements-8 {
		b.WriteString("<f/>")
		elements++
	}
	b.WriteString(close)
	return padTo(tb, b.String(), n)
}

// ordinaryBody is a realistic request of n bytes: keys with Widevine,
// PlayReady and FairPlay systems and a usage rule each, as many as fit.
// Lists are written in one pass each, so the keys are counted first.
func ordinaryBody(tb testing.TB, n int) []byte {
	tb.Helper()
	kid := func(i int) string { return fmt.Sprintf("%08x-1111-2222-3333-444444444444", i) }
	key := func(i int) string {
		return `    <cpix:ContentKey kid="` + kid(i) + `" commonEncryptionScheme="cbcs"/>` + "\n"
	}
	systems := func(i int) string {
		var s strings.Builder
		for _, sys := range []string{"edef8ba9-79d6-4ace-a3c8-27dcd51d21ed", "9a04f079-9840-4286-ab92-e65be0885f95", "94ce86fb-07ff-4f43-adb8-93d2fa968ca2"} {
			s.WriteString(`    <cpix:DRMSystem kid="` + kid(i) + `" systemId="` + sys + `">` + "\n      <cpix:PSSH/>\n      <cpix:ContentProtectionData/>\n" +
				`      <cpix:HLSSignalingData playlist="media"/>` + "\n" + `      <cpix:HLSSignalingData playlist="master"/>` + "\n    </cpix:DRMSystem>\n")
		}
		return s.String()
	}
	rule := func(i int) string {
		return `    <cpix:ContentKeyUsageRule kid="` + kid(i) + `" intendedTrackType="VIDEO-` + strconv.Itoa(i) + `">` +
			"\n      <cpix:KeyPeriodFilter periodId=\"keyPeriod_1\"/>\n      <cpix:VideoFilter minPixels=\"0\" maxPixels=\"8847360\"/>\n    </cpix:ContentKeyUsageRule>\n"
	}
	const perKey = 1 + 3*5 + 3
	head := `<?xml version="1.0" encoding="UTF-8"?>
<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" contentId="ordinary-channel-1" version="2.3">
  <cpix:ContentKeyList>
`
	mid1 := "  </cpix:ContentKeyList>\n  <cpix:DRMSystemList>\n"
	mid2 := "  </cpix:DRMSystemList>\n  <cpix:ContentKeyPeriodList>\n    <cpix:ContentKeyPeriod id=\"keyPeriod_1\" index=\"1\"/>\n  </cpix:ContentKeyPeriodList>\n  <cpix:ContentKeyUsageRuleList>\n"
	tail := "  </cpix:ContentKeyUsageRuleList>\n</cpix:CPIX>\n"
	size, keys := len(head)+len(mid1)+len(mid2)+len(tail), 0
	for {
		add := len(key(keys)) + len(systems(keys)) + len(rule(keys))
		if size+add > n || 8+(keys+1)*perKey > MaxElements {
			break
		}
		size += add
		keys++
	}
	var b strings.Builder
	b.WriteString(head)
	for i := range keys {
		b.WriteString(key(i))
	}
	b.WriteString(mid1)
	for i := range keys {
		b.WriteString(systems(i))
	}
	b.WriteString(mid2)
	for i := range keys {
		b.WriteString(rule(i))
	}
	b.WriteString(tail)
	return padTo(tb, b.String(), n)
}

// worstBodies build the most expensive bodies of n bytes we could
// construct, each aimed at one cost: namespace scope chains (the issue's
// shape), attribute pairs, long namespace URIs, declarations on every
// element, and element count.
var worstBodies = map[string]func(tb testing.TB, n int) []byte{
	// A chain of MaxDepth-2 elements, each declaring as many namespaces as
	// the attribute limit allows, then leaves whose attributes all share
	// one local name under prefixes bound at the top of the chain.
	"scope-chain": func(tb testing.TB, n int) []byte {
		var open strings.Builder
		open.WriteString(`<c:CPIX xmlns:c="urn:dashif:org:cpix">`)
		depth := MaxDepth - 2
		for d := range depth {
			open.WriteString("<n")
			for i := range MaxAttributes {
				fmt.Fprintf(&open, ` xmlns:p%d_%d="u%d_%d"`, d, i, d, i)
			}
			open.WriteString(">")
		}
		var leaf strings.Builder
		leaf.WriteString("<e")
		for i := range MaxAttributes {
			fmt.Fprintf(&leaf, ` p0_%d:a=""`, i)
		}
		leaf.WriteString("/>")
		return fill(tb, n, open.String(), 1+depth*MaxAttributes, 1, MaxAttributes, func(int) string { return leaf.String() }, strings.Repeat("</n>", depth)+`</c:CPIX>`)
	},
	// The most attributes per byte, in pairs sharing a local name under
	// two prefixes (so each pair must be told apart by URI).
	"attributes": func(tb testing.TB, n int) []byte {
		var leaf strings.Builder
		leaf.WriteString("<e")
		for i := range MaxAttributes / 2 {
			fmt.Fprintf(&leaf, ` a:k%d="" b:k%d=""`, i, i)
		}
		leaf.WriteString("/>")
		return fill(tb, n, `<c:CPIX xmlns:c="urn:dashif:org:cpix" xmlns:a="u" xmlns:b="v">`, 3, 1, MaxAttributes, func(int) string { return leaf.String() }, `</c:CPIX>`)
	},
	// Two long namespace URIs, referenced by every attribute.
	"long-uris": func(tb testing.TB, n int) []byte {
		long := strings.Repeat("u", n/3)
		return fill(tb, n, `<c:CPIX xmlns:c="urn:dashif:org:cpix" xmlns:a="`+long+`" xmlns:b="`+long+`x">`, 3, 1, 3,
			func(i int) string { return `<e a:x="" b:x="" a:z` + strconv.Itoa(i) + `=""/>` }, `</c:CPIX>`)
	},
	// Namespace declarations on every element, each used by an attribute.
	"declarations": func(tb testing.TB, n int) []byte {
		return fill(tb, n, `<c:CPIX xmlns:c="urn:dashif:org:cpix">`, 1, 1, MaxAttributes, func(i int) string {
			var leaf strings.Builder
			leaf.WriteString("<e")
			for j := range MaxAttributes / 2 {
				fmt.Fprintf(&leaf, ` xmlns:p%d="v%d_%d" p%d:a=""`, j, i, j, j)
			}
			leaf.WriteString("/>")
			return leaf.String()
		}, `</c:CPIX>`)
	},
	// As many elements as allowed, nested as deep as allowed.
	"elements": func(tb testing.TB, n int) []byte {
		depth := MaxDepth - 2
		branch := strings.Repeat("<a>", depth) + strings.Repeat("</a>", depth)
		return fill(tb, n, `<c:CPIX xmlns:c="urn:dashif:org:cpix">`, 1, depth, 0, func(int) string { return branch }, `</c:CPIX>`)
	},
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestWorstBodiesParse(t *testing.T) {
	for _, name := range append([]string{"ordinary"}, sortedKeys(worstBodies)...) {
		body := costBody(t, name)
		if len(body) != benchSize {
			t.Errorf("%s: %d bytes, want %d", name, len(body), benchSize)
		}
		if _, err := Parse(body); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func costBody(tb testing.TB, name string) []byte {
	if name == "ordinary" {
		return ordinaryBody(tb, benchSize)
	}
	return worstBodies[name](tb, benchSize)
}

// BenchmarkParseWorst compares Parse on the most expensive bodies we could
// construct with Parse on an ordinary request of the same size. Every parse
// step must be linear in the input, so the ratio stays small (the bound is
// 3x).
func BenchmarkParseWorst(b *testing.B) {
	for _, name := range append([]string{"ordinary"}, sortedKeys(worstBodies)...) {
		body := costBody(b, name)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestParseCostLinear requires every worst body to cost at most 3x the
// ordinary body of the same size, in the two measures that are repeatable:
// the bytes Parse allocates (which is what the garbage collector's share
// follows) and the instructions it executes with the collector off
// (callgrind, deterministic unlike time). Instruction counts with the
// collector on are not repeatable under valgrind: its pacing depends on
// time, and valgrind runs the program fifty times slower, so the same parse
// measured 19 to 30 M instructions. It builds the package's test binary
// without the race detector and runs TestParseCostHelper under valgrind at
// two repeat counts, so that start-up and building the body cancel out.
// Skipped when valgrind is not installed or with -short.
func TestParseCostLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	if _, err := exec.LookPath("valgrind"); err != nil {
		t.Skip("valgrind not installed")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "cpix.test")
	if out, err := exec.Command("go", "test", "-c", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building the test binary: %v\n%s", err, out)
	}
	collected := regexp.MustCompile(`Collected : (\d+)`)
	count := func(name string, reps int) float64 {
		cmd := exec.Command("valgrind", "--tool=callgrind", "--callgrind-out-file="+filepath.Join(dir, "out.%p"),
			bin, "-test.run=^TestParseCostHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "GODEBUG=asyncpreemptoff=1", "GOGC=off",
			"CPIX_COST_BODY="+name, "CPIX_COST_REPS="+strconv.Itoa(reps))
		out, err := cmd.CombinedOutput()
		m := collected.FindSubmatch(out)
		if err != nil || m == nil {
			t.Fatalf("callgrind %s: %v\n%s", name, err, out)
		}
		n, _ := strconv.ParseFloat(string(m[1]), 64)
		return n
	}
	perParse := func(name string) float64 { return (count(name, 2) - count(name, 0)) / 2 }
	ordinary, ordinaryBytes := perParse("ordinary"), allocatedPerParse(t, "ordinary")
	t.Logf("ordinary: %.2f M instructions, %.2f MB allocated per parse", ordinary/1e6, ordinaryBytes/1e6)
	for _, name := range sortedKeys(worstBodies) {
		worst, bytes := perParse(name), allocatedPerParse(t, name)
		t.Logf("%s: %.2f M instructions (%.2fx ordinary), %.2f MB allocated (%.2fx) per parse",
			name, worst/1e6, worst/ordinary, bytes/1e6, bytes/ordinaryBytes)
		if worst > 3*ordinary {
			t.Errorf("%s: %.1fx the instructions of an ordinary body of the same size (bound 3x)", name, worst/ordinary)
		}
		if bytes > 3*ordinaryBytes {
			t.Errorf("%s: %.1fx the bytes allocated for an ordinary body of the same size (bound 3x)", name, bytes/ordinaryBytes)
		}
	}
}

// allocatedPerParse returns the bytes one Parse of the named body
// allocates.
func allocatedPerParse(t *testing.T, name string) float64 {
	body := costBody(t, name)
	const reps = 4
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range reps {
		if _, err := Parse(body); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	return float64(after.TotalAlloc-before.TotalAlloc) / reps
}

// TestParseCostHelper is run by TestParseCostLinear under callgrind: it
// builds the body CPIX_COST_BODY names and parses it CPIX_COST_REPS times.
func TestParseCostHelper(t *testing.T) {
	name := os.Getenv("CPIX_COST_BODY")
	if name == "" {
		t.Skip("run by TestParseCostLinear")
	}
	reps, _ := strconv.Atoi(os.Getenv("CPIX_COST_REPS"))
	body := costBody(t, name)
	for range reps {
		if _, err := Parse(body); err != nil {
			t.Fatal(err)
		}
	}
}
