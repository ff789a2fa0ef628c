package config

import (
	"log/slog"
	"strings"
	"testing"
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
		{"settings", map[string]string{"ADDR": ":9000", "DATA_DIR": "/var/kp", "PUBLIC_BASE_URL": "https://keys.example.com/", "LOG_LEVEL": "debug", "KEY_SOURCE": "DynamoDB"}, "", func(t *testing.T, c Config) {
			if c.PublicBaseURL != "https://keys.example.com" || c.LogLevel != slog.LevelDebug || c.KeySource != "dynamodb" {
				t.Errorf("%+v", c)
			}
		}},
		{"lambda derives the base URL", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "KEY_SOURCE": "dynamodb"}, "", func(t *testing.T, c Config) {
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
		{"readonly under lambda with the token secret", map[string]string{"AWS_LAMBDA_RUNTIME_API": "x", "KEY_SOURCE": "dynamodb", "SERVE": "readonly", "PLAYBACK_TOKEN_SECRET_ID": "arn:aws:secretsmanager:eu-west-1:1:secret:t"}, "", func(t *testing.T, c Config) {
			if c.Serve != ServeReadOnly || c.Players.TokenSecretID == "" || c.DataDir != "" {
				t.Errorf("%+v", c)
			}
		}},
		{"readonly under lambda without a token key", map[string]string{"AWS_LAMBDA_RUNTIME_API": "x", "KEY_SOURCE": "dynamodb", "SERVE": "readonly"}, "needs PLAYBACK_TOKEN_SECRET_ID", nil},
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
		{"bad FairPlay template", map[string]string{"FAIRPLAY_SKD_TEMPLATE": "https://{kid}"}, "FairPlaySKDTemplate", nil},
		{"bad PlayReady DS_ID", map[string]string{"PLAYREADY_DS_ID": "not a guid"}, "PlayReadyDSID", nil},
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
