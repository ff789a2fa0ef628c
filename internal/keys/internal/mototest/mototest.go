// Package mototest runs moto_server, an emulator of the AWS APIs, for the
// integration tests of the AWS key sources, and provides HTTP transports
// that count calls and inject faults.
//
// A test package calls Main from TestMain. The server listens on a free
// 127.0.0.1 port for the life of the test binary and is killed afterwards.
// If moto is not installed the tests fail with a message saying so; they
// never skip, because CI machines have moto and a silent skip would hide a
// broken key store.
package mototest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go/logging"

	svcconfig "github.com/speke-go/keyprovider/internal/config"
	"github.com/speke-go/keyprovider/internal/keys/awskeys"
)

// EnvEndpoint, when set, makes Main use that moto instead of starting one;
// child processes of a test get it so they share the parent's server.
const EnvEndpoint = "MOTOTEST_ENDPOINT"

// Region is the region every test client uses.
const Region = "us-east-1"

var endpoint string

// Main starts moto, runs the tests and stops moto.
func Main(m *testing.M) {
	if u := os.Getenv(EnvEndpoint); u != "" {
		endpoint = u
		os.Exit(m.Run())
	}
	s, err := Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "mototest: %v\n", err)
		os.Exit(1)
	}
	endpoint = s.URL
	code := m.Run()
	s.Stop()
	os.Exit(code)
}

// URL is the endpoint of the running moto server.
func URL() string {
	if endpoint == "" {
		panic("mototest: Main was not called from TestMain")
	}
	return endpoint
}

// Server is a moto_server process.
type Server struct {
	URL string
	cmd *exec.Cmd
}

// Start launches moto_server on a free 127.0.0.1 port and waits until it
// answers.
func Start() (*Server, error) {
	if out, err := exec.Command("python3", "-c", "import moto").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("moto is not installed (python3 -c 'import moto': %v: %s); "+
			"the AWS integration tests need moto 5.x (moto_server) on this machine", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("python3", "-c", atomicPutItem, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.SysProcAttr = sysProcAttr()
	if os.Getenv("MOTOTEST_VERBOSE") != "" {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case err := <-exited:
			return nil, fmt.Errorf("moto_server exited before answering: %v (MOTOTEST_VERBOSE=1 shows its output)", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, errors.New("moto_server did not answer within 20 s")
		}
	}
}

// atomicPutItem starts moto_server with its DynamoDB PutItem made atomic.
// moto evaluates a ConditionExpression and then stores the item with no
// lock, while its server runs each request on its own thread; on a loaded
// machine two concurrent attribute_not_exists puts of one item can both
// succeed (seen as "2 distinct keys" in the race tests under -count=50).
// DynamoDB guarantees that a conditional write is atomic, and the key
// store relies on exactly that, so the emulator is held to it here rather
// than the tests being loosened.
const atomicPutItem = `
import sys, threading
from moto.dynamodb.models.table import Table
_lock = threading.Lock()
_put = Table.put_item
def put_item(self, *args, **kwargs):
    with _lock:
        return _put(self, *args, **kwargs)
Table.put_item = put_item
from moto.server import main
main(sys.argv[1:])
`

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Stop kills the server process.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
	}
}

// Getenv is an environment pointing the service's AWS configuration at
// moto, over values for keys such as KEY_SOURCE.
func Getenv(vars map[string]string) func(string) string {
	return func(k string) string {
		switch k {
		case "AWS_REGION":
			return Region
		case "AWS_ENDPOINT_URL":
			return URL()
		}
		return vars[k]
	}
}

// ConfigOptions are the test-only load options: dummy static credentials.
func ConfigOptions() []func(*config.LoadOptions) error {
	return []func(*config.LoadOptions) error{
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
	}
}

// Config returns the service's AWS configuration (awskeys.LoadAWSConfig,
// so the production retry policy) pointed at moto, sending over rt (nil
// for the SDK's default client).
func Config(t testing.TB, rt http.RoundTripper) aws.Config {
	t.Helper()
	cfg, err := awskeys.LoadAWSConfig(context.Background(), svcconfig.AWS{Region: Region, EndpointURL: URL()}, ConfigOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	// Injected faults make the SDK warn about unread or mismatched
	// bodies on every run; the tests assert on outcomes instead.
	cfg.Logger = logging.Nop{}
	if rt != nil {
		// Set after loading: the loader insists on its own client type
		// when AWS_CA_BUNDLE is set, and a plain client cannot wrap it.
		cfg.HTTPClient = &http.Client{Transport: rt}
	}
	return cfg
}

// CreateTable creates a table with the key contract's schema.
func CreateTable(t testing.TB, c *dynamodb.Client, name string) {
	t.Helper()
	CreateTableWith(t, c, &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("contentId"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("kid"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("contentId"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("kid"), KeyType: types.KeyTypeRange},
		},
	})
}

// The setup helpers below survive the SDK's own retries. Now and then
// (about 1 in 200 calls under -race on a loaded machine) the SDK gets
// moto's 200 but fails to read its body, and retries a call moto has
// already applied; the retry is then refused as a duplicate
// (ResourceInUseException, ResourceExistsException). Every test resource
// has a fresh random name, so a duplicate can only be our own first
// attempt: it counts as success once the resource is shown to be the one
// asked for.

// CreateTableWith creates the table in (names must be fresh).
func CreateTableWith(t testing.TB, c *dynamodb.Client, in *dynamodb.CreateTableInput) {
	t.Helper()
	_, err := c.CreateTable(context.Background(), in)
	var inUse *types.ResourceInUseException
	if errors.As(err, &inUse) {
		out, derr := c.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: in.TableName})
		if derr == nil && sameKeySchema(out.Table.KeySchema, in.KeySchema) {
			t.Logf("create table %s: the SDK retried a call moto had applied; the table is as asked", aws.ToString(in.TableName))
			return
		}
	}
	if err != nil {
		t.Fatalf("create table %s: %v", aws.ToString(in.TableName), err)
	}
}

func sameKeySchema(a, b []types.KeySchemaElement) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if aws.ToString(a[i].AttributeName) != aws.ToString(b[i].AttributeName) || a[i].KeyType != b[i].KeyType {
			return false
		}
	}
	return true
}

// CreateSecret creates the secret name (fresh) holding value.
func CreateSecret(t testing.TB, c *secretsmanager.Client, name, value string) {
	t.Helper()
	_, err := c.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(value),
	})
	secretDone(t, c, "create secret", name, value, err)
}

// PutSecretValue makes value the current version of the secret name.
func PutSecretValue(t testing.TB, c *secretsmanager.Client, name, value string) {
	t.Helper()
	_, err := c.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(name), SecretString: aws.String(value),
	})
	secretDone(t, c, "put secret value", name, value, err)
}

// secretDone fails t on err, except for a refused retry of a call that
// did land (the secret already holds value).
func secretDone(t testing.TB, c *secretsmanager.Client, what, name, value string, err error) {
	t.Helper()
	var exists *smtypes.ResourceExistsException
	if errors.As(err, &exists) && secretIs(c, name, value) {
		t.Logf("%s %s: the SDK retried a call moto had applied; the secret is as asked", what, name)
		return
	}
	if err != nil {
		t.Fatalf("%s %s: %v", what, name, err)
	}
}

func secretIs(c *secretsmanager.Client, name, value string) bool {
	out, err := c.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	return err == nil && aws.ToString(out.SecretString) == value
}
