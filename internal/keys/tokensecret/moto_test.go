package tokensecret_test

// Against moto_server over the real Secrets Manager wire protocol.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/speke-go/keyprovider/internal/config"
	"github.com/speke-go/keyprovider/internal/keys"
	"github.com/speke-go/keyprovider/internal/keys/awskeys"
	"github.com/speke-go/keyprovider/internal/keys/internal/mototest"
	"github.com/speke-go/keyprovider/internal/keys/tokensecret"
)

func TestMain(m *testing.M) { mototest.Main(m) }

func client(t testing.TB) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(mototest.Config(t, nil))
}

func create(t *testing.T, in *secretsmanager.CreateSecretInput) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	in.Name = aws.String("speke/playback-token-" + hex.EncodeToString(b[:]))
	if _, err := client(t).CreateSecret(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	return *in.Name
}

func TestFetch(t *testing.T) {
	key := bytes.Repeat([]byte{0xa5}, 32)
	good := create(t, &secretsmanager.CreateSecretInput{SecretString: aws.String(base64.StdEncoding.EncodeToString(key))})
	got, err := tokensecret.Fetch(t.Context(), client(t), good, time.Second)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("Fetch = %x, %v", got, err)
	}
	// The production entry point reads the same secret.
	got, err = awskeys.TokenKey(context.Background(), config.AWS{Region: mototest.Region, EndpointURL: mototest.URL()}, good, mototest.ConfigOptions()...)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("TokenKey = %x, %v", got, err)
	}

	short := base64.StdEncoding.EncodeToString(key[:31])
	for _, tc := range []struct {
		name, want string
		in         *secretsmanager.CreateSecretInput
	}{
		{"31 bytes", "decodes to 31 bytes", &secretsmanager.CreateSecretInput{SecretString: aws.String(short)}},
		{"raw URL base64", "not standard base64", &secretsmanager.CreateSecretInput{SecretString: aws.String(base64.RawURLEncoding.EncodeToString(key))}},
		{"JSON", "not standard base64", &secretsmanager.CreateSecretInput{SecretString: aws.String(`{"key":"` + short + `"}`)}},
		{"binary", "no secret string", &secretsmanager.CreateSecretInput{SecretBinary: key}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := create(t, tc.in)
			got, err := tokensecret.Fetch(t.Context(), client(t), name, time.Second)
			if got != nil || !errors.Is(err, tokensecret.ErrFormat) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), name) {
				t.Fatalf("got %d bytes, %v; want an error naming the secret and %q", len(got), err, tc.want)
			}
			if strings.Contains(err.Error(), short[:10]) {
				t.Fatalf("error %q quotes the secret", err)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		_, err := tokensecret.Fetch(t.Context(), client(t), "speke/none", time.Second)
		if err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") || !errors.Is(err, keys.ErrUnavailable) {
			t.Fatalf("missing secret: %v", err)
		}
	})
}
