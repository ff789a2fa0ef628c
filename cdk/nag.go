package main

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// suppressNag records, on the exact construct concerned, every AwsSolutions
// finding we accept and why. Anything not listed here fails synthesis
// tests (stack_test.go) and shows up at `cdk deploy`.
func suppressNag(s *KeyProviderStack, cfg Config) {
	api := s.Api
	suppress(api.Node().DefaultChild(),
		"AwsSolutions-APIG2",
		"The only body is CPIX XML; API Gateway request validation understands JSON Schema models only. "+
			"The service validates the XML strictly (size, depth, namespaces, UUIDs) and answers 4xx.")
	suppress(api.DeploymentStage(),
		"AwsSolutions-APIG3",
		"No WAF by default: every request must carry a SigV4 signature of a listed role (AWS_IAM plus a resource-policy Deny "+
			"for all other principals) and the stage is throttled, so anonymous traffic never reaches the function. "+
			"Operators who want WAF can associate a web ACL with the stage.")
	suppress(api.Root().ResourceForPath(jsii.String(SpekePath)).Node().FindChild(jsii.String("POST")),
		"AwsSolutions-COG4",
		"SPEKE callers are AWS services (MediaPackage, MediaConvert) that sign with SigV4 using an IAM role; "+
			"the method uses AWS_IAM authorization, and Cognito user pools cannot authenticate them.")
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
