package main

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"

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

// SpekePath is the one resource the API exposes; the media services call
// it with POST.
const SpekePath = "copyProtection"

// KeyProviderStackProps configures NewKeyProviderStack.
type KeyProviderStackProps struct {
	awscdk.StackProps
	Config Config
}

// KeyProviderStack exposes the constructs tests and outputs refer to.
type KeyProviderStack struct {
	awscdk.Stack
	Function         awslambda.Function
	Api              awsapigateway.RestApi
	MediaPackageRole awsiam.Role
	MediaConvertRole awsiam.Role
	Table            awsdynamodb.Table        // nil unless KeyStore is dynamodb
	Secret           awssecretsmanager.Secret // nil unless KeyStore is secretsmanager
	KeyStoreKey      awskms.Key
	Alarms           []awscloudwatch.Alarm
}

//go:embed seedsecret.js
var seedSecretJS string

// NewKeyProviderStack builds the SPEKE key provider: an IAM-only REST API in
// front of the Lambda, the roles the encryptors assume, one key store, and
// the alarms. It panics (through CDK) on invalid configuration, so callers
// validate Config first.
//
// # Threat model
//
// Only the listed principals can reach POST /copyProtection: the method
// requires SigV4 (AWS_IAM), and the API's resource policy denies
// execute-api:Invoke to every principal whose ARN is not on the list, so an
// administrator's identity policy with execute-api:* cannot fetch keys in
// the same account. No log the stack configures can contain a request or
// response body (no data trace, access logs without $input/$body, the
// function logs identifiers only). The key store is retained on stack
// deletion, because deleting it changes or loses every key ever issued.
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

	env := map[string]*string{
		"KEY_SOURCE": jsii.String(cfg.KeyStore),
		// Declared empty (the service reads that as unset) only so that
		// `sam local invoke --env-vars` can set it: SAM overrides only the
		// variables the template declares. Deployed, it changes nothing:
		// the key store above is used, and KEY_SOURCE=local under Lambda
		// still refuses to start without a real DATA_DIR.
		"DATA_DIR": jsii.String(""),
	}
	var seedWritten awscdk.CustomResource
	switch cfg.KeyStore {
	case KeyStoreDynamoDB:
		s.Table = newTable(stack, s.KeyStoreKey)
		env["TABLE_NAME"] = s.Table.TableName()
	case KeyStoreSecretsManager:
		s.Secret, seedWritten = newSeedSecret(stack, s.KeyStoreKey, cfg.LogRetentionDays)
		// The ARN, never the value, goes into the environment.
		env["SECRET_ID"] = s.Secret.SecretArn()
	}

	fnLogs := awslogs.NewLogGroup(stack, jsii.String("FunctionLogs"), &awslogs.LogGroupProps{
		Retention:     retentionDays[cfg.LogRetentionDays],
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	// A role of our own instead of the default one: the default attaches
	// the AWS-managed AWSLambdaBasicExecutionRole, whose Resource is "*".
	fnRole := awsiam.NewRole(stack, jsii.String("FunctionRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("SPEKE key provider function: its logs and its key store only"),
	})
	fnLogs.GrantWrite(fnRole)

	fn := awslambda.NewFunction(stack, jsii.String("Function"), &awslambda.FunctionProps{
		Description:  jsii.String("SPEKE v2 key provider (CPIX over API Gateway)"),
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
		Role:          fnRole,
		LogGroup:      fnLogs,
		LoggingFormat: awslambda.LoggingFormat_JSON,
		Environment:   &env,
		// Unset by default: the stage throttle already bounds the load,
		// and reserving fails deploys in accounts with a low quota.
		ReservedConcurrentExecutions: reserved(cfg.ReservedConcurrency),
	})
	s.Function = fn
	if seedWritten != nil {
		// No function, hence no key request, before the seed exists.
		fn.Node().AddDependency(seedWritten)
	}

	// Grants limited to the selected store and to the calls the service
	// makes: no Scan/Query/Delete, no secret writes.
	switch cfg.KeyStore {
	case KeyStoreDynamoDB:
		s.Table.Grant(fn, jsii.String("dynamodb:BatchGetItem"), jsii.String("dynamodb:GetItem"), jsii.String("dynamodb:PutItem"))
		s.KeyStoreKey.Grant(fn, jsii.String("kms:Decrypt"), jsii.String("kms:Encrypt"), jsii.String("kms:GenerateDataKey"), jsii.String("kms:DescribeKey"))
	case KeyStoreSecretsManager:
		// GrantRead also grants kms:Decrypt on the secret's CMK, through
		// Secrets Manager only (kms:ViaService).
		s.Secret.GrantRead(fn, nil)
	}

	s.MediaPackageRole = newEncryptorRole(stack, "MediaPackageRole",
		"Assumed by MediaPackage to call the SPEKE key provider",
		[]string{"mediapackage.amazonaws.com", "mediapackagev2.amazonaws.com"}, cfg.MediaPackageSourceArn)
	s.MediaConvertRole = newEncryptorRole(stack, "MediaConvertRole",
		"Assumed by MediaConvert to call the SPEKE key provider",
		[]string{"mediaconvert.amazonaws.com"}, cfg.MediaConvertSourceArn)

	allowed := []*string{s.MediaPackageRole.RoleArn(), s.MediaConvertRole.RoleArn()}
	for _, a := range cfg.AllowedPrincipalArns {
		allowed = append(allowed, jsii.String(a))
	}
	s.Api = newAPI(stack, cfg, fn, allowed)

	// The stage URL is built from the API id, not taken from api.Url():
	// the URL depends on the stage, the stage on the methods, the methods
	// on the function, and the function would then depend on itself.
	stageURL := awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("https://"), s.Api.RestApiId(), jsii.String(".execute-api."),
		stack.Region(), jsii.String("."), stack.UrlSuffix(), jsii.String("/"), jsii.String(cfg.StageName),
	})
	fn.AddEnvironment(jsii.String("PUBLIC_BASE_URL"), stageURL, nil)

	// Each role may invoke exactly POST /copyProtection of this API. The
	// policy is its own resource so that the API (whose resource policy
	// names the roles) and the roles do not depend on each other.
	invokeArn := s.Api.ArnForExecuteApi(jsii.String("POST"), jsii.String("/"+SpekePath), jsii.String(cfg.StageName))
	for _, r := range []awsiam.Role{s.MediaPackageRole, s.MediaConvertRole} {
		awsiam.NewPolicy(stack, jsii.String(*r.Node().Id()+"InvokeSpeke"), &awsiam.PolicyProps{
			Roles: &[]awsiam.IRole{r},
			Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Effect:    awsiam.Effect_ALLOW,
				Actions:   jsii.Strings("execute-api:Invoke"),
				Resources: &[]*string{invokeArn},
			})},
		})
	}

	s.Alarms = newOperations(stack, cfg, s.Api, fn)
	suppressNag(s, cfg)

	out := func(id, desc string, v *string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Description: jsii.String(desc), Value: v})
	}
	out("SpekeEndpointUrl", "Paste into MediaPackage / MediaConvert SPEKE settings (URL)",
		awscdk.Fn_Join(jsii.String(""), &[]*string{stageURL, jsii.String("/" + SpekePath)}))
	out("MediaPackageRoleArn", "Paste into MediaPackage SPEKE settings (role ARN)", s.MediaPackageRole.RoleArn())
	out("MediaConvertRoleArn", "MediaConvert job role allowed to call the key provider (add S3 access for jobs)", s.MediaConvertRole.RoleArn())
	out("FunctionName", "The key provider Lambda function", fn.FunctionName())
	if s.Table != nil {
		out("KeyTableName", "DynamoDB table holding content keys (contentId, kid)", s.Table.TableName())
	}
	if s.Secret != nil {
		out("SeedSecretArn", "Secrets Manager secret holding the HKDF seed", s.Secret.SecretArn())
	}
	return s
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

