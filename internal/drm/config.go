package drm

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxWidevineProvider bounds the provider string; real ones are short
// names ("widevine_test", "ezdrm").
const maxWidevineProvider = 255

// SettingError names the Config fields whose values no system can use.
// Fields are Go field names; the configuration reader maps them to the
// names operators set, and Err never repeats them.
type SettingError struct {
	Fields []string
	Err    error
}

func (e *SettingError) Error() string {
	return "drm: " + strings.Join(e.Fields, ", ") + ": " + e.Err.Error()
}

// Unwrap returns the reason.
func (e *SettingError) Unwrap() error { return e.Err }

func settingErr(err error, fields ...string) error { return &SettingError{Fields: fields, Err: err} }

// Validate reports the first setting that would make a system produce
// signaling players cannot use, as a *SettingError. Errors never hold key
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
	if err := checkText(c.WidevineProvider, maxWidevineProvider); err != nil {
		return nil, settingErr(err, "WidevineProvider")
	}
	for _, u := range [...]struct{ name, value string }{
		{"ClearKeyLicenseURL", c.ClearKeyLicenseURL}, {"PlayReadyLAURL", c.PlayReadyLAURL}, {"PlayReadyLUIURL", c.PlayReadyLUIURL},
	} {
		if err := checkAbsoluteURL(u.value); err != nil {
			return nil, settingErr(err, u.name)
		}
	}
	if c.PlayReadyDSID != "" {
		g, err := base64.StdEncoding.Strict().DecodeString(c.PlayReadyDSID)
		if err != nil || len(g) != 16 {
			return nil, settingErr(fmt.Errorf("%q is not base64 of a 16-byte GUID", c.PlayReadyDSID), "PlayReadyDSID")
		}
	}
	pr := &PlayReady{LAURL: c.PlayReadyLAURL, LUIURL: c.PlayReadyLUIURL, DSID: c.PlayReadyDSID}
	// The URLs are the only variable-length part of a one-KID header, so
	// building one now catches a header too large for any KID.
	if _, err := pr.Object(AESCTR, PlayReadyKID{}); err != nil {
		return nil, settingErr(err, "PlayReadyLAURL", "PlayReadyLUIURL", "PlayReadyDSID")
	}
	fp, err := NewFairPlay(c.FairPlaySKDTemplate)
	if err != nil {
		return nil, settingErr(err, "FairPlaySKDTemplate")
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
func checkText(v string, max int) error {
	if len(v) > max {
		return fmt.Errorf("longer than %d bytes", max)
	}
	if !utf8.ValidString(v) {
		return errors.New("not UTF-8")
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return fmt.Errorf("contains control character %U", r)
		}
	}
	return nil
}

// checkAbsoluteURL accepts "" or an absolute http(s) URL with a host and
// no whitespace, control or non-XML characters: it is written verbatim
// (XML-escaped) into headers that players parse.
func checkAbsoluteURL(v string) error {
	if v == "" {
		return nil
	}
	if err := checkText(v, MaxPlayReadyObjectSize); err != nil {
		return err
	}
	for _, r := range v {
		if unicode.IsSpace(r) || r == 0xFFFE || r == 0xFFFF {
			return fmt.Errorf("contains %U", r)
		}
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", v)
	}
	return nil
}
