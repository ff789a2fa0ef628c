package speke

import "errors"

// ErrRequest marks a request that breaks a SPEKE or CPIX rule. The HTTP
// layer answers it with 422 and the error's Message.
var ErrRequest = errors.New("speke: request rejected")

// RequestError is a rejected request. Message is the client-facing text:
// the exact SPEKE v2 message where the specification defines one, else a
// short fixed message of ours. Detail is for logs only.
type RequestError struct {
	Message string
	Detail  string
}

func (e *RequestError) Error() string {
	if e.Detail != "" {
		return "speke: " + e.Message + " (" + e.Detail + ")"
	}
	return "speke: " + e.Message
}

// Unwrap returns ErrRequest.
func (e *RequestError) Unwrap() error { return ErrRequest }

func reject(msg string) error { return &RequestError{Message: msg} }

func rejectDetail(msg, detail string) error { return &RequestError{Message: msg, Detail: detail} }

// Exact SPEKE v2 messages (SPEKE v2 "Customizations and constraints";
// MediaPackage's SPEKE v2 implementation guide). The spec's "Requested CPIX
// encryption contract not supported" is never needed: this provider sets no
// DRM security-level constraints a contract could contradict.
const (
	MsgUnsupportedSPEKEVersion = "Unsupported SPEKE version"
	MsgMissingContentID        = "Missing CPIX@contentId"
	MsgMissingVersion          = "Missing CPIX@version"
	MsgUnsupportedVersion      = "Unsupported CPIX@version"
	MsgMissingSchemeForKID     = "Missing ContentKey@commonEncryptionScheme for KID " // + kid
	MsgNonCompliantSchemes     = "Non compliant ContentKey@commonEncryptionScheme combination"
	MsgSchemeNotCompatibleWith = "ContentKey@commonEncryptionScheme non compatible with DRMSystem " // + systemId
	MsgMalformedContract       = "Malformed encryption contract"
	MsgMissingContract         = "Missing CPIX encryption contract"
)

// SPEKE v1.0 has no message table; ours, in the style of v2's.
const (
	MsgMissingID = "Missing CPIX@id"
)
