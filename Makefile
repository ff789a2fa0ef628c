# The two commands a new user needs: `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
ADDR ?= 127.0.0.1:8080
DATA_DIR ?= $(CURDIR)/data
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: run test test-unit vet fuzz-smoke bench build

## run: the key provider on $(ADDR) with the local key store in $(DATA_DIR); Ctrl-C stops it
# The binary is exec'd (not `go run`, which would sit between make and the
# server): Ctrl-C and SIGTERM reach the server itself, it drains and exits,
# and the port is free again.
run: build
	@echo "make run: bin/keyprovider on http://$(ADDR), keys in $(DATA_DIR); stop with Ctrl-C"
	@ADDR='$(ADDR)' DATA_DIR='$(DATA_DIR)' exec bin/keyprovider

## build: the service binary for this machine, in bin/keyprovider
build:
	@test -x bin/keyprovider || echo "make: compiling ./lambda into bin/keyprovider (the first build downloads modules and compiles for a minute or two)"
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/keyprovider ./lambda

## test: everything the project checks
test: vet test-unit test-cdk

vet:
	$(GO) vet ./internal/... ./lambda/...
	@out=$$(gofmt -l internal lambda); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.1 ./internal/... ./lambda/...

## test-unit: the service's tests (protocol, keys, handler, playback in Chromium, fuzz seeds), with the race detector
test-unit: player-deps
	$(GO) test -race -count=1 ./internal/... ./lambda/...

## fuzz-smoke: a short run of every fuzz target (longer runs by hand)
fuzz-smoke:
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=20s -fuzzminimizetime=3s ./internal/cpix
	$(GO) test -run='^$$' -fuzz=FuzzHandler -fuzztime=20s -fuzzminimizetime=3s ./internal/httpapi
	$(GO) test -run='^$$' -fuzz=FuzzExport -fuzztime=10s ./internal/httpapi
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=10s ./internal/uuid
	$(GO) test -run='^$$' -fuzz=FuzzParsePSSH -fuzztime=10s ./internal/drm
	$(GO) test -run='^$$' -fuzz=FuzzPlayReadyObject -fuzztime=10s ./internal/drm
	$(GO) test -run='^$$' -fuzz=FuzzNewFairPlay -fuzztime=10s ./internal/drm
	$(GO) test -run='^$$' -fuzz=FuzzDecodePRO -fuzztime=10s ./internal/drm/drmtest
	$(GO) test -run='^$$' -fuzz=FuzzLicense -fuzztime=10s ./internal/playback
	$(GO) test -run='^$$' -fuzz=FuzzToken -fuzztime=10s ./internal/playback
	$(GO) test -run='^$$' -fuzz=FuzzParseCertificate -fuzztime=10s ./internal/cke
	$(GO) test -run='^$$' -fuzz=FuzzLedgerLine -fuzztime=10s ./internal/keys
	$(GO) test -run='^$$' -fuzz='^FuzzLedger$$' -fuzztime=10s ./internal/keys

## bench: the handler, the Lambda path (event JSON to response JSON) and the local server under 8 clients
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -count=6 ./internal/httpapi ./internal/apigw ./internal/app

# ---- Players ----
BROWSER_DIR := internal/playback/testdata/browser

.PHONY: player-deps demo

## player-deps: Shaka Player and puppeteer-core for the playback tests and the demo (npm ci, pinned by the lockfile)
player-deps: $(BROWSER_DIR)/node_modules/.package-lock.json

$(BROWSER_DIR)/node_modules/.package-lock.json: $(BROWSER_DIR)/package.json $(BROWSER_DIR)/package-lock.json
	cd $(BROWSER_DIR) && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

## demo: the key provider, a clip packaged with its keys and a Shaka Player page on 127.0.0.1 that plays it (DEMO_ARGS=-once: exit after the headless check)
demo: player-deps
	$(GO) run ./internal/demo $(DEMO_ARGS)

.PHONY: test-aws bench-aws

## test-aws: the AWS key sources (DynamoDB, Secrets Manager) against moto_server, verbose; also part of test-unit
test-aws:
	$(GO) test -race -count=1 -v ./internal/keys/dynamokeys ./internal/keys/secretkeys ./internal/keys/awskeys

## bench-aws: latency a request spends in the AWS key sources against moto on loopback
bench-aws:
	$(GO) test -run='^$$' -bench=. -benchmem -count=6 ./internal/keys/dynamokeys ./internal/keys/secretkeys

# ---- Deployment (cdk/) ----
# The CDK CLI is pinned: npm's current major cannot read this CDK's cloud
# assembly. Synthesis itself needs no CLI and no network.
CDK ?= npx --yes aws-cdk@2.1148.1
LAMBDA_DIR ?= bin/lambda
STACK ?= SpekeKeyProvider
# Context for `make synth`, as JSON, e.g. SYNTH_CONTEXT='{"keyStore":"secretsmanager"}'
SYNTH_CONTEXT ?= {}
# Extra CLI arguments for deploy/diff, e.g. CDK_ARGS='-c keyStore=secretsmanager'
CDK_ARGS ?=

.PHONY: bootstrap synth cfn-lint deploy diff cdk-bootstrap test-cdk

## bootstrap: the Lambda binary (linux/arm64, provided.al2023) in $(LAMBDA_DIR)/bootstrap
bootstrap:
	@mkdir -p $(LAMBDA_DIR)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' -o $(LAMBDA_DIR)/bootstrap ./lambda

## synth: the CloudFormation template in cdk.out/ (offline: no CLI, no AWS, no network)
# Synthesized into cdk.out.new and swapped in only on success, so a failed
# synth (a cdk-nag error, a bad context value) leaves the last good cdk.out.
synth: bootstrap
	rm -rf cdk.out.new
	BOOTSTRAP_DIR=$(LAMBDA_DIR) CDK_OUTDIR=cdk.out.new CDK_CONTEXT_JSON='$(SYNTH_CONTEXT)' $(GO) run ./cdk \
		|| { rm -rf cdk.out.new; echo "make synth failed; cdk.out still holds the previous template" >&2; exit 1; }
	rm -rf cdk.out && mv cdk.out.new cdk.out
	@echo "template: cdk.out/$(STACK).template.json"

## cfn-lint: lint the synthesized template (errors fail; CDK's DependsOn warnings do not)
cfn-lint: synth
	cfn-lint --non-zero-exit-code error cdk.out/$(STACK).template.json

## deploy: deploy to the account/Region of your AWS credentials (needs `make cdk-bootstrap` once)
deploy: bootstrap
	BOOTSTRAP_DIR=$(LAMBDA_DIR) $(CDK) deploy $(STACK) $(CDK_ARGS)

## diff: what deploy would change
diff: bootstrap
	BOOTSTRAP_DIR=$(LAMBDA_DIR) $(CDK) diff $(STACK) $(CDK_ARGS)

## cdk-bootstrap: one-time CDK bootstrap of the account/Region (the asset bucket and deploy roles)
cdk-bootstrap:
	$(CDK) bootstrap $(CDK_ARGS)

## test-cdk: vet/staticcheck of cdk/, CDK assertions, cdk-nag, cfn-lint, the sam local invoke recipe, and the built binary against a fake Lambda Runtime API
test-cdk:
	$(GO) vet ./cdk/...
	@out=$$(gofmt -l cdk); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.1 ./cdk/...
	$(GO) test -count=1 ./cdk/...
