// Package config reads the service configuration from the environment,
// once, into one validated struct. It is the only reader of the
// environment: every other package takes its settings from Config. Secrets
// never come from here: only the names of where they live.
//
// Every error names the environment variable to fix.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/speke-go/keyprovider/internal/drm"
	"github.com/speke-go/keyprovider/internal/routes"
)

// Config is the service configuration.
type Config struct {
	// Lambda is true when the process runs under the Lambda runtime
	// (AWS_LAMBDA_RUNTIME_API is set).
	Lambda bool
	// Addr is the local listen address (ADDR, default 127.0.0.1:8080).
	Addr string
	// DataDir holds local key material (DATA_DIR, default ./data).
	DataDir string
	// PublicBaseURL is the base of key URIs (PUBLIC_BASE_URL). Locally it
	// defaults to http://ADDR; under Lambda, empty means "derive from the
	// API Gateway stage of each request".
	PublicBaseURL string
	// KeySource is local, dynamodb or secretsmanager (KEY_SOURCE, any
	// letter case, default local), always in lower case here.
	KeySource string
	// DynamoDB configures KEY_SOURCE=dynamodb.
	DynamoDB DynamoDB
	// SecretsManager configures KEY_SOURCE=secretsmanager.
	SecretsManager SecretsManager
	// AWS holds the AWS settings the service reads itself; the SDK reads
	// its own (credentials, profile) as usual.
	AWS AWS
	// LogLevel is LOG_LEVEL (debug, info, warn, error; default info).
	LogLevel slog.Level
	// Serve selects the routes this process answers (SERVE: all, speke
	// or readonly, any letter case; default all).
	Serve Serve
	// Players configures the player endpoints.
	Players Players
	// Warnings are settings Load adjusted; the caller logs them.
	Warnings []string
	// DRM holds the signaling settings: CLEARKEY_LICENSE_URL,
	// WIDEVINE_PROVIDER, WIDEVINE_CONTENT_ID, PLAYREADY_LA_URL,
	// PLAYREADY_LUI_URL, PLAYREADY_DS_ID, FAIRPLAY_SKD_TEMPLATE.
	DRM drm.Config
}

// Serve is a serving mode: which routes a process answers.
type Serve string

// Serving modes.
const (
	// ServeAll answers every route (`make run`).
	ServeAll Serve = "all"
	// ServeSPEKE answers the SPEKE routes only (the function that may
	// create keys).
	ServeSPEKE Serve = "speke"
	// ServeReadOnly answers the player and export routes, which only read
	// keys.
	ServeReadOnly Serve = "readonly"
)

// Routes lists the routes of the mode.
func (s Serve) Routes() []routes.Route {
	switch s {
	case ServeSPEKE:
		return routes.SPEKE
	case ServeReadOnly:
		return routes.ReadOnly
	}
	return routes.All
}

// Players configures the player endpoints (key URL and Clear Key license).
type Players struct {
	// TokenSecretID is PLAYBACK_TOKEN_SECRET_ID: the Secrets Manager
	// secret (name or ARN) whose SecretString is the standard base64 of
	// the 32-byte HS256 token key. Empty: the key is the local file
	// DataDir/playback-token.key, created on first run.
	TokenSecretID string
	// AllowedOrigins is CORS_ALLOWED_ORIGINS, comma-separated origins
	// (scheme://host[:port]) or "*" (the default).
	AllowedOrigins []string
}

// DynamoDB is the DynamoDB key store's configuration.
type DynamoDB struct {
	// TableName is TABLE_NAME, required with KEY_SOURCE=dynamodb.
	TableName string
}

// SecretsManager is the Secrets Manager seed source's configuration.
type SecretsManager struct {
	// SecretID is SECRET_ID (the secret's name or ARN), required with
	// KEY_SOURCE=secretsmanager.
	SecretID string
	// Refresh is SECRET_REFRESH_INTERVAL, a Go duration of at least
	// MinSecretRefresh; zero (unset) means the source's default, 10m.
	Refresh time.Duration
}

// AWS is what the service itself reads of the AWS environment.
type AWS struct {
	// Region is AWS_REGION; empty lets the SDK find one (shared config).
	Region string
	// EndpointURL is AWS_ENDPOINT_URL, pointing every client at an
	// emulator; empty means the real endpoints.
	EndpointURL string
	// FunctionName and FunctionVersion are AWS_LAMBDA_FUNCTION_NAME and
	// AWS_LAMBDA_FUNCTION_VERSION (set by Lambda), recorded with new keys.
	FunctionName, FunctionVersion string
}

