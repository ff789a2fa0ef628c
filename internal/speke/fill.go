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
		if p.enc != nil {
			if err := p.enc.SetKey(k.el, kb[:]); err != nil {
				return fmt.Errorf("speke: encrypting the key for KID %s: %w", k.kidText, err)
			}
		} else {
			k.el.SetPlainValue(b64.EncodeToString(kb[:]))
		}
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
			for _, e := range [][]*cpix.Element{sp.el.SmoothStreaming, sp.el.ProtectionHeader} {
				if len(e) == 1 {
					e[0].SetText(sig.SmoothStreaming)
				}
			}
		}
		if sp.want.HLS && sig.HLS.Method != "" {
			if sp.hlsMedia != nil {
				media, main := hlsTags(sig.HLSAttributes)
				sp.hlsMedia.SetBase64(media)
				sp.hlsMain.SetBase64(main)
			}
			// SPEKE v1: the parts of the tag, each base64 in the XML.
			for _, f := range []struct {
				el    *cpix.Element
				value string
			}{{sp.uriExtXKey, sig.HLS.URI}, {sp.keyFormat, sig.HLS.KeyFormat}, {sp.keyFormatVersions, sig.HLS.KeyFormatVersions}} {
				if f.el != nil {
					f.el.SetBase64([]byte(f.value))
				}
			}
		}
		enc := base64.StdEncoding.EncodedLen
		p.extra += enc(len(sig.PSSH)) + enc(len(sig.ContentProtectionData)) + len(sig.SmoothStreaming) +
			2*enc(len(hlsMainTag)+len(sig.HLSAttributes))
	}
	if p.enc != nil {
		if err := p.enc.Finish(); err != nil {
			return fmt.Errorf("speke: encrypting the document key: %w", err)
		}
	}
	return nil
}

// The HLS tags HLSSignalingData carries: the media playlist's key tag and
// the master playlist's session key tag.
const hlsMediaTag, hlsMainTag = "#EXT-X-KEY:", "#EXT-X-SESSION-KEY:"

// hlsTags returns both tags for the attribute list attrs, in one
// allocation.
func hlsTags(attrs string) (media, main []byte) {
	b := make([]byte, 0, len(hlsMediaTag)+len(hlsMainTag)+2*len(attrs))
	b = append(append(b, hlsMediaTag...), attrs...)
	n := len(b)
	b = append(append(b, hlsMainTag...), attrs...)
	return b[:n:n], b[n:]
}
