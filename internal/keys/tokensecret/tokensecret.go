// Package tokensecret reads the key that signs players' playback tokens
// (HS256) from AWS Secrets Manager, for the player routes under AWS
// (PLAYBACK_TOKEN_SECRET_ID).
//
// # Secret contract
//
// The SecretString is the standard base64 (with padding) of exactly 32
// random bytes; those bytes are the HMAC key. The customer's entitlement
// service reads the same secret to mint tokens. Binary secrets and any
// other length are refused.
//
// # Guarantees
//
//   - Fetch makes one GetSecretValue call under a timeout and returns the
//     key, or an error that names the secret and the problem (missing,
//     denied, malformed, wrong length) but never quotes the secret.
//   - The key is read once at startup: a changed secret reaches a function
//     when its instances restart (publish a new version or update its
//     configuration).
package tokensecret

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/speke-go/keyprovider/internal/keys/internal/awserr"
	"github.com/speke-go/keyprovider/internal/keys/secretkeys"
)

// KeySize is the length of the token key in bytes (HS256 takes a key of
// the hash's size).
const KeySize = 32

// maxSecretBytes bounds what is decoded; a valid secret is 44 bytes.
const maxSecretBytes = 1024

// API is the client method Fetch uses; *secretsmanager.Client implements
// it (IAM action secretsmanager:GetSecretValue on the secret).
type API = secretkeys.API

// ErrFormat marks a secret that breaks the contract.
var ErrFormat = errors.New("token secret must be the standard base64 of 32 random bytes")

// Fetch returns the token key held in secretID.
func Fetch(ctx context.Context, api API, secretID string, timeout time.Duration) ([]byte, error) {
	if api == nil || secretID == "" {
		return nil, errors.New("tokensecret: need a Secrets Manager client and a secret ID")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)})
	if err != nil {
		return nil, awserr.WrapWithMessage("tokensecret", "GetSecretValue", fmt.Sprintf("%q", secretID), err)
	}
	if out.SecretString == nil {
		return nil, fmt.Errorf("tokensecret: secret %q: %w (it has no secret string)", secretID, ErrFormat)
	}
	s := strings.TrimSpace(*out.SecretString)
	if len(s) > maxSecretBytes {
		return nil, fmt.Errorf("tokensecret: secret %q: %w (%d bytes is too long)", secretID, ErrFormat, len(s))
	}
	key, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("tokensecret: secret %q: %w (not standard base64)", secretID, ErrFormat)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("tokensecret: secret %q: %w (it decodes to %d bytes)", secretID, ErrFormat, len(key))
	}
	return key, nil
}
