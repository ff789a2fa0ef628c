// Package awserr turns a failed AWS SDK call into an error that wraps
// keys.ErrUnavailable and whose message cannot leak key material.
//
// Service error messages are written by the service and may quote the
// request (a DynamoDB validation message can echo an item, and an item holds
// a key), so for a call whose request carries key material (Wrap) only the
// error code, HTTP status and request ID are printed. For calls whose
// request holds no secret (WrapWithMessage: reads, DescribeTable,
// GetSecretValue) the message is kept, because it is what tells an operator
// which IAM action is missing. Transport errors (connection reset, deadline) are printed in full: they
// are produced by the client and never contain a request body. The original
// error stays reachable through errors.Is and errors.As.
package awserr

import (
	"errors"
	"fmt"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/speke-go/keyprovider/internal/keys"
)

// Error is a failed AWS call.
type Error struct {
	msg string
	err error
}

// Wrap returns an error for a failed call whose request carried key
// material: pkg is the reporting package, op the AWS operation and subject
// what the call was about (may be empty).
func Wrap(pkg, op, subject string, err error) error {
	return wrap(pkg, op, subject, err, false)
}

// WrapWithMessage is Wrap for a call whose request carried no secret; the
// service's message is included.
func WrapWithMessage(pkg, op, subject string, err error) error {
	return wrap(pkg, op, subject, err, true)
}

func wrap(pkg, op, subject string, err error, withMessage bool) error {
	msg := pkg + ": " + op
	if subject != "" {
		msg += " " + subject
	}
	return &Error{msg: msg + ": " + describe(err, withMessage), err: err}
}

func describe(err error, withMessage bool) string {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return err.Error()
	}
	s := "service error " + api.ErrorCode()
	if withMessage && api.ErrorMessage() != "" {
		s += ": " + api.ErrorMessage()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		s += fmt.Sprintf(" (HTTP %d, request ID %s)", re.HTTPStatusCode(), re.ServiceRequestID())
	}
	return s
}

func (e *Error) Error() string { return keys.ErrUnavailable.Error() + ": " + e.msg }

// Unwrap exposes both the ErrUnavailable class and the SDK's error.
func (e *Error) Unwrap() []error { return []error{keys.ErrUnavailable, e.err} }
