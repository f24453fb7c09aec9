# ecsconsole — `make run` starts the console, `make test` runs every test.
SHELL := /bin/bash
GO ?= go
ADDR ?= 127.0.0.1:8080
SANDBOX ?= true

.PHONY: run test test-go test-awscli generate lint build fuzz bench bench-http bench-history chaos

## run: start the console at http://$(ADDR) (a local sandbox AWS unless SANDBOX=false)
run:
	$(GO) run ./cmd/ecsconsole serve --addr $(ADDR) --migrate --log-format text $(if $(filter true,$(SANDBOX)),--sandbox,)

## test: every Go test (with the race detector) and the awscli journey against the sandbox
test: test-go test-awscli

test-go:
	$(GO) test -race -count=1 -timeout 45m ./...

test-awscli:
	./e2e/awscli-journey.sh

## generate: regenerate templ components
generate:
	$(GO) tool templ generate

## lint: formatting, vet, staticcheck with every check (pinned in go.mod), go.mod tidy, generated files current, vendored assets intact
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck -checks all ./...
	@$(GO) mod tidy -diff || { echo "go mod tidy would change go.mod/go.sum: run it and commit"; exit 1; }
	$(GO) tool templ generate >/dev/null
	@git diff --exit-code -- '*_templ.go' || { echo "templ generate changed files: run make generate and commit"; exit 1; }
	./static/vendor.sh check

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/ecsconsole ./cmd/ecsconsole

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 60s ./deploy

## chaos: kill the console CHAOS_KILLS times (default 8) at random moments of a deployment; it must still succeed
chaos:
	$(GO) test -tags chaos -count=1 -v -timeout 30m -run TestChaos ./e2e

## bench: the apply benchmark, and listing deployments from the store
bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./deploy
	$(GO) test -run '^$$' -bench ListDeployments ./store

## bench-http: every page under wrk next to a bare net/http handler, 1,000,000 stored deployments (~15 minutes)
bench-http:
	./e2e/bench-http.sh

## bench-history: the history pages alone at 1 and 4 connections (takes minutes)
bench-history:
	./e2e/bench-history.sh
