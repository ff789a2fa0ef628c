// Package playbacktest proves the player routes with real players: it runs
// the whole key provider on 127.0.0.1, asks it for keys with a SPEKE
// request, packages an ffmpeg-generated clip with those keys (DASH CENC
// through mp4ff, HLS AES-128 through ffmpeg), mints playback tokens, and
// plays the result in headless Chromium with Shaka Player. The playback
// tests and `make demo` use it.
//
// It needs ffmpeg and chromium on PATH (or CHROMIUM), node, and the npm
// packages of internal/playback/testdata/browser (npm ci there).
package playbacktest

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/golang-jwt/jwt/v5"

	"github.com/speke-go/keyprovider/internal/app"
	"github.com/speke-go/keyprovider/internal/config"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// Service is the key provider running in this process, as `make run`
// runs it (SERVE=all, local key store), on a free 127.0.0.1 port.
type Service struct {
	// URL is the base URL, also its PUBLIC_BASE_URL.
	URL string
	// DataDir holds the seed and the playback-token key.
	DataDir string
	srv     *http.Server
}

// StartService starts the service with its data in dataDir; env adds
// settings (such as CORS_ALLOWED_ORIGINS). Logs go to logTo.
func StartService(dataDir string, env map[string]string, logTo io.Writer) (*Service, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	vars := map[string]string{"ADDR": ln.Addr().String(), "DATA_DIR": dataDir}
	for k, v := range env {
		vars[k] = v
	}
	getenv := func(k string) string { return vars[k] }
	cfg, err := config.Load(getenv)
	if err != nil {
		ln.Close()
		return nil, err
	}
	log := slog.New(slog.NewJSONHandler(logTo, nil))
	h, err := app.New(context.Background(), cfg, log)
	if err != nil {
		ln.Close()
		return nil, err
	}
	s := &Service{URL: cfg.PublicBaseURL, DataDir: dataDir, srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the service.
func (s *Service) Close() { _ = s.srv.Close() }

// TokenKey reads the service's playback-token key, as an entitlement
// service that shares it would.
func (s *Service) TokenKey() ([]byte, error) {
	return os.ReadFile(filepath.Join(s.DataDir, app.TokenKeyFileName))
}

// Token mints a playback token for contentID valid for ttl; kids, when
// not nil, limits it to those KIDs.
func Token(key []byte, contentID string, ttl time.Duration, kids []uuid.UUID) (string, error) {
	c := jwt.MapClaims{"content_id": contentID, "exp": time.Now().Add(ttl).Unix(), "nbf": time.Now().Add(-time.Minute).Unix()}
	if kids != nil {
		list := make([]string, len(kids))
		for i, k := range kids {
			list[i] = k.String()
		}
		c["kids"] = list
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(key)
}

// Answer is what a SPEKE answer says about one content key.
type Answer struct {
	ContentID string
	KID       uuid.UUID
	Key       keys.Key
	// IV is ContentKey@explicitIV, if the answer has one.
	IV []byte
	// CPD is the decoded ContentProtectionData of the W3C common system.
	CPD string
	// HLS is the decoded media-playlist HLSSignalingData of the Clear
	// Key AES-128 system.
	HLS string
}

// Systems a request can ask for.
const (
	SystemCommon    = "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"
	SystemAES128HLS = "3ea8778f-7742-4bf9-b18b-e834b2acbd47"
)

// RequestKey asks the service (SPEKE 2.0) for one key of contentID: cenc
// with the W3C common system (PSSH and ContentProtectionData), or cbc1
// with Clear Key AES-128 for HLS.
func (s *Service) RequestKey(ctx context.Context, contentID string, kid uuid.UUID, system string) (*Answer, error) {
	scheme, children := "cenc", `<cpix:PSSH/><cpix:ContentProtectionData/>`
	if system == SystemAES128HLS {
		scheme, children = "cbc1", `<cpix:HLSSignalingData playlist="media"/><cpix:HLSSignalingData playlist="master"/>`
	}
	var cid bytes.Buffer
	escapeAttr(&cid, contentID)
	body := `<?xml version="1.0" encoding="UTF-8"?>
<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" contentId="` + cid.String() + `" version="2.3">
  <cpix:ContentKeyList><cpix:ContentKey kid="` + kid.String() + `" commonEncryptionScheme="` + scheme + `"/></cpix:ContentKeyList>
  <cpix:DRMSystemList><cpix:DRMSystem kid="` + kid.String() + `" systemId="` + system + `">` + children + `</cpix:DRMSystem></cpix:DRMSystemList>
  <cpix:ContentKeyUsageRuleList><cpix:ContentKeyUsageRule kid="` + kid.String() + `" intendedTrackType="VIDEO"><cpix:VideoFilter/></cpix:ContentKeyUsageRule></cpix:ContentKeyUsageRuleList>
</cpix:CPIX>`
	req, err := http.NewRequestWithContext(ctx, "POST", s.URL+"/copyProtection", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/xml")
	req.Header.Set("X-Speke-Version", "2.0")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("SPEKE answered %d: %s", res.StatusCode, out)
	}
	return parseAnswer(out, kid, system)
}

func escapeAttr(w *bytes.Buffer, s string) {
	for _, r := range s {
		switch r {
		case '&':
			w.WriteString("&amp;")
		case '<':
			w.WriteString("&lt;")
		case '"':
			w.WriteString("&quot;")
		default:
			w.WriteRune(r)
		}
	}
}

func parseAnswer(doc []byte, kid uuid.UUID, system string) (*Answer, error) {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, fmt.Errorf("SPEKE answer: %w", err)
	}
	root := d.Root()
	a := &Answer{KID: kid, ContentID: root.SelectAttrValue("contentId", "")}
	for _, ck := range root.FindElements("./ContentKeyList/ContentKey") {
		if ck.SelectAttrValue("kid", "") != kid.String() {
			continue
		}
		pv := ck.FindElement("./Data/Secret/PlainValue")
		if pv == nil {
			return nil, errors.New("SPEKE answer: no PlainValue")
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(pv.Text()))
		if err != nil {
			return nil, err
		}
		if a.Key, err = keys.NewKey(raw); err != nil {
			return nil, err
		}
		if iv := ck.SelectAttrValue("explicitIV", ""); iv != "" {
			if a.IV, err = base64.StdEncoding.DecodeString(iv); err != nil {
				return nil, err
			}
		}
	}
	if a.Key.IsZero() {
		return nil, fmt.Errorf("SPEKE answer has no key for KID %s", kid)
	}
	for _, ds := range root.FindElements("./DRMSystemList/DRMSystem") {
		if ds.SelectAttrValue("systemId", "") != system {
			continue
		}
		if e := ds.FindElement("./ContentProtectionData"); e != nil {
			b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(e.Text()))
			if err != nil {
				return nil, err
			}
			a.CPD = string(b)
		}
		for _, e := range ds.FindElements("./HLSSignalingData") {
			if e.SelectAttrValue("playlist", "media") != "media" {
				continue
			}
			b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(e.Text()))
			if err != nil {
				return nil, err
			}
			a.HLS = string(b)
		}
	}
	return a, nil
}

// KeyURI is the URI of the answer's EXT-X-KEY tag.
func (a *Answer) KeyURI() (string, error) {
	_, rest, ok := strings.Cut(a.HLS, `URI="`)
	if !ok {
		return "", fmt.Errorf("HLS signaling without URI: %q", a.HLS)
	}
	uri, _, ok := strings.Cut(rest, `"`)
	if !ok {
		return "", fmt.Errorf("HLS signaling with an unterminated URI: %q", a.HLS)
	}
	return uri, nil
}
