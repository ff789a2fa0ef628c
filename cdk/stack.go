package main

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Route paths, without the leading slash. The service defines them once in
// Go (internal/); the cdk may not import it, so they are repeated here and
// a test compares the two.
const (
	// SpekePath: POST, the media services' SPEKE call.
	SpekePath = "copyProtection"
	// HeartbeatPath: GET, the SPEKE v1 heartbeat (same callers).
	HeartbeatPath = "heartbeat"
	// ExportPath: POST, the license servers' CPIX key export.
	ExportPath = "export"
	// PlayerKeyPath: GET, the HLS AES-128 key URI players fetch.
	PlayerKeyPath = "client/{contentId}/{kid}"
	// ClearKeyLicensePath: POST, the W3C Clear Key license.
	ClearKeyLicensePath = "clearkey/license"
)

// Values of the service's SERVE variable.
const (
	serveSpeke    = "speke"
	serveReadOnly = "readonly"
)

// KeyProviderStackProps configures NewKeyProviderStack.
type KeyProviderStackProps struct {
	awscdk.StackProps
	Config Config
}

// KeyProviderStack exposes the constructs tests and outputs refer to.
type KeyProviderStack struct {
	awscdk.Stack
	// Function serves the SPEKE API's encryptor routes; it may create keys.
	Function awslambda.Function
	// ReadOnlyFunction serves the players' API and the export; its role
	// can only read keys.
	ReadOnlyFunction  awslambda.Function
	Api               awsapigateway.RestApi
	PlayerApi         awsapigateway.RestApi
	MediaPackageRole  awsiam.Role
	MediaConvertRole  awsiam.Role
	LicenseServerRole awsiam.Role              // nil unless LicenseServerPrincipals are given
	Table             awsdynamodb.Table        // nil unless KeyStore is dynamodb
	Secret            awssecretsmanager.Secret // nil unless KeyStore is secretsmanager
	KeyStoreKey       awskms.Key
	TokenSecret       awssecretsmanager.Secret
	TokenKey          awskms.Key
	Alarms            []awscloudwatch.Alarm
}

//go:embed seedsecret.js
var seedSecretJS string

