# tenantd — developer commands. `make run` starts the service with zero configuration;
# `make test` runs every check CI runs.

GO            ?= go
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
export TEST_DATABASE_URL

GENERATED := ent graph/generated graph/model graph/schema/ent.graphql migrations gqlgen.yml \
	$(wildcard graph/*.resolvers.go)

.PHONY: run build test check-format vet check-generated generate token bench

## run: start tenantd (a private PostgreSQL under .tenantd/ unless DATABASE_URL is set)
run: build
	@exec ./bin/tenantd serve

## build: build bin/tenantd
build:
	$(GO) build -o bin/tenantd ./cmd/tenantd

## test: format and vet checks, generated-code staleness check, then every test with -race
test: check-format vet check-generated
	$(GO) test -race -count=1 ./...

check-format:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

## check-generated: fail when ent, gqlgen or migration output differs from what is committed
check-generated: generate
	@status=$$(git status --porcelain -- $(GENERATED)); \
	if [ -n "$$status" ]; then \
		echo "generated code is stale; run 'make generate' and commit:"; echo "$$status"; \
		git --no-pager diff --stat -- $(GENERATED); exit 1; fi

## generate: regenerate ent, the GraphQL schema and executable code, and any new migration
generate:
	cd ent && $(GO) generate ./...
	$(GO) tool gqlgen generate
	$(GO) run migrations/gen.go

## bench: load-test a freshly built tenantd on a throwaway database; writes docs/benchmarks.md
## (flags: make bench BENCH_FLAGS='-duration 30s -scenario tenant'; see go run ./cmd/bench -h)
bench:
	$(GO) run ./cmd/bench $(BENCH_FLAGS)

## token: mint a 24h operator token with every permission
token:
	@$(GO) run ./cmd/tenantd token
