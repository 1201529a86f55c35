import Foundation
import SluiceTestSupport
import XCTest
import SluiceCore
import SluiceParse
@testable import SluiceEnrich

/// `threat_intel` over events made by the real parsers, and its reload.
final class ThreatIntelEnricherTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = tempDir() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func intelFile() throws -> String {
        try ET.write(dir, "intel.csv", """
        indicator,category,feed,confidence,expires
        198.51.100.7,tor_exit,tor-project,90,
        140.82.112.4,hosting,cloud-ranges,,
        *.exfil-cdn.example,malicious,ir,85,
        paste-drop.example,malicious,ir,95,
        https://paste-drop.example/raw/abc,malicious,ir-urls,,
        203.0.113.0/24,residential_proxy,proxy-intel,70,2026-01-01
        """)
    }

    func testSquidEventMatchesDestinationDomainAndURL() throws {
        let t = ThreatIntelEnricher(files: [IntelFile(path: try intelFile())], logger: ET.logger)
        try t.load()
        let e = try ET.squid("1764750003.000     21 10.2.3.4 TCP_MISS/200 1520 GET https://paste-drop.example/raw/abc?dl=1 - HIER_DIRECT/198.51.100.7 text/plain")
        let out = ET.run(t, [e])[0]
        let m = ET.enrichments(out)
        XCTAssertEqual(m.count, 3, "\(m)")
        XCTAssertEqual(m[0], ["indicator": "198.51.100.7", "feed": "tor-project", "category": "tor_exit", "confidence": "90",
                              "matched.field": "destination.ip", "matched.atomic": "198.51.100.7"])
        XCTAssertEqual(m[1]["indicator"], "paste-drop.example")
        XCTAssertEqual(m[1]["matched.field"], "destination.domain", "the same indicator is not repeated for url.domain")
        XCTAssertEqual(m[2]["indicator"], "https://paste-drop.example/raw/abc")
        XCTAssertEqual(m[2]["matched.field"], "url.full")
        XCTAssertEqual(m[2]["matched.atomic"], "https://paste-drop.example/raw/abc?dl=1")
        XCTAssertNil(m[2]["confidence"], "unknown confidence is left out")
    }

    func testCONNECTHostAndDNSAndGitHubActor() throws {
        let t = ThreatIntelEnricher(files: [IntelFile(path: try intelFile())], logger: ET.logger)
        try t.load()
        let connect = try ET.squid("1764750000.123    412 10.9.0.23 TCP_TUNNEL/200 5421 CONNECT uploads.exfil-cdn.example:443 alice HIER_DIRECT/192.0.2.10 -")
        let dns = try ET.bind("03-Dec-2026 08:00:01.123 queries: info: client @0x7f1c2c0 10.9.0.23#53111 (files.exfil-cdn.example): query: files.exfil-cdn.example IN A +E(0)K (10.0.0.53)")
        let gh = try ET.github(#"{"@timestamp":1764750000000,"action":"git.clone","actor":"alice-acme","actor_ip":"198.51.100.7","repo":"acme/widgets","programmatic_access_type":"Personal access token (classic)"}"#)
        let out = ET.run(t, [connect, dns, gh])
        XCTAssertEqual(ET.enrichments(out[0]).map { $0["matched.field"] }, ["destination.domain"])
        XCTAssertEqual(ET.enrichments(out[0]).first?["indicator"], "*.exfil-cdn.example")
        XCTAssertEqual(ET.enrichments(out[1]).map { $0["matched.field"] }, ["dns.question.name"])
        XCTAssertEqual(ET.enrichments(out[2]).map { $0["matched.field"] }, ["source.ip"])
    }

    /// `expires` is compared with the event's own time, so a replay of old logs matches as
    /// the live run did.
    func testExpiryUsesEventTime() throws {
        let t = ThreatIntelEnricher(files: [IntelFile(path: try intelFile())], logger: ET.logger)
        try t.load()
        let before = try ET.squid("1764000000.000 5 10.9.0.23 TCP_MISS/200 10 GET http://203.0.113.9/x - HIER_DIRECT/203.0.113.9 -")   // 2025-11
        let after = try ET.squid("1767312000.000 5 10.9.0.23 TCP_MISS/200 10 GET http://203.0.113.9/x - HIER_DIRECT/203.0.113.9 -")    // 2026-01-02
        let out = ET.run(t, [before, after])
        XCTAssertEqual(ET.enrichments(out[0]).first?["indicator"], "203.0.113.0/24")
        XCTAssertEqual(ET.enrichments(out[1]), [])
    }

    func testCheckedFieldsAndMaxMatchesAreConfigurable() throws {
        let p = try ET.write(dir, "many.txt", (1...40).map { "198.51.100.\($0)" }.joined(separator: "\n"))
        var e = Event(timestamp: 1)
        e[FieldKey("related.ip")] = .array((1...40).map { .string("198.51.100.\($0)") })
        e[ECS.sourceIP] = .string("198.51.100.1")
        let t = ThreatIntelEnricher(files: [IntelFile(path: p)], fields: ["related.ip"], maxMatches: 5, logger: ET.logger)
        try t.load()
        let m = ET.enrichments(ET.run(t, [e])[0])
        XCTAssertEqual(m.count, 5)
        XCTAssertTrue(m.allSatisfy { $0["matched.field"] == "related.ip" })
        // Appends to enrichments already on the event.
        let again = ET.enrichments(ET.run(t, ET.run(t, [e]))[0])
        XCTAssertEqual(again.count, 10)
    }

    func testOptionsFromPipelineYAML() throws {
        let p = try intelFile()
        let yaml = """
        sources:
          s: {type: stdin}
        transforms:
          intel:
            type: threat_intel
            inputs: [s]
            files:
              - \(p)
              - path: \(dir)/list.txt
                feed: blocklist
                category: scanner
                confidence: 40
            fields: [source.ip, destination.domain]
            max_matches: 4
            reload_bad_lines: skip
        sinks:
          o: {type: stdout, inputs: [intel]}
        """
        let cfg = try PipelineConfig.parse(yaml, file: "p.yaml", environment: [:])
        let c = cfg.transforms[0]
        let ctx = BuildContext(name: "intel", mode: .toEnd, dataDir: nil, logger: ET.logger, registry: EnrichComponents.registry)
        let t = try XCTUnwrap(try EnrichComponents.registry.transforms["threat_intel"]!(c.options, ctx) as? ThreatIntelEnricher)
        XCTAssertEqual(c.options.finish(), [])
        XCTAssertEqual(t.files, [IntelFile(path: p), IntelFile(path: dir + "/list.txt", format: .list, feed: "blocklist", category: "scanner", confidence: 40)])
        XCTAssertEqual(t.fields.map(\.path), ["source.ip", "destination.domain"])
        XCTAssertEqual(t.maxMatches, 4)
        XCTAssertEqual(t.watchedFiles, [p, dir + "/list.txt"])
        // Building read nothing: the list file does not exist yet, and load() says so.
        XCTAssertThrowsError(try t.load()) { XCTAssertTrue("\($0)".contains("list.txt:0: cannot open"), "\($0)") }
        // A typo is reported.
        let bad = try PipelineConfig.parse(yaml.replacingOccurrences(of: "max_matches", with: "max_match"), file: "p.yaml", environment: [:])
        _ = try EnrichComponents.registry.transforms["threat_intel"]!(bad.transforms[0].options, ctx)
        XCTAssertTrue(bad.transforms[0].options.finish().contains { $0.message.contains("unknown option 'max_match'") })
    }

    /// A reload that finds bad lines keeps the set in service (by default) and reports them;
    /// a good reload swaps in between batches; a missing file keeps the old set.
    func testReloadKeepsPreviousSetOnFailure() throws {
        let p = try ET.write(dir, "r.csv", "indicator,category,feed\n198.51.100.7,tor_exit,v1\n")
        let t = ThreatIntelEnricher(files: [IntelFile(path: p)], logger: ET.logger)
        try t.load()
        var e = Event(timestamp: 1)
        e[ECS.sourceIP] = .string("198.51.100.7")
        XCTAssertEqual(ET.enrichments(ET.run(t, [e])[0]).first?["feed"], "v1")

        try ET.write(dir, "r.csv", "indicator,category,feed\n198.51.100.7,tor_exit,v2\nnot-an-ip/99,x,y\n")
        XCTAssertFalse(t.intel.reloadNow())
        XCTAssertEqual(t.lastReport.issues.map(\.description), ["\(p):3: \"not-an-ip/99\" is not an IP address, CIDR, domain, *.domain or URL"])
        XCTAssertEqual(ET.enrichments(ET.run(t, [e])[0]).first?["feed"], "v1", "bad lines: the previous set stays")

        try FileManager.default.removeItem(atPath: p)
        XCTAssertFalse(t.intel.reloadNow())
        XCTAssertEqual(ET.enrichments(ET.run(t, [e])[0]).first?["feed"], "v1", "unreadable file: the previous set stays")

        try ET.write(dir, "r.csv", "indicator,category,feed\n198.51.100.7,tor_exit,v3\n")
        let done = expectation(description: "reloaded")
        t.reload { ok in XCTAssertTrue(ok); done.fulfill() }
        wait(for: [done], timeout: 10)
        XCTAssertEqual(ET.enrichments(ET.run(t, [e])[0]).first?["feed"], "v3")

        // With `reload_bad_lines: skip`, bad lines are skipped on reload as at start.
        let s = ThreatIntelEnricher(files: [IntelFile(path: p)], keepPreviousOnBadLines: false, logger: ET.logger)
        try s.load()
        try ET.write(dir, "r.csv", "indicator,category,feed\n198.51.100.7,tor_exit,v4\nbad line\n")
        XCTAssertTrue(s.intel.reloadNow())
        XCTAssertEqual(ET.enrichments(ET.run(s, [e])[0]).first?["feed"], "v4")
    }

    /// Reload while another thread enriches batches: every batch is enriched from exactly one
    /// whole set (all its events carry the same generation's feed), and the new set arrives.
    func testReloadWhileEventsFlow() throws {
        func write(_ gen: Int) throws {
            // 20,000 indicators per generation, so a load takes long enough to overlap batches.
            var s = "indicator,category,feed\n"
            for i in 0..<20_000 { s += "10.\(i >> 8 & 255).\(i & 255).\(gen % 200 + 1),malicious,gen-\(gen)\n" }
            s += "198.51.100.7,tor_exit,gen-\(gen)\n"
            // Written to a temporary name and renamed into place, as feed updaters do.
            try s.write(toFile: dir + "/flow.csv.tmp", atomically: false, encoding: .utf8)
            _ = rename(dir + "/flow.csv.tmp", dir + "/flow.csv")
        }
        try write(0)
        let t = ThreatIntelEnricher(files: [IntelFile(path: dir + "/flow.csv")], logger: ET.logger)
        try t.load()
        let stop = Flag()
        let seen = Guarded<[String]>([])
        let worker = Thread {
            var batch: [Event] = []
            for i in 0..<64 {
                var e = Event(timestamp: 1)
                e[ECS.sourceIP] = .string("198.51.100.7")
                e[ECS.destinationIP] = .string("10.0.\(i).1")
                batch.append(e)
            }
            while !stop.isSet {
                let out = ET.run(t, batch, bothWays: false)  // the tables change between calls
                let feeds = Set(out.flatMap { ET.enrichments($0).compactMap { $0["feed"] } })
                let label = feeds.count == 1 ? feeds.first! : "MIXED \(feeds.sorted())"
                seen.withLock { if $0.last != label { $0.append(label) } }
            }
            stop.ack()
        }
        worker.start()
        for gen in 1...5 {
            try write(gen)
            let done = expectation(description: "gen \(gen)")
            t.reload { ok in XCTAssertTrue(ok); done.fulfill() }
            wait(for: [done], timeout: 30)
            // Wait (bounded) until the worker's batches show the new generation.
            _ = waitUntil(timeout: 30, interval: 0.001) { seen.value.last == "gen-\(gen)" }
        }
        stop.set()
        XCTAssertTrue(stop.waitAck(timeout: 30))
        let batches = seen.value
        XCTAssertFalse(batches.contains { $0.hasPrefix("MIXED") }, "a batch saw two sets: \(batches.filter { $0.hasPrefix("MIXED") }.prefix(3))")
        // Generations appear in order, each one whole.
        XCTAssertEqual(batches, (0...5).map { "gen-\($0)" })
    }
}

/// A thread-safe flag with an acknowledgement, for the reload test's worker thread.
final class Flag: @unchecked Sendable {
    private let lock = NSCondition()
    private var flag = false, acked = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return flag }
    func set() { lock.lock(); flag = true; lock.unlock() }
    func ack() { lock.lock(); acked = true; lock.broadcast(); lock.unlock() }
    func waitAck(timeout: Double) -> Bool {
        lock.lock(); defer { lock.unlock() }
        let deadline = Date().addingTimeInterval(timeout)
        while !acked { if !lock.wait(until: deadline) { return acked } }
        return true
    }
}
