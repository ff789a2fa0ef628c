package awskeys_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/speke-go/keyprovider/internal/config"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/keys/awskeys"
	"github.com/speke-go/keyprovider/internal/keys/dynamokeys"
	"github.com/speke-go/keyprovider/internal/keys/internal/mototest"
	"github.com/speke-go/keyprovider/internal/keys/keystest"
	"github.com/speke-go/keyprovider/internal/keys/secretkeys"
)

func TestMain(m *testing.M) { mototest.Main(m) }

func name(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// fromEnv is the path main takes: config.Load, then awskeys.New.
func fromEnv(t *testing.T, vars map[string]string) (keys.Source, error) {
	t.Helper()
	cfg, err := config.Load(mototest.Getenv(vars))
	if err != nil {
		return nil, err
	}
	return awskeys.New(t.Context(), cfg, mototest.ConfigOptions()...)
}

// TestNewConformance runs the conformance suite through the
// constructor main uses, so configuration, retry policy and clients are the
// production ones.
func TestNewConformance(t *testing.T) {
	table := name("keys-")
	mototest.CreateTable(t, dynamodb.NewFromConfig(mototest.Config(t, nil)), table)
	seed := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("s", 32)))
	secret := name("seed-")
	mototest.CreateSecret(t, secretsmanager.NewFromConfig(mototest.Config(t, nil)), secret, `{"seed":"`+seed+`","algorithm":"hkdf-sha256"}`)
	for _, tc := range []struct {
		vars      map[string]string
		want      any
		stateless bool
	}{
		{map[string]string{"KEY_SOURCE": "dynamodb", "TABLE_NAME": table, "AWS_LAMBDA_FUNCTION_NAME": "fn"}, &dynamokeys.Store{}, false},
		{map[string]string{"KEY_SOURCE": "secretsmanager", "SECRET_ID": secret, "SECRET_REFRESH_INTERVAL": "1m"}, &secretkeys.Source{}, true},
	} {
		t.Run(tc.vars["KEY_SOURCE"], func(t *testing.T) {
			keystest.Run(t, func(t *testing.T) keys.Source {
				s, err := fromEnv(t, tc.vars)
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprintf("%T", s) != fmt.Sprintf("%T", tc.want) {
					t.Fatalf("got a %T", s)
				}
				return s
			}, keystest.Options{PerContent: true, Stateless: tc.stateless})
		})
	}
}

func TestNewErrors(t *testing.T) {
	wrong := name("wrong-")
	mototest.CreateTableWith(t, dynamodb.NewFromConfig(mototest.Config(t, nil)), &dynamodb.CreateTableInput{
		TableName:            aws.String(wrong),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("kid"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("kid"), KeyType: types.KeyTypeHash}},
	})
	for _, tc := range []struct {
		name    string
		vars    map[string]string
		wantErr string
	}{
		{"no KEY_SOURCE", nil, "KEY_SOURCE=local is not an AWS key source"},
		{"unknown KEY_SOURCE", map[string]string{"KEY_SOURCE": "s3"}, `KEY_SOURCE must be local, dynamodb or secretsmanager, not "s3"`},
		{"DynamoDB in another case without table", map[string]string{"KEY_SOURCE": "DynamoDB"}, "KEY_SOURCE=dynamodb requires TABLE_NAME"},
		{"dynamodb without table", map[string]string{"KEY_SOURCE": "dynamodb"}, "KEY_SOURCE=dynamodb requires TABLE_NAME"},
		{"secretsmanager without secret", map[string]string{"KEY_SOURCE": "secretsmanager", "TABLE_NAME": "t"}, "KEY_SOURCE=secretsmanager requires SECRET_ID"},
		{"bad refresh interval", map[string]string{"KEY_SOURCE": "secretsmanager", "SECRET_ID": "s", "SECRET_REFRESH_INTERVAL": "10"}, `SECRET_REFRESH_INTERVAL="10"`},
		{"tiny refresh interval", map[string]string{"KEY_SOURCE": "secretsmanager", "SECRET_ID": "s", "SECRET_REFRESH_INTERVAL": "1ms"}, "at least 1s"},
		{"table missing", map[string]string{"KEY_SOURCE": "dynamodb", "TABLE_NAME": "nope"}, "DescribeTable"},
		{"table with other keys", map[string]string{"KEY_SOURCE": "dynamodb", "TABLE_NAME": wrong}, "want partition key contentId (S) and sort key kid (S)"},
		{"secret missing", map[string]string{"KEY_SOURCE": "secretsmanager", "SECRET_ID": "nope"}, "ResourceNotFoundException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := fromEnv(t, tc.vars)
			if err == nil || s != nil {
				t.Fatal("incomplete configuration accepted")
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
			}
		})
	}
}

// TestKeySourceCase: KEY_SOURCE is read in any letter case, by config and
// by awskeys alike (it once passed one and failed the other).
func TestKeySourceCase(t *testing.T) {
	table := name("keys-")
	mototest.CreateTable(t, dynamodb.NewFromConfig(mototest.Config(t, nil)), table)
	for _, v := range []string{"DynamoDB", " DYNAMODB "} {
		s, err := fromEnv(t, map[string]string{"KEY_SOURCE": v, "TABLE_NAME": table})
		if err != nil {
			t.Fatalf("KEY_SOURCE=%q: %v", v, err)
		}
		if _, ok := s.(*dynamokeys.Store); !ok {
			t.Fatalf("KEY_SOURCE=%q: a %T", v, s)
		}
	}
}

func TestNoRegion(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_PROFILE", "")
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"KEY_SOURCE": "dynamodb", "TABLE_NAME": "t"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = awskeys.New(context.Background(), cfg, mototest.ConfigOptions()...)
	if err == nil || !strings.Contains(err.Error(), "set AWS_REGION") {
		t.Fatalf("err = %v", err)
	}
}
