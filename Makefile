# Sluice: the two commands that matter are `make demo` and `make test`.
SWIFT ?= swift

.PHONY: all deps build release demo dataset test build-tests test-e2e test-tsan build-tsan test-adversarial bench bench-peers fuzz embed clean deb test-package

all: build

## Install missing Debian packages (libsystemd-dev, rsyslog, ...) listed in .ci/apt-packages.
deps:
	@bash scripts/install-deps.sh

build: deps
	@sh scripts/embed-default-pipeline.sh
	$(SWIFT) build

release: deps
	@sh scripts/embed-default-pipeline.sh
	SWIFT=$(SWIFT) bash scripts/swift-release.sh --product sluice

## The Acme day (four days of logs, six planted attacks) through the shipped pipeline and the
## built-in rule pack: the alerts as a table, the evidence of the top ones, the outputs, the summary.
demo: release dataset
	@bash scripts/demo.sh

## Generate the Acme day (four days of logs with planted attacks, context, intel, manifest) into
## .build/dataset/; regenerated only when the generator changes (deterministic: same bytes).
DATASET := .build/dataset
$(DATASET)/manifest.json: $(wildcard Benchmarks/dataset/*.py Benchmarks/dataset/daygen/*.py)
	python3 Benchmarks/dataset/generate.py --out $(DATASET)
dataset: $(DATASET)/manifest.json

## Build and run every test: the suite, the dataset tests and the Acme day end to end, all on
## one debug build (installs what the tests need first; the benchmark executables are left
## out of this build, SLUICE_NO_BENCHMARKS in Package.swift).
test: build-tests
	SLUICE_NO_BENCHMARKS=1 bash scripts/run-all-tests.sh

## The build `make test` runs its tests on (.ci/run builds it first, beside the Thread Sanitizer build).
build-tests: deps
	@sh scripts/embed-default-pipeline.sh --check
	SLUICE_NO_BENCHMARKS=1 $(SWIFT) build --build-tests

## The Acme day end to end alone (1.15 million lines, on the debug build or SLUICE=binary): replay
## gives exactly the planted alerts, and `sluice run` delivers them as CEF to a real rsyslogd.
## Part of `make test`.
test-e2e: deps
	bash scripts/test-e2e.sh

## Build dist/sluice_<version>_<arch>.deb (offline, dpkg-deb; see packaging/README.md).
## SLUICE_CONFFILE picks the file installed as /etc/sluice/sluice.yaml (default Pipelines/collector.yaml).
deb: deps
	bash scripts/build-deb.sh

## Install the .deb (root), check the installed agent, purge it; ends with "package: N passed, N failed".
test-package: deb
	bash scripts/test-package.sh

## The runtime, ingest and sink tests under Thread Sanitizer (own build folder, .build-tsan;
## Sluice's modules unoptimized, SLUICE_DEBUG_ONONE in Package.swift, for whole stack traces).
## Only the test targets in TSAN_TARGETS and what they depend on are built (SLUICE_TEST_TARGETS
## in Package.swift): no detection, enrichment or command-line module, no `sluice` executable.
TSAN_TARGETS ?= SluiceCoreTests SluiceIngestTests SluiceSinkTests
empty :=
space := $(empty) $(empty)
TSAN_FILTER ?= $(subst $(space),|,$(strip $(TSAN_TARGETS)))
TSAN_ENV = SLUICE_NO_BENCHMARKS=1 SLUICE_DEBUG_ONONE=1 SLUICE_TEST_TARGETS="$(TSAN_TARGETS)"
## Left out under TSan: a single-threaded memory-bound check (it measures RSS, which TSan's shadow
## memory distorts) that takes 90 s there against 2 s in the plain run.
TSAN_SKIP ?= testPlanCacheIsBoundedByBytes
test-tsan: build-tsan
	$(TSAN_ENV) SWIFT_BACKTRACE=enable=no TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" bash scripts/run-tests.sh \
		--sanitize=thread --scratch-path .build-tsan --filter '$(TSAN_FILTER)' --skip '$(TSAN_SKIP)'

## The Thread Sanitizer build alone (.ci/run starts it in the background while `make test` runs).
build-tsan: deps
	$(TSAN_ENV) $(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan

## Hostile peers and records against the agent as a process (release build; a few minutes):
## idle connections, slow handshakes, connection floods, wide and huge records, a redirecting
## and a TLS 1.0 receiver, full tmpfs for the file sink and the disk buffer, a stalled pipeline
## and a SIGKILL loop. Peak RSS per case goes to bench-out/adversarial.md.
test-adversarial: release
	python3 scripts/adversarial.py

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

## Regenerate what the binary embeds: Sources/sluice/EmbeddedPipeline.swift (Pipelines/collector.yaml) and
## Sources/sluice/EmbeddedRules.swift (Pipelines/rules/, the rule pack `builtin`).
embed:
	sh scripts/embed-default-pipeline.sh

clean:
	rm -rf .build bench-out dist
