package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/speke-go/keyprovider/internal/cke/cketest"
	"github.com/speke-go/keyprovider/internal/drm/drmtest"
	"github.com/speke-go/keyprovider/internal/httpapi"
)

// v1Answer is the part of a SPEKE v1 answer the tests decode, read with
// encoding/xml by namespace (not with the writer's own model).
type v1Answer struct {
	ID   string `xml:"id,attr"`
	Keys []struct {
		KID        string `xml:"kid,attr"`
		ExplicitIV string `xml:"explicitIV,attr"`
		Data       struct {
			Secret struct {
				PlainValue string `xml:"urn:ietf:params:xml:ns:keyprov:pskc PlainValue"`
			} `xml:"urn:ietf:params:xml:ns:keyprov:pskc Secret"`
		} `xml:"urn:dashif:org:cpix Data"`
	} `xml:"urn:dashif:org:cpix ContentKeyList>ContentKey"`
	Systems []struct {
		KID               string `xml:"kid,attr"`
		SystemID          string `xml:"systemId,attr"`
		URIExtXKey        string `xml:"urn:dashif:org:cpix URIExtXKey"`
		KeyFormat         string `xml:"urn:aws:amazon:com:speke KeyFormat"`
		KeyFormatVersions string `xml:"urn:aws:amazon:com:speke KeyFormatVersions"`
		ProtectionHeader  string `xml:"urn:aws:amazon:com:speke ProtectionHeader"`
		PSSH              string `xml:"urn:dashif:org:cpix PSSH"`
	} `xml:"urn:dashif:org:cpix DRMSystemList>DRMSystem"`
}

func b64dec(t *testing.T, what, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		t.Fatalf("%s %q is not base64: %v", what, s, err)
	}
	return b
}

// TestV1AWSExamples answers the SPEKE v1 documentation's live and VOD
// requests exactly as printed, without X-Speke-Version, and decodes every
// signaling field.
func TestV1AWSExamples(t *testing.T) {
	const kid = "98ee5596-cd3e-a20d-163a-e382420c6eff"
	h := newHandler(t)
	for _, name := range []string{"aws-live", "aws-vod"} {
		t.Run(name, func(t *testing.T) {
			req, err := os.ReadFile("../../testdata/speke/v1.0/" + name + ".request.xml")
			if err != nil {
				t.Fatal(err)
			}
			res := post(t, h, "", string(req))
			if res.Code != http.StatusOK {
				t.Fatalf("status %d: %s", res.Code, res.Body)
			}
			hd := res.Header()
			if hd.Get("Speke-User-Agent") != httpapi.UserAgent || hd.Get("X-Speke-User-Agent") != "" || hd.Get("X-Speke-Version") != "" {
				t.Errorf("headers %v: want Speke-User-Agent only", hd)
			}
			if hd.Get("Content-Type") != "application/xml" {
				t.Errorf("Content-Type %q", hd.Get("Content-Type"))
			}
			body := res.Body.Bytes()
			cketest.XMLLint(t, body)
			drmtest.CheckResponse(t, req, body, nil)
			var a v1Answer
			if err := xml.Unmarshal(body, &a); err != nil {
				t.Fatal(err)
			}
			if a.ID != "abc123" || len(a.Keys) != 1 || a.Keys[0].KID != kid {
				t.Fatalf("id %q keys %+v", a.ID, a.Keys)
			}
			if a.Keys[0].ExplicitIV != "OFj2IjCsPJFfMAxmQxLGPw==" {
				t.Errorf("explicitIV %q, want the request's", a.Keys[0].ExplicitIV)
			}
			key := b64dec(t, "PlainValue", a.Keys[0].Data.Secret.PlainValue)
			if len(key) != 16 {
				t.Fatalf("key of %d bytes", len(key))
			}
			if len(a.Systems) != 4 {
				t.Fatalf("%d DRMSystems", len(a.Systems))
			}
			for _, s := range a.Systems {
				if s.KID != kid {
					t.Errorf("DRMSystem kid %s", s.KID)
				}
				hls := func(wantURI, wantFormat string) {
					if got := string(b64dec(t, "URIExtXKey", s.URIExtXKey)); got != wantURI {
						t.Errorf("%s URIExtXKey %q, want %q", s.SystemID, got, wantURI)
					}
					if got := string(b64dec(t, "KeyFormat", s.KeyFormat)); got != wantFormat {
						t.Errorf("%s KeyFormat %q, want %q", s.SystemID, got, wantFormat)
					}
					if got := string(b64dec(t, "KeyFormatVersions", s.KeyFormatVersions)); got != "1" {
						t.Errorf("%s KeyFormatVersions %q", s.SystemID, got)
					}
				}
				switch s.SystemID {
				case drmtest.HLSAES128V1ID:
					hls(testBaseURL+"/client/abc123/"+kid, "identity")
				case drmtest.FairPlayID:
					hls("skd://"+kid, "com.apple.streamingkeydelivery")
				case drmtest.WidevineID:
					p, err := drmtest.DecodePSSH(b64dec(t, "PSSH", s.PSSH))
					if err != nil || p.SystemID != drmtest.WidevineID {
						t.Fatalf("Widevine pssh %+v: %v", p, err)
					}
					w, err := drmtest.DecodeWidevineData(p.Data)
					if err != nil || len(w.KeyIDs) != 1 || w.KeyIDs[0] != kid || w.ProtectionScheme != nil {
						t.Errorf("WidevinePsshData %+v (%v): want key_ids [%s], no protection_scheme (v1 names no scheme)", w, err, kid)
					}
				case drmtest.PlayReadyID:
					pro := b64dec(t, "ProtectionHeader", s.ProtectionHeader)
					p, err := drmtest.DecodePSSH(b64dec(t, "PSSH", s.PSSH))
					if err != nil || p.SystemID != drmtest.PlayReadyID || !bytes.Equal(p.Data, pro) {
						t.Fatalf("PlayReady pssh %+v (%v) does not carry the ProtectionHeader PRO", p, err)
					}
					d, err := drmtest.DecodePRO(pro)
					if err != nil {
						t.Fatal(err)
					}
					ks, err := d.Header.KIDs()
					if err != nil || len(ks) != 1 || ks[0].UUID != kid || ks[0].AlgID != "AESCTR" || d.Header.Version != "4.0.0.0" {
						t.Fatalf("PRO header %s KIDs %+v (%v)", d.Header.Version, ks, err)
					}
					guid, _ := base64.StdEncoding.DecodeString(ks[0].GUIDB64)
					if sum, err := drmtest.PlayReadyChecksum(guid, key); err != nil || sum != ks[0].Checksum {
						t.Errorf("CHECKSUM %q does not verify with the key", ks[0].Checksum)
					}
				default:
					t.Errorf("unexpected system %s", s.SystemID)
				}
			}
			if name == "aws-live" {
				for _, part := range []string{"<cpix:ContentKeyPeriodList>", "</cpix:ContentKeyUsageRuleList>"} {
					if !bytes.Contains(body, []byte(part)) {
						t.Errorf("rotation lists not echoed (%s)", part)
					}
				}
			}
			// The same request with the explicit 1.0 header gets the same answer.
			if again := post(t, h, "1.0", string(req)); !bytes.Equal(again.Body.Bytes(), body) || again.Header().Get("X-Speke-Version") != "1.0" {
				t.Errorf("X-Speke-Version 1.0 answered differently (status %d, header %q)", again.Code, again.Header().Get("X-Speke-Version"))
			}
		})
	}
}

