// Package awskeys builds the AWS-backed key sources from the environment:
// KEY_SOURCE=dynamodb (dynamokeys) and KEY_SOURCE=secretsmanager
// (secretkeys). It is the only place that knows how AWS clients are
// configured, so main stays free of AWS SDK imports.
//
// # Guarantees
//
//   - Incomplete or contradictory configuration fails at startup with a
//     message naming the variable to set; so does a table with the wrong
//     key schema, a secret that breaks its contract, missing credentials or
//     permissions: each source makes one AWS call before it is returned.
//   - The SDK's retries are bounded on purpose: at most MaxAttempts attempts
//     per call with backoff capped at MaxBackoff, and each call (retries
//     included) has CallTimeout, so a slow AWS dependency turns into a
//     retryable error within seconds, well inside API Gateway's 29 s.
package awskeys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/keys/dynamokeys"
	"github.com/speke-go/keyprovider/internal/keys/secretkeys"
	"github.com/speke-go/keyprovider/internal/keys/tokensecret"
)

// Environment variables read by NewFromEnv (besides the SDK's own, such as
// AWS_ACCESS_KEY_ID or AWS_PROFILE, which the SDK reads itself).
const (
	EnvKeySource     = "KEY_SOURCE"
	EnvTableName     = "TABLE_NAME"
	EnvSecretID      = "SECRET_ID"
	EnvSecretRefresh = "SECRET_REFRESH_INTERVAL"
	EnvRegion        = "AWS_REGION"
	EnvEndpointURL   = "AWS_ENDPOINT_URL"
)

// KEY_SOURCE values handled here.
const (
	SourceDynamoDB       = "dynamodb"
	SourceSecretsManager = "secretsmanager"
)

const (
	// CallTimeout bounds one AWS call, SDK retries included.
	CallTimeout = 3 * time.Second
	// MaxAttempts is the SDK's attempts per call (first try included).
	MaxAttempts = 3
	// MaxBackoff caps the SDK's jittered wait between attempts; the
	// default 20 s would outlive the API Gateway timeout.
	MaxBackoff = 200 * time.Millisecond
)

// Retryer is the retry policy for every AWS client of the service: the
// SDK's standard retryer (which also spends a client-wide token bucket, so
// a failing dependency is not hammered with retries) with bounded attempts
// and backoff.
func Retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = MaxAttempts
		o.MaxBackoff = MaxBackoff
	})
}

// LoadAWSConfig loads the SDK configuration the usual way (credentials
// chain, shared config) with this service's retry policy. AWS_REGION and
// AWS_ENDPOINT_URL are taken from getenv, so a caller's environment is the
// single source of truth. Extra options (tests: HTTP client, static
// credentials) are applied last.
func LoadAWSConfig(ctx context.Context, getenv func(string) string, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(Retryer),
	}
	if r := getenv(EnvRegion); r != "" {
		opts = append(opts, config.WithRegion(r))
	}
	if u := getenv(EnvEndpointURL); u != "" {
		opts = append(opts, config.WithBaseEndpoint(u))
	}
	cfg, err := config.LoadDefaultConfig(ctx, append(opts, optFns...)...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("awskeys: load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("awskeys: no AWS region: set AWS_REGION")
	}
	return cfg, nil
}

// NewFromEnv returns the key source named by KEY_SOURCE, which must be
// "dynamodb" or "secretsmanager" (the caller handles the local default).
//
//   - dynamodb needs TABLE_NAME; the table's key schema is checked.
//   - secretsmanager needs SECRET_ID (name or ARN); the secret is fetched
//     and validated. SECRET_REFRESH_INTERVAL (a Go duration, default 10m,
//     at least 1s) sets how often it is fetched again.
//
// Both need an AWS region (AWS_REGION) and credentials; AWS_ENDPOINT_URL
// points them at an emulator. ctx bounds the startup calls. optFns are for
// tests.
func NewFromEnv(ctx context.Context, getenv func(string) string, optFns ...func(*config.LoadOptions) error) (keys.Source, error) {
	kind := getenv(EnvKeySource)
	var table, secretID string
	var refresh time.Duration
	switch kind {
	case SourceDynamoDB:
		if table = getenv(EnvTableName); table == "" {
			return nil, errors.New("awskeys: KEY_SOURCE=dynamodb requires TABLE_NAME")
		}
	case SourceSecretsManager:
		if secretID = getenv(EnvSecretID); secretID == "" {
			return nil, errors.New("awskeys: KEY_SOURCE=secretsmanager requires SECRET_ID (the secret's name or ARN)")
		}
		refresh = secretkeys.DefaultRefresh
		if v := getenv(EnvSecretRefresh); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second {
				return nil, fmt.Errorf("awskeys: SECRET_REFRESH_INTERVAL=%q: want a duration of at least 1s, such as 10m", v)
			}
			refresh = d
		}
	default:
		return nil, fmt.Errorf("awskeys: KEY_SOURCE=%q: want %q or %q", kind, SourceDynamoDB, SourceSecretsManager)
	}

	cfg, err := LoadAWSConfig(ctx, getenv, optFns...)
	if err != nil {
		return nil, err
	}
	switch kind {
	case SourceDynamoDB:
		client := dynamodb.NewFromConfig(cfg)
		if err := dynamokeys.CheckTable(ctx, client, table, CallTimeout); err != nil {
			return nil, fmt.Errorf("awskeys: KEY_SOURCE=dynamodb TABLE_NAME=%s: %w", table, err)
		}
		return dynamokeys.New(client, table, dynamokeys.Options{
			CallTimeout: CallTimeout,
			CreatedBy:   createdBy(getenv),
		})
	default:
		s, err := secretkeys.New(ctx, secretsmanager.NewFromConfig(cfg), secretID, secretkeys.Options{
			Refresh:     refresh,
			CallTimeout: CallTimeout,
		})
		if err != nil {
			return nil, fmt.Errorf("awskeys: KEY_SOURCE=secretsmanager SECRET_ID=%s: %w", secretID, err)
		}
		return s, nil
	}
}

// TokenKeyFromEnv fetches the playback-token key from the Secrets Manager
// secret secretID (PLAYBACK_TOKEN_SECRET_ID; see package tokensecret),
// with the same AWS configuration as the key sources. ctx bounds the call.
func TokenKeyFromEnv(ctx context.Context, getenv func(string) string, secretID string, optFns ...func(*config.LoadOptions) error) ([]byte, error) {
	cfg, err := LoadAWSConfig(ctx, getenv, optFns...)
	if err != nil {
		return nil, err
	}
	key, err := tokensecret.Fetch(ctx, secretsmanager.NewFromConfig(cfg), secretID, CallTimeout)
	if err != nil {
		return nil, fmt.Errorf("awskeys: PLAYBACK_TOKEN_SECRET_ID=%s: %w", secretID, err)
	}
	return key, nil
}

// createdBy names the deployment in the audit attribute of new items.
func createdBy(getenv func(string) string) string {
	fn := getenv("AWS_LAMBDA_FUNCTION_NAME")
	if fn == "" {
		return "speke-go"
	}
	if v := getenv("AWS_LAMBDA_FUNCTION_VERSION"); v != "" {
		fn += ":" + v
	}
	return "speke-go lambda " + fn
}
