// Command cdk synthesizes the SPEKE key provider stack. Run it through the
// CDK CLI (cdk.json) or directly: `CDK_OUTDIR=cdk.out go run ./cdk`.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// StackName is the CloudFormation stack name (and the template's file name
// in cdk.out).
const StackName = "SpekeKeyProvider"

// assetMetadataContext makes CDK write aws:asset:path and
// aws:asset:property on every resource that uses a local asset. `sam local
// invoke` reads exactly these to find the function's code (the staged
// directory in cdk.out holding bootstrap); without them it falls back to
// the template's own directory, which holds no bootstrap. The CDK CLI sets
// it by default; `go run ./cdk` (make synth) gets it here, and the CLI's
// --no-asset-metadata can still turn it off.
const assetMetadataContext = "aws:cdk:enable-asset-metadata"

func main() {
	flush := guardStderr()
	code := run()
	flush()
	os.Exit(code)
}

func run() int {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{assetMetadataContext: true}})
	cfg, err := ConfigFromContext(func(k string) any { return app.Node().TryGetContext(jsii.String(k)) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "cdk:", err)
		jsii.Close()
		return 2
	}
	NewKeyProviderStack(app, StackName, &KeyProviderStackProps{StackProps: awscdk.StackProps{Env: env()}, Config: cfg})
	// cdk-nag runs on every synth, so `cdk deploy` fails on a new finding
	// exactly as the tests do.
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	// The CLI refuses to deploy a stack with error annotations; a plain
	// `go run ./cdk` (make synth) must fail the same way.
	app.Synth(nil)
	errs := findings(app, metadataError)
	for _, f := range errs {
		fmt.Fprintf(os.Stderr, "cdk: %s: %s\n", f.Path, f.Message)
	}
	jsii.Close()
	if len(errs) > 0 {
		return 1
	}
	return 0
}

// env pins the stack to the CLI's account and Region when the CLI provides
// them (deploy), and leaves it environment-agnostic otherwise (offline
// synth, tests).
func env() *awscdk.Environment {
	acct, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION")
	if acct == "" || region == "" {
		return nil
	}
	return &awscdk.Environment{Account: jsii.String(acct), Region: jsii.String(region)}
}