// NewKeyProviderStack builds the SPEKE key provider: an IAM-only REST API in
// front of the SPEKE function, a public players' API in front of a
// read-only function, the roles the encryptors and license servers assume,
// one key store, the playback-token secret, and the alarms. It panics
// (through CDK) on invalid configuration, so callers validate Config first.
//
// # Threat model
//
// Only the listed principals can reach the SPEKE API: its methods require
// SigV4 (AWS_IAM), and the API's resource policy denies execute-api:Invoke
// to every principal whose ARN is not on the list of the method concerned
// (encryptors: POST /copyProtection and GET /heartbeat; the license-server
// role: POST /export), so an administrator's identity policy with
// execute-api:* cannot fetch keys in the same account. The players' API is
// public by design: each request carries a playback token that the
// read-only function verifies, and that function's role can read keys but
// never create or change one. No log the stack configures can contain a
// request or response body (no data trace, access logs without
// $input/$body or query strings, the functions log identifiers only). Key
// stores and secrets are retained on stack deletion, because deleting them
// changes or loses every key ever issued.
func NewKeyProviderStack(scope constructs.Construct, id string, props *KeyProviderStackProps) *KeyProviderStack {
	cfg := props.Config
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	s := &KeyProviderStack{Stack: stack}

	// One CMK per deployment for whichever key store is selected, rotated
	// yearly by KMS (rotation keeps old key versions, so nothing breaks).
	s.KeyStoreKey = awskms.NewKey(stack, jsii.String("KeyStoreKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the SPEKE key provider's key store"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})

	writer := newSecretWriter(stack, cfg.LogRetentionDays)
	storeEnv := map[string]*string{
		"KEY_SOURCE": jsii.String(cfg.KeyStore),
		// Declared empty (the service reads that as unset) only so that
		// `sam local invoke --env-vars` can set it: SAM overrides only the
		// variables the template declares. Deployed, it changes nothing:
		// the key store above is used, and KEY_SOURCE=local under Lambda
		// still refuses to start without a real DATA_DIR.
		"DATA_DIR": jsii.String(""),
	}
	// No function, hence no request, before the secrets hold their values.
	var written []constructs.IDependable
	switch cfg.KeyStore {
	case KeyStoreDynamoDB:
		s.Table = newTable(stack, s.KeyStoreKey)
		storeEnv["TABLE_NAME"] = s.Table.TableName()
	case KeyStoreSecretsManager:
		var cr awscdk.CustomResource
		s.Secret, cr = writer.secret(stack, "SeedSecret", "SeedSecretValue", "Custom::SpekeSeed",
			"HKDF seed of the SPEKE key provider. Never rotate or edit: every content key derives from it.",
			s.KeyStoreKey, "")
		written = append(written, cr)
		// The ARN, never the value, goes into the environment.
		storeEnv["SECRET_ID"] = s.Secret.SecretArn()
	}

	// The token key has a CMK of its own, so that the customer's
	// entitlement service can be allowed to decrypt it without any grant
	// reaching the key store.
	s.TokenKey = awskms.NewKey(stack, jsii.String("PlaybackTokenKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the SPEKE key provider's playback-token secret"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	var tokenWritten awscdk.CustomResource
	s.TokenSecret, tokenWritten = writer.secret(stack, "PlaybackTokenSecret", "PlaybackTokenSecretValue", "Custom::SpekePlaybackTokenKey",
		"HS256 key (standard base64 of 32 bytes) that signs playback tokens; the entitlement service reads it to mint them.",
		s.TokenKey, "base64-32")

	spekeEnv := withEnv(storeEnv, "SERVE", jsii.String(serveSpeke))
	s.Function = newServiceFunction(stack, cfg, "Function", "SPEKE key provider (CPIX over API Gateway)",
		"SPEKE key provider function: its logs and its key store only", spekeEnv, reserved(cfg.ReservedConcurrency))
	roEnv := withEnv(storeEnv, "SERVE", jsii.String(serveReadOnly))
	roEnv["PLAYBACK_TOKEN_SECRET_ID"] = s.TokenSecret.SecretArn()
	if len(cfg.CORSAllowedOrigins) > 0 {
		roEnv["CORS_ALLOWED_ORIGINS"] = jsii.String(strings.Join(cfg.CORSAllowedOrigins, ","))
	}
	s.ReadOnlyFunction = newServiceFunction(stack, cfg, "ReadOnlyFunction",
		"SPEKE key provider, read-only: player keys, Clear Key licenses, key export",
		"SPEKE key provider read-only function: reads keys and the token secret, writes only its logs", roEnv, nil)
	for _, w := range written {
		s.Function.Node().AddDependency(w)
		s.ReadOnlyFunction.Node().AddDependency(w)
	}
	s.ReadOnlyFunction.Node().AddDependency(tokenWritten)

	// Grants limited to the selected store and to the calls the service
	// makes: DescribeTable is the startup check of the table's schema.
	// SPEKE: no Scan/Query/Delete, no secret writes. Read-only: reads.
	switch cfg.KeyStore {
	case KeyStoreDynamoDB:
		s.Table.Grant(s.Function, jsii.String("dynamodb:BatchGetItem"), jsii.String("dynamodb:GetItem"), jsii.String("dynamodb:PutItem"),
			jsii.String("dynamodb:DescribeTable"))
		s.KeyStoreKey.Grant(s.Function, jsii.String("kms:Decrypt"), jsii.String("kms:Encrypt"), jsii.String("kms:GenerateDataKey"), jsii.String("kms:DescribeKey"))
		s.Table.Grant(s.ReadOnlyFunction, jsii.String("dynamodb:BatchGetItem"), jsii.String("dynamodb:DescribeTable"))
		s.KeyStoreKey.Grant(s.ReadOnlyFunction, jsii.String("kms:Decrypt"))
	case KeyStoreSecretsManager:
		// GrantRead also grants kms:Decrypt on the secret's CMK, through
		// Secrets Manager only (kms:ViaService).
		s.Secret.GrantRead(s.Function, nil)
		s.Secret.GrantRead(s.ReadOnlyFunction, nil)
	}
	s.TokenSecret.GrantRead(s.ReadOnlyFunction, nil)

	s.MediaPackageRole = newEncryptorRole(stack, "MediaPackageRole",
		"Assumed by MediaPackage to call the SPEKE key provider",
		[]string{"mediapackage.amazonaws.com", "mediapackagev2.amazonaws.com"}, cfg.MediaPackageSourceArn)
	s.MediaConvertRole = newEncryptorRole(stack, "MediaConvertRole",
		"Assumed by MediaConvert to call the SPEKE key provider",
		[]string{"mediaconvert.amazonaws.com"}, cfg.MediaConvertSourceArn)
	s.LicenseServerRole = newLicenseServerRole(stack, cfg)

	encryptors := []*string{s.MediaPackageRole.RoleArn(), s.MediaConvertRole.RoleArn()}
	for _, a := range cfg.AllowedPrincipalArns {
		encryptors = append(encryptors, jsii.String(a))
	}
	var licenseServers []*string
	if s.LicenseServerRole != nil {
		licenseServers = []*string{s.LicenseServerRole.RoleArn()}
	}
	s.Api = newAPI(stack, cfg, s.Function, s.ReadOnlyFunction, encryptors, licenseServers)
	s.PlayerApi = newPlayerAPI(stack, cfg, s.ReadOnlyFunction, s.Api)

	// Stage URLs are built from the API ids, not taken from api.Url():
	// that URL depends on the stage, the stage on the methods, the methods
	// on the functions, so a function given the stage URL of an API it
	// serves would depend on itself. Both functions serve the SPEKE API;
	// built from ids, any URL can go to either function.
	stageURL := executeAPIURL(stack, s.Api, cfg.StageName)
	playersURL := executeAPIURL(stack, s.PlayerApi, cfg.StageName)
	signaled := playersURL
	if cfg.PlayerBaseURL != "" {
		signaled = jsii.String(cfg.PlayerBaseURL)
	}
	// What SPEKE answers signal: the key URI and the Clear Key license
	// URL live under the players' base URL.
	s.Function.AddEnvironment(jsii.String("PUBLIC_BASE_URL"), signaled, nil)

	// Each encryptor role may invoke exactly POST /copyProtection and GET
	// /heartbeat of this API, the license-server role exactly POST
	// /export. The policies are resources of their own so that the API
	// (whose resource policy names the roles) and the roles do not depend
	// on each other.
	encryptorRoutes := []*string{
		s.Api.ArnForExecuteApi(jsii.String("POST"), jsii.String("/"+SpekePath), jsii.String(cfg.StageName)),
		s.Api.ArnForExecuteApi(jsii.String("GET"), jsii.String("/"+HeartbeatPath), jsii.String(cfg.StageName)),
	}
	for _, r := range []awsiam.Role{s.MediaPackageRole, s.MediaConvertRole} {
		allowInvoke(stack, r, "InvokeSpeke", encryptorRoutes)
	}
	if s.LicenseServerRole != nil {
		allowInvoke(stack, s.LicenseServerRole, "InvokeExport",
			[]*string{s.Api.ArnForExecuteApi(jsii.String("POST"), jsii.String("/"+ExportPath), jsii.String(cfg.StageName))})
	}

	s.Alarms = newOperations(stack, cfg, s)
	suppressNag(s, cfg)

	out := func(id, desc string, v *string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Description: jsii.String(desc), Value: v})
	}
	out("SpekeEndpointUrl", "Paste into MediaPackage / MediaConvert SPEKE settings (URL)", joinStr(stageURL, "/"+SpekePath))
	out("MediaPackageRoleArn", "Paste into MediaPackage SPEKE settings (role ARN)", s.MediaPackageRole.RoleArn())
	out("MediaConvertRoleArn", "MediaConvert job role allowed to call the key provider (add S3 access for jobs)", s.MediaConvertRole.RoleArn())
	out("FunctionName", "The key provider Lambda function", s.Function.FunctionName())
	out("ReadOnlyFunctionName", "The read-only Lambda function (players, export)", s.ReadOnlyFunction.FunctionName())
	out("PlayerBaseUrl", "Base URL signaled to players (key URIs, Clear Key license URL)", signaled)
	if cfg.PlayerBaseURL != "" {
		out("PlayerApiUrl", "The players' API stage: the origin for your custom domain or CloudFront", playersURL)
	}
	out("PlaybackTokenSecretArn", "Secrets Manager secret with the HS256 playback-token key (base64); the entitlement service reads it", s.TokenSecret.SecretArn())
	out("PlaybackTokenKeyArn", "KMS key of the playback-token secret (the entitlement service needs kms:Decrypt on it)", s.TokenKey.KeyArn())
	if s.LicenseServerRole != nil {
		out("LicenseServerRoleArn", "Role a license server assumes to call POST /export", s.LicenseServerRole.RoleArn())
		out("ExportEndpointUrl", "CPIX key export for license servers (SigV4, the license-server role)", joinStr(stageURL, "/"+ExportPath))
	}
	if s.Table != nil {
		out("KeyTableName", "DynamoDB table holding content keys (contentId, kid)", s.Table.TableName())
	}
	if s.Secret != nil {
		out("SeedSecretArn", "Secrets Manager secret holding the HKDF seed", s.Secret.SecretArn())
	}
	return s
}

