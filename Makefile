# borderflow: the everyday commands. `make` alone lists them.

# bash with pipefail, so that `go test | tee` fails when go test fails.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO           ?= go
BIN          := bin/borderflow
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS      := -s -w -X main.version=$(VERSION)
TEST_TIMEOUT ?= 45m
TEST_LOG     := bin/test.log
BENCH_LOG    := bin/bench.log
# Pinned so that every machine lints alike; fetched through the module proxy.
STATICCHECK  := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: help test vet run build lint clean bench bench-load

help: ## list the targets
	@echo "Usage: make TARGET"
	@echo
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{ printf "  %-11s %s\n", $$1, $$2 }'

vet: ## go vet ./...
	$(GO) vet ./...

# Every test, on SQLite and on a throwaway PostgreSQL that the test harness
# starts (under CI=true a missing PostgreSQL fails instead of skipping).
# The full -v output also goes to $(TEST_LOG). The summary at the end repeats
# each failed and each skipped test with what it logged (a skipped test is not
# a passed one), and closes on "tests: N passed, N failed, N skipped".
test: vet ## go vet, then every test with -race (SQLite and PostgreSQL)
	@mkdir -p $(dir $(TEST_LOG))
	@echo "==> $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) -v ./..."
	@status=0; \
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) -v ./... 2>&1 | tee $(TEST_LOG) || status=$$?; \
	count() { grep -cE "^ *--- $$1: " $(TEST_LOG) || true; }; \
	passed=$$(count PASS); failed=$$(count FAIL); skipped=$$(count SKIP); \
	echo; echo "==> Summary (full log: $(TEST_LOG))"; \
	if [ "$$skipped" -gt 0 ]; then echo "Skipped:"; awk -v want=SKIP '$(RESULTS_AWK)' $(TEST_LOG); fi; \
	if [ "$$failed" -gt 0 ]; then echo "Failed:"; awk -v want=FAIL '$(RESULTS_AWK)' $(TEST_LOG); fi; \
	grep -E '^(FAIL\s|panic:)' $(TEST_LOG) || true; \
	if [ "$$status" -eq 0 ]; then echo "Result: PASS"; else echo "Result: FAIL (go test exit status $$status)"; fi; \
	echo "tests: $$passed passed, $$failed failed, $$skipped skipped"; \
	exit $$status

# Reads go test -v output: remembers what each test logged (the lines under
# its "=== RUN/CONT/NAME" header) and prints it under each "--- FAIL:" or
# "--- SKIP:" line, as chosen by awk -v want=FAIL or want=SKIP.
RESULTS_AWK := /^=== [A-Z]+ / { cur = $$3; next } \
	/^ *--- [A-Z]+: / { if ($$2 == want ":") { sub(/^ +/, ""); print "  " $$0; printf "%s", logged[$$3] } next } \
	/^    / && cur != "" { logged[cur] = logged[cur] "      " substr($$0, 5) "\n" }

# The benchmarks behind docs/BENCHMARKS.md (never part of `make test`):
# the board against a bare Echo handler under load (each variant measures
# for a fixed time, hence -benchtime 1x; with wrk installed, wrk drives
# both servers too, as a cross-check), then the crossing page, the
# figures API and the queries behind them on PostgreSQL holding five years
# of figures for ten crossings (the fixture takes about 20 s to write, once
# per benchmark function), then the load proof (bench-load). -v keeps the
# EXPLAIN ANALYZE output whole; all of it also goes to $(BENCH_LOG). -p 1:
# one package at a time, never two benchmarks sharing the two cores.
bench: ## benchmarks: board vs bare Echo under load, large PostgreSQL, load proof (about 14 min)
	@mkdir -p $(dir $(BENCH_LOG))
	@{ date -u; nproc; grep -m1 'model name' /proc/cpuinfo; uptime; } | tee $(BENCH_LOG)
	$(GO) test -run '^$$' -bench BoardVersusBareEcho -benchtime 1x -timeout 30m -v ./app \
		$$(command -v wrk >/dev/null && echo -args -load.wrk) 2>&1 | tee -a $(BENCH_LOG)
	$(GO) test -p 1 -run '^$$' -bench 'CrossingPageLargePostgres|FiguresYearLargePostgres|QueriesLargePostgres' -benchtime 20x -timeout 30m -v ./app ./models 2>&1 | tee -a $(BENCH_LOG)
	$(LOAD_PROOF) 2>&1 | tee -a $(BENCH_LOG)
	@uptime | tee -a $(BENCH_LOG)

# The load proof behind docs/BENCHMARKS.md ("Two replicas under load and faults"): the built borderflow twice
# on one PostgreSQL, cmd/loadgen with 200 clients for 60 s; it fails on any
# error, a page p99 of 100 ms or more, a lost write or a replica over
# 150 MB. Settings: make bench-load LOAD_ARGS="-proof.clients=100".
LOAD_ARGS  ?=
LOAD_PROOF  = $(GO) test -run '^$$' -bench LoadTwoReplicas -benchtime 1x -timeout 10m -v ./app -args $(LOAD_ARGS)
bench-load: ## the load proof alone: two replicas, 200 clients, 60 s (about 2 min)
	@mkdir -p $(dir $(BENCH_LOG))
	@{ date -u; nproc; grep -m1 'model name' /proc/cpuinfo; uptime; } | tee $(BENCH_LOG)
	$(LOAD_PROOF) 2>&1 | tee -a $(BENCH_LOG)
	@uptime | tee -a $(BENCH_LOG)

run: ## serve http://localhost:8080 on the embedded database, with demo data
	$(GO) run ./cmd/borderflow

build: ## build bin/borderflow, static and stripped, stamped with VERSION
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/borderflow

lint: vet ## gofmt, go vet and staticcheck
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	$(STATICCHECK) ./...

clean: ## remove bin/ (the binary and the test log); data/ is left alone
	rm -rf bin