// TestV1SameKeysAsV2: a channel that moves from SPEKE v1 to v2 keeps its
// keys (the v1 content ID is CPIX@id, the v2 one CPIX@contentId).
func TestV1SameKeysAsV2(t *testing.T) {
	h := newHandler(t)
	v1 := strings.Replace(v1Base, `id="abc123"`, `id="`+"abc123"+`"`, 1)
	k1 := plainValues(t, post(t, h, "", strings.ReplaceAll(v1, v1KID, kidV)).Body.Bytes())
	k2 := plainValues(t, post(t, h, "2.0", base).Body.Bytes())
	if len(k1) != 1 || len(k2) != 2 || k1[0] != k2[0] {
		t.Fatalf("v1 key %v, v2 keys %v: want the v2 key of %s", k1, k2, kidV)
	}
	k3 := plainValues(t, post(t, h, "", strings.ReplaceAll(strings.Replace(v1, `id="abc123"`, `id="other"`, 1), v1KID, kidV)).Body.Bytes())
	if k3[0] == k1[0] {
		t.Fatal("another CPIX@id gave the same key")
	}
}

const v1KID = "98ee5596-cd3e-a20d-163a-e382420c6eff"

// v1Base is a valid SPEKE v1.0 live request (FairPlay, one period),
// shared with the rule tests of package speke.
var v1Base = func() string {
	b, err := os.ReadFile("../../testdata/speke/rules/v1base.xml")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// TestV1DerivedIV: FairPlay and HLS AES-128 need an IV from the provider;
// without explicitIV in the request one is derived, the same every time.
func TestV1DerivedIV(t *testing.T) {
	h := newHandler(t)
	a, b := post(t, h, "", v1Base), post(t, h, "", v1Base)
	if a.Code != 200 || !bytes.Contains(a.Body.Bytes(), []byte(`explicitIV="`)) || !bytes.Equal(a.Body.Bytes(), b.Body.Bytes()) {
		t.Fatalf("status %d, no explicitIV or not deterministic:\n%s", a.Code, a.Body)
	}
	drmtest.CheckResponse(t, []byte(v1Base), a.Body.Bytes(), nil)
}

func TestHeartbeat(t *testing.T) {
	h := newHandler(t)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, httpapi.PathHeartbeat, nil))
	if w.Code != 200 || w.Body.String() != httpapi.HeartbeatMessage || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("GET %s: %d %q %v", httpapi.PathHeartbeat, w.Code, w.Body, w.Header())
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, httpapi.PathHeartbeat, nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST %s: %d", httpapi.PathHeartbeat, w.Code)
	}
}
