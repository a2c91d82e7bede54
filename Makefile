# HireMeBahamas API. Everything here needs only Go (and, for the database,
# Debian's PostgreSQL, which the scripts install when it is missing).

GO      ?= go
BIN     := bin/hiremebahamas
PORT    ?= 8080

.PHONY: all build run test fuzz bench seed generate check-generate lint db-start db-stop clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/hiremebahamas

## run: serve on $PORT; without DATABASE_URL, a local PostgreSQL under ./.data.
run: build
	@set -e; \
	if [ -z "$$DATABASE_URL" ]; then DATABASE_URL=$$(scripts/devdb.sh start); export DATABASE_URL; \
		echo "using the local database under ./.data (stop it with: make db-stop)"; fi; \
	./$(BIN) migrate; \
	echo "REST: http://localhost:$(PORT)   gRPC: localhost:$(PORT) (plaintext)   demo data: make seed"; \
	PORT=$(PORT) exec ./$(BIN) serve

## test: the whole suite, race detector on, against a real PostgreSQL
## ($$TEST_DATABASE_URL, or a throwaway cluster the tests start).
test:
	@scripts/ensure-postgres.sh >/dev/null
	$(GO) test -race -count=1 ./...

## fuzz: run every fuzz target for FUZZTIME each (a duration, or a count
## of inputs such as 5000x); failing inputs land in testdata/fuzz/.
FUZZTIME ?= 10s
fuzz:
	@GO=$(GO) scripts/fuzz.sh $(FUZZTIME)

## bench: seed 100,000 jobs into a bench database and load the service
## with wrk and ghz; prints req/s, p50/p99 and peak RSS.
bench:
	@scripts/bench.sh

## seed: add demo data to the local (or $$DATABASE_URL) database.
seed: build
	@set -e; if [ -z "$$DATABASE_URL" ]; then DATABASE_URL=$$(scripts/devdb.sh start); export DATABASE_URL; fi; \
	./$(BIN) migrate; ./$(BIN) seed --jobs $${JOBS:-1000} --users $${USERS:-200}

## generate: regenerate gen/ from proto/ and queries/.
generate:
	$(GO) tool buf format -w
	$(GO) tool buf lint
	$(GO) tool buf generate
	$(GO) tool sqlc generate

## check-generate: fail if gen/ is not what proto/ and queries/ produce.
check-generate: generate
	@if [ -n "$$(git status --porcelain -- gen proto queries migrations)" ]; then \
		echo "generated code is stale; run make generate and commit:"; \
		git status --porcelain -- gen proto queries migrations; \
		git --no-pager diff --stat -- gen proto; exit 1; fi

lint:
	$(GO) tool buf lint
	$(GO) tool buf format -d --exit-code
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '^gen/'))" || { gofmt -l $$(git ls-files '*.go' | grep -v '^gen/'); exit 1; }

db-start:
	@scripts/devdb.sh start

db-stop:
	@scripts/devdb.sh stop

clean:
	rm -rf bin
