package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// suppressNag records, on the exact construct concerned, every AwsSolutions
// finding we accept and why. Anything not listed here fails synthesis
// tests (stack_test.go) and shows up at `cdk deploy`.
func suppressNag(s *KeyProviderStack, cfg Config) {
	api := s.Api
	suppressAPI(api,
		"The only body is CPIX XML; API Gateway request validation understands JSON Schema models only. "+
			"The service validates the XML strictly (size, depth, namespaces, UUIDs) and answers 4xx.",
		"No WAF by default: every request must carry a SigV4 signature of a listed role (AWS_IAM plus a resource-policy Deny "+
			"for all other principals) and the stage is throttled, so anonymous traffic never reaches the function. "+
			"Operators who want WAF can associate a web ACL with the stage.")
	for _, m := range [][2]string{{SpekePath, "POST"}, {HeartbeatPath, "GET"}, {ExportPath, "POST"}} {
		suppress(method(api, m[0], m[1]),
			"AwsSolutions-COG4",
			"Callers are AWS services (MediaPackage, MediaConvert) and license servers that sign with SigV4 using an IAM role; "+
				"the method uses AWS_IAM authorization, and Cognito user pools cannot authenticate them.")
	}

	players := s.PlayerApi
	suppressAPI(players,
		"The service validates every path parameter and the Clear Key license body itself and answers 400 with CORS headers; "+
			"an API Gateway validator's 400 carries none, so a browser would see a CORS failure instead of the status.",
		"No WAF by default: the routes are public by design (browsers and players cannot sign requests), every request needs "+
			"a valid HS256 playback token checked by the function before any key lookup, the stage is throttled "+
			"(playerThrottleRate/playerThrottleBurst) and the function can only read keys. Operators who want WAF "+
			"(rate-based rules per IP, geo rules) can associate a web ACL with the stage.")
	for _, m := range [][2]string{{PlayerKeyPath, "GET"}, {PlayerKeyPath, "OPTIONS"}, {ClearKeyLicensePath, "POST"}, {ClearKeyLicensePath, "OPTIONS"}} {
		if m[1] == "OPTIONS" {
			// cdk-nag exempts OPTIONS from COG4 itself.
			suppress(method(players, m[0], m[1]), "AwsSolutions-APIG4",
				"CORS preflight: browsers send it without credentials by specification (Fetch standard), so it cannot be authorized; "+
					"the function answers it with CORS headers only, never a key.")
			continue
		}
		reason := "Players cannot sign with SigV4 or hold Cognito credentials; each request carries a playback token " +
			"(JWT, HS256, content ID and expiry) minted by the customer's entitlement service and verified by the read-only function."
		suppress(method(players, m[0], m[1]), "AwsSolutions-APIG4", reason)
		suppress(method(players, m[0], m[1]), "AwsSolutions-COG4", reason)
	}
	suppress(s.TokenSecret,
		"AwsSolutions-SMG4",
		"No automatic rotation: the token key is shared with the customer's entitlement service, and tokens carry no key ID, "+
			"so a rotation must be coordinated with it (new value, then the functions pick it up; tokens signed with the old key "+
			"fail). The README describes the manual procedure. The secret is retained and encrypted with its own rotating CMK.")
	if s.Secret != nil {
		suppress(s.Secret,
			"AwsSolutions-SMG4",
			"The secret holds the HKDF seed every content key is derived from; rotating it would change the key of "+
				"every KID ever issued and break playback of all packaged content. It is written once at first deploy "+
				"and must never rotate (RemovalPolicy RETAIN, CMK with yearly KMS key rotation).")
	}
	if cfg.APIGatewayCloudWatchRole {
		suppressApplies(api.Node().FindChild(jsii.String("CloudWatchRole")),
			"AwsSolutions-IAM4",
			"The account-level role API Gateway needs to write access and execution logs; "+
				"AmazonAPIGatewayPushToCloudWatchLogs is the AWS-documented policy for it and grants logging only, no key access.",
			"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")
	}
}

// suppressAPI records why an API has no request validation (APIG2) and
// its stage no WAF (APIG3).
func suppressAPI(api awsapigateway.RestApi, noValidation, noWAF string) {
	suppress(api.Node().DefaultChild(), "AwsSolutions-APIG2", noValidation)
	suppress(api.DeploymentStage(), "AwsSolutions-APIG3", noWAF)
}

// method is the API Gateway method on path (relative to the root).
func method(api awsapigateway.RestApi, path, verb string) constructs.IConstruct {
	return api.Root().ResourceForPath(jsii.String(path)).Node().FindChild(jsii.String(verb))
}

func suppress(c constructs.IConstruct, id, reason string) {
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String(id), Reason: jsii.String(reason)},
	}, jsii.Bool(false))
}

// suppressApplies limits a suppression to the named findings (for IAM4 and
// IAM5, the exact policy or resource), so a later, different finding of the
// same rule on the same construct is still reported.
func suppressApplies(c constructs.IConstruct, id, reason string, appliesTo ...string) {
	at := make([]any, len(appliesTo))
	for i, a := range appliesTo {
		at[i] = a
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String(id), Reason: jsii.String(reason), AppliesTo: &at},
	}, jsii.Bool(true))
}
