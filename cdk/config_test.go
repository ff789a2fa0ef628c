package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigFromContext(t *testing.T) {
	ctx := func(m map[string]any) ContextGetter { return func(k string) any { return m[k] } }
	t.Run("defaults", func(t *testing.T) {
		t.Setenv("BOOTSTRAP_DIR", "")
		c, err := ConfigFromContext(ctx(nil))
		if err != nil {
			t.Fatal(err)
		}
		if c.KeyStore != KeyStoreDynamoDB || c.ReservedConcurrency != 0 || len(c.AllowedPrincipalArns) != 0 ||
			c.BootstrapDir != filepath.Join("bin", "lambda") || !c.APIGatewayCloudWatchRole {
			t.Errorf("defaults %+v", c)
		}
	})
	t.Run("cli strings", func(t *testing.T) {
		c, err := ConfigFromContext(ctx(map[string]any{
			"keyStore":                 "secretsmanager",
			"allowedPrincipalArns":     "arn:aws:iam::111122223333:role/A, arn:aws:iam::111122223333:role/path/B",
			"throttleRate":             "5",
			"throttleBurst":            "10",
			"reservedConcurrency":      "3",
			"logRetentionDays":         "30",
			"apiGatewayCloudWatchRole": "false",
		}))
		if err != nil {
			t.Fatal(err)
		}
		if c.KeyStore != KeyStoreSecretsManager || len(c.AllowedPrincipalArns) != 2 || c.AllowedPrincipalArns[1] != "arn:aws:iam::111122223333:role/path/B" ||
			c.ThrottleRate != 5 || c.ThrottleBurst != 10 || c.ReservedConcurrency != 3 || c.LogRetentionDays != 30 || c.APIGatewayCloudWatchRole {
			t.Errorf("parsed %+v", c)
		}
	})
	t.Run("players and license servers", func(t *testing.T) {
		c, err := ConfigFromContext(ctx(map[string]any{
			"playerThrottleRate":      "5",
			"playerThrottleBurst":     float64(9),
			"playerBaseUrl":           "https://keys.example.com/v1",
			"corsAllowedOrigins":      "https://a.example.com, http://localhost:8000",
			"licenseServerPrincipals": `["111122223333","arn:aws:iam::111122223333:role/path/Lic","ecs-tasks.amazonaws.com"]`,
			"licenseServerExternalId": "vendor-42",
		}))
		if err != nil {
			t.Fatal(err)
		}
		if c.PlayerThrottleRate != 5 || c.PlayerThrottleBurst != 9 || c.PlayerBaseURL != "https://keys.example.com/v1" ||
			len(c.CORSAllowedOrigins) != 2 || c.CORSAllowedOrigins[1] != "http://localhost:8000" || c.LicenseServerExternalID != "vendor-42" {
			t.Errorf("parsed %+v", c)
		}
		kinds := []string{}
		for _, p := range c.LicenseServerPrincipals {
			kinds = append(kinds, licenseServerKind(p))
		}
		if strings.Join(kinds, ",") != "account,role,service" {
			t.Errorf("license servers %v: kinds %v", c.LicenseServerPrincipals, kinds)
		}
	})
	t.Run("json values", func(t *testing.T) {
		c, err := ConfigFromContext(ctx(map[string]any{
			"allowedPrincipalArns": []any{"arn:aws:iam::111122223333:role/A"},
			"throttleRate":         float64(1),
			"throttleBurst":        float64(1),
		}))
		if err != nil || len(c.AllowedPrincipalArns) != 1 || c.ThrottleRate != 1 {
			t.Errorf("%+v %v", c, err)
		}
	})
	bad := map[string]map[string]any{
		"unknown store":        {"keyStore": "s3"},
		"wildcard principal":   {"allowedPrincipalArns": "arn:aws:iam::111122223333:role/*"},
		"account root":         {"allowedPrincipalArns": "arn:aws:iam::111122223333:root"},
		"not an arn":           {"allowedPrincipalArns": "MyRole"},
		"duplicate principal":  {"allowedPrincipalArns": "arn:aws:iam::111122223333:role/A,arn:aws:iam::111122223333:role/A"},
		"burst below rate":     {"throttleRate": "10", "throttleBurst": "5"},
		"zero rate":            {"throttleRate": "0"},
		"negative concurrency": {"reservedConcurrency": "-1"},
		"fractional":           {"reservedConcurrency": "1.5"},
		"retention":            {"logRetentionDays": "10"},
		"mp source arn":        {"mediaPackageSourceArn": "arn:aws:s3:::bucket"},
		"mc source arn":        {"mediaConvertSourceArn": "queues/Default"},
		"stage":                {"stageName": "v1/prod"},
		"email":                {"alarmEmail": "nobody"},
		"number as list":       {"allowedPrincipalArns": float64(3)},
		"player burst":         {"playerThrottleRate": "10", "playerThrottleBurst": "5"},
		"player zero rate":     {"playerThrottleRate": "0"},
		"player url http":      {"playerBaseUrl": "http://keys.example.com"},
		"player url slash":     {"playerBaseUrl": "https://keys.example.com/"},
		"player url query":     {"playerBaseUrl": "https://keys.example.com/?a=b"},
		"player url relative":  {"playerBaseUrl": "/keys"},
		"cors path":            {"corsAllowedOrigins": "https://a.example.com/"},
		"cors no scheme":       {"corsAllowedOrigins": "a.example.com"},
		"ls wildcard role":     {"licenseServerPrincipals": "arn:aws:iam::111122223333:role/*"},
		"ls user":              {"licenseServerPrincipals": "arn:aws:iam::111122223333:user/u"},
		"ls short account":     {"licenseServerPrincipals": "11112222333"},
		"ls any":               {"licenseServerPrincipals": "*"},
		"ls service wildcard":  {"licenseServerPrincipals": "*.amazonaws.com"},
		"ls duplicate":         {"licenseServerPrincipals": "111122223333,111122223333"},
		"external id short":    {"licenseServerExternalId": "x"},
		"external id chars":    {"licenseServerExternalId": "has space"},
	}
	for name, m := range bad {
		t.Run("rejects "+name, func(t *testing.T) {
			if _, err := ConfigFromContext(ctx(m)); err == nil {
				t.Errorf("%v accepted", m)
			}
		})
	}
}

func TestMustBootstrapDir(t *testing.T) {
	dir := t.TempDir()
	func() {
		defer func() {
			r := recover()
			if r == nil || !strings.Contains(r.(string), "make bootstrap") {
				t.Errorf("empty dir: panic %v, want a hint to run make bootstrap", r)
			}
		}()
		mustBootstrapDir(dir)
	}()
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := mustBootstrapDir(dir); got != dir {
		t.Errorf("got %q", got)
	}
}
