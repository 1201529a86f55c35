import Foundation
import SluiceTestSupport
import XCTest
import SluiceCore
@testable import SluiceEnrich

/// The runtime's view: `start` loads and registers, SIGHUP (the registry) and file changes
/// reload, `stop` ends both.
final class EnricherLifecycleTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = tempDir() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func context(_ reloads: ReloadRegistry, mode: RunMode = .follow) -> StartContext {
        StartContext(name: "intel", mode: mode, dataDir: nil, logger: ET.logger,
                     metrics: ComponentMetrics(name: "intel", kind: "transform", type: "threat_intel"), reloads: reloads)
    }

    func feed(_ t: ThreatIntelEnricher) -> String? {
        var e = Event(timestamp: 1)
        e[ECS.sourceIP] = .string("198.51.100.7")
        return ET.enrichments(ET.run(t, [e])[0]).first?["feed"]
    }

    func testStartRegistersAndStopEnds() throws {
        let p = try ET.write(dir, "intel.csv", "indicator,category,feed\n198.51.100.7,tor_exit,v1\n")
        let reloads = ReloadRegistry()
        let t = ThreatIntelEnricher(files: [IntelFile(path: p)], watch: false, name: "intel", logger: ET.logger)
        try t.start(context(reloads))
        XCTAssertEqual(reloads.files.map(\.path), [p])
        XCTAssertEqual(feed(t), "v1")
        // SIGHUP: the registry reloads; the new set serves a later batch.
        try "indicator,category,feed\n198.51.100.7,tor_exit,v2\n".write(toFile: p, atomically: true, encoding: .utf8)
        reloads.reloadAll()
        XCTAssertTrue(waitUntil(timeout: 10) { feed(t) == "v2" })
        t.stop()
        XCTAssertTrue(reloads.files.isEmpty, "stop ends the registration")
    }

    /// The registration and the watcher hold the enricher's set weakly, not the enricher (a
    /// weakly referenced object is retained through the runtime's slow path for life): a
    /// registered enricher is freed when the pipeline lets it go, and a SIGHUP after that
    /// reloads nothing.
    func testRegistrationDoesNotKeepTheEnricherAlive() throws {
        let p = try ET.write(dir, "intel.csv", "indicator,category,feed\n198.51.100.7,tor_exit,v1\n")
        let reloads = ReloadRegistry()
        weak var gone: ThreatIntelEnricher?
        weak var goneSet: ReloadingSet<ThreatIntelSet>?
        do {
            let t = ThreatIntelEnricher(files: [IntelFile(path: p)], watch: false, name: "intel", logger: ET.logger)
            try t.start(context(reloads))
            let w = t.makeWatcher()
            gone = t
            goneSet = t.intel
            XCTAssertEqual(feed(t), "v1")
            _ = w
        }
        XCTAssertNil(gone, "the registration keeps no enricher alive")
        XCTAssertNil(goneSet, "nor its set")
        reloads.reloadAll()
    }

    func testStartWatchesInLiveRunsOnly() throws {
        let p = try ET.write(dir, "intel.csv", "indicator,category,feed\n198.51.100.7,tor_exit,v1\n")
        let live = ThreatIntelEnricher(files: [IntelFile(path: p)], name: "intel", logger: ET.logger)
        try live.start(context(ReloadRegistry()))
        XCTAssertEqual(feed(live), "v1")
        try "indicator,category,feed\n198.51.100.7,tor_exit,v2\n".write(toFile: p, atomically: true, encoding: .utf8)
        XCTAssertTrue(waitUntil(timeout: 10) { feed(live) == "v2" }, "a changed file reloads without SIGHUP")
        live.stop()
        try "indicator,category,feed\n198.51.100.7,tor_exit,v3\n".write(toFile: p, atomically: true, encoding: .utf8)
        usleep(600_000)   // the scenario: nothing may happen; wait past the watcher's debounce
        XCTAssertEqual(feed(live), "v2", "no reload after stop")

        let replay = ThreatIntelEnricher(files: [IntelFile(path: p)], name: "intel", logger: ET.logger)
        try replay.start(context(ReloadRegistry(), mode: .toEnd))
        try "indicator,category,feed\n198.51.100.7,tor_exit,v4\n".write(toFile: p, atomically: true, encoding: .utf8)
        usleep(600_000)   // the scenario: nothing may happen; wait past the watcher's debounce
        XCTAssertEqual(feed(replay), "v3", "replay reads its files once")
        replay.stop()
    }

    func testStartFailsForAnUnreadableFile() {
        let t = ContextEnricher(files: [ContextFile(path: dir + "/missing.yaml")], logger: ET.logger)
        XCTAssertThrowsError(try t.start(context(ReloadRegistry()))) { XCTAssertTrue("\($0)".contains("missing.yaml:0: cannot open"), "\($0)") }
    }
}
