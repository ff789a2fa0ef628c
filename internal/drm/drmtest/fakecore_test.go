package drmtest_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// fakeCore stands in for the SPEKE core (internal/speke, not merged yet)
// with the behaviour the core's contract with package drm describes: for
// each DRMSystem it computes Want from the request's children, calls
// Signal, base64-encodes what comes back into those children, echoes a
// wanted child that came back empty as an empty element, and sets
// ContentKey@explicitIV when a system for that KID NeedsIV. Keys and IVs
// are derived from the KID so tests can recompute them.
type fakeCore struct {
	reg *drm.Registry
	// mutate, when set, may change a system's signaling before it is
	// written, to prove that Check notices broken responses.
	mutate func(kid uuid.UUID, system uuid.UUID, s *drm.Signaling)
	// noIV drops explicitIV, and ivIsKey sets it to the key.
	noIV, ivIsKey bool
}

type reqDoc struct {
	ContentID string `xml:"contentId,attr"`
	Keys      []struct {
		KID    string `xml:"kid,attr"`
		Scheme string `xml:"commonEncryptionScheme,attr"`
	} `xml:"ContentKeyList>ContentKey"`
	Systems []struct {
		KID      string     `xml:"kid,attr"`
		SystemID string     `xml:"systemId,attr"`
		PSSH     []struct{} `xml:"PSSH"`
		CPD      []struct{} `xml:"ContentProtectionData"`
		HLS      []struct {
			Playlist string `xml:"playlist,attr"`
		} `xml:"HLSSignalingData"`
		Smooth []struct{} `xml:"SmoothStreamingProtectionHeaderData"`
	} `xml:"DRMSystemList>DRMSystem"`
}

func testKey(kid uuid.UUID) keys.Key {
	h := sha256.Sum256(append([]byte("key/"), kid[:]...))
	k, _ := keys.NewKey(h[:16])
	return k
}

func testIV(kid uuid.UUID) keys.IV {
	h := sha256.Sum256(append([]byte("iv/"), kid[:]...))
	return keys.IV(h[:16])
}

func (c *fakeCore) respond(t testing.TB, request []byte) []byte {
	t.Helper()
	var req reqDoc
	if err := xml.Unmarshal(request, &req); err != nil {
		t.Fatal(err)
	}
	scheme := map[uuid.UUID]drm.Scheme{}
	needsIV := map[uuid.UUID]bool{}
	var systems strings.Builder
	for _, s := range req.Systems {
		kid, sysID := uuid.MustParse(s.KID), uuid.MustParse(s.SystemID)
		sys, ok := c.reg.Lookup(sysID)
		if !ok {
			t.Fatalf("unknown system %s", sysID)
		}
		for _, k := range req.Keys {
			if k.KID == s.KID {
				scheme[kid] = drm.Scheme(k.Scheme)
			}
		}
		if !sys.Supports(scheme[kid]) {
			t.Fatalf("ContentKey@commonEncryptionScheme non compatible with DRMSystem %s", sysID)
		}
		needsIV[kid] = needsIV[kid] || sys.NeedsIV()
		want := drm.Want{PSSH: len(s.PSSH) > 0, ContentProtectionData: len(s.CPD) > 0, HLS: len(s.HLS) > 0, SmoothStreaming: len(s.Smooth) > 0}
		sig, err := sys.Signal(drm.Input{ContentID: req.ContentID, KID: kid, Key: testKey(kid), IV: testIV(kid), Scheme: scheme[kid], Want: want})
		if err != nil {
			t.Fatalf("%s %s: %v", sysID, kid, err)
		}
		if c.mutate != nil {
			c.mutate(kid, sysID, &sig)
		}
		fmt.Fprintf(&systems, `<cpix:DRMSystem kid="%s" systemId="%s">`, kid, sysID)
		if want.PSSH {
			fmt.Fprintf(&systems, `<cpix:PSSH>%s</cpix:PSSH>`, b64(sig.PSSH))
		}
		if want.ContentProtectionData {
			fmt.Fprintf(&systems, `<cpix:ContentProtectionData>%s</cpix:ContentProtectionData>`, b64(sig.ContentProtectionData))
		}
		for _, h := range s.HLS {
			tag := "#EXT-X-KEY:"
			if h.Playlist == "master" {
				tag = "#EXT-X-SESSION-KEY:"
			}
			fmt.Fprintf(&systems, `<cpix:HLSSignalingData playlist="%s">%s</cpix:HLSSignalingData>`, h.Playlist, b64([]byte(tag+sig.HLSAttributes)))
		}
		if want.SmoothStreaming {
			fmt.Fprintf(&systems, `<cpix:SmoothStreamingProtectionHeaderData>%s</cpix:SmoothStreamingProtectionHeaderData>`, sig.SmoothStreaming)
		}
		systems.WriteString(`</cpix:DRMSystem>`)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" contentId="%s" version="2.3"><cpix:ContentKeyList>`, req.ContentID)
	for _, k := range req.Keys {
		kid := uuid.MustParse(k.KID)
		key := testKey(kid).Reveal()
		iv := ""
		switch {
		case c.ivIsKey:
			iv = fmt.Sprintf(` explicitIV="%s"`, b64(key[:]))
		case needsIV[kid] && !c.noIV:
			v := testIV(kid)
			iv = fmt.Sprintf(` explicitIV="%s"`, b64(v[:]))
		}
		fmt.Fprintf(&b, `<cpix:ContentKey kid="%s" commonEncryptionScheme="%s"%s><cpix:Data><pskc:Secret><pskc:PlainValue>%s</pskc:PlainValue></pskc:Secret></cpix:Data></cpix:ContentKey>`,
			kid, k.Scheme, iv, b64(key[:]))
	}
	b.WriteString(`</cpix:ContentKeyList><cpix:DRMSystemList>` + systems.String() + `</cpix:DRMSystemList></cpix:CPIX>`)
	return []byte(b.String())
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
