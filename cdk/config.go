package main

import (
	"encoding/json"
	"fmt"
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
	num(ctxThrottleRate, &c.ThrottleRate)
	num(ctxThrottleBurst, &c.ThrottleBurst)
	integer(ctxReservedConcurrency, &c.ReservedConcurrency)
	integer(ctxLogRetentionDays, &c.LogRetentionDays)
	if err != nil {
		return Config{}, err
	}
	if v := get(ctxAllowedPrincipalArns); v != nil {
		if c.AllowedPrincipalArns, err = toStringList(v); err != nil {
			return Config{}, fmt.Errorf("context %s: %w", ctxAllowedPrincipalArns, err)
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
	return nil
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
