package config

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/speke-go/keyprovider/internal/drm"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, c Config)
	}{
		{"defaults", nil, "", func(t *testing.T, c Config) {
			if c.Addr != "127.0.0.1:8080" || c.DataDir != "data" || c.KeySource != "local" ||
				c.PublicBaseURL != "http://127.0.0.1:8080" || c.Lambda || c.LogLevel != slog.LevelInfo {
				t.Errorf("%+v", c)
			}
		}},
		{"settings", map[string]string{"ADDR": ":9000", "DATA_DIR": "/var/kp", "PUBLIC_BASE_URL": "https://keys.example.com/", "LOG_LEVEL": "debug", "KEY_SOURCE": "DynamoDB", "TABLE_NAME": "t"}, "", func(t *testing.T, c Config) {
			if c.PublicBaseURL != "https://keys.example.com" || c.LogLevel != slog.LevelDebug || c.KeySource != "dynamodb" {
				t.Errorf("%+v", c)
			}
		}},
		{"lambda derives the base URL", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "KEY_SOURCE": "dynamodb", "TABLE_NAME": "t"}, "", func(t *testing.T, c Config) {
			if !c.Lambda || c.PublicBaseURL != "" {
				t.Errorf("%+v", c)
			}
			// No token key: the player routes stay off, with a warning.
			if c.Serve != ServeSPEKE || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "PLAYBACK_TOKEN_SECRET_ID") {
				t.Errorf("serve %q, warnings %q", c.Serve, c.Warnings)
			}
		}},
		{"serving modes", nil, "", func(t *testing.T, c Config) {
			if c.Serve != ServeAll || len(c.Warnings) != 0 || c.Players.TokenSecretID != "" || strings.Join(c.Players.AllowedOrigins, ",") != "*" {
				t.Errorf("defaults: %+v", c)
			}
			for v, want := range map[string]Serve{"ReadOnly": ServeReadOnly, " speke ": ServeSPEKE, "ALL": ServeAll} {
				c, err := Load(env(map[string]string{"SERVE": v}))
				if err != nil || c.Serve != want {
					t.Errorf("SERVE=%q: %q, %v", v, c.Serve, err)
				}
			}
		}},
		{"unknown SERVE", map[string]string{"SERVE": "players"}, "SERVE must be all, speke or readonly", nil},
		{"readonly under lambda with the token secret", map[string]string{"AWS_LAMBDA_RUNTIME_API": "x", "KEY_SOURCE": "dynamodb", "TABLE_NAME": "keys", "SERVE": "readonly", "PLAYBACK_TOKEN_SECRET_ID": "arn:aws:secretsmanager:eu-west-1:1:secret:t"}, "", func(t *testing.T, c Config) {
			if c.Serve != ServeReadOnly || c.Players.TokenSecretID == "" || c.DataDir != "" {
				t.Errorf("%+v", c)
			}
		}},
		{"readonly under lambda without a token key", map[string]string{"AWS_LAMBDA_RUNTIME_API": "x", "KEY_SOURCE": "dynamodb", "TABLE_NAME": "keys", "SERVE": "readonly"}, "needs PLAYBACK_TOKEN_SECRET_ID", nil},
		{"CORS origins", map[string]string{"CORS_ALLOWED_ORIGINS": " https://a.example ,http://127.0.0.1:8000,"}, "", func(t *testing.T, c Config) {
			if strings.Join(c.Players.AllowedOrigins, ",") != "https://a.example,http://127.0.0.1:8000" {
				t.Errorf("%q", c.Players.AllowedOrigins)
			}
		}},
		{"CORS origin with a path", map[string]string{"CORS_ALLOWED_ORIGINS": "https://a.example/"}, "CORS_ALLOWED_ORIGINS", nil},
		{"CORS origin without scheme", map[string]string{"CORS_ALLOWED_ORIGINS": "a.example"}, "CORS_ALLOWED_ORIGINS", nil},
		{"local source under lambda needs DATA_DIR", map[string]string{"AWS_LAMBDA_RUNTIME_API": "x"}, "needs DATA_DIR", nil},
		{"unknown key source", map[string]string{"KEY_SOURCE": "s3"}, "KEY_SOURCE must be", nil},
		{"relative base URL", map[string]string{"PUBLIC_BASE_URL": "keys.example.com"}, "PUBLIC_BASE_URL must be", nil},
		{"quote in base URL", map[string]string{"PUBLIC_BASE_URL": `https://k.example/"x`}, "PUBLIC_BASE_URL must be", nil},
		{"bad license URL", map[string]string{"CLEARKEY_LICENSE_URL": "ftp://x"}, "CLEARKEY_LICENSE_URL must be", nil},
		{"drm settings", map[string]string{"WIDEVINE_PROVIDER": "widevine_test", "WIDEVINE_CONTENT_ID": "true", "PLAYREADY_LA_URL": "https://pr.example/rightsmanager.asmx", "FAIRPLAY_SKD_TEMPLATE": "skd://{kid}:{iv_hex}"}, "", func(t *testing.T, c Config) {
			if c.DRM.WidevineProvider != "widevine_test" || !c.DRM.WidevineContentID || c.DRM.PlayReadyLAURL == "" || c.DRM.FairPlaySKDTemplate != "skd://{kid}:{iv_hex}" {
				t.Errorf("%+v", c.DRM)
			}
		}},
		{"bad WIDEVINE_CONTENT_ID", map[string]string{"WIDEVINE_CONTENT_ID": "yes please"}, "WIDEVINE_CONTENT_ID", nil},
		{"bad FairPlay template", map[string]string{"FAIRPLAY_SKD_TEMPLATE": "https://{kid}"}, "FAIRPLAY_SKD_TEMPLATE: ", nil},
		{"bad PlayReady DS_ID", map[string]string{"PLAYREADY_DS_ID": "not a guid"}, "PLAYREADY_DS_ID: ", nil},
		{"dynamodb", map[string]string{"KEY_SOURCE": "dynamodb", "TABLE_NAME": "keys", "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_LAMBDA_FUNCTION_NAME": "fn", "AWS_LAMBDA_FUNCTION_VERSION": "7"}, "", func(t *testing.T, c Config) {
			want := AWS{Region: "eu-west-1", EndpointURL: "http://127.0.0.1:5000", FunctionName: "fn", FunctionVersion: "7"}
			if c.KeySource != SourceDynamoDB || c.DynamoDB.TableName != "keys" || c.AWS != want {
				t.Errorf("%+v", c)
			}
		}},
		{"KEY_SOURCE in any case", map[string]string{"KEY_SOURCE": " SecretsManager ", "SECRET_ID": "arn:aws:secretsmanager:eu-west-1:1:secret:s", "SECRET_REFRESH_INTERVAL": "90s"}, "", func(t *testing.T, c Config) {
			if c.KeySource != SourceSecretsManager || c.SecretsManager.SecretID == "" || c.SecretsManager.Refresh != 90*time.Second {
				t.Errorf("%+v", c)
			}
		}},
		{"refresh unset", map[string]string{"KEY_SOURCE": "secretsmanager", "SECRET_ID": "s"}, "", func(t *testing.T, c Config) {
			if c.SecretsManager.Refresh != 0 {
				t.Errorf("%+v", c.SecretsManager)
			}
		}},
		{"dynamodb without table", map[string]string{"KEY_SOURCE": "DynamoDB"}, "KEY_SOURCE=dynamodb requires TABLE_NAME", nil},
		{"secretsmanager without secret", map[string]string{"KEY_SOURCE": "secretsmanager", "TABLE_NAME": "t"}, "KEY_SOURCE=secretsmanager requires SECRET_ID", nil},
		{"bad refresh interval", map[string]string{"KEY_SOURCE": "secretsmanager", "SECRET_ID": "s", "SECRET_REFRESH_INTERVAL": "10"}, `SECRET_REFRESH_INTERVAL="10"`, nil},
		{"tiny refresh interval", map[string]string{"KEY_SOURCE": "secretsmanager", "SECRET_ID": "s", "SECRET_REFRESH_INTERVAL": "1ms"}, "at least 1s", nil},
		{"bad endpoint", map[string]string{"AWS_ENDPOINT_URL": "localhost:5000"}, "AWS_ENDPOINT_URL must be", nil},
		{"bad log level", map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(env(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

// TestErrorsNameVariables: every invalid DRM setting is reported by its
// environment variable, never by the Go field behind it.
func TestErrorsNameVariables(t *testing.T) {
	fields := reflect.TypeFor[drm.Config]()
	for i := range fields.NumField() {
		if drmEnv[fields.Field(i).Name] == "" {
			t.Errorf("drm.Config.%s has no environment variable in drmEnv", fields.Field(i).Name)
		}
	}
	for env, bad := range map[string]string{
		"CLEARKEY_LICENSE_URL":  "https:///no-host",
		"WIDEVINE_PROVIDER":     "a\x01b",
		"PLAYREADY_LA_URL":      "/relative",
		"PLAYREADY_LUI_URL":     "mailto:x@example.com",
		"PLAYREADY_DS_ID":       "AAAA",
		"FAIRPLAY_SKD_TEMPLATE": "skd://fixed",
	} {
		_, err := Load(env1(env, bad))
		if err == nil || !strings.Contains(err.Error(), env) {
			t.Errorf("%s=%q: err = %v, want it named", env, bad, err)
			continue
		}
		for i := range fields.NumField() {
			if f := fields.Field(i).Name; strings.Contains(err.Error(), f) {
				t.Errorf("%s: error %q names the Go field %s", env, err, f)
			}
		}
	}
	// Settings that only together are too large are all named.
	_, err := Load(env(map[string]string{"PLAYREADY_LA_URL": "https://x/" + strings.Repeat("a", 4000), "PLAYREADY_LUI_URL": "https://x/" + strings.Repeat("b", 4000)}))
	if err == nil || !strings.Contains(err.Error(), "PLAYREADY_LA_URL, PLAYREADY_LUI_URL, PLAYREADY_DS_ID: ") {
		t.Errorf("oversized PlayReady header: %v", err)
	}
}

func env1(k, v string) func(string) string { return env(map[string]string{k: v}) }