// withEnv returns a copy of env with k set to v.
func withEnv(env map[string]*string, k string, v *string) map[string]*string {
	out := make(map[string]*string, len(env)+1)
	for a, b := range env {
		out[a] = b
	}
	out[k] = v
	return out
}

func joinStr(parts ...any) *string {
	var ps []*string
	for _, p := range parts {
		switch x := p.(type) {
		case string:
			ps = append(ps, jsii.String(x))
		case *string:
			ps = append(ps, x)
		}
	}
	return awscdk.Fn_Join(jsii.String(""), &ps)
}

// executeAPIURL is the https URL of an API's stage.
func executeAPIURL(stack awscdk.Stack, api awsapigateway.RestApi, stage string) *string {
	return joinStr("https://", api.RestApiId(), ".execute-api.", stack.Region(), ".", stack.UrlSuffix(), "/"+stage)
}

// allowInvoke attaches to role a policy allowing execute-api:Invoke on
// exactly the given method ARNs.
func allowInvoke(stack awscdk.Stack, role awsiam.Role, suffix string, arns []*string) {
	awsiam.NewPolicy(stack, jsii.String(*role.Node().Id()+suffix), &awsiam.PolicyProps{
		Roles: &[]awsiam.IRole{role},
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Effect:    awsiam.Effect_ALLOW,
			Actions:   jsii.Strings("execute-api:Invoke"),
			Resources: &arns,
		})},
	})
}