// newSeedSecret creates an empty secret (CloudFormation allows a secret
// with neither SecretString nor GenerateSecretString) and a one-shot custom
// resource that writes {"seed":"<base64 of 32 random bytes>",
// "algorithm":"hkdf-sha256"} into it at first deploy; see seedsecret.js.
func newSeedSecret(stack awscdk.Stack, key awskms.Key, days int) (awssecretsmanager.Secret, awscdk.CustomResource) {
	secret := awssecretsmanager.NewSecret(stack, jsii.String("SeedSecret"), &awssecretsmanager.SecretProps{
		Description:   jsii.String("HKDF seed of the SPEKE key provider. Never rotate or edit: every content key derives from it."),
		EncryptionKey: key,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	secret.Node().DefaultChild().(awssecretsmanager.CfnSecret).AddPropertyDeletionOverride(jsii.String("GenerateSecretString"))

	logs := awslogs.NewLogGroup(stack, jsii.String("SeedWriterLogs"), &awslogs.LogGroupProps{
		Retention:     retentionDays[days],
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	role := awsiam.NewRole(stack, jsii.String("SeedWriterRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Writes the SPEKE seed secret once at first deploy"),
	})
	logs.GrantWrite(role)
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("secretsmanager:DescribeSecret", "secretsmanager:PutSecretValue"),
		Resources: &[]*string{secret.SecretArn()},
	}))
	// PutSecretValue with a CMK needs both, per Secrets Manager's docs.
	key.Grant(role, jsii.String("kms:GenerateDataKey"), jsii.String("kms:Decrypt"))

	writer := awslambda.NewFunction(stack, jsii.String("SeedWriter"), &awslambda.FunctionProps{
		Description: jsii.String("Writes the SPEKE HKDF seed into its secret once (custom resource)"),
		Runtime:     awslambda.Runtime_NODEJS_24_X(),
		Handler:     jsii.String("index.handler"),
		Code:        awslambda.Code_FromInline(jsii.String(seedSecretJS)),
		MemorySize:  jsii.Number(128),
		Timeout:     awscdk.Duration_Seconds(jsii.Number(60)),
		Role:        role,
		LogGroup:    logs,
	})
	cr := awscdk.NewCustomResource(stack, jsii.String("SeedSecretValue"), &awscdk.CustomResourceProps{
		ServiceToken:  writer.FunctionArn(),
		ResourceType:  jsii.String("Custom::SpekeSeed"),
		Properties:    &map[string]any{"SecretId": secret.SecretArn()},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	// The grants must exist before the writer runs.
	cr.Node().AddDependency(role)
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

func newAPI(stack awscdk.Stack, cfg Config, fn awslambda.Function, allowed []*string) awsapigateway.RestApi {
	// Resource policy: Allow the listed principals on the one method, and
	// Deny everything on the API to any principal not on the list. IAM
	// authorization alone would let any same-account identity with an
	// execute-api:Invoke identity policy (an administrator) pull keys.
	policy := awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("AllowListedEncryptors"),
				Effect:     awsiam.Effect_ALLOW,
				Principals: arnPrincipals(allowed),
				Actions:    jsii.Strings("execute-api:Invoke"),
				Resources:  jsii.Strings("execute-api:/" + cfg.StageName + "/POST/" + SpekePath),
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("DenyEveryoneElse"),
				Effect:     awsiam.Effect_DENY,
				Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
				Actions:    jsii.Strings("execute-api:Invoke"),
				Resources:  jsii.Strings("execute-api:/*"),
				Conditions: &map[string]any{"ArnNotLike": map[string]any{"aws:PrincipalArn": allowed}},
			}),
		},
	})

	accessLogs := awslogs.NewLogGroup(stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention:     retentionDays[cfg.LogRetentionDays],
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	api := awsapigateway.NewRestApi(stack, jsii.String("Api"), &awsapigateway.RestApiProps{
		Description:                 jsii.String("SPEKE v2 key provider (SigV4 only)"),
		EndpointTypes:               &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		Policy:                      policy,
		CloudWatchRole:              jsii.Bool(cfg.APIGatewayCloudWatchRole),
		CloudWatchRoleRemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String(cfg.StageName),
			ThrottlingRateLimit:  jsii.Number(cfg.ThrottleRate),
			ThrottlingBurstLimit: jsii.Number(cfg.ThrottleBurst),
			// Full request/response logging would write content keys to
			// CloudWatch. Execution logs at ERROR carry no bodies.
			DataTraceEnabled:     jsii.Bool(false),
			LoggingLevel:         awsapigateway.MethodLoggingLevel_ERROR,
			MetricsEnabled:       jsii.Bool(true),
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(accessLogs),
			AccessLogFormat:      awsapigateway.AccessLogFormat_Custom(jsii.String(accessLogFormat)),
		},
	})
	integration := awsapigateway.NewLambdaIntegration(fn, &awsapigateway.LambdaIntegrationOptions{
		Proxy: jsii.Bool(true),
		// No console test-invoke permission: the only caller is the API.
		AllowTestInvoke: jsii.Bool(false),
	})
	api.Root().AddResource(jsii.String(SpekePath), nil).AddMethod(jsii.String("POST"), integration, &awsapigateway.MethodOptions{
		AuthorizationType: awsapigateway.AuthorizationType_IAM,
	})
	return api
}

func arnPrincipals(arns []*string) *[]awsiam.IPrincipal {
	out := make([]awsiam.IPrincipal, len(arns))
	for i, a := range arns {
		out[i] = awsiam.NewArnPrincipal(a)
	}
	return &out
}

// newOperations adds the alarms and the dashboard. Missing data is "not
// breaching": an idle key provider is healthy.
func newOperations(stack awscdk.Stack, cfg Config, api awsapigateway.RestApi, fn awslambda.Function) []awscloudwatch.Alarm {
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
	dash.AddWidgets(
		graph("Requests and errors", api.MetricCount(sum), api.MetricClientError(sum), api.MetricServerError(sum)),
		graph("Latency (ms)", api.MetricLatency(p99), api.MetricIntegrationLatency(p99),
			api.MetricLatency(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("p50")})),
		graph("Function", fn.MetricErrors(sum), fn.MetricThrottles(sum),
			fn.Metric(jsii.String("ConcurrentExecutions"), &awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Maximum")})),
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
