import XCTest
@testable import SluiceCore

final class PipelineConfigTests: XCTestCase {
    func issues(_ yaml: String, env: [String: String] = [:], registry: ComponentRegistry? = nil) -> [ConfigIssue] {
        do {
            let cfg = try PipelineConfig.parse(yaml, file: "p.yaml", environment: env)
            if let registry { _ = try Plan(config: cfg, registry: registry, mode: .toEnd, logger: quietLogger()) }
            return []
        } catch let e as ConfigErrors {
            return e.issues
        } catch {
            XCTFail("unexpected \(error)"); return []
        }
    }

    var registry: ComponentRegistry {
        let t = TestRegistry()
        t.sources["src"] = CountingSource(count: 1, batchSize: 1)
        t.sinks["out"] = CollectingSink()
        return t.registry
    }

    func testValidPipelineParses() throws {
        let cfg = try PipelineConfig.parse("""
            data_dir: /tmp/x
            shutdown_timeout: 3s
            bottleneck_priority: 8
            buffer: {max_events: 500, when_full: drop_newest}
            sources:
              src: {type: counting}
            transforms:
              t: {type: picky, inputs: [src], every: 3}
            sinks:
              out: {type: collect, inputs: [t], buffer: {max_events: 7}}
            """, file: "p.yaml", environment: [:])
        XCTAssertEqual(cfg.shutdownTimeout, 3)
        XCTAssertEqual(cfg.bottleneckPriority, 8)
        let minimal = "sources:\n  src: {type: counting}\nsinks:\n  out: {type: collect, inputs: [src]}\n"
        XCTAssertEqual(try PipelineConfig.parse(minimal, file: "p.yaml", environment: [:]).bottleneckPriority, 5, "on by default")
        XCTAssertThrowsError(try PipelineConfig.parse("bottleneck_priority: 25\n" + minimal, file: "p.yaml", environment: [:])) {
            XCTAssertTrue("\($0)".contains("bottleneck_priority"), "\($0)")
        }
        XCTAssertEqual(cfg.queueCapacity, 500)
        XCTAssertEqual(cfg.queuePolicy, .dropNewest)
        XCTAssertEqual(cfg.sinks.first?.queueCapacity, 7)
        XCTAssertEqual(cfg.transforms.first?.inputs, ["src"])
    }

    /// Lanes a source feeds get `buffer.max_events`; lanes between stages four batches
    /// (capped by it); a component's own `buffer.max_events` wins; dead letters stay deep.
    func testLaneCapacityDependsOnWhatFeedsTheLane() throws {
        let cfg = try PipelineConfig.parse("""
            batch_size: 500
            sources:
              src: {type: counting}
            transforms:
              parse: {type: picky, inputs: [src]}
              enrich: {type: picky, inputs: [parse]}
              mixed: {type: picky, inputs: [parse, src]}
            sinks:
              out: {type: collect, inputs: [enrich]}
              own: {type: collect, inputs: [enrich], buffer: {max_events: 7}}
            """, file: "p.yaml", environment: [:])
        func cap(_ name: String) -> Int { cfg.laneCapacity(for: cfg.components.first { $0.name == name }!) }
        XCTAssertEqual(cap("parse"), 16_384)
        XCTAssertEqual(cap("mixed"), 16_384)
        XCTAssertEqual(cap("enrich"), 2_000)
        XCTAssertEqual(cap("out"), 2_000)
        XCTAssertEqual(cap("own"), 7)
        XCTAssertEqual(cfg.laneCapacity(for: cfg.components.first { $0.name == "out" }!, isDeadLetter: true), 16_384)
        let small = try PipelineConfig.parse("""
            buffer: {max_events: 100}
            sources:
              src: {type: counting}
            transforms:
              parse: {type: picky, inputs: [src]}
            sinks:
              out: {type: collect, inputs: [parse]}
            """, file: "p.yaml", environment: [:])
        XCTAssertEqual(small.laneCapacity(for: small.components.first { $0.name == "out" }!), 100, "never more than max_events")
    }

    func testEnabledFalseLeavesAComponentOutAndWhatOnlyItFed() throws {
        let yaml = """
            sources:
              a: {type: counting}
              b: {type: counting, enabled: "${B_ON:-false}", not_checked_while_off: 1}
            transforms:
              ta: {type: picky, inputs: [a, b]}
              tb: {type: picky, inputs: [b]}
            sinks:
              out: {type: collect, inputs: [ta, tb]}
              only_b: {type: collect, inputs: [tb]}
              off: {type: collect, inputs: [ta], enabled: false}
            """
        let cfg = try PipelineConfig.parse(yaml, file: "p.yaml", environment: [:])
        XCTAssertEqual(cfg.components.map(\.name), ["a", "ta", "out"])
        XCTAssertEqual(Set(cfg.disabled), ["b", "tb", "only_b", "off"])
        XCTAssertEqual(cfg.transforms.first?.inputs, ["a"])
        XCTAssertEqual(cfg.sinks.first?.inputs, ["ta"])
        let on = try PipelineConfig.parse(yaml, file: "p.yaml", environment: ["B_ON": "true"])
        XCTAssertEqual(on.components.map(\.name), ["a", "b", "ta", "tb", "out", "only_b"])
        XCTAssertEqual(on.disabled, ["off"])
        // Not a boolean: an error at the key, like any other option.
        let found = issues("""
            sources:
              src: {type: counting, enabled: sometimes}
            sinks:
              out: {type: collect, inputs: [src]}
            """, registry: registry)
        XCTAssertTrue(found.contains { $0.message.contains("enabled") && $0.line == 2 }, "\(found)")
    }

