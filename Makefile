# The two commands a new user needs: `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
ADDR ?= 127.0.0.1:8080
DATA_DIR ?= $(CURDIR)/data
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: run test test-unit vet fuzz-smoke bench build

## run: the key provider on $(ADDR) with the embedded local key store in $(DATA_DIR)
run:
	ADDR=$(ADDR) DATA_DIR=$(DATA_DIR) $(GO) run ./lambda

## build: the service binary for this machine, in bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/keyprovider ./lambda

## test: everything the project checks
test: vet test-unit

vet:
	$(GO) vet ./internal/... ./lambda/...
	@out=$$(gofmt -l internal lambda); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## test-unit: the service's tests (protocol, keys, handler, fuzz seeds), with the race detector
test-unit:
	$(GO) test -race -count=1 ./internal/... ./lambda/...

## fuzz-smoke: a short run of every fuzz target (longer runs by hand)
fuzz-smoke:
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=20s -fuzzminimizetime=3s ./internal/cpix
	$(GO) test -run='^$$' -fuzz=FuzzHandler -fuzztime=20s -fuzzminimizetime=3s ./internal/httpapi
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=10s ./internal/uuid
	$(GO) test -run='^$$' -fuzz=FuzzParsePSSH -fuzztime=10s ./internal/drm
	$(GO) test -run='^$$' -fuzz=FuzzPlayReadyObject -fuzztime=10s ./internal/drm
	$(GO) test -run='^$$' -fuzz=FuzzNewFairPlay -fuzztime=10s ./internal/drm
	$(GO) test -run='^$$' -fuzz=FuzzDecodePRO -fuzztime=10s ./internal/drm/drmtest

## bench: the handler benchmarks
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -count=6 ./internal/httpapi

.PHONY: test-aws bench-aws

## test-aws: the AWS key sources (DynamoDB, Secrets Manager) against moto_server, verbose; also part of test-unit
test-aws:
	$(GO) test -race -count=1 -v ./internal/keys/dynamokeys ./internal/keys/secretkeys ./internal/keys/awskeys

## bench-aws: latency a request spends in the AWS key sources against moto on loopback
bench-aws:
	$(GO) test -run='^$$' -bench=. -benchmem -count=6 ./internal/keys/dynamokeys ./internal/keys/secretkeys
