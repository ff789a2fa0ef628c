package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The fake SDK module records every command and answers DescribeSecret with
// the stages given in FAKE_STAGES.
const fakeSDK = `
class Cmd { constructor(name, input) { this.name = name; this.input = input; } }
class DescribeSecretCommand extends Cmd { constructor(i) { super('DescribeSecret', i); } }
class PutSecretValueCommand extends Cmd { constructor(i) { super('PutSecretValue', i); } }
global.__calls = [];
class SecretsManagerClient {
  async send(c) {
    global.__calls.push({ name: c.name, input: c.input });
    if (c.name === 'DescribeSecret') return { VersionIdsToStages: JSON.parse(process.env.FAKE_STAGES) };
    return {};
  }
}
module.exports = { SecretsManagerClient, DescribeSecretCommand, PutSecretValueCommand };
`

const harness = `
const m = require('./index.js');
m.handler(JSON.parse(process.env.EVENT)).then(
  () => process.stdout.write(JSON.stringify(global.__calls || [])),
  (e) => { console.error(e); process.exit(1); });
`

type sdkCall struct {
	Name  string         `json:"name"`
	Input map[string]any `json:"input"`
}

// runSeedWriter runs the inline custom-resource code under node against a
// fake SDK and a local HTTPS server standing in for CloudFormation's
// pre-signed response URL. It returns the SDK calls and the response body.
func runSeedWriter(t *testing.T, requestType, stages string) ([]sdkCall, map[string]any, string) {
	return runWriter(t, requestType, stages, "")
}

// runWriter is runSeedWriter with ResourceProperties.Format (omitted when
// empty, as for the seed).
func runWriter(t *testing.T, requestType, stages, format string) ([]sdkCall, map[string]any, string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not found (the CDK needs it too)")
	}
	var mu sync.Mutex
	var got []byte
	var ctype []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, ctype = b, r.Header.Values("Content-Type")
		mu.Unlock()
		if r.Method != http.MethodPut {
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	}))
	defer srv.Close()

	dir := t.TempDir()
	mod := filepath.Join(dir, "node_modules", "@aws-sdk", "client-secrets-manager")
	must(t, os.MkdirAll(mod, 0o755))
	must(t, os.WriteFile(filepath.Join(mod, "index.js"), []byte(fakeSDK), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "index.js"), []byte(seedSecretJS), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "harness.js"), []byte(harness), 0o644))
	event, _ := json.Marshal(map[string]any{
		"RequestType": requestType, "ResponseURL": srv.URL + "/cfn-response?sig=x",
		"StackId": "stack-1", "RequestId": "3f1c2a9e-0d5b-4c7e-9a61-2b8f0e4d7c15", "LogicalResourceId": "SeedSecretValue",
		"ResourceProperties": props(format),
	})
	cmd := exec.Command(node, "harness.js")
	cmd.Dir = dir
	// The test server's certificate is self-signed; only this child
	// process skips verification.
	cmd.Env = append(os.Environ(), "EVENT="+string(event), "FAKE_STAGES="+stages, "NODE_TLS_REJECT_UNAUTHORIZED=0", "NODE_NO_WARNINGS=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	// The handler's own log line comes first; the harness prints last.
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var calls []sdkCall
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &calls); err != nil {
		t.Fatalf("harness output %q: %v", out, err)
	}
	mu.Lock()
	defer mu.Unlock()
	var resp map[string]any
	if err := json.Unmarshal(got, &resp); err != nil {
		t.Fatalf("CloudFormation response %q: %v", got, err)
	}
	if len(ctype) != 1 || ctype[0] != "" {
		// The pre-signed S3 URL is signed for an empty content type.
		t.Errorf("response Content-Type %q, want empty", ctype)
	}
	return calls, resp, stderr.String() + strings.Join(lines[:len(lines)-1], "\n")
}