// retainedLogs is a log group with the configured retention, kept when the
// stack is deleted (it is the record of who got which keys).
func retainedLogs(stack awscdk.Stack, cfg Config, id string) awslogs.LogGroup {
	return awslogs.NewLogGroup(stack, jsii.String(id), &awslogs.LogGroupProps{
		Retention:     retentionDays[cfg.LogRetentionDays],
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
}

// newServiceFunction is one Lambda function running the service binary
// (the same asset for every function; SERVE in env selects the routes),
// with a role and a log group of its own.
func newServiceFunction(stack awscdk.Stack, cfg Config, id, desc, roleDesc string, env map[string]*string, reservedConcurrency *float64) awslambda.Function {
	logs := retainedLogs(stack, cfg, id+"Logs")
	// A role of our own instead of the default one: the default attaches
	// the AWS-managed AWSLambdaBasicExecutionRole, whose Resource is "*".
	role := awsiam.NewRole(stack, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String(roleDesc),
	})
	logs.GrantWrite(role)
	return awslambda.NewFunction(stack, jsii.String(id), &awslambda.FunctionProps{
		Description:  jsii.String(desc),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(mustBootstrapDir(cfg.BootstrapDir)), nil),
		// Requests are a few KB and at most a few RSA-OAEP wraps; 256 MB
		// buys arm64 CPU share for those, well above the parser's caps.
		MemorySize: jsii.Number(256),
		// Far inside API Gateway's 29 s, so the service's own deadlines
		// (and the SDK's bounded retries) decide, not a gateway 504.
		Timeout:       awscdk.Duration_Seconds(jsii.Number(10)),
		Role:          role,
		LogGroup:      logs,
		LoggingFormat: awslambda.LoggingFormat_JSON,
		Environment:   &env,
		// Unset by default: the stage throttle already bounds the load,
		// and reserving fails deploys in accounts with a low quota.
		ReservedConcurrentExecutions: reservedConcurrency,
	})
}

func reserved(n int) *float64 {
	if n <= 0 {
		return nil
	}
	return jsii.Number(float64(n))
}

// mustBootstrapDir returns dir if it holds a `bootstrap` file. Deploying an
// asset without it would give a function that fails every invocation, so
// synthesis stops here with the command that fixes it.
func mustBootstrapDir(dir string) string {
	if fi, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil || fi.IsDir() {
		panic(fmt.Sprintf("no Lambda binary at %s: run `make bootstrap` (or set BOOTSTRAP_DIR / -c bootstrapDir)",
			filepath.Join(dir, "bootstrap")))
	}
	return dir
}

