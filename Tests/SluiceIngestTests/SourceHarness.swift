import Foundation
import Logging
import SluiceTestSupport
import SluiceTestSupport
import XCTest
@testable import SluiceCore
@testable import SluiceIngest

/// Runs one source on its own thread with a real SourceContext and BoundedQueue, the way the
/// topology does, and plays the sink: pops batches and acknowledges them.
final class SourceHarness: @unchecked Sendable {
    // SAFETY (@unchecked Sendable): `source.run` runs on the harness thread; other threads
    // only call what the `Source` contract makes thread-safe (`stop`, `commitCheckpoints`)
    // and the queue (thread-safe). `runError` is written by the run thread before `done` is
    // signalled and read by the test only after waiting on `done`.
    let queue: BoundedQueue
    let context: SourceContext
    let metrics: ComponentMetrics
    let source: Source
    private let done = DispatchSemaphore(value: 0)
    private(set) var runError: Error?

    init(_ source: Source, name: String = "test", mode: RunMode = .follow, stateDir: String? = nil, capacity: Int = 100_000,
         logger customLogger: Logger? = nil) throws {
        self.source = source
        queue = BoundedQueue(name: name, capacity: capacity)
        metrics = ComponentMetrics(name: name, kind: "source", type: "test")
        var logger = Logger(label: "test.\(name)")
        logger.logLevel = ProcessInfo.processInfo.environment["SLUICE_TEST_DEBUG"] != nil ? .debug : .warning
        let store = try stateDir.map { try CheckpointStore(dataDirectory: $0) }
        context = SourceContext(name: name, mode: mode, logger: customLogger ?? logger, metrics: metrics, checkpoints: store, outputs: [queue])
    }

    func start() {
        let t = Thread { [self] in
            do { try source.run(context) } catch { runError = error }
            done.signal()
        }
        t.start()
    }

    /// Pops and acknowledges until `count` events arrived or `timeout` passed.
    func collect(_ count: Int, timeout: Double = 30, acknowledge: Bool = true) -> [Event] {
        var out: [Event] = []
        let deadline = Date().addingTimeInterval(timeout)
        while out.count < count && Date() < deadline {
            guard let b = queue.pop(maxEvents: max(1, count - out.count), timeout: 0.1) else { break }
            out.append(contentsOf: b.events)
            if acknowledge { b.acknowledge() }
        }
        return out
    }

    /// Pops everything that arrives within `quiet` seconds (for "nothing more" checks).
    func drain(quiet: Double = 1.0) -> [Event] {
        var out: [Event] = []
        while let b = queue.pop(maxEvents: 4096, timeout: quiet), b.count > 0 {
            out.append(contentsOf: b.events)
            b.acknowledge()
        }
        return out
    }

    /// Stops the source, waits for `run` to return, commits checkpoints.
    func stop(timeout: Double = 30) {
        context.requestStop()
        source.stop()
        let r = done.wait(timeout: .now() + timeout)
        XCTAssertEqual(r, .success, "source did not stop")
        source.commitCheckpoints()
    }

    /// Waits for `run` to return by itself (replay mode).
    func waitFinished(timeout: Double = 30) -> Bool {
        done.wait(timeout: .now() + timeout) == .success
    }
}

extension Event {
    var text: String { String(decoding: original, as: UTF8.self) }
}

/// The options of a source written as YAML (the body of one `sources:` entry, without `type`).
func options(_ yaml: String, type: String = "test") throws -> ComponentOptions {
    let body = yaml.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
    let text = "sources:\n  src:\n    type: \(type)\n\(body)\nsinks:\n  out:\n    type: stdout\n    inputs: [src]\n"
    let cfg = try PipelineConfig.parse(text, file: "test.yaml", environment: [:])
    return cfg.sources[0].options
}

func buildContext(mode: RunMode = .follow) -> BuildContext {
    BuildContext(name: "src", mode: mode, dataDir: nil, logger: Logger(label: "test"), registry: ComponentRegistry())
}
