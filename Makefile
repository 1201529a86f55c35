# Sluice: the two commands that matter are `make demo` and `make test`.
SWIFT ?= swift
RELEASE_BIN := .build/release/sluice

.PHONY: all deps build release demo test test-tsan bench bench-peers fuzz embed clean

all: build

## Install missing Debian packages (libsystemd-dev, rsyslog, ...) listed in .ci/apt-packages.
deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product sluice

## Run the embedded default pipeline over the bundled GitHub audit sample and show the output.
demo: release
	@echo "== sluice replay (embedded default pipeline) over Pipelines/samples/github-audit.jsonl"
	@SLUICE_GITHUB_AUDIT_LOG=Pipelines/samples/github-audit.jsonl $(RELEASE_BIN) replay | head -n 5 | cut -c1-400
	@echo "..."
	@SLUICE_GITHUB_AUDIT_LOG=Pipelines/samples/github-audit.jsonl $(RELEASE_BIN) replay > /dev/null

## Build and run every test (installs what the tests need first).
test: deps
	@sh scripts/embed-default-pipeline.sh --check
	$(SWIFT) build --build-tests
	bash scripts/run-tests.sh

## The runtime, ingest and sink tests under Thread Sanitizer (own build folder, .build-tsan).
TSAN_FILTER ?= SluiceCoreTests|SluiceIngestTests|SluiceSinkTests
test-tsan: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" $(SWIFT) test --skip-build --sanitize=thread \
		--scratch-path .build-tsan --disable-swift-testing --filter '$(TSAN_FILTER)'

## Throughput and memory benchmarks; figures go to BENCHMARKS.md by hand from bench-out/.
bench: deps
	bash Benchmarks/run.sh

## Sluice vs rsyslog and syslog-ng on the same machine and inputs (N events, default 1000000;
## ROUNDS, WORKLOADS, PROFILE: see Benchmarks/peers/bench-peers.sh). Never part of `make test`.
bench-peers: deps
	bash Benchmarks/peers/bench-peers.sh

## Fuzz every parser with libFuzzer (FUZZ_SECONDS per parser, default 60); crashes land in Fuzz/crashes/.
FUZZ_SECONDS ?= 60
fuzz: deps
	bash Fuzz/fuzz.sh $(FUZZ_SECONDS)

## Regenerate Sources/sluice/EmbeddedPipeline.swift from Pipelines/default.yaml.
embed:
	sh scripts/embed-default-pipeline.sh

clean:
	rm -rf .build bench-out
