package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/speke-go/keyprovider/internal/caller"
	"github.com/speke-go/keyprovider/internal/cke/cketest"
	"github.com/speke-go/keyprovider/internal/cpix"
	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/httpapi"
	"github.com/speke-go/keyprovider/internal/httpapi/exporttest"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/speke"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// issuedOnly is a store that issued only the exporttest KIDs.
func issuedOnly(t *testing.T) fakeSource {
	t.Helper()
	src, err := keys.NewLocalFromSeed(testSeed)
	if err != nil {
		t.Fatal(err)
	}
	return func(ctx context.Context, cid string, kids []uuid.UUID) ([]keys.Key, error) {
		var missing []uuid.UUID
		for _, k := range kids {
			if k.String() != exporttest.KIDs[0] && k.String() != exporttest.KIDs[1] {
				missing = append(missing, k)
			}
		}
		if missing != nil {
			return nil, fmt.Errorf("store: %w", &keys.NotFoundError{KIDs: missing})
		}
		return src.Lookup(ctx, cid, kids)
	}
}

func exportHandler(t *testing.T, src speke.Lookuper, log *bytes.Buffer, level slog.Level) http.Handler {
	opt := httpapi.Options{PublicBaseURL: testBaseURL}
	if log != nil {
		opt.Logger = slog.New(slog.NewJSONHandler(log, &slog.HandlerOptions{Level: level}))
	}
	return httpapi.NewExport(speke.NewExporter(src, drm.NewDefaultRegistry(drm.Config{})), opt)
}

func TestExportStatuses(t *testing.T) {
	h := exportHandler(t, issuedOnly(t), nil, 0)
	good := string(exporttest.ExportRequest(t, "movie-1", exporttest.KIDs))
	ddl := good[strings.Index(good, "<cpix:DeliveryDataList>"):strings.Index(good, "<cpix:ContentKeyList>")]
	unknown := []string{
		"11111111-2222-3333-4444-555555555555", "21111111-2222-3333-4444-555555555555", "31111111-2222-3333-4444-555555555555",
		"41111111-2222-3333-4444-555555555555", "51111111-2222-3333-4444-555555555555", "61111111-2222-3333-4444-555555555555",
	}
	for _, tc := range []struct {
		name   string
		body   string
		ct     string
		status int
		msg    string
	}{
		{"no DeliveryDataList", strings.Replace(good, ddl, "", 1), "", 422, speke.MsgExportNeedsDeliveryData},
		{"unknown KID", string(exporttest.ExportRequest(t, "movie-1", []string{exporttest.KIDs[0], unknown[0]})), "", 404, "No key issued for KID " + unknown[0]},
		{"many unknown KIDs", string(exporttest.ExportRequest(t, "movie-1", unknown)), "", 404, "No key issued for KIDs " + strings.Join(unknown[:4], ", ") + " and 2 more"},
		{"malformed KID", strings.Replace(good, exporttest.KIDs[0], "98ee5596", 1), "", 422, "Invalid ContentKey@kid"},
		{"EC certificate", strings.Replace(good, cketest.Base64(t, cketest.RSA2048), cketest.Base64(t, cketest.ECP256), 1), "", 422, "DeliveryKey certificate must carry an RSA key, not an elliptic-curve key"},
		{"certificate not X.509", strings.Replace(good, cketest.Base64(t, cketest.RSA2048), "aGVsbG8=", 1), "", 422, "DeliveryKey X509Certificate is not a valid X.509 certificate"},
		{"malformed XML", good[:200], "", 400, ""},
		{"JSON", good, "application/json", 415, "Content-Type must be application/xml"},
		{"too large", good + strings.Repeat(" ", 2<<20), "", 413, "Request body too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, httpapi.PathExport, strings.NewReader(tc.body))
			if tc.ct != "" {
				r.Header.Set("Content-Type", tc.ct)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status || (tc.msg != "" && w.Body.String() != tc.msg) {
				t.Fatalf("got %d %q, want %d %q", w.Code, w.Body.String(), tc.status, tc.msg)
			}
			if w.Header().Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
		})
	}
	// Only POST /export: the SPEKE route is not there.
	if w := exporttest.Post(t, h, "/copyProtection", exporttest.SPEKERequest(t, "movie-1")); w.Code != http.StatusNotFound {
		t.Errorf("copyProtection on the export handler: %d", w.Code)
	}
	if w := exporttest.Post(t, h, httpapi.PathExport, []byte(good)); w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/xml" {
		t.Errorf("good export: %d %s", w.Code, w.Body.String())
	}
}

