package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/speke-go/keyprovider/internal/speke"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// export answers POST PathExport. Its log line is the audit record of the
// export: caller, content ID, KIDs, count, and the ExportedKeys metric.
func (h *handler) export(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	id := requestID(r)
	w.Header().Set("X-Request-Id", id)
	status, sum, err := h.serveExport(w, r)
	attrs := h.logAttrs(r, start, id, status, "")
	if err != nil {
		attrs = append(attrs, "error", err.Error())
		if status >= 500 {
			h.log.Error("export", attrs...)
		} else {
			h.log.Warn("export", attrs...)
		}
		return
	}
	attrs = append(attrs, "content_id", sum.ContentID, "keys", len(sum.KIDs), "kids", kidStrings(sum.KIDs))
	if sum.CertificateOutsideValidity {
		attrs = append(attrs, "warning", "DeliveryData certificate expired or not yet valid; used anyway")
	}
	h.audit(r.Context(), "export", append(attrs, emfCount(start.UnixMilli(), MetricExportedKeys, len(sum.KIDs))...))
}

func (h *handler) serveExport(w http.ResponseWriter, r *http.Request) (int, speke.ExportSummary, error) {
	body, err := requestBody(w, r)
	if err != nil {
		return fail(w, err), speke.ExportSummary{}, err
	}
	exp, err := h.exp.Export(r.Context(), body)
	if err != nil {
		return fail(w, err), speke.ExportSummary{}, err
	}
	writeXML(w, exp.Body)
	return http.StatusOK, exp.Summary, nil
}

// audit writes a record at Info whatever the configured log level: key
// issuance and export records are the audit trail (and carry the export
// metric), so LOG_LEVEL=warn must not drop them.
func (h *handler) audit(ctx context.Context, msg string, attrs []any) {
	rec := slog.NewRecord(h.now(), slog.LevelInfo, msg, 0)
	rec.Add(attrs...)
	_ = h.log.Handler().Handle(ctx, rec)
}

// maxNamedKIDs bounds the KIDs a 404 message names, keeping the answer a
// line long whatever the request asked for.
const maxNamedKIDs = 4

// notFoundMessage names the KIDs no key was issued for (none: a store that
// did not say which).
func notFoundMessage(kids []uuid.UUID) string {
	var b strings.Builder
	b.WriteString("No key issued for KID")
	if len(kids) > 1 {
		b.WriteString("s")
	}
	for i, k := range kids {
		if i == maxNamedKIDs {
			b.WriteString(" and " + strconv.Itoa(len(kids)-i) + " more")
			break
		}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(" " + k.String())
	}
	return b.String()
}

func kidStrings(kids []uuid.UUID) []string {
	out := make([]string, len(kids))
	for i, k := range kids {
		out[i] = k.String()
	}
	return out
}

// CloudWatch embedded metric format: a JSON log line with an "_aws" member
// becomes a metric data point when CloudWatch Logs ingests it (Lambda sends
// stdout there), with no PutMetricData call and no extra permission.
const (
	// MetricNamespace is the CloudWatch namespace of the service's metrics.
	MetricNamespace = "SpekeKeyProvider"
	// MetricExportedKeys counts the keys each export handed out. It has
	// no dimensions (the stack's dashboard graphs it so): callers and
	// content IDs stay in the log line, where they cost nothing, instead
	// of making a metric per value.
	MetricExportedKeys = "ExportedKeys"
)

type emfMetadata struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

// emfCount returns the log attributes that make the line a data point of
// metric (a count of n, no dimensions) at unixMilli.
func emfCount(unixMilli int64, metric string, n int) []any {
	return []any{
		slog.Any("_aws", emfMetadata{
			Timestamp: unixMilli,
			CloudWatchMetrics: []emfDirective{{
				Namespace:  MetricNamespace,
				Dimensions: [][]string{{}}, // one empty dimension set
				Metrics:    []emfMetric{{Name: metric, Unit: "Count"}},
			}},
		}),
		metric, n,
	}
}
