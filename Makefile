# mysql-grpc-gateway: the two commands that matter are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GATEWAY_PORT ?= 50051
export GATEWAY_PORT
NODE_MODULES_STAMP := node_modules/.install-stamp

.PHONY: help install build typecheck lint proto-lint cycles test test-unit test-integration \
        sandbox sandbox-stop python-deps browser-deps run bench clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(NODE_MODULES_STAMP) ## install dependencies (npm ci) when package-lock.json changed

build: install ## compile TypeScript to dist/, and the descriptor set server reflection serves
	npx tsc -p tsconfig.json
	bash scripts/build-descriptors.sh dist/src/wire/descriptor-set.binpb

typecheck: install ## type check without emitting
	npx tsc -p tsconfig.json --noEmit

lint: install ## biome (lint + format check)
	npx biome check src test

proto-lint: install ## buf lint of proto/
	npx buf lint

# Twice: the compiled JavaScript (what runs), and the TypeScript sources, where type-only imports
# count too (.madgerc keeps detective-typescript's skipTypeImports off); tsc erases those, so
# a cycle made of them is invisible in dist/ but still tangles the modules.
cycles: build ## fail on circular imports (compiled JS, and TS sources including type-only imports)
	npx madge --circular --no-spinner --extensions js dist/src
	npx madge --circular --no-spinner --extensions ts --ts-config tsconfig.json src bench

sandbox: ## start the local MariaDB sandbox (primary + 2 replicas)
	bash scripts/sandbox.sh start

sandbox-stop: ## stop the local MariaDB sandbox
	bash scripts/sandbox.sh stop

test-unit: build ## unit tests (no network)
	npx ava 'dist/test/unit/**/*.test.js'

python-deps: ## Debian's python3-grpcio and python3-grpc-tools, for the Python client example
	@/usr/bin/python3 -c 'import grpc, grpc_tools' 2>/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-grpcio python3-grpc-tools; }

# playwright-core drives this browser in the status page test; it never downloads one itself.
browser-deps: ## Debian's chromium, for the status page test (test/integration/status-page.test.ts)
	@test -x /usr/bin/chromium || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test-integration: build sandbox python-deps browser-deps ## integration tests against the sandbox and a real gateway
	npx ava --serial --concurrency=1 'dist/test/integration/**/*.test.js'

test: build typecheck lint proto-lint cycles test-unit test-integration ## everything CI runs

run: build ## start the gateway (on the local sandbox unless GATEWAY_CONFIG is set)
	@if [ -z "$$GATEWAY_CONFIG" ]; then \
	  bash scripts/sandbox.sh start && \
	  echo "Gateway on 127.0.0.1:$(GATEWAY_PORT), cluster 'default' on the sandbox. Try:" && \
	  echo "  grpcurl -plaintext -d '{\"sql\":\"SELECT 1 AS one\"}' 127.0.0.1:$(GATEWAY_PORT) mysqlgateway.v1.Gateway/Query" && \
	  exec node dist/src/main.js --config config/sandbox.yaml; \
	else \
	  exec node dist/src/main.js; \
	fi

clean: ## remove build output
	rm -rf dist

bench: build sandbox ## benchmarks against direct mysql2, then telemetry on vs off: writes bench/results/latest.md and telemetry.md
	@command -v h2load >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nghttp2-client; }
	node dist/bench/run.js
	node dist/bench/telemetry-cost.js

.PHONY: bench-telemetry
bench-telemetry: build sandbox ## telemetry cost alone (part of make bench): writes bench/results/telemetry.md
	node dist/bench/telemetry-cost.js