// logLine decodes the one JSON log record in buf.
func logLine(t *testing.T, buf *bytes.Buffer) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one log line, got %d: %s", len(lines), buf.String())
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestExportAuditLine: the export's log line names the caller as API
// Gateway reported it, the content ID, the KIDs and the count, carries the
// ExportedKeys metric in CloudWatch embedded metric format, holds no key
// bytes, and is written even when LOG_LEVEL is warn.
func TestExportAuditLine(t *testing.T) {
	var buf bytes.Buffer
	src := issuedOnly(t)
	h := exportHandler(t, src, &buf, slog.LevelWarn)
	r := httptest.NewRequest(http.MethodPost, httpapi.PathExport, bytes.NewReader(exporttest.ExportRequest(t, "movie-1", exporttest.KIDs)))
	id := caller.Identity{UserARN: "arn:aws:sts::111122223333:assumed-role/LicenseServer/ksm-1", AccountID: "111122223333", RequestID: "apigw-1"}
	r = r.WithContext(caller.WithIdentity(r.Context(), id))
	before := time.Now().UnixMilli()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
	m := logLine(t, &buf)
	for k, want := range map[string]any{
		"msg": "export", "level": "INFO", "status": 200.0, "content_id": "movie-1", "keys": 2.0,
		"caller_arn": id.UserARN, "caller_account": id.AccountID, "apigw_request_id": "apigw-1",
		"ExportedKeys": 2.0,
	} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	if kids, _ := json.Marshal(m["kids"]); string(kids) != `["`+strings.Join(exporttest.KIDs, `","`)+`"]` {
		t.Errorf("kids = %s", kids)
	}
	// The embedded metric format directive, member by member.
	var emf struct {
		Timestamp         int64
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	}
	raw, _ := json.Marshal(m["_aws"])
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&emf); err != nil {
		t.Fatalf("_aws %s: %v", raw, err)
	}
	if emf.Timestamp < before || emf.Timestamp > time.Now().UnixMilli() {
		t.Errorf("Timestamp %d is not now in milliseconds", emf.Timestamp)
	}
	if len(emf.CloudWatchMetrics) != 1 {
		t.Fatalf("_aws %s", raw)
	}
	d := emf.CloudWatchMetrics[0]
	// One empty dimension set: the metric has no dimensions, as the
	// stack's dashboard graphs it.
	if d.Namespace != httpapi.MetricNamespace || len(d.Dimensions) != 1 || len(d.Dimensions[0]) != 0 ||
		len(d.Metrics) != 1 || d.Metrics[0] != (struct{ Name, Unit string }{"ExportedKeys", "Count"}) {
		t.Errorf("directive %s", raw)
	}
	// The metric the directive names is a member of the root.
	if _, ok := m[d.Metrics[0].Name]; !ok {
		t.Errorf("root lacks %s", d.Metrics[0].Name)
	}
	kids := make([]uuid.UUID, len(exporttest.KIDs))
	for i, s := range exporttest.KIDs {
		kids[i], _ = uuid.Parse(s)
	}
	got, err := src.Lookup(context.Background(), "movie-1", kids)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range got {
		b := k.Reveal()
		for _, enc := range []string{hex.EncodeToString(b[:]), base64.StdEncoding.EncodeToString(b[:]), base64.RawURLEncoding.EncodeToString(b[:])} {
			if strings.Contains(buf.String(), enc) {
				t.Error("a key is in the log")
			}
		}
	}

	// A refusal is logged at its level, without the metric.
	buf.Reset()
	exporttest.Post(t, h, httpapi.PathExport, exporttest.ExportRequest(t, "movie-1", []string{"11111111-2222-3333-4444-555555555555"}))
	m = logLine(t, &buf)
	if m["level"] != "WARN" || m["status"] != 404.0 || m["_aws"] != nil || !strings.Contains(fmt.Sprint(m["error"]), "11111111-2222-3333-4444-555555555555") {
		t.Errorf("refusal line %v", m)
	}
}

