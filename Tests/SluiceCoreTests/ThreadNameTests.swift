import Foundation
import SluiceTestSupport
import XCTest
@testable import SluiceCore

/// `ThreadName`: names cut to the kernel's 15 bytes on a character boundary, a thread's
/// previous name given back, and every stage of a running topology on a thread named after it.
final class ThreadNameTests: XCTestCase {
    func testNamesAreCutToFifteenBytesBetweenCharacters() {
        XCTAssertEqual(String(decoding: ThreadName.truncated("sluice:parse"), as: UTF8.self), "sluice:parse")
        XCTAssertEqual(String(decoding: ThreadName.truncated("sluice:repo_services"), as: UTF8.self), "sluice:repo_ser")
        // "é" is two bytes, at 14 and 15: the cut would split it, so it goes whole.
        XCTAssertEqual(String(decoding: ThreadName.truncated("sluice:abcdefgé"), as: UTF8.self), "sluice:abcdefg")
        // A four-byte character ending exactly at 15 stays.
        XCTAssertEqual(ThreadName.truncated("sluice:abcd\u{1F600}").count, 15)
        XCTAssertEqual(String(decoding: ThreadName.truncated("sluice:abcde\u{1F600}"), as: UTF8.self), "sluice:abcde")
        XCTAssertEqual(ThreadName.truncated(""), [])
    }

    func testEnterNamesTheThreadAndLeaveGivesItsNameBack() throws {
        #if !os(Linux)
        throw XCTSkip("thread names are set through /proc")
        #else
        let seen = Locked<[String?]>([])
        let done = Locked(false)
        let thread = Thread {
            let before = ThreadName.current()
            let previous = ThreadName.enter(ThreadName.forStage("detect"))
            let during = ThreadName.current()
            ThreadName.leave(previous)
            seen.withLock { $0 = [before, previous, during, ThreadName.current()] }
            done.withLock { $0 = true }
            done.broadcast()
        }
        thread.start()
        done.wait(timeout: 10, until: { $0 }) { _, _ in () }
        let s = seen.withLock { $0 }
        XCTAssertEqual(s.count, 4)
        XCTAssertNotNil(s[0])
        XCTAssertEqual(s[1], s[0], "enter returns the name the thread had")
        XCTAssertEqual(s[2], "sluice:detect")
        XCTAssertEqual(s[3], s[0], "leave gives it back")
        #endif
    }

    /// Records the name of the thread each component ran on.
    final class Names: @unchecked Sendable {
        // SAFETY: the map lives behind `Locked`.
        let byComponent = Locked([String: String]())
        func note(_ component: String) {
            let name = ThreadName.current() ?? "?"
            byComponent.withLock { $0[component] = name }
        }
    }

    final class NamingSource: Source, @unchecked Sendable {
        // SAFETY: `names` is thread-safe; nothing else is mutable.
        let names: Names
        init(_ names: Names) { self.names = names }
        func run(_ context: SourceContext) throws {
            names.note("source")
            context.emit(EventBatch(events: [Event(original: ArraySlice("{}".utf8))]))
        }
    }

    final class NamingTransform: Transform {
        let names: Names
        init(_ names: Names) { self.names = names }
        func process(_ events: [Event], into output: inout [Event], failures: inout [DeadLetter]) {
            names.note("transform")
            output.append(contentsOf: events)
        }
    }

    final class NamingSink: Sink, @unchecked Sendable {
        // SAFETY: `names` is thread-safe; nothing else is mutable.
        let names: Names
        init(_ names: Names) { self.names = names }
        func write(_ batch: EventBatch) throws {
            names.note("sink")
            batch.acknowledge()
        }
    }

    func testEachStageRunsOnAThreadNamedAfterIt() throws {
        #if !os(Linux)
        throw XCTSkip("thread names are set through /proc")
        #else
        let names = Names()
        var registry = ComponentRegistry()
        registry.sources["naming"] = { _, _ in NamingSource(names) }
        registry.transforms["naming"] = { _, _ in NamingTransform(names) }
        registry.sinks["naming"] = { _, _ in NamingSink(names) }
        registry.defaultDeadLetter = { _, _ in CollectingDeadLetterSink() }
        let cfg = try PipelineConfig.parse("""
            sources: {audit: {type: naming}}
            transforms: {enrich_with_context: {type: naming, inputs: [audit]}}
            sinks: {siem: {type: naming, inputs: [enrich_with_context]}}
            """, file: "p.yaml", environment: [:])
        let topo = try Topology(config: cfg, registry: registry, mode: .toEnd, logger: quietLogger())
        try topo.start()
        XCTAssertTrue(topo.wait(timeout: 60))
        XCTAssertEqual(names.byComponent.withLock { $0 }, [
            "source": "sluice:audit",
            "transform": "sluice:enrich_w",   // cut to 15 bytes
            "sink": "sluice:siem",
        ])
        #endif
    }
}
