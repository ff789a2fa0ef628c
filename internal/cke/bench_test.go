package cke_test

import (
	"testing"

	"github.com/speke-go/keyprovider/internal/cke"
	"github.com/speke-go/keyprovider/internal/cke/cketest"
	"github.com/speke-go/keyprovider/internal/cpix"
)

// BenchmarkEncryptAnswer: certificate parse, fresh keys, two RSA-OAEP
// wraps and two content keys, written into the document (the work one
// encrypted answer adds). Compare with -bench=Seal for one key alone.
func BenchmarkEncryptAnswer(b *testing.B) {
	body := request(cketest.Base64(b, cketest.RSA2048))
	key := make([]byte, 16)
	for b.Loop() {
		b.StopTimer()
		doc, err := cpix.Parse(body)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		enc, err := cke.ForDocument(doc)
		if err != nil {
			b.Fatal(err)
		}
		for _, ck := range doc.ContentKeys {
			if err := enc.SetKey(ck, key); err != nil {
				b.Fatal(err)
			}
		}
		if err := enc.Finish(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	s, err := cke.NewSession()
	if err != nil {
		b.Fatal(err)
	}
	key := make([]byte, 16)
	for b.Loop() {
		if _, _, err := s.Seal(key); err != nil {
			b.Fatal(err)
		}
	}
}