// newTable creates the key table with the contract from the key sources
// issue: partition key contentId, sort key kid (both strings).
func newTable(stack awscdk.Stack, key awskms.Key) awsdynamodb.Table {
	return awsdynamodb.NewTable(stack, jsii.String("KeyTable"), &awsdynamodb.TableProps{
		PartitionKey:  &awsdynamodb.Attribute{Name: jsii.String("contentId"), Type: awsdynamodb.AttributeType_STRING},
		SortKey:       &awsdynamodb.Attribute{Name: jsii.String("kid"), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:   awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Encryption:    awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey: key,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		DeletionProtection: jsii.Bool(true),
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
	})
}

// secretWriter is the one-shot custom-resource function (seedsecret.js)
// that writes a random value into each secret the stack creates empty
// (CloudFormation allows a secret with neither SecretString nor
// GenerateSecretString), at first deploy only.
type secretWriter struct {
	fn   awslambda.Function
	role awsiam.Role
}

func newSecretWriter(stack awscdk.Stack, days int) *secretWriter {
	logs := awslogs.NewLogGroup(stack, jsii.String("SeedWriterLogs"), &awslogs.LogGroupProps{
		Retention:     retentionDays[days],
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	role := awsiam.NewRole(stack, jsii.String("SeedWriterRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Writes the SPEKE key provider's secrets once at first deploy"),
	})
	logs.GrantWrite(role)
	fn := awslambda.NewFunction(stack, jsii.String("SeedWriter"), &awslambda.FunctionProps{
		Description: jsii.String("Writes the SPEKE key provider's random secrets once (custom resource)"),
		Runtime:     awslambda.Runtime_NODEJS_24_X(),
		Handler:     jsii.String("index.handler"),
		Code:        awslambda.Code_FromInline(jsii.String(seedSecretJS)),
		MemorySize:  jsii.Number(128),
		Timeout:     awscdk.Duration_Seconds(jsii.Number(60)),
		Role:        role,
		LogGroup:    logs,
	})
	return &secretWriter{fn: fn, role: role}
}

// secret creates a secret encrypted with key, retained on delete, and the
// custom resource (crID, of type crType) that fills it once. format is the
// writer's Format ("" for the HKDF seed JSON, "base64-32" for a bare key).
func (w *secretWriter) secret(stack awscdk.Stack, id, crID, crType, desc string, key awskms.Key, format string) (awssecretsmanager.Secret, awscdk.CustomResource) {
	secret := awssecretsmanager.NewSecret(stack, jsii.String(id), &awssecretsmanager.SecretProps{
		Description:   jsii.String(desc),
		EncryptionKey: key,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	secret.Node().DefaultChild().(awssecretsmanager.CfnSecret).AddPropertyDeletionOverride(jsii.String("GenerateSecretString"))
	w.role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("secretsmanager:DescribeSecret", "secretsmanager:PutSecretValue"),
		Resources: &[]*string{secret.SecretArn()},
	}))
	// PutSecretValue with a CMK needs both, per Secrets Manager's docs.
	key.Grant(w.role, jsii.String("kms:GenerateDataKey"), jsii.String("kms:Decrypt"))

	props := map[string]any{"SecretId": secret.SecretArn()}
	if format != "" {
		props["Format"] = format
	}
	cr := awscdk.NewCustomResource(stack, jsii.String(crID), &awscdk.CustomResourceProps{
		ServiceToken:  w.fn.FunctionArn(),
		ResourceType:  jsii.String(crType),
		Properties:    &props,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	// The grants must exist before the writer runs.
	cr.Node().AddDependency(w.role)
	return secret, cr
}

// newEncryptorRole is a role one AWS media service assumes to sign SPEKE
// calls. The trust is pinned to this account (aws:SourceAccount) and,
// optionally, to one source resource (aws:SourceArn), against the
// confused-deputy problem.
func newEncryptorRole(stack awscdk.Stack, id, desc string, services []string, sourceArn string) awsiam.Role {
	cond := map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()}}
	if sourceArn != "" {
		cond["ArnLike"] = map[string]any{"aws:SourceArn": sourceArn}
	}
	var principals []awsiam.IPrincipal
	for _, svc := range services {
		principals = append(principals, awsiam.NewServicePrincipal(jsii.String(svc), nil))
	}
	return awsiam.NewRole(stack, jsii.String(id), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewPrincipalWithConditions(awsiam.NewCompositePrincipal(principals...), &cond),
		Description: jsii.String(desc),
		// Signing a SPEKE call takes milliseconds; the minimum session is
		// plenty and limits the life of leaked credentials.
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
	})
}

// accessLogFormat names identifiers and timings only: no body, no header
// values, no query string.
const accessLogFormat = `{"requestId":"$context.requestId","extendedRequestId":"$context.extendedRequestId",` +
	`"requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath",` +
	`"status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength",` +
	`"responseLatency":"$context.responseLatency","integrationLatency":"$context.integrationLatency",` +
	`"integrationStatus":"$context.integrationStatus","sourceIp":"$context.identity.sourceIp",` +
	`"callerArn":"$context.identity.userArn","accountId":"$context.identity.accountId",` +
	`"errorMessage":"$context.error.message","authorizeError":"$context.authorize.error",` +
	`"wafError":"$context.waf.error"}`

// stageOptions are the settings both APIs' stages share: throttling, and
// logs that can never hold a body. Full request/response logging would
// write content keys to CloudWatch; execution logs at ERROR carry none.
func stageOptions(cfg Config, logs awslogs.LogGroup, rate, burst float64) *awsapigateway.StageOptions {
	return &awsapigateway.StageOptions{
		StageName:            jsii.String(cfg.StageName),
		ThrottlingRateLimit:  jsii.Number(rate),
		ThrottlingBurstLimit: jsii.Number(burst),
		DataTraceEnabled:     jsii.Bool(false),
		LoggingLevel:         awsapigateway.MethodLoggingLevel_ERROR,
		MetricsEnabled:       jsii.Bool(true),
		AccessLogDestination: awsapigateway.NewLogGroupLogDestination(logs),
		AccessLogFormat:      awsapigateway.AccessLogFormat_Custom(jsii.String(accessLogFormat)),
	}
}

