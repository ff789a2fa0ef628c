package uuid

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"98ee5596-cd3e-a20d-163a-e382420c6eff", "98ee5596-cd3e-a20d-163a-e382420c6eff", true},
		{"98EE5596-CD3E-A20D-163A-E382420C6EFF", "98ee5596-cd3e-a20d-163a-e382420c6eff", true},
		{"00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000", true},
		{"98ee5596cd3ea20d163ae382420c6eff", "", false},
		{"{98ee5596-cd3e-a20d-163a-e382420c6eff}", "", false},
		{"urn:uuid:98ee5596-cd3e-a20d-163a-e382420c6eff", "", false},
		{" 98ee5596-cd3e-a20d-163a-e382420c6eff", "", false},
		{"98ee5596-cd3e-a20d-163a-e382420c6ef", "", false},
		{"98ee5596-cd3e-a20d-163a-e382420c6efg", "", false},
		{"g8ee5596-cd3e-a20d-163a-e382420c6eff", "", false},
		{"98ee5596-cd3g-a20d-163a-e382420c6eff", "", false},
		{"98ee5596-cd3e-a20G-163a-e382420c6eff", "", false},
		{"98ee5596-cd3e-a20d-x63a-e382420c6eff", "", false},
		{"98ee5596-cd3e-a20d-163a-e38242 c6eff", "", false},
		{"98ee5596-cd3e-a20d-163a-e382420c6eé", "", false},
		{"98ee5596-cd3e-a20d-163a-e382420c6e\x00f", "", false},
		{"98ee5596-cd3e-a20d-163a-e382420c6e-f", "", false},
		{"98ee5596-cd3e-a20d-163a-e382-20c6eff", "", false},
		{"98eE5596-Cd3e-A20d-163A-e382420C6efF", "98ee5596-cd3e-a20d-163a-e382420c6eff", true},
		{"98ee5596+cd3e-a20d-163a-e382420c6eff", "", false},
		{"98ee559-6cd3e-a20d-163a-e382420c6eff", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		u, err := Parse(tc.in)
		if tc.ok != (err == nil) {
			t.Errorf("Parse(%q) err = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if !tc.ok {
			if !errors.Is(err, ErrSyntax) || u != (UUID{}) {
				t.Errorf("Parse(%q) = %v, %v; want zero, ErrSyntax", tc.in, u, err)
			}
			continue
		}
		if got := u.String(); got != tc.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestGUIDBytes(t *testing.T) {
	// Table 2 ("KID representation example") of Microsoft's "DASH Content
	// Protection using Microsoft PlayReady".
	u := MustParse("f81d4fae-7dec-11d0-a765-00a0c91e6bf6")
	g := u.GUIDBytes()
	want := [16]byte{0xae, 0x4f, 0x1d, 0xf8, 0xec, 0x7d, 0xd0, 0x11, 0xa7, 0x65, 0x00, 0xa0, 0xc9, 0x1e, 0x6b, 0xf6}
	if g != want {
		t.Fatalf("GUIDBytes = %x, want %x", g, want)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("98ee5596-cd3e-a20d-163a-e382420c6eff")
	f.Add("98EE5596-CD3E-A20D-163A-E382420C6EFF")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse(s)
		if err != nil {
			if u != (UUID{}) {
				t.Fatal("error with non-zero result")
			}
			return
		}
		again, err := Parse(u.String())
		if err != nil || again != u {
			t.Fatalf("round trip of %q failed", s)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := Parse("98EE5596-cd3e-a20d-163a-e382420c6eff"); err != nil {
			b.Fatal(err)
		}
	}
}
