// Package drm builds the DRM signaling a SPEKE response carries for each
// DRMSystem: pssh boxes, DASH ContentProtectionData, HLS key tags and the
// Smooth Streaming protection header.
//
// Each DRM system is one file implementing System and one line in
// Config.systems (config.go). Systems are pure functions of their Input and
// their configuration: they never fetch keys and never do I/O, so the same
// request always yields byte-identical signaling.
package drm

import (
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/uuid"
)

// Scheme is a Common Encryption protection scheme (ISO/IEC 23001-7).
type Scheme string

// The four CENC schemes SPEKE v2 allows in ContentKey@commonEncryptionScheme.
const (
	CENC Scheme = "cenc" // AES-CTR, full sample
	CBC1 Scheme = "cbc1" // AES-CBC, full sample
	CENS Scheme = "cens" // AES-CTR, pattern
	CBCS Scheme = "cbcs" // AES-CBC, pattern, constant IV
	// Unspecified: a SPEKE v1 request, which has no
	// commonEncryptionScheme. Systems then emit their scheme-neutral
	// form: Widevine leaves protection_scheme out, PlayReady writes the
	// AESCTR (4.0) header of the SPEKE v1 examples, sample-encrypted HLS
	// says SAMPLE-AES.
	Unspecified Scheme = ""
)

// Want lists the DRMSystem children a request asked for. Only these are
// filled, and all of them are.
type Want struct {
	PSSH                  bool
	ContentProtectionData bool
	HLS                   bool // HLSSignalingData (media and master)
	SmoothStreaming       bool
}

// Input is everything a System may use to build signaling for one KID.
type Input struct {
	ContentID string
	KID       uuid.UUID
	Key       keys.Key
	// IV is the request's ContentKey@explicitIV, or a derived IV when the
	// request had none. It is set whenever the request carried one or a
	// system for this KID NeedsIV; otherwise it is zero.
	IV     keys.IV
	Scheme Scheme
	Want   Want
	// BaseURL is this service's public base URL for the request, without a
	// trailing slash: configured, or derived from the API Gateway domain and
	// stage. Systems that point players at this service build on it.
	BaseURL string
}

// Signaling is what a System produced. A field is set only if it was
// wanted and the system has such a form.
type Signaling struct {
	// PSSH is the whole ISO BMFF pssh box.
	PSSH []byte
	// ContentProtectionData is a standalone UTF-8 XML fragment for the DASH
	// ContentProtection element.
	ContentProtectionData []byte
	// HLS is the HLS key tag's attributes, part by part (SPEKE v1 sends
	// them separately); HLS.Method is empty when there is none.
	HLS HLSKey
	// HLSAttributes is HLS.Attributes(). The media tag is "#EXT-X-KEY:" +
	// HLSAttributes and the master tag "#EXT-X-SESSION-KEY:" +
	// HLSAttributes, so both always carry identical attributes.
	HLSAttributes string
	// SmoothStreaming is the text of the MSS ProtectionHeader.
	SmoothStreaming string
}

// System is one DRM system.
type System interface {
	// ID is the DASH-IF system ID.
	ID() uuid.UUID
	// Supports reports whether content encrypted with scheme can be
	// signaled for this system.
	Supports(Scheme) bool
	// NeedsIV reports whether the encryptor needs an IV from the key
	// provider for this system; the response then carries
	// ContentKey@explicitIV when the request had none.
	NeedsIV() bool
	// Children lists every DRMSystem child the system can answer. It is
	// static, so a request asking for another child is refused before any
	// key is fetched; for a scheme the system Supports, Signal fills every
	// wanted child listed here.
	Children() Want
	// Signal builds the wanted children. An error means a broken
	// configuration or a bug, never a bad request: every rule a request can
	// break is checked before (Supports, Children).
	Signal(Input) (Signaling, error)
}

// Child element names, as Want.Unsupported reports them.
const (
	ChildPSSH            = "PSSH"
	ChildCPD             = "ContentProtectionData"
	ChildHLS             = "HLSSignalingData"
	ChildSmoothStreaming = "SmoothStreamingProtectionHeaderData"
)

// Unsupported returns the name of the first child w asks for that can
// lacks, or "" when can covers w.
func (w Want) Unsupported(can Want) string {
	switch {
	case w.PSSH && !can.PSSH:
		return ChildPSSH
	case w.ContentProtectionData && !can.ContentProtectionData:
		return ChildCPD
	case w.HLS && !can.HLS:
		return ChildHLS
	case w.SmoothStreaming && !can.SmoothStreaming:
		return ChildSmoothStreaming
	}
	return ""
}

// Registry maps system IDs to systems.
type Registry struct{ m map[uuid.UUID]System }

// NewRegistry builds a registry from systems. A duplicate ID panics: it is a
// programming error in the wiring.
func NewRegistry(systems ...System) *Registry {
	r := &Registry{m: make(map[uuid.UUID]System, len(systems))}
	for _, s := range systems {
		if _, dup := r.m[s.ID()]; dup {
			panic("drm: duplicate system " + s.ID().String())
		}
		r.m[s.ID()] = s
	}
	return r
}

// Lookup returns the system for id.
func (r *Registry) Lookup(id uuid.UUID) (System, bool) {
	s, ok := r.m[id]
	return s, ok
}

// Config carries the deployment settings the systems need. The zero value
// is valid and is what `make run` uses.
type Config struct {
	// ClearKeyLicenseURL is the W3C Clear Key license URL put in DASH
	// signaling. Empty means routes.LicenseURL(Input.BaseURL).
	ClearKeyLicenseURL string

	// WidevineProvider is written as WidevinePsshData.provider when not
	// empty (Widevine's own license service needs it).
	WidevineProvider string
	// WidevineContentID writes the CPIX contentId as
	// WidevinePsshData.content_id.
	WidevineContentID bool

	// PlayReadyLAURL is the PlayReady license acquisition URL (LA_URL).
	// Empty omits it: players then need their license server configured.
	PlayReadyLAURL string
	// PlayReadyLUIURL is the non-silent license page (LUI_URL); optional.
	PlayReadyLUIURL string
	// PlayReadyDSID is the domain service ID (DS_ID), base64 of a 16-byte
	// GUID; optional.
	PlayReadyDSID string

	// FairPlaySKDTemplate is the skd URI template (see NewFairPlay). Empty
	// means DefaultFairPlaySKDTemplate.
	FairPlaySKDTemplate string
}

// NewDefaultRegistry is NewRegistryFromConfig for a configuration already
// checked with Validate; it panics on an invalid one.
func NewDefaultRegistry(c Config) *Registry {
	r, err := NewRegistryFromConfig(c)
	if err != nil {
		panic(err)
	}
	return r
}
