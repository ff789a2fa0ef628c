package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
)

// Key store names, as the service reads them from KEY_SOURCE.
const (
	KeyStoreDynamoDB       = "dynamodb"
	KeyStoreSecretsManager = "secretsmanager"
)

// Config is everything a deployment may choose. It is read once from CDK
// context (ConfigFromContext), validated in one place (Validate), and never
// changed afterwards.
type Config struct {
	// KeyStore selects the single key source the function is wired to:
	// KeyStoreDynamoDB (default) or KeyStoreSecretsManager. Only that
	// store is created and only its grants are given to the function.
	KeyStore string
	// BootstrapDir is the directory holding the Lambda `bootstrap` binary
	// (built by `make bootstrap`).
	BootstrapDir string
	// AllowedPrincipalArns are IAM role or user ARNs, besides the two
	// roles this stack creates, that may call POST /copyProtection (for
	// example an existing MediaConvert job role, or a role in another
	// account). Every other principal is denied by the resource policy.
	AllowedPrincipalArns []string
	// MediaPackageSourceArn and MediaConvertSourceArn, when set, pin the
	// trust policies to a specific calling resource (aws:SourceArn, may
	// contain wildcards); aws:SourceAccount is always pinned.
	MediaPackageSourceArn string
	MediaConvertSourceArn string
	// ThrottleRate (requests/s) and ThrottleBurst bound the stage.
	ThrottleRate  float64
	ThrottleBurst float64
	// ReservedConcurrency > 0 reserves (and caps) the function's
	// concurrency; 0 leaves it on the unreserved account pool.
	ReservedConcurrency int
	// AlarmEmail, when set, subscribes that address to the alarms.
	AlarmEmail string
	// LogRetentionDays for the function's and the access log groups.
	LogRetentionDays int
	// StageName of the API (part of the endpoint URL).
	StageName string
	// APIGatewayCloudWatchRole creates the account-level role API Gateway
	// needs to write access and execution logs. Turn it off only when the
	// account already has one configured.
	APIGatewayCloudWatchRole bool

	// PlayerThrottleRate (requests/s) and PlayerThrottleBurst bound the
	// players' API stage. It is public (tokens are checked in the
	// function), so this is what caps the read-only function's load.
	PlayerThrottleRate  float64
	PlayerThrottleBurst float64
	// PlayerBaseURL, when set, is signaled to players instead of the
	// players' API stage URL (a custom domain or a CloudFront
	// distribution in front of that stage).
	PlayerBaseURL string
	// CORSAllowedOrigins, when set, is the read-only function's
	// CORS_ALLOWED_ORIGINS (comma-separated origins); empty keeps the
	// service's default, "*".
	CORSAllowedOrigins []string
	// LicenseServerPrincipals may assume the license-server role, the only
	// principal allowed to call POST /export: 12-digit account IDs, IAM
	// role ARNs or AWS service principals. Empty: no role, and the export
	// is denied to everyone.
	LicenseServerPrincipals []string
	// LicenseServerExternalID, when set, must be presented (sts:ExternalId)
	// by account and role principals assuming the license-server role, as
	// a vendor in another account should be made to.
	LicenseServerExternalID string
}

// DefaultConfig is the configuration with no context given.
func DefaultConfig() Config {
	return Config{
		KeyStore:                 KeyStoreDynamoDB,
		BootstrapDir:             filepath.Join("bin", "lambda"),
		ThrottleRate:             50,
		ThrottleBurst:            100,
		LogRetentionDays:         90,
		StageName:                "v1",
		APIGatewayCloudWatchRole: true,
		// A player asks once per session and key period; a live audience
		// arrives in bursts.
		PlayerThrottleRate:  200,
		PlayerThrottleBurst: 400,
	}
}

// ContextGetter is the part of a construct node that ConfigFromContext
// reads; it keeps the parsing testable without a CDK app.
type ContextGetter func(key string) any