// lambdaIntegration proxies to fn. No console test-invoke permission: the
// only caller is the API.
func lambdaIntegration(fn awslambda.Function) awsapigateway.LambdaIntegration {
	return awsapigateway.NewLambdaIntegration(fn, &awsapigateway.LambdaIntegrationOptions{
		Proxy:           jsii.Bool(true),
		AllowTestInvoke: jsii.Bool(false),
	})
}

// executeAPIResource is a method's resource in an API resource policy.
func executeAPIResource(stage, method, path string) string {
	return "execute-api:/" + stage + "/" + method + "/" + path
}

// newAPI is the SigV4 API: the encryptors' routes served by fn, the export
// served by the read-only function ro. encryptors and licenseServers are
// the principal ARNs allowed on each (licenseServers may be empty).
func newAPI(stack awscdk.Stack, cfg Config, fn, ro awslambda.Function, encryptors, licenseServers []*string) awsapigateway.RestApi {
	// Resource policy: Allow each list on its methods, Deny everything on
	// the API to any principal on neither list, and Deny each group of
	// methods to principals not on its own list. IAM authorization alone
	// would let any same-account identity with an execute-api:Invoke
	// identity policy (an administrator, an extra encryptor role with
	// execute-api:*) pull keys, or an encryptor export them.
	encRoutes := jsii.Strings(executeAPIResource(cfg.StageName, "POST", SpekePath), executeAPIResource(cfg.StageName, "GET", HeartbeatPath))
	exportRoute := jsii.Strings(executeAPIResource(cfg.StageName, "POST", ExportPath))
	anyone := &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()}
	notIn := func(arns []*string) *map[string]any {
		return &map[string]any{"ArnNotLike": map[string]any{"aws:PrincipalArn": arns}}
	}
	invoke := jsii.Strings("execute-api:Invoke")
	stmts := []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("AllowListedEncryptors"), Effect: awsiam.Effect_ALLOW,
			Principals: arnPrincipals(encryptors), Actions: invoke, Resources: encRoutes,
		}),
	}
	exportDeny := &awsiam.PolicyStatementProps{
		Sid: jsii.String("DenyExportToOthers"), Effect: awsiam.Effect_DENY,
		Principals: anyone, Actions: invoke, Resources: exportRoute,
	}
	if len(licenseServers) > 0 {
		stmts = append(stmts, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("AllowLicenseServers"), Effect: awsiam.Effect_ALLOW,
			Principals: arnPrincipals(licenseServers), Actions: invoke, Resources: exportRoute,
		}))
		exportDeny.Conditions = notIn(licenseServers)
	}
	stmts = append(stmts,
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("DenyEveryoneElse"), Effect: awsiam.Effect_DENY,
			Principals: anyone, Actions: invoke, Resources: jsii.Strings("execute-api:/*"),
			Conditions: notIn(append(append([]*string{}, encryptors...), licenseServers...)),
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("DenyEncryptorRoutesToOthers"), Effect: awsiam.Effect_DENY,
			Principals: anyone, Actions: invoke, Resources: encRoutes, Conditions: notIn(encryptors),
		}),
		awsiam.NewPolicyStatement(exportDeny),
	)

	accessLogs := retainedLogs(stack, cfg, "ApiAccessLogs")
	api := awsapigateway.NewRestApi(stack, jsii.String("Api"), &awsapigateway.RestApiProps{
		Description:                 jsii.String("SPEKE key provider and key export (SigV4 only)"),
		EndpointTypes:               &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		Policy:                      awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &stmts}),
		CloudWatchRole:              jsii.Bool(cfg.APIGatewayCloudWatchRole),
		CloudWatchRoleRemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		DeployOptions:               stageOptions(cfg, accessLogs, cfg.ThrottleRate, cfg.ThrottleBurst),
	})
	iam := &awsapigateway.MethodOptions{AuthorizationType: awsapigateway.AuthorizationType_IAM}
	speke := lambdaIntegration(fn)
	api.Root().AddResource(jsii.String(SpekePath), nil).AddMethod(jsii.String("POST"), speke, iam)
	api.Root().AddResource(jsii.String(HeartbeatPath), nil).AddMethod(jsii.String("GET"), speke, iam)
	api.Root().AddResource(jsii.String(ExportPath), nil).AddMethod(jsii.String("POST"), lambdaIntegration(ro), iam)
	return api
}

