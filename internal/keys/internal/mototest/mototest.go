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
	cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
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
	_, err := c.CreateTable(context.Background(), &dynamodb.CreateTableInput{
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
	if err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
}