// Context keys; README's deployment section lists them with their defaults.
const (
	ctxKeyStore              = "keyStore"
	ctxBootstrapDir          = "bootstrapDir"
	ctxAllowedPrincipalArns  = "allowedPrincipalArns"
	ctxMediaPackageSourceArn = "mediaPackageSourceArn"
	ctxMediaConvertSourceArn = "mediaConvertSourceArn"
	ctxThrottleRate          = "throttleRate"
	ctxThrottleBurst         = "throttleBurst"
	ctxReservedConcurrency   = "reservedConcurrency"
	ctxAlarmEmail            = "alarmEmail"
	ctxLogRetentionDays      = "logRetentionDays"
	ctxStageName             = "stageName"
	ctxAPIGatewayCWRole      = "apiGatewayCloudWatchRole"
	ctxPlayerThrottleRate    = "playerThrottleRate"
	ctxPlayerThrottleBurst   = "playerThrottleBurst"
	ctxPlayerBaseURL         = "playerBaseUrl"
	ctxCORSAllowedOrigins    = "corsAllowedOrigins"
	ctxLicenseServers        = "licenseServerPrincipals"
	ctxLicenseServerExtID    = "licenseServerExternalId"
)

// ConfigFromContext reads the context keys over DefaultConfig. Values given
// with `-c key=value` arrive as strings; values from cdk.json or
// CDK_CONTEXT_JSON may be JSON numbers, booleans or arrays, so both forms
// are accepted. BOOTSTRAP_DIR in the environment overrides the default
// asset directory (the Makefile and tests use it).
func ConfigFromContext(get ContextGetter) (Config, error) {
	c := DefaultConfig()
	if d := os.Getenv("BOOTSTRAP_DIR"); d != "" {
		c.BootstrapDir = d
	}
	var err error
	str := func(key string, dst *string) {
		if v := get(key); v != nil && err == nil {
			s, ok := v.(string)
			if !ok {
				err = fmt.Errorf("context %s: want a string, got %T", key, v)
				return
			}
			*dst = strings.TrimSpace(s)
		}
	}
	num := func(key string, dst *float64) {
		if v := get(key); v != nil && err == nil {
			var f float64
			f, err = toFloat(v)
			if err != nil {
				err = fmt.Errorf("context %s: %w", key, err)
				return
			}
			*dst = f
		}
	}
	integer := func(key string, dst *int) {
		f := float64(*dst)
		num(key, &f)
		if err == nil && f != float64(int(f)) {
			err = fmt.Errorf("context %s: want an integer, got %v", key, f)
		}
		*dst = int(f)
	}
	str(ctxKeyStore, &c.KeyStore)
	str(ctxBootstrapDir, &c.BootstrapDir)
	str(ctxMediaPackageSourceArn, &c.MediaPackageSourceArn)
	str(ctxMediaConvertSourceArn, &c.MediaConvertSourceArn)
	str(ctxAlarmEmail, &c.AlarmEmail)
	str(ctxStageName, &c.StageName)
	str(ctxPlayerBaseURL, &c.PlayerBaseURL)
	str(ctxLicenseServerExtID, &c.LicenseServerExternalID)
	num(ctxThrottleRate, &c.ThrottleRate)
	num(ctxThrottleBurst, &c.ThrottleBurst)
	num(ctxPlayerThrottleRate, &c.PlayerThrottleRate)
	num(ctxPlayerThrottleBurst, &c.PlayerThrottleBurst)
	integer(ctxReservedConcurrency, &c.ReservedConcurrency)
	integer(ctxLogRetentionDays, &c.LogRetentionDays)
	if err != nil {
		return Config{}, err
	}
	for key, dst := range map[string]*[]string{
		ctxAllowedPrincipalArns: &c.AllowedPrincipalArns,
		ctxCORSAllowedOrigins:   &c.CORSAllowedOrigins,
		ctxLicenseServers:       &c.LicenseServerPrincipals,
	} {
		if v := get(key); v != nil {
			if *dst, err = toStringList(v); err != nil {
				return Config{}, fmt.Errorf("context %s: %w", key, err)
			}
		}
	}
	if v := get(ctxAPIGatewayCWRole); v != nil {
		if c.APIGatewayCloudWatchRole, err = toBool(v); err != nil {
			return Config{}, fmt.Errorf("context %s: %w", ctxAPIGatewayCWRole, err)
		}
	}
	return c, c.Validate()
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case string:
		return strconv.ParseFloat(strings.TrimSpace(x), 64)
	}
	return 0, fmt.Errorf("want a number, got %T", v)
}

func toBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		return strconv.ParseBool(strings.TrimSpace(x))
	}
	return false, fmt.Errorf("want a boolean, got %T", v)
}

// toStringList accepts a JSON array, a JSON array in a string, or a
// comma-separated string (the natural `-c a=x,y` form).
func toStringList(v any) ([]string, error) {
	var raw []any
	switch x := v.(type) {
	case []any:
		raw = x
	case string:
		s := strings.TrimSpace(x)
		if strings.HasPrefix(s, "[") {
			if err := json.Unmarshal([]byte(s), &raw); err != nil {
				return nil, err
			}
			break
		}
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				raw = append(raw, p)
			}
		}
	default:
		return nil, fmt.Errorf("want a list of strings, got %T", v)
	}
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		s, ok := r.(string)
		if !ok {
			return nil, fmt.Errorf("want a list of strings, got an element of type %T", r)
		}
		out = append(out, strings.TrimSpace(s))
	}
	return out, nil
}

// principalArn admits exact IAM role and user ARNs in any partition. No
// wildcards: the list feeds both the Allow and the ArnNotLike of the Deny,
// and a wildcard there would silently widen who can fetch keys.
var principalArn = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[\w+=,.@/-]{1,512}$`)

// sourceArn admits an ARN of the named service, wildcards allowed (it is
// only ever a narrowing condition).
func sourceArnOK(service, arn string) bool {
	return regexp.MustCompile(`^arn:aws[a-z-]*:` + service + `:[a-z0-9-*]*:[0-9*]{0,12}:\S+$`).MatchString(arn)
}

var stageName = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// Validate reports the first configuration error.
func (c Config) Validate() error {
	switch c.KeyStore {
	case KeyStoreDynamoDB, KeyStoreSecretsManager:
	default:
		return fmt.Errorf("keyStore %q: want %q or %q", c.KeyStore, KeyStoreDynamoDB, KeyStoreSecretsManager)
	}
	if c.BootstrapDir == "" {
		return fmt.Errorf("bootstrapDir is empty")
	}
	seen := map[string]bool{}
	for _, a := range c.AllowedPrincipalArns {
		if !principalArn.MatchString(a) {
			return fmt.Errorf("allowedPrincipalArns: %q is not an IAM role or user ARN (wildcards are not allowed)", a)
		}
		if seen[a] {
			return fmt.Errorf("allowedPrincipalArns: %q listed twice", a)
		}
		seen[a] = true
	}
	if c.MediaPackageSourceArn != "" && !sourceArnOK("mediapackage(v2)?", c.MediaPackageSourceArn) {
		return fmt.Errorf("mediaPackageSourceArn %q is not a MediaPackage ARN", c.MediaPackageSourceArn)
	}
	if c.MediaConvertSourceArn != "" && !sourceArnOK("mediaconvert", c.MediaConvertSourceArn) {
		return fmt.Errorf("mediaConvertSourceArn %q is not a MediaConvert ARN", c.MediaConvertSourceArn)
	}
	// API Gateway rejects a burst below the rate, and a zero rate blocks
	// every encryptor: both are configuration mistakes, not choices.
	if c.ThrottleRate <= 0 || c.ThrottleBurst < 1 || c.ThrottleBurst < c.ThrottleRate {
		return fmt.Errorf("throttle: rate %v must be > 0 and burst %v >= max(1, rate)", c.ThrottleRate, c.ThrottleBurst)
	}
	if c.ReservedConcurrency < 0 {
		return fmt.Errorf("reservedConcurrency %d: want >= 0", c.ReservedConcurrency)
	}
	if c.AlarmEmail != "" && !strings.Contains(c.AlarmEmail, "@") {
		return fmt.Errorf("alarmEmail %q is not an email address", c.AlarmEmail)
	}
	if _, ok := retentionDays[c.LogRetentionDays]; !ok {
		return fmt.Errorf("logRetentionDays %d is not a CloudWatch Logs retention value", c.LogRetentionDays)
	}
	if !stageName.MatchString(c.StageName) {
		return fmt.Errorf("stageName %q: want 1-64 of [A-Za-z0-9_]", c.StageName)
	}
	if c.PlayerThrottleRate <= 0 || c.PlayerThrottleBurst < 1 || c.PlayerThrottleBurst < c.PlayerThrottleRate {
		return fmt.Errorf("player throttle: rate %v must be > 0 and burst %v >= max(1, rate)", c.PlayerThrottleRate, c.PlayerThrottleBurst)
	}
	if c.PlayerBaseURL != "" && !baseURLOK(c.PlayerBaseURL) {
		return fmt.Errorf("playerBaseUrl %q: want an https URL with no query, fragment or trailing slash", c.PlayerBaseURL)
	}
	for _, o := range c.CORSAllowedOrigins {
		if o != "*" && !origin.MatchString(o) {
			return fmt.Errorf("corsAllowedOrigins: %q is not * or an origin (scheme://host[:port])", o)
		}
	}
	seen = map[string]bool{}
	for _, p := range c.LicenseServerPrincipals {
		if licenseServerKind(p) == "" {
			return fmt.Errorf("licenseServerPrincipals: %q is not a 12-digit account ID, an IAM role ARN or a service principal (wildcards are not allowed)", p)
		}
		if seen[p] {
			return fmt.Errorf("licenseServerPrincipals: %q listed twice", p)
		}
		seen[p] = true
	}
	if x := c.LicenseServerExternalID; x != "" && (len(x) < 2 || len(x) > 1224 || !externalID.MatchString(x)) {
		return fmt.Errorf("licenseServerExternalId: want 2-1224 of [A-Za-z0-9+=,.@:/-]")
	}
	return nil
}

// Kinds of license-server principal.
const (
	principalAccount = "account"
	principalRole    = "role"
	principalService = "service"
)

var (
	accountID        = regexp.MustCompile(`^[0-9]{12}$`)
	roleArn          = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`)
	servicePrincipal = regexp.MustCompile(`^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?$`)
	// origin is what a browser sends in Origin: no path, no trailing slash.
	origin = regexp.MustCompile(`^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$`)
	// externalID is STS's character set for sts:ExternalId (length 2-1224,
	// checked apart: RE2 caps repeat counts at 1000).
	externalID = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

// licenseServerKind says which kind of principal p is, or "".
func licenseServerKind(p string) string {
	switch {
	case accountID.MatchString(p):
		return principalAccount
	case roleArn.MatchString(p):
		return principalRole
	case servicePrincipal.MatchString(p):
		return principalService
	}
	return ""
}

// baseURLOK admits the URL players are sent to: https (EME and mixed-content
// rules need it), a host, nothing after the path.
func baseURLOK(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil && u.RawQuery == "" &&
		u.Fragment == "" && !strings.HasSuffix(s, "/") && !strings.ContainsAny(s, "?#")
}

// retentionDays maps the retention periods CloudWatch Logs accepts to the
// CDK enum (a string enum in Go, so a conversion from int would not work).
var retentionDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}