// newPlayerAPI is the players' API: unsigned routes, each request carrying
// a playback token that the read-only function checks. The account-level
// CloudWatch role comes from spekeAPI (there is one per account and
// Region), so this stage waits for it.
func newPlayerAPI(stack awscdk.Stack, cfg Config, ro awslambda.Function, spekeAPI awsapigateway.RestApi) awsapigateway.RestApi {
	accessLogs := retainedLogs(stack, cfg, "PlayerApiAccessLogs")
	api := awsapigateway.NewRestApi(stack, jsii.String("PlayerApi"), &awsapigateway.RestApiProps{
		Description:    jsii.String("SPEKE key provider for players: key URIs and Clear Key licenses (playback tokens)"),
		EndpointTypes:  &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		CloudWatchRole: jsii.Bool(false),
		DeployOptions:  stageOptions(cfg, accessLogs, cfg.PlayerThrottleRate, cfg.PlayerThrottleBurst),
	})
	if account := spekeAPI.Node().TryFindChild(jsii.String("Account")); account != nil {
		api.DeploymentStage().Node().AddDependency(account)
	}
	integ := lambdaIntegration(ro)
	open := &awsapigateway.MethodOptions{AuthorizationType: awsapigateway.AuthorizationType_NONE}
	// A slice, not a map: the deployment's logical ID hashes the methods
	// in creation order, and a random order would redeploy on every synth.
	for _, r := range []struct {
		path    string
		methods []string
	}{
		{PlayerKeyPath, []string{"GET", "OPTIONS"}},
		{ClearKeyLicensePath, []string{"POST", "OPTIONS"}},
	} {
		res := api.Root().ResourceForPath(jsii.String(r.path))
		for _, m := range r.methods {
			res.AddMethod(jsii.String(m), integ, open)
		}
	}
	// API Gateway's own refusals (429 throttling, 403 for an unknown path)
	// carry no CORS header, so a browser would report them as a CORS
	// failure instead of the status. With the default "any origin" policy
	// they get the same header the function sends; with an origin list
	// they stay as they are (a gateway response cannot match the list).
	if corsAnyOrigin(cfg.CORSAllowedOrigins) {
		for _, t := range []awsapigateway.ResponseType{awsapigateway.ResponseType_DEFAULT_4XX(), awsapigateway.ResponseType_DEFAULT_5XX()} {
			api.AddGatewayResponse(jsii.String("Cors"+*t.ResponseType()), &awsapigateway.GatewayResponseOptions{
				Type:            t,
				ResponseHeaders: &map[string]*string{"Access-Control-Allow-Origin": jsii.String("'*'")},
			})
		}
	}
	return api
}

// corsAnyOrigin reports whether the service allows every origin (its
// default when CORS_ALLOWED_ORIGINS is unset).
func corsAnyOrigin(origins []string) bool {
	return len(origins) == 0 || slices.Contains(origins, "*")
}

// newLicenseServerRole is the role license servers assume to call POST
// /export, trusted by the configured principals; nil when none are.
// Account and role principals must present the external ID when one is
// configured. Service principals get no condition: not every service sends
// aws:SourceAccount when it assumes a role, and handing this role to a
// service already takes iam:PassRole in this account.
func newLicenseServerRole(stack awscdk.Stack, cfg Config) awsiam.Role {
	if len(cfg.LicenseServerPrincipals) == 0 {
		return nil
	}
	var principals []awsiam.IPrincipal
	for _, p := range cfg.LicenseServerPrincipals {
		var pr awsiam.IPrincipal
		switch licenseServerKind(p) {
		case principalAccount:
			pr = awsiam.NewAccountPrincipal(jsii.String(p))
		case principalRole:
			pr = awsiam.NewArnPrincipal(jsii.String(p))
		case principalService:
			principals = append(principals, awsiam.NewServicePrincipal(jsii.String(p), nil))
			continue
		}
		if cfg.LicenseServerExternalID != "" {
			pr = awsiam.NewPrincipalWithConditions(pr, &map[string]any{
				"StringEquals": map[string]any{"sts:ExternalId": cfg.LicenseServerExternalID},
			})
		}
		principals = append(principals, pr)
	}
	return awsiam.NewRole(stack, jsii.String("LicenseServerRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewCompositePrincipal(principals...),
		Description: jsii.String("Assumed by license servers to call the SPEKE key provider's POST /export"),
		// An export takes milliseconds; the minimum session limits the
		// life of leaked credentials.
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
	})
}

func arnPrincipals(arns []*string) *[]awsiam.IPrincipal {
	out := make([]awsiam.IPrincipal, len(arns))
	for i, a := range arns {
		out[i] = awsiam.NewArnPrincipal(a)
	}
	return &out
}

