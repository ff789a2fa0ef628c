package speke

import (
	"encoding/base64"
	"fmt"

	"github.com/speke-go/keyprovider/internal/cpix"
	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/keys"
)

// fill writes keys, IVs and signaling into the document. It runs only after
// validation and after every key arrived, so it either completes or fails
// before anything is sent.
func (s *Service) fill(doc *cpix.Document, p *plan, got []keys.Key, baseURL string) error {
	doc.EnsureRootNamespace(cpix.NSPSKC)
	b64 := base64.StdEncoding
	for i := range p.keys {
		k := &p.keys[i]
		kb := got[i].Reveal()
		k.el.SetPlainValue(b64.EncodeToString(kb[:]))
		if !k.hasIV && k.needsIV {
			k.iv = keys.DeriveIV(got[i], p.contentID, p.kids[i])
			k.el.SetAttr("explicitIV", b64.EncodeToString(k.iv[:]))
		}
	}
	for i := range p.systems {
		sp := &p.systems[i]
		k := &p.keys[sp.key]
		sig, err := sp.sys.Signal(drm.Input{
			ContentID: p.contentID,
			KID:       p.kids[sp.key],
			Key:       got[sp.key],
			IV:        k.iv,
			Scheme:    k.scheme,
			Want:      sp.want,
			BaseURL:   baseURL,
		})
		if err != nil {
			// Every rule a request can break was checked before the keys
			// were fetched: this is a bug or a broken configuration.
			return fmt.Errorf("speke: signaling for DRMSystem %s: %w", sp.idText, err)
		}
		// A wanted child that comes back empty is echoed empty: the system
		// has no such form (FairPlay has no pssh) and says so by leaving it
		// unset rather than by failing.
		if sp.want.PSSH && sig.PSSH != nil {
			sp.el.PSSH[0].SetBase64(sig.PSSH)
		}
		if sp.want.ContentProtectionData && sig.ContentProtectionData != nil {
			sp.el.ContentProtectionData[0].SetBase64(sig.ContentProtectionData)
		}
		if sp.want.SmoothStreaming && sig.SmoothStreaming != "" {
			sp.el.SmoothStreaming[0].SetText(sig.SmoothStreaming)
		}
		if sp.want.HLS && sig.HLSAttributes != "" {
			sp.hlsMedia[0].SetBase64(append([]byte("#EXT-X-KEY:"), sig.HLSAttributes...))
			sp.hlsMain[0].SetBase64(append([]byte("#EXT-X-SESSION-KEY:"), sig.HLSAttributes...))
		}
		enc := base64.StdEncoding.EncodedLen
		p.extra += enc(len(sig.PSSH)) + enc(len(sig.ContentProtectionData)) + len(sig.SmoothStreaming) +
			2*enc(len("#EXT-X-SESSION-KEY:")+len(sig.HLSAttributes))
	}
	return nil
}
