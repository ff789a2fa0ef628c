package cpix

import "errors"

// Sentinel errors; every parse failure wraps exactly one of them.
var (
	// ErrTooLarge: the body exceeds MaxBodyBytes.
	ErrTooLarge = errors.New("cpix: document too large")
	// ErrMalformed: the body is not a well-formed, namespace-well-formed XML
	// document within the limits, or uses a construct we refuse (DOCTYPE).
	ErrMalformed = errors.New("cpix: malformed XML")
	// ErrNotCPIX: well-formed XML whose root is not {urn:dashif:org:cpix}CPIX.
	ErrNotCPIX = errors.New("cpix: root element is not cpix:CPIX")
)

// SyntaxError describes why a body was refused. Reason is a fixed phrase of
// ours (never text copied from the input), safe to show a client.
type SyntaxError struct {
	Reason string
	kind   error
	cause  error // the XML decoder's error, for logs only
}

func (e *SyntaxError) Error() string {
	if e.cause != nil {
		return e.kind.Error() + ": " + e.Reason + ": " + e.cause.Error()
	}
	return e.kind.Error() + ": " + e.Reason
}

// Unwrap returns the sentinel and the decoder's error.
func (e *SyntaxError) Unwrap() []error {
	if e.cause != nil {
		return []error{e.kind, e.cause}
	}
	return []error{e.kind}
}

func malformed(reason string, cause error) error {
	return &SyntaxError{Reason: reason, kind: ErrMalformed, cause: cause}
}