// Key sources.
const (
	SourceLocal          = "local"
	SourceDynamoDB       = "dynamodb"
	SourceSecretsManager = "secretsmanager"
)

// MinSecretRefresh is the shortest SECRET_REFRESH_INTERVAL: faster would
// only spend the Secrets Manager quota.
const MinSecretRefresh = time.Second

// drmEnv names the environment variable behind each drm.Config field, so
// a drm.SettingError is reported by the name an operator sets.
var drmEnv = map[string]string{
	"ClearKeyLicenseURL":  "CLEARKEY_LICENSE_URL",
	"WidevineProvider":    "WIDEVINE_PROVIDER",
	"WidevineContentID":   "WIDEVINE_CONTENT_ID",
	"PlayReadyLAURL":      "PLAYREADY_LA_URL",
	"PlayReadyLUIURL":     "PLAYREADY_LUI_URL",
	"PlayReadyDSID":       "PLAYREADY_DS_ID",
	"FairPlaySKDTemplate": "FAIRPLAY_SKD_TEMPLATE",
}

// Load reads the configuration through getenv (os.Getenv in main). It
// returns every problem it finds, joined.
func Load(getenv func(string) string) (Config, error) {
	c := Config{
		Lambda:        getenv("AWS_LAMBDA_RUNTIME_API") != "",
		Addr:          orDefault(getenv("ADDR"), "127.0.0.1:8080"),
		DataDir:       getenv("DATA_DIR"),
		PublicBaseURL: strings.TrimRight(getenv("PUBLIC_BASE_URL"), "/"),
		KeySource:     orDefault(strings.ToLower(strings.TrimSpace(getenv("KEY_SOURCE"))), SourceLocal),
		DynamoDB:      DynamoDB{TableName: getenv("TABLE_NAME")},
		SecretsManager: SecretsManager{
			SecretID: getenv("SECRET_ID"),
		},
		AWS: AWS{
			Region:          getenv("AWS_REGION"),
			EndpointURL:     getenv("AWS_ENDPOINT_URL"),
			FunctionName:    getenv("AWS_LAMBDA_FUNCTION_NAME"),
			FunctionVersion: getenv("AWS_LAMBDA_FUNCTION_VERSION"),
		},
		Serve:   Serve(orDefault(strings.ToLower(strings.TrimSpace(getenv("SERVE"))), string(ServeAll))),
		Players: Players{TokenSecretID: strings.TrimSpace(getenv("PLAYBACK_TOKEN_SECRET_ID"))},
		DRM: drm.Config{
			ClearKeyLicenseURL:  getenv("CLEARKEY_LICENSE_URL"),
			WidevineProvider:    getenv("WIDEVINE_PROVIDER"),
			PlayReadyLAURL:      getenv("PLAYREADY_LA_URL"),
			PlayReadyLUIURL:     getenv("PLAYREADY_LUI_URL"),
			PlayReadyDSID:       getenv("PLAYREADY_DS_ID"),
			FairPlaySKDTemplate: getenv("FAIRPLAY_SKD_TEMPLATE"),
		},
	}
	var errs []error
	switch c.KeySource {
	case SourceLocal:
		if c.DataDir == "" {
			if c.Lambda {
				// /tmp does not outlive the execution environment; a seed
				// there would change keys on every cold start.
				errs = append(errs, errors.New("KEY_SOURCE=local under Lambda needs DATA_DIR on durable storage; use KEY_SOURCE=dynamodb or secretsmanager"))
			}
			c.DataDir = "data"
		}
	case SourceDynamoDB:
		if c.DynamoDB.TableName == "" {
			errs = append(errs, errors.New("KEY_SOURCE=dynamodb requires TABLE_NAME"))
		}
	case SourceSecretsManager:
		if c.SecretsManager.SecretID == "" {
			errs = append(errs, errors.New("KEY_SOURCE=secretsmanager requires SECRET_ID (the secret's name or ARN)"))
		}
	default:
		errs = append(errs, fmt.Errorf("KEY_SOURCE must be local, dynamodb or secretsmanager, not %q", c.KeySource))
	}
	switch c.Serve {
	case ServeAll, ServeSPEKE, ServeReadOnly:
	default:
		errs = append(errs, fmt.Errorf("SERVE must be all, speke or readonly, not %q", c.Serve))
	}
	if c.DataDir == "" && !c.Lambda {
		c.DataDir = "data"
	}
	if c.Serve != ServeSPEKE && c.Players.TokenSecretID == "" && c.DataDir == "" {
		// Under Lambda a token key in /tmp would differ per instance.
		if c.Serve == ServeReadOnly {
			errs = append(errs, errors.New("SERVE=readonly under Lambda needs PLAYBACK_TOKEN_SECRET_ID (the token key's secret) or DATA_DIR on durable storage"))
		} else {
			// A stack from before the player routes: keep serving SPEKE.
			c.Serve = ServeSPEKE
			c.Warnings = append(c.Warnings, "player routes off: under Lambda they need PLAYBACK_TOKEN_SECRET_ID (or DATA_DIR on durable storage); serving the SPEKE routes only")
		}
	}
	origins, err := parseOrigins(getenv("CORS_ALLOWED_ORIGINS"))
	if err != nil {
		errs = append(errs, err)
	}
	c.Players.AllowedOrigins = origins
	if v := getenv("SECRET_REFRESH_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < MinSecretRefresh {
			errs = append(errs, fmt.Errorf("SECRET_REFRESH_INTERVAL=%q: want a duration of at least %s, such as 10m", v, MinSecretRefresh))
		}
		c.SecretsManager.Refresh = d
	}
	if c.AWS.EndpointURL != "" {
		if err := checkURL("AWS_ENDPOINT_URL", c.AWS.EndpointURL); err != nil {
			errs = append(errs, err)
		}
	}
	if c.PublicBaseURL == "" && !c.Lambda {
		c.PublicBaseURL = "http://" + c.Addr
	}
	if c.PublicBaseURL != "" {
		if err := checkURL("PUBLIC_BASE_URL", c.PublicBaseURL); err != nil {
			errs = append(errs, err)
		}
	}
	if c.DRM.ClearKeyLicenseURL != "" {
		if err := checkURL("CLEARKEY_LICENSE_URL", c.DRM.ClearKeyLicenseURL); err != nil {
			errs = append(errs, err)
		}
	}
	if v := getenv("WIDEVINE_CONTENT_ID"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("WIDEVINE_CONTENT_ID must be true or false, not %q", v))
		}
		c.DRM.WidevineContentID = b
	}
	if err := c.DRM.Validate(); err != nil {
		errs = append(errs, drmError(err))
	}
	if lv := getenv("LOG_LEVEL"); lv != "" {
		if err := c.LogLevel.UnmarshalText([]byte(lv)); err != nil {
			errs = append(errs, fmt.Errorf("LOG_LEVEL %q: want debug, info, warn or error", lv))
		}
	}
	return c, errors.Join(errs...)
}

