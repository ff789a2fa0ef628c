package awskeys_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/speke-go/keyprovider/internal/keys/internal/mototest"
	"github.com/speke-go/keyprovider/internal/keys/keystest"
	"github.com/speke-go/keyprovider/internal/playback/playbacktest"
)

// TestDeployedShapeOnMoto runs the two functions of the deployed stack as
// the real service against one DynamoDB table on moto: the SPEKE function
// (SERVE=speke) creates a key, the read-only function (SERVE=readonly,
// token key from Secrets Manager) serves it to a player with a token,
// answers 404 for a KID never issued, and creates nothing.
func TestDeployedShapeOnMoto(t *testing.T) {
	// The SDK's credential chain reads these; moto accepts any.
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_SESSION_TOKEN", "")
	table := name("keys-")
	db := dynamodb.NewFromConfig(mototest.Config(t, nil))
	mototest.CreateTable(t, db, table)
	tokenKey := []byte(strings.Repeat("t", 32))
	secret := name("playback-token-")
	if _, err := secretsmanager.NewFromConfig(mototest.Config(t, nil)).CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{
		Name: aws.String(secret), SecretString: aws.String(base64.StdEncoding.EncodeToString(tokenKey)),
	}); err != nil {
		t.Fatal(err)
	}
	env := func(serve string) map[string]string {
		return map[string]string{"SERVE": serve, "KEY_SOURCE": "dynamodb", "TABLE_NAME": table,
			"AWS_REGION": mototest.Region, "AWS_ENDPOINT_URL": mototest.URL(), "PLAYBACK_TOKEN_SECRET_ID": secret}
	}
	spekeFn, err := playbacktest.StartService(t.TempDir(), env("speke"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer spekeFn.Close()
	readFn, err := playbacktest.StartService(t.TempDir(), env("readonly"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer readFn.Close()

	cid, kid := "movie/1", keystest.RandomKID()
	a, err := spekeFn.RequestKey(t.Context(), cid, kid, playbacktest.SystemAES128HLS)
	if err != nil {
		t.Fatal(err)
	}
	uri, err := a.KeyURI()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := playbacktest.Token(tokenKey, cid, time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	get := func(url string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), "GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	// The signaled URI points at the SPEKE function's base URL; the
	// deployed stack signals the players' API there instead.
	path := strings.TrimPrefix(uri, spekeFn.URL)
	if code, body := get(readFn.URL + path); code != 200 || a.Key.Reveal() != [16]byte(body) {
		t.Fatalf("read-only function: %d, %d bytes, want the stored key", code, len(body))
	}
	if code, _ := get(readFn.URL + strings.Replace(path, kid.String(), keystest.RandomKID().String(), 1)); code != 404 {
		t.Fatalf("KID never issued: %d, want 404", code)
	}
	if code, _ := get(spekeFn.URL + path); code != 404 {
		t.Fatalf("the SPEKE function serves player keys: %d", code)
	}
	res, err := http.Post(readFn.URL+"/copyProtection", "application/xml", strings.NewReader("<x/>"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Fatalf("the read-only function answers /copyProtection: %d", res.StatusCode)
	}
	out, err := db.Scan(t.Context(), &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 1 {
		t.Fatalf("the table holds %d items, want the one the SPEKE function created", len(out.Items))
	}
}
