package keys

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/speke-go/keyprovider/internal/uuid"
)

// FuzzLedgerLine: every content ID the ledger records reads back as
// itself, on one line; any bytes parse without a panic, and a line that
// parses is one this code could have written for that pair.
func FuzzLedgerLine(f *testing.F) {
	f.Add("movie/1", []byte(`98ee5596-cd3e-a20d-163a-e382420c6eff "movie/1"`))
	f.Add("a \"b\"\n\x00\xff é", []byte(`98EE5596-CD3E-A20D-163A-E382420C6EFF "x\"`))
	f.Add("`", []byte("98ee5596-cd3e-a20d-163a-e382420c6eff `x`"))
	kid := uuid.MustParse("98ee5596-cd3e-a20d-163a-e382420c6eff")
	f.Fuzz(func(t *testing.T, cid string, line []byte) {
		if cid != "" && len(cid) <= MaxRecordedContentID {
			b := appendLedgerLine(nil, strconv.Quote(cid), kid)
			if bytes.IndexByte(b, '\n') != len(b)-1 || len(b) > maxLedgerLine {
				t.Fatalf("line %q is not one line within the bound", b)
			}
			got, gotKID, ok := parseLedgerLine(b[:len(b)-1])
			if !ok || got != cid || gotKID != kid {
				t.Fatalf("%q read back as %q %v %v", cid, got, gotKID, ok)
			}
		}
		got, gotKID, ok := parseLedgerLine(line)
		if !ok {
			return
		}
		again, againKID, ok := parseLedgerLine(bytes.TrimSuffix(appendLedgerLine(nil, strconv.Quote(got), gotKID), []byte("\n")))
		if !ok || again != got || againKID != gotKID {
			t.Fatalf("%q parsed as %q %v, which does not round-trip", line, got, gotKID)
		}
	})
}
