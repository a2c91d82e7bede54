# HireMeBahamas API. Everything here needs only Go (and, for the database,
# Debian's PostgreSQL, which the scripts install when it is missing), except
# generate and check-ts, which also run npm for the API reference's files and
# the TypeScript client.

GO      ?= go
BIN     := bin/hiremebahamas
PORT    ?= 8080
# npm, quietly, from the lock file; no package needs its install scripts.
NPM_CI  := npm ci --no-audit --no-fund --ignore-scripts --prefer-offline --loglevel=error
# The Swagger UI files /docs serves, from the pinned swagger-ui-dist.
SWAGGER_UI_FILES := swagger-ui-bundle.js swagger-ui.css favicon-32x32.png LICENSE NOTICE
TS_CLIENT := clients/typescript

# Stamped into the binary (hiremebahamas version, /ready/db, the build_info
# metric). The Go toolchain records the commit itself in a clone; COMMIT
# covers work trees it cannot read and builds without .git (the image's).
VERSION    ?= dev
COMMIT     ?= $(shell git rev-parse HEAD 2>/dev/null)
BUILD_TIME ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
BUILDINFO  := github.com/hiremebahamas/api/internal/buildinfo
LDFLAGS     = -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).commit=$(COMMIT) -X $(BUILDINFO).buildTime=$(BUILD_TIME)

.PHONY: all build static run test test-pgbouncer fuzz bench soak seed generate check-generate check-ts lint db-start db-stop clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/hiremebahamas

## static: the binary the Dockerfile builds and deploy/ tests: no cgo, so no
## libc to load; no build paths; no symbol table. Time zones and CA roots are
## compiled in (cmd/hiremebahamas/main.go).
static:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w $(LDFLAGS)' -o $(BIN) ./cmd/hiremebahamas

## run: serve on $PORT; without DATABASE_URL, a local PostgreSQL under ./.data;
## without SMTP_URL, a local Mailpit that shows the mail sent.
run: build
	@set -e; \
	if [ -z "$$DATABASE_URL" ]; then DATABASE_URL=$$(scripts/devdb.sh start); export DATABASE_URL; \
		echo "using the local database under ./.data (stop it with: make db-stop)"; fi; \
	mail=""; \
	if [ -z "$$SMTP_URL" ]; then SMTP_URL=$$(scripts/devmail.sh start); export SMTP_URL; \
		echo "sending mail to a local Mailpit under ./.data (stop it with: make db-stop)"; \
		mail="   mail: $$(scripts/devmail.sh ui)"; fi; \
	./$(BIN) migrate; \
	echo "REST: http://localhost:$(PORT)   gRPC: localhost:$(PORT) (plaintext)$$mail   demo data: make seed"; \
	PORT=$(PORT) exec ./$(BIN) serve

## test: the whole suite, race detector on, against a real PostgreSQL
## ($$TEST_DATABASE_URL, or a throwaway cluster the tests start).
test:
	@scripts/ensure-postgres.sh >/dev/null
	$(GO) test -race -count=1 ./...

## test-pgbouncer: the end-to-end suite again with a PgBouncer in
## transaction mode between each service and its database, as a hosted
## database's pooled URL puts it (needs /usr/sbin/pgbouncer).
test-pgbouncer:
	@scripts/ensure-postgres.sh >/dev/null
	E2E_VIA_PGBOUNCER=1 $(GO) test -race -count=1 ./e2e

## fuzz: run every fuzz target for FUZZTIME each (a duration, or a count
## of inputs such as 5000x); failing inputs land in testdata/fuzz/.
FUZZTIME ?= 10s
fuzz:
	@GO=$(GO) scripts/fuzz.sh $(FUZZTIME)

## bench: seed 100,000 jobs into a bench database and load the service
## with wrk and ghz (req/s, p50/p99, peak RSS), compare pgx's exec modes
## directly and through PgBouncer, then a 60 s mixed workload at a fixed
## rate whose report and charts go to bench-report/.
bench:
	@scripts/bench.sh

## soak: the mixed workload for $$SOAK_DURATION (10m), memory and goroutines sampled.
soak:
	@BENCH_MODE=soak scripts/bench.sh

## seed: add demo data to the local (or $$DATABASE_URL) database.
seed: build
	@set -e; if [ -z "$$DATABASE_URL" ]; then DATABASE_URL=$$(scripts/devdb.sh start); export DATABASE_URL; fi; \
	./$(BIN) migrate; ./$(BIN) seed --jobs $${JOBS:-1000} --users $${USERS:-200}

## generate: regenerate gen/ from proto/ and queries/; apidocs/: the OpenAPI 3
## document served at /openapi.json and the Swagger UI of /docs; and the
## TypeScript client's types.
generate: apidocs/node_modules/.package-lock.json $(TS_CLIENT)/node_modules/.package-lock.json
	$(GO) tool buf format -w
	$(GO) tool buf lint
	$(GO) tool buf generate
	$(GO) tool sqlc generate
	$(GO) run ./internal/openapigen gen/openapi/hiremebahamas.swagger.json apidocs/openapi.json
	for f in $(SWAGGER_UI_FILES); do cp apidocs/node_modules/swagger-ui-dist/$$f apidocs/reference/; done
	cd $(TS_CLIENT) && npm run --silent generate

## check-generate: fail if gen/, apidocs/ and the TypeScript client are not
## what proto/ and queries/ produce.
GENERATED := gen proto queries migrations apidocs $(TS_CLIENT)
check-generate: generate
	@if [ -n "$$(git status --porcelain -- $(GENERATED))" ]; then \
		echo "generated code is stale; run make generate and commit:"; \
		git status --porcelain -- $(GENERATED); \
		git --no-pager diff --stat -- $(GENERATED); exit 1; fi

## check-ts: type-check the TypeScript client and its usage examples.
check-ts: $(TS_CLIENT)/node_modules/.package-lock.json
	cd $(TS_CLIENT) && npm run --silent check

# npm ci again only when the lock file changes (npm writes this copy).
%/node_modules/.package-lock.json: %/package-lock.json
	cd $* && $(NPM_CI)

lint:
	$(GO) tool buf lint
	$(GO) tool buf format -d --exit-code
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '^gen/'))" || { gofmt -l $$(git ls-files '*.go' | grep -v '^gen/'); exit 1; }

db-start:
	@scripts/devdb.sh start

## db-stop: stop the local PostgreSQL and Mailpit.
db-stop:
	@scripts/devdb.sh stop
	@scripts/devmail.sh stop

clean:
	@scripts/devmail.sh stop
	rm -rf bin apidocs/node_modules $(TS_CLIENT)/node_modules