// parseOrigins reads a comma-separated list of CORS origins; empty means
// "*". An origin is what browsers send in Origin: scheme://host[:port],
// no path, no trailing slash.
func parseOrigins(v string) ([]string, error) {
	if strings.TrimSpace(v) == "" {
		return []string{"*"}, nil
	}
	var out []string
	for _, o := range strings.Split(v, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o != "*" {
			u, err := url.Parse(o)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
				u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.Scheme+"://"+u.Host != o {
				return nil, fmt.Errorf("CORS_ALLOWED_ORIGINS: %q is not an origin like https://player.example.com (or *)", o)
			}
		}
		out = append(out, o)
	}
	if len(out) == 0 {
		return []string{"*"}, nil
	}
	return out, nil
}

// drmError restates a drm.SettingError with environment variable names.
func drmError(err error) error {
	var se *drm.SettingError
	if !errors.As(err, &se) {
		return err
	}
	names := make([]string, len(se.Fields))
	for i, f := range se.Fields {
		names[i] = drmEnv[f]
		if names[i] == "" {
			names[i] = "the DRM settings" // a field without a variable: a bug the tests catch
		}
	}
	return fmt.Errorf("%s: %w", strings.Join(names, ", "), se.Err)
}

// checkURL accepts absolute http(s) URLs without characters that would
// break the quoted HLS attributes and XML they are written into.
func checkURL(name, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		strings.ContainsAny(s, "\" <>\\\t\r\n") {
		return fmt.Errorf("%s must be an absolute http(s) URL, not %q", name, s)
	}
	return nil
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}
