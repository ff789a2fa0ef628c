package drm

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"unicode"
	"unicode/utf8"
)

// maxWidevineProvider bounds the provider string; real ones are short
// names ("widevine_test", "ezdrm").
const maxWidevineProvider = 255

// Validate reports the first setting that would make a system produce
// signaling players cannot use. Errors name the setting and never hold key
// material (there is none in Config).
func (c Config) Validate() error {
	_, err := c.systems()
	return err
}

// NewRegistryFromConfig returns every system this build supports, or the
// first configuration error.
func NewRegistryFromConfig(c Config) (*Registry, error) {
	s, err := c.systems()
	if err != nil {
		return nil, err
	}
	return NewRegistry(s...), nil
}

func (c Config) systems() ([]System, error) {
	if err := checkText("WidevineProvider", c.WidevineProvider, maxWidevineProvider); err != nil {
		return nil, err
	}
	for _, u := range [...]struct{ name, value string }{
		{"PlayReadyLAURL", c.PlayReadyLAURL}, {"PlayReadyLUIURL", c.PlayReadyLUIURL},
	} {
		if err := checkAbsoluteURL(u.name, u.value); err != nil {
			return nil, err
		}
	}
	if c.PlayReadyDSID != "" {
		g, err := base64.StdEncoding.Strict().DecodeString(c.PlayReadyDSID)
		if err != nil || len(g) != 16 {
			return nil, fmt.Errorf("drm: PlayReadyDSID %q is not base64 of a 16-byte GUID", c.PlayReadyDSID)
		}
	}
	pr := &PlayReady{LAURL: c.PlayReadyLAURL, LUIURL: c.PlayReadyLUIURL, DSID: c.PlayReadyDSID}
	// The URLs are the only variable-length part of a one-KID header, so
	// building one now catches a header too large for any KID.
	if _, err := pr.Object(AESCTR, PlayReadyKID{}); err != nil {
		return nil, fmt.Errorf("drm: PlayReady settings: %w", err)
	}
	fp, err := NewFairPlay(c.FairPlaySKDTemplate)
	if err != nil {
		return nil, fmt.Errorf("drm: FairPlaySKDTemplate: %w", err)
	}
	return []System{
		&CommonPSSH{LicenseURL: c.ClearKeyLicenseURL},
		&ClearKeyAES128{},
		&ClearKeyAES128{SystemID: HLSAES128V1SystemID},
		&Widevine{Provider: c.WidevineProvider, IncludeContentID: c.WidevineContentID},
		pr,
		fp,
	}, nil
}

// checkText accepts UTF-8 text without control characters, at most max
// bytes.
func checkText(name, v string, max int) error {
	if len(v) > max {
		return fmt.Errorf("drm: %s longer than %d bytes", name, max)
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("drm: %s is not UTF-8", name)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return fmt.Errorf("drm: %s contains control character %U", name, r)
		}
	}
	return nil
}

// checkAbsoluteURL accepts "" or an absolute http(s) URL with a host and
// no whitespace, control or non-XML characters: it is written verbatim
// (XML-escaped) into headers that players parse.
func checkAbsoluteURL(name, v string) error {
	if v == "" {
		return nil
	}
	if err := checkText(name, v, MaxPlayReadyObjectSize); err != nil {
		return err
	}
	for _, r := range v {
		if unicode.IsSpace(r) || r == 0xFFFE || r == 0xFFFF {
			return fmt.Errorf("drm: %s contains %U", name, r)
		}
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("drm: %s %q is not an absolute http(s) URL", name, v)
	}
	return nil
}
