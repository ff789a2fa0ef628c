// Package awskeys builds the AWS-backed key sources from the service
// configuration: KEY_SOURCE=dynamodb (dynamokeys) and
// KEY_SOURCE=secretsmanager (secretkeys). It is the only place that knows
// how AWS clients are configured, so main stays free of AWS SDK imports.
// It reads no environment variable itself: config.Load does.
//
// # Guarantees
//
//   - A table with the wrong key schema, a secret that breaks its
//     contract, missing credentials or permissions fail at startup with a
//     message naming the variable involved: each source makes one AWS call
//     before it is returned.
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
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/speke-go/keyprovider/internal/config"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/keys/dynamokeys"
	"github.com/speke-go/keyprovider/internal/keys/secretkeys"
	"github.com/speke-go/keyprovider/internal/keys/tokensecret"
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
// chain, shared config) with this service's retry policy, and the region
// and endpoint from c (AWS_REGION, AWS_ENDPOINT_URL). Extra options
// (tests: HTTP client, static credentials) are applied last.
func LoadAWSConfig(ctx context.Context, c config.AWS, optFns ...func(*awsconfig.LoadOptions) error) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(Retryer),
	}
	if c.Region != "" {
		opts = append(opts, awsconfig.WithRegion(c.Region))
	}
	if c.EndpointURL != "" {
		opts = append(opts, awsconfig.WithBaseEndpoint(c.EndpointURL))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, append(opts, optFns...)...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("awskeys: load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("awskeys: no AWS region: set AWS_REGION")
	}
	return cfg, nil
}

// New returns the key source c.KeySource names, which must be dynamodb or
// secretsmanager (the caller handles local), with the settings config.Load
// checked: the DynamoDB table's key schema is checked, the secret is
// fetched and validated. ctx bounds those startup calls. optFns are for
// tests.
func New(ctx context.Context, c config.Config, optFns ...func(*awsconfig.LoadOptions) error) (keys.Source, error) {
	if c.KeySource != config.SourceDynamoDB && c.KeySource != config.SourceSecretsManager {
		return nil, fmt.Errorf("awskeys: KEY_SOURCE=%s is not an AWS key source", c.KeySource)
	}
	cfg, err := LoadAWSConfig(ctx, c.AWS, optFns...)
	if err != nil {
		return nil, err
	}
	if c.KeySource == config.SourceDynamoDB {
		table := c.DynamoDB.TableName
		client := dynamodb.NewFromConfig(cfg)
		if err := dynamokeys.CheckTable(ctx, client, table, CallTimeout); err != nil {
			return nil, fmt.Errorf("awskeys: KEY_SOURCE=dynamodb TABLE_NAME=%s: %w", table, err)
		}
		return dynamokeys.New(client, table, dynamokeys.Options{
			CallTimeout: CallTimeout,
			CreatedBy:   createdBy(c.AWS),
		})
	}
	id := c.SecretsManager.SecretID
	s, err := secretkeys.New(ctx, secretsmanager.NewFromConfig(cfg), id, secretkeys.Options{
		Refresh:     c.SecretsManager.Refresh,
		CallTimeout: CallTimeout,
	})
	if err != nil {
		return nil, fmt.Errorf("awskeys: KEY_SOURCE=secretsmanager SECRET_ID=%s: %w", id, err)
	}
	return s, nil
}

// TokenKey fetches the playback-token key from the Secrets Manager secret
// secretID (PLAYBACK_TOKEN_SECRET_ID; see package tokensecret), with the
// same AWS configuration as the key sources. ctx bounds the call. optFns
// are for tests.
func TokenKey(ctx context.Context, c config.AWS, secretID string, optFns ...func(*awsconfig.LoadOptions) error) ([]byte, error) {
	cfg, err := LoadAWSConfig(ctx, c, optFns...)
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
func createdBy(c config.AWS) string {
	fn := c.FunctionName
	if fn == "" {
		return "speke-go"
	}
	if c.FunctionVersion != "" {
		fn += ":" + c.FunctionVersion
	}
	return "speke-go lambda " + fn
}
