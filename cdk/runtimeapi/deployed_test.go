package runtimeapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// The deployed stack's two functions share one key store: the SPEKE
// function (SERVE=speke) creates keys in DynamoDB, the read-only function
// (SERVE=readonly) finds them for players and license servers, with the
// token key from Secrets Manager. TestDeployedFunctionsOnMoto runs the real
// binary as both, against moto. This package may not import internal/
// (cdk/ never does, and Go forbids internal/keys/internal/mototest here
// anyway), so it starts moto itself.

var (
	motoOnce sync.Once
	motoURL  string
	motoErr  error
)

// startMoto starts one `python3 -m moto.server` on a free 127.0.0.1 port
// for the test binary; TestMain stops it.
func startMoto(t *testing.T) string {
	t.Helper()
	motoOnce.Do(func() {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			motoErr = err
			return
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
		if motoErr = cmd.Start(); motoErr != nil {
			motoErr = fmt.Errorf("start moto (python3 -m moto.server; the deployed-shape test needs moto 5.x): %w", motoErr)
			return
		}
		motoCmd = cmd
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		u := "http://127.0.0.1:" + strconv.Itoa(port)
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
			if r, err := http.Get(u + "/moto-api/"); err == nil {
				r.Body.Close()
				if r.StatusCode == 200 {
					motoURL = u
					return
				}
			}
			select {
			case err := <-exited:
				motoErr = fmt.Errorf("moto exited before answering (is moto installed? python3 -m moto.server): %v", err)
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
		motoErr = fmt.Errorf("moto did not answer on %s within 30 s", u)
	})
	if motoErr != nil {
		t.Fatal(motoErr)
	}
	return motoURL
}

// motoCmd is stopped by TestMain.
var motoCmd *exec.Cmd

func motoConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

// deployedStore creates what the stack creates: the key table (the key
// contract's schema) and the token secret (standard base64 of the 32-byte
// key; here the test key the player events' tokens are signed with).
func deployedStore(t *testing.T, endpoint, suffix string) (table, secret string) {
	t.Helper()
	ctx := context.Background()
	table, secret = "speke-keys-"+suffix, "speke/playback-token-"+suffix
	db := dynamodb.NewFromConfig(motoConfig(endpoint))
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("contentId"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("kid"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("contentId"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("kid"), KeyType: types.KeyTypeRange},
		},
	}); err != nil {
		t.Fatalf("create table: %v", err)
	}
	sm := secretsmanager.NewFromConfig(motoConfig(endpoint))
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(secret), SecretString: aws.String(base64.StdEncoding.EncodeToString(testTokenKey(t))),
	}); err != nil {
		t.Fatalf("create secret: %v", err)
	}
	return table, secret
}

func itemCount(t *testing.T, endpoint, table string) int {
	t.Helper()
	out, err := dynamodb.NewFromConfig(motoConfig(endpoint)).Scan(context.Background(), &dynamodb.ScanInput{
		TableName: aws.String(table), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Items)
}

func TestDeployedFunctionsOnMoto(t *testing.T) {
	host, arm64 := buildBinary(t)
	endpoint := startMoto(t)
	run := func(t *testing.T, suffix, bin string, emulator ...string) {
		table, secret := deployedStore(t, endpoint, suffix)
		// The functions' environment as the stack sets it (DATA_DIR is
		// declared empty), pointed at moto.
		common := []string{"KEY_SOURCE=dynamodb", "TABLE_NAME=" + table, "DATA_DIR=",
			"AWS_ENDPOINT_URL=" + endpoint, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test"}
		spekeFn := startBinary(t, bin, append([]string{"SERVE=speke"}, common...), emulator...)
		readFn := startBinary(t, bin, append([]string{"SERVE=readonly", "PLAYBACK_TOKEN_SECRET_ID=" + secret}, common...), emulator...)
		fn := func(name string) *process {
			if name == fnReadOnly {
				return readFn
			}
			return spekeFn
		}
		issued := -1
		// The read-only function writes nothing: the table holds what the
		// SPEKE function issued, before and after the players' events.
		runEvents(t, fn, func(t *testing.T) {
			n := itemCount(t, endpoint, table)
			if issued < 0 {
				issued = n
			} else if n != issued {
				t.Errorf("the table held %d items after the SPEKE events and %d after the read-only function's", issued, n)
			}
		})
		if issued < 1 {
			t.Errorf("the SPEKE function stored %d items", issued)
		}

		// Each event reaches only the function that serves it: the other
		// function's router answers 404 and stores nothing.
		for name, c := range cases {
			other := fnReadOnly
			if c.fn == fnReadOnly {
				other = fnSPEKE
			}
			resp := invokeProxy(t, fn(other), loadEvent(t, name))
			if b := resp.body(t); resp.StatusCode != 404 || !strings.Contains(string(b), "404 page not found") {
				// Not the body: it may hold keys.
				t.Errorf("%s to the %s function: %d (%d bytes), want the router's 404", name, other, resp.StatusCode, len(b))
			}
		}
		// A KID never issued is not found (and not created).
		never := strings.ReplaceAll(string(loadEvent(t, "client-key.json")), playersKID, "0f0e0d0c-0b0a-4908-8706-050403020100")
		if resp := invokeProxy(t, readFn, []byte(never)); resp.StatusCode != 404 {
			t.Errorf("a KID never issued: %d, want 404", resp.StatusCode)
		}
		if n := itemCount(t, endpoint, table); n != issued {
			t.Errorf("the table holds %d items, want the %d the SPEKE function issued", n, issued)
		}
	}
	t.Run("host", func(t *testing.T) { run(t, "host", host) })
	t.Run("arm64-qemu", func(t *testing.T) {
		if arm64 == "" {
			t.Skip("qemu-aarch64 not installed (Debian package qemu-user)")
		}
		run(t, "arm64", arm64, "qemu-aarch64")
	})
}