    func testUnknownKeyIsAnErrorWithFileLineColumnAndComponent() {
        let found = issues("""
            sources:
              src:
                type: counting
                nmae: oops
            sinks:
              out: {type: collect, inputs: [src]}
            """, registry: registry)
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(found.first?.description, "p.yaml:4:5: component 'src': unknown option 'nmae' (did you mean 'note'?)")
    }

    func testEveryErrorIsReportedAtOnce() {
        let found = issues("""
            sources:
              src: {type: counting}
              other: {type: nosuch}
            transforms:
              t: {type: picky, inputs: [src, missing], every: x}
            sinks:
              out: {type: collect}
            """, registry: registry)
        let text = found.map(\.description).joined(separator: "\n")
        XCTAssertTrue(text.contains("p.yaml:3:10: component 'other': unknown source type 'nosuch'"), text)
        XCTAssertTrue(text.contains("component 't': option 'every' must be an integer"), text)
        XCTAssertTrue(text.contains("component 'out': missing required option 'inputs'"), text)
        XCTAssertGreaterThanOrEqual(found.count, 3)
    }

    func testMissingInputAndCycleAreReported() {
        let found = issues("""
            sources:
              src: {type: counting}
            transforms:
              a: {type: picky, inputs: [src, b]}
              b: {type: picky, inputs: [a]}
            sinks:
              out: {type: collect, inputs: [b, ghost]}
            """, registry: registry)
        let text = found.map(\.description).joined(separator: "\n")
        XCTAssertTrue(text.contains("cycle"), text)
        XCTAssertTrue(text.contains("input 'ghost' is not a component of this pipeline"), text)
        XCTAssertTrue(found.allSatisfy { $0.file == "p.yaml" && $0.line > 0 && $0.column > 0 }, text)
    }

    func testAComponentReadOnlyByADeadLetterSinkIsAnError() {
        let t = TestRegistry()
        t.sources["src"] = CountingSource(count: 1, batchSize: 1)
        t.sinks["dlq"] = CollectingDeadLetterSink()
        let found = issues("""
            sources: {src: {type: counting}}
            sinks: {dlq: {type: dead_letter, inputs: [src]}}
            """, registry: t.registry)
        XCTAssertTrue(found.contains { $0.component == "src" && $0.message.hasPrefix("no transform or sink reads from this source") },
                      found.map(\.description).joined(separator: "\n"))
    }

    func testEnvironmentInterpolation() throws {
        let cfg = try PipelineConfig.parse("""
            data_dir: ${STATE:-/var/lib/sluice}/x
            api: {address: "127.0.0.1:${PORT}"}
            sources: {src: {type: counting}}
            sinks: {out: {type: collect, inputs: [src]}}
            """, file: "p.yaml", environment: ["PORT": "9100"])
        XCTAssertEqual(cfg.dataDir, "/var/lib/sluice/x")
        XCTAssertEqual(cfg.apiAddress, "127.0.0.1:9100")
        let found = issues("""
            data_dir: ${NOT_SET}
            sources: {src: {type: counting}}
            sinks: {out: {type: collect, inputs: [src]}}
            """)
        XCTAssertEqual(found.first?.description, "p.yaml:1:11: environment variable NOT_SET is not set (use ${NOT_SET:-default} for a default)")
    }

    func testYAMLSyntaxErrorHasPosition() {
        let found = issues("sources:\n  src: {type: counting\nsinks: {}\n")
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(found.first?.file, "p.yaml")
        XCTAssertGreaterThan(found.first?.line ?? 0, 1)
        XCTAssertTrue(found.first?.message.hasPrefix("invalid YAML") ?? false)
    }

    func testDurationsAndSizes() {
        XCTAssertEqual(ComponentOptions.parseDuration("500ms"), 0.5)
        XCTAssertEqual(ComponentOptions.parseDuration("5m"), 300)
        XCTAssertEqual(ComponentOptions.parseBytes("64KiB"), 65536)
        XCTAssertEqual(ComponentOptions.parseBytes("100MiB"), 100 << 20)
        XCTAssertNil(ComponentOptions.parseBytes("lots"))
    }
}
