// Package caller carries who made a request, as the front door (API Gateway
// with IAM authorization) established it, from the Lambda adapter to the
// handler's logs and audit records.
//
// The values are what API Gateway put in requestContext after it checked
// the SigV4 signature: the adapter copies them, nothing here verifies them.
// Outside Lambda (the local server) there is no identity.
package caller

import "context"

// Identity is the authenticated caller of one request. Any field may be
// empty (an unauthenticated route, a hand-written event).
type Identity struct {
	// UserARN is requestContext.identity.userArn: the IAM principal, e.g.
	// arn:aws:sts::123456789012:assumed-role/MediaPackageRole/session.
	UserARN string
	// AccountID is requestContext.identity.accountId, the caller's account.
	AccountID string
	// Caller is requestContext.identity.caller (for a role: role ID and
	// session name).
	Caller string
	// RequestID is requestContext.requestId, API Gateway's id of the request
	// (the one in its access log), which differs from the Lambda request id.
	RequestID string
}

type ctxKey struct{}

// WithIdentity returns a context carrying id.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the identity WithIdentity stored, and whether there
// was one.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(ctxKey{}).(Identity)
	return id, ok
}
