# HireMeBahamas API. Everything here needs only Go (and, for the database,
# Debian's PostgreSQL, which the scripts install when it is missing).

GO      ?= go
BIN     := bin/hiremebahamas
PORT    ?= 8080
# npm, quietly, from the lock file; no package needs its install scripts.
NPM_CI  := npm ci --no-audit --no-fund --ignore-scripts --prefer-offline --loglevel=error
# The Swagger UI files /docs serves, from the pinned swagger-ui-dist.
SWAGGER_UI_FILES := swagger-ui-bundle.js swagger-ui.css favicon-32x32.png LICENSE NOTICE

.PHONY: all build run test bench seed generate check-generate lint db-start db-stop clean

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

## bench: seed 100,000 jobs into a bench database and load the service
## with wrk and ghz; prints req/s, p50/p99 and peak RSS.
bench:
	@scripts/bench.sh

## seed: add demo data to the local (or $$DATABASE_URL) database.
seed: build
	@set -e; if [ -z "$$DATABASE_URL" ]; then DATABASE_URL=$$(scripts/devdb.sh start); export DATABASE_URL; fi; \
	./$(BIN) migrate; ./$(BIN) seed --jobs $${JOBS:-1000} --users $${USERS:-200}

## generate: regenerate gen/ from proto/ and queries/, and apidocs/: the
## OpenAPI 3 document served at /openapi.json and the Swagger UI of /docs.
generate:
	$(GO) tool buf format -w
	$(GO) tool buf lint
	$(GO) tool buf generate
	$(GO) tool sqlc generate
	$(GO) run ./internal/openapigen gen/openapi/hiremebahamas.swagger.json apidocs/openapi.json
	cd apidocs && $(NPM_CI) && for f in $(SWAGGER_UI_FILES); do cp node_modules/swagger-ui-dist/$$f reference/; done

## check-generate: fail if gen/ and apidocs/ are not what proto/ and queries/ produce.
GENERATED := gen proto queries migrations apidocs
check-generate: generate
	@if [ -n "$$(git status --porcelain -- $(GENERATED))" ]; then \
		echo "generated code is stale; run make generate and commit:"; \
		git status --porcelain -- $(GENERATED); \
		git --no-pager diff --stat -- $(GENERATED); exit 1; fi

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
