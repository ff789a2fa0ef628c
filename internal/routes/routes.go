// Package routes is the one definition of the service's URL paths: the
// router registers them and the DRM signaling builds the URLs it hands to
// players from them, so a signaled key URI or license URL is always one
// the service answers.
//
// The CDK app repeats the player-facing strings (it does not import
// internal/); a test there compares its copy with Players.
package routes

import (
	"net/url"
	"strings"

	"github.com/speke-go/keyprovider/internal/uuid"
)

// Paths, as net/http ServeMux patterns.
const (
	// CopyProtection is the SPEKE endpoint encryptors POST CPIX to.
	CopyProtection = "/copyProtection"
	// Heartbeat is the SPEKE v1 heartbeat.
	Heartbeat = "/heartbeat"
	// Health answers load balancers and smoke tests.
	Health = "/healthz"
	// Export hands keys to a license server (SigV4 only).
	Export = "/export"
	// ClientKey serves the raw 16-byte key of an HLS AES-128 key URI.
	ClientKey = "/client/{" + ContentIDParam + "}/{" + KIDParam + "}"
	// ClearKeyLicense is the W3C Clear Key license endpoint.
	ClearKeyLicense = "/clearkey/license"
)

// Wildcard names in ClientKey (http.Request.PathValue).
const (
	ContentIDParam = "contentId"
	KIDParam       = "kid"
)

// Route is one method and path the service answers.
type Route struct{ Method, Path string }

// Pattern is the ServeMux pattern of r ("GET /client/{contentId}/{kid}").
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// SPEKE are the routes of the SPEKE function (SERVE=speke): the only ones
// that may create keys.
var SPEKE = []Route{
	{"POST", CopyProtection},
	{"GET", Heartbeat},
	{"GET", Health},
}

// Players are the unsigned routes players call; the read-only function
// serves them.
var Players = []Route{
	{"GET", ClientKey},
	{"OPTIONS", ClientKey},
	{"POST", ClearKeyLicense},
	{"OPTIONS", ClearKeyLicense},
}

// ReadOnly are the routes of the read-only function (SERVE=readonly): the
// players' routes, the export and the health check. None creates a key.
var ReadOnly = append(append([]Route{}, Players...), Route{"POST", Export}, Route{"GET", Health})

// All is every route once (SERVE=all, `make run`).
var All = union(SPEKE, ReadOnly)

func union(lists ...[]Route) []Route {
	var out []Route
	seen := map[Route]bool{}
	for _, l := range lists {
		for _, r := range l {
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// KeyURL is the HLS AES-128 key URI of (contentID, kid) under baseURL (no
// trailing slash). The content ID is path-escaped, which also keeps quotes
// out of the quoted HLS attribute; the KID is the canonical lowercase form.
func KeyURL(baseURL, contentID string, kid uuid.UUID) string {
	return baseURL + keyURLHead + url.PathEscape(contentID) + keyURLMid + kid.String()
}

// keyURLHead and keyURLMid are ClientKey around its wildcards, cut once so
// the pattern stays the only spelling of the path.
var keyURLHead, keyURLMid = func() (string, string) {
	head, rest, _ := strings.Cut(ClientKey, "{"+ContentIDParam+"}")
	mid, tail, _ := strings.Cut(rest, "{"+KIDParam+"}")
	if tail != "" {
		panic("routes: ClientKey must end with the KID wildcard")
	}
	return head, mid
}()

// LicenseURL is the Clear Key license URL under baseURL.
func LicenseURL(baseURL string) string { return baseURL + ClearKeyLicense }