// TestIssuanceAuditLine: a SPEKE answer's log line names the KIDs and the
// caller, at any log level.
func TestIssuanceAuditLine(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError}))
	h := httpapi.New(newService(t), httpapi.Options{PublicBaseURL: testBaseURL, Logger: log})
	r := httptest.NewRequest(http.MethodPost, httpapi.PathCopyProtection, bytes.NewReader(exporttest.SPEKERequest(t, "movie-1")))
	r.Header.Set("X-Speke-Version", "2.0")
	r = r.WithContext(caller.WithIdentity(r.Context(), caller.Identity{UserARN: "arn:aws:sts::111122223333:assumed-role/MediaPackage/s", AccountID: "111122223333"}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
	m := logLine(t, &buf)
	kids, _ := json.Marshal(m["kids"])
	if m["msg"] != "copyProtection" || m["keys"] != 2.0 || m["content_id"] != "movie-1" || m["caller_account"] != "111122223333" ||
		string(kids) != `["`+strings.Join(exporttest.KIDs, `","`)+`"]` {
		t.Errorf("line %v", m)
	}
}

// FuzzExport: whatever the body, the export answers 200, 400, 404, 413 or
// 422 with a short body, never 5xx or a panic; a 200 holds no PlainValue
// and decodes as CPIX with a value per ContentKey.
func FuzzExport(f *testing.F) {
	good := exporttest.ExportRequest(f, "movie-1", exporttest.KIDs)
	f.Add(good)
	f.Add(exporttest.ExportRequest(f, "movie-1", []string{"11111111-2222-3333-4444-555555555555"}))
	f.Add(exporttest.SPEKERequest(f, "movie-1"))
	f.Add(bytes.Replace(good, []byte("</cpix:CPIX>"), []byte(`<cpix:DRMSystemList><cpix:DRMSystem kid="`+exporttest.KIDs[0]+`" systemId="94ce86fb-07ff-4f43-adb8-93d2fa968ca2"/></cpix:DRMSystemList></cpix:CPIX>`), 1))
	src, err := keys.NewLocalFromSeed(testSeed)
	if err != nil {
		f.Fatal(err)
	}
	store := fakeSource(func(ctx context.Context, cid string, kids []uuid.UUID) ([]keys.Key, error) {
		for _, k := range kids {
			if k.String() == "11111111-2222-3333-4444-555555555555" {
				return nil, &keys.NotFoundError{KIDs: []uuid.UUID{k}}
			}
		}
		return src.Lookup(ctx, cid, kids)
	})
	h := httpapi.NewExport(speke.NewExporter(store, drm.NewDefaultRegistry(drm.Config{})), httpapi.Options{})
	f.Fuzz(func(t *testing.T, body []byte) {
		res := exporttest.Post(t, h, httpapi.PathExport, body)
		switch res.Code {
		case 400, 404, 413, 422:
			if res.Body.Len() == 0 || res.Body.Len() > 256 {
				t.Fatalf("%d with a body of %d bytes", res.Code, res.Body.Len())
			}
			return
		case 200:
		default:
			t.Fatalf("status %d: %s", res.Code, res.Body.String())
		}
		if bytes.Contains(res.Body.Bytes(), []byte("PlainValue>")) {
			t.Fatal("a PlainValue in an export")
		}
		d, err := cpix.Parse(res.Body.Bytes())
		if err != nil {
			t.Fatalf("200 answer does not parse: %v", err)
		}
		for _, ck := range d.ContentKeys {
			if len(ck.ValueElements) == 0 {
				t.Fatal("a ContentKey without a value in a 200")
			}
		}
	})
}