// ExportedKeysMetric is the metric the service emits (CloudWatch embedded
// metric format, no dimensions) with the number of keys each export
// returned; the dashboard graphs it.
const (
	metricNamespace    = "SpekeKeyProvider"
	ExportedKeysMetric = "ExportedKeys"
)

// newOperations adds the alarms and the dashboard. Missing data is "not
// breaching": an idle key provider is healthy.
func newOperations(stack awscdk.Stack, cfg Config, s *KeyProviderStack) []awscloudwatch.Alarm {
	api, fn, players, ro := s.Api, s.Function, s.PlayerApi, s.ReadOnlyFunction
	five := awscdk.Duration_Minutes(jsii.Number(5))
	sum := &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")}
	p99 := &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("p99")}

	type alarmSpec struct {
		id, desc  string
		metric    awscloudwatch.IMetric
		threshold float64
	}
	specs := []alarmSpec{
		{"Api5xxAlarm", "SPEKE API returned 5xx (encryptors retry, but keys were not served)", api.MetricServerError(sum), 1},
		// 403 (a principal not allowed or a bad signature) and 429 (stage
		// throttling) both land here: each means an encryptor is failing.
		{"Api4xxAlarm", "SPEKE API returned 4xx (auth denials, throttling or bad requests)", api.MetricClientError(sum), 5},
		{"ApiLatencyP99Alarm", "SPEKE API p99 latency above 3 s", api.MetricLatency(p99), 3000},
		{"FunctionErrorsAlarm", "Key provider function errors", fn.MetricErrors(sum), 1},
		{"FunctionThrottlesAlarm", "Key provider function throttled (concurrency exhausted)", fn.MetricThrottles(sum), 1},
		// No 4xx alarm on the players' API: expired and foreign tokens
		// are the normal life of a public endpoint.
		{"PlayerApi5xxAlarm", "Players' API returned 5xx (viewers got no key or license)", players.MetricServerError(sum), 1},
		{"ReadOnlyFunctionErrorsAlarm", "Read-only function errors (players, export)", ro.MetricErrors(sum), 1},
		{"ReadOnlyFunctionThrottlesAlarm", "Read-only function throttled (concurrency exhausted)", ro.MetricThrottles(sum), 1},
	}
	var topic awssns.Topic
	if cfg.AlarmEmail != "" {
		topic = newAlarmTopic(stack, cfg.AlarmEmail)
	}
	var alarms []awscloudwatch.Alarm
	for _, sp := range specs {
		a := awscloudwatch.NewAlarm(stack, jsii.String(sp.id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(sp.desc),
			Metric:             sp.metric,
			Threshold:          jsii.Number(sp.threshold),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		if topic != nil {
			a.AddAlarmAction(awscloudwatchactions.NewSnsAction(topic))
		}
		alarms = append(alarms, a)
	}

	dash := awscloudwatch.NewDashboard(stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: stack.StackName(),
	})
	graph := func(title string, left ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Left: &left, Width: jsii.Number(8)})
	}
	functionGraph := func(title string, f awslambda.Function) awscloudwatch.IWidget {
		return graph(title, f.MetricErrors(sum), f.MetricThrottles(sum),
			f.Metric(jsii.String("ConcurrentExecutions"), &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")}))
	}
	dash.AddWidgets(
		graph("Requests and errors", api.MetricCount(sum), api.MetricClientError(sum), api.MetricServerError(sum)),
		graph("Latency (ms)", api.MetricLatency(p99), api.MetricIntegrationLatency(p99),
			api.MetricLatency(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("p50")})),
		functionGraph("Function", fn),
	)
	dash.AddWidgets(
		graph("Players: requests and errors", players.MetricCount(sum), players.MetricClientError(sum), players.MetricServerError(sum)),
		functionGraph("Read-only function", ro),
		graph("Exported keys", awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(metricNamespace), MetricName: jsii.String(ExportedKeysMetric),
			Period: five, Statistic: jsii.String("Sum"),
		})),
	)
	return alarms
}

// newAlarmTopic is an SSE-KMS, TLS-only topic. Its key is separate from the
// key store's: CloudWatch must be allowed to use it, and that grant must
// not extend to the content keys.
func newAlarmTopic(stack awscdk.Stack, email string) awssns.Topic {
	key := awskms.NewKey(stack, jsii.String("AlarmTopicKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the SPEKE key provider's alarm topic"),
		EnableKeyRotation: jsii.Bool(true),
	})
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		// In a key policy "*" means this key.
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()}},
	}), nil)
	topic := awssns.NewTopic(stack, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("SPEKE key provider alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(email), nil))
	return topic
}