func props(format string) map[string]any {
	p := map[string]any{"SecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:seed"}
	if format != "" {
		p["Format"] = format
	}
	return p
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestSeedWriterCreatesContractSecret: on Create with an empty secret the
// writer stores {"seed": base64(32 bytes), "algorithm": "hkdf-sha256"} and
// never echoes it.
func TestSeedWriterCreatesContractSecret(t *testing.T) {
	calls, resp, logs := runSeedWriter(t, "Create", `{}`)
	if len(calls) != 2 || calls[0].Name != "DescribeSecret" || calls[1].Name != "PutSecretValue" {
		t.Fatalf("calls %+v", calls)
	}
	put := calls[1].Input
	if put["SecretId"] != "arn:aws:secretsmanager:us-east-1:123456789012:secret:seed" || put["ClientRequestToken"] != "3f1c2a9e-0d5b-4c7e-9a61-2b8f0e4d7c15" {
		t.Errorf("put input %v", put)
	}
	value, _ := put["SecretString"].(string)
	var secret map[string]string
	if err := json.Unmarshal([]byte(value), &secret); err != nil {
		t.Fatalf("secret is not JSON: %v", err)
	}
	if len(secret) != 2 || secret["algorithm"] != "hkdf-sha256" {
		t.Errorf("secret fields %v", keysOf(secret))
	}
	seed, err := base64.StdEncoding.Strict().DecodeString(secret["seed"])
	if err != nil || len(seed) != 32 {
		t.Errorf("seed decodes to %d bytes (err %v), want 32 with strict base64", len(seed), err)
	}
	if resp["Status"] != "SUCCESS" || resp["PhysicalResourceId"] != put["SecretId"] || resp["RequestId"] != "3f1c2a9e-0d5b-4c7e-9a61-2b8f0e4d7c15" {
		t.Errorf("response %v", resp)
	}
	raw, _ := json.Marshal(resp)
	if strings.Contains(string(raw), secret["seed"]) || strings.Contains(logs, secret["seed"]) {
		t.Error("the seed leaked into the CloudFormation response or the logs")
	}
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestSeedWriterNeverOverwrites: an existing value is kept on Create, and
// Update and Delete make no call at all.
func TestSeedWriterNeverOverwrites(t *testing.T) {
	calls, resp, _ := runSeedWriter(t, "Create", `{"v1":["AWSCURRENT"]}`)
	if len(calls) != 1 || calls[0].Name != "DescribeSecret" || resp["Status"] != "SUCCESS" {
		t.Errorf("create over existing value: calls %+v, response %v", calls, resp)
	}
	for _, rt := range []string{"Update", "Delete"} {
		calls, resp, _ := runSeedWriter(t, rt, `{}`)
		if len(calls) != 0 || resp["Status"] != "SUCCESS" {
			t.Errorf("%s: calls %+v, response %v", rt, calls, resp)
		}
	}
}

// TestSeedWriterFitsInline: CloudFormation caps inline (ZipFile) code; the
// conservative historical limit is 4096 characters.
func TestSeedWriterFitsInline(t *testing.T) {
	if n := len(seedSecretJS); n >= 4096 {
		t.Errorf("seedsecret.js is %d characters, over the 4096 inline limit", n)
	}
}

// TestWriterTokenKeyFormat: with Format base64-32 the value is the bare
// standard base64 of 32 random bytes (the playback-token contract), a new
// one each time, never echoed; an unknown Format fails before any write.
func TestWriterTokenKeyFormat(t *testing.T) {
	var values []string
	for range 2 {
		calls, resp, logs := runWriter(t, "Create", `{}`, "base64-32")
		if len(calls) != 2 || calls[1].Name != "PutSecretValue" || resp["Status"] != "SUCCESS" {
			t.Fatalf("calls %+v, response %v", calls, resp)
		}
		v, _ := calls[1].Input["SecretString"].(string)
		key, err := base64.StdEncoding.Strict().DecodeString(v)
		if err != nil || len(key) != 32 {
			t.Errorf("token key %d bytes (err %v), want 32 in strict standard base64", len(key), err)
		}
		raw, _ := json.Marshal(resp)
		if strings.Contains(string(raw), v) || strings.Contains(logs, v) {
			t.Error("the token key leaked into the CloudFormation response or the logs")
		}
		values = append(values, v)
	}
	if values[0] == values[1] {
		t.Error("two writes gave the same key")
	}
	calls, resp, _ := runWriter(t, "Create", `{}`, "hex-16")
	if len(calls) != 0 || resp["Status"] != "FAILED" {
		t.Errorf("unknown format: calls %+v, response %v", calls, resp)
	}
}
