import Foundation
import SluiceTestSupport
import XCTest

/// The runtime's state guarantees, end to end, with the test agent's stateful transforms
/// (`Tests/TestAgent`): exact state across SIGKILLs (snapshot epochs), replay equal to live
/// (event time), and inputs aligned in event time.
final class StatefulRuntimeTests: XCTestCase {
    /// JSON lines `{"@timestamp": ms, "k": "key-N", "seq": i}`.
    static func writeKeyed(_ url: URL, range: Range<Int>, keys: Int, append: Bool = false, time: (Int) -> Int64) throws {
        var text = ""
        text.reserveCapacity(range.count * 64)
        for i in range { text += #"{"@timestamp":\#(time(i)),"k":"key-\#(i % keys)","seq":\#(i)}"# + "\n" }
        if append, let h = try? FileHandle(forWritingTo: url) {
            h.seekToEndOfFile(); h.write(Data(text.utf8)); h.closeFile()
        } else {
            try Data(text.utf8).write(to: url)
        }
    }

    /// `"seq":N` and `"count":N` (under `test`) of each output line.
    static func seqsAndCounts(_ url: URL) -> (seqs: Set<Int>, maxCount: [String: Int]) {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return ([], [:]) }
        var seqs = Set<Int>()
        var maxCount: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            if let s = obj["seq"] as? Int { seqs.insert(s) }
            if let k = obj["k"] as? String, let t = obj["test"] as? [String: Any], let c = t["count"] as? Int {
                maxCount[k] = max(maxCount[k] ?? 0, c)
            }
        }
        return (seqs, maxCount)
    }

    /// The epoch number last committed under a data directory (0 before any).
    static func committedEpoch(_ dataDir: URL) -> Int {
        guard let d = FileManager.default.contents(atPath: dataDir.path + "/state/epoch.json"),
              let o = try? JSONSerialization.jsonObject(with: d) as? [String: Any] else { return 0 }
        return o["epoch"] as? Int ?? 0
    }

    /// SIGKILL the agent ten times, each time once a new epoch committed and then at a random
    /// moment, with `feed` appending input meanwhile; returns the last (running) agent.
    static func killTenTimes(config: URL, dir: URL, dataDir: URL, feed: () throws -> Void) throws -> SluiceProcess {
        var agent = try SluiceProcess(["run", config.path], directory: dir, binary: SluiceProcess.agent)
        var generator = SystemRandomNumberGenerator()
        for kill in 0..<10 {
            // A kill right after a commit restores that epoch (with whatever state it held);
            // a kill later also throws away the work done since.
            let before = committedEpoch(dataDir)
            _ = try waitUntil(timeout: 60, interval: 0.04) { try feed(); return committedEpoch(dataDir) != before }
            XCTAssertGreaterThan(committedEpoch(dataDir), before, "kill \(kill): no epoch committed: \(agent.stderr)")
            let extra = Date().addingTimeInterval(Double.random(in: 0...0.6, using: &generator))
            while Date() < extra { try feed(); usleep(40_000) }   // the scenario: a kill at a random moment
            agent.signal(SIGKILL)
            agent.wait(timeout: 10)
            agent = try SluiceProcess(["run", config.path], directory: dir, binary: SluiceProcess.agent)
        }
        return agent
    }

    /// SIGKILL the agent ten times at random moments while it ingests and counts per key;
    /// after the last restart every record was emitted at least once and the count of every
    /// key equals an uninterrupted run's: no state lost, no replayed record counted twice.
    func testTenSIGKILLsLoseNoStateAndCountNothingTwice() throws {
        let dir = makeTempDir()
        let input = dir.appendingPathComponent("in.jsonl"), output = dir.appendingPathComponent("out.ndjson")
        let keys = 37
        let config = dir.appendingPathComponent("p.yaml")
        try """
        data_dir: \(dir.appendingPathComponent("state").path)
        checkpoint_interval: 200ms
        batch_size: 200
        buffer: {max_events: 2000}
        sources:
          in: {type: file, include: ["\(input.path)"], batch_size: 200}
        transforms:
          parse: {type: parse, inputs: [in], format: json, drop_original: true}
          count: {type: count_per_key, inputs: [parse], key: k}
        sinks:
          out: {type: file, inputs: [count], path: \(output.path)}
        """.write(to: config, atomically: true, encoding: .utf8)
        let chunk = 4_000
        var written = 0
        try Self.writeKeyed(input, range: 0..<chunk, keys: keys) { 1_763_863_200_000 + Int64($0) }
        written = chunk
        let agent = try Self.killTenTimes(config: config, dir: dir, dataDir: dir.appendingPathComponent("state")) {
            try Self.writeKeyed(input, range: written..<(written + 500), keys: keys, append: true) { 1_763_863_200_000 + Int64($0) }
            written += 500
        }
        // The last run reads everything, then stops cleanly.
        let total = written
        XCTAssertTrue(waitUntil(timeout: 300, interval: 0.5) { Self.seqsAndCounts(output).seqs.count == total },
                      "not every record arrived: \(Self.seqsAndCounts(output).seqs.count) of \(total)\n\(agent.stderr)")
        agent.signal(SIGTERM)
        XCTAssertEqual(agent.wait(timeout: 60), 0, agent.stderr)
        let (seqs, counts) = Self.seqsAndCounts(output)
        XCTAssertEqual(seqs, Set(0..<total), "a record was lost")
        var expected: [String: Int] = [:]
        for i in 0..<total { expected["key-\(i % keys)", default: 0] += 1 }
        XCTAssertEqual(counts, expected, "per-key counts differ from an uninterrupted run")
        let lines = lineCount(output)
        print("crash test: \(total) records, \(lines) lines out, \(lines - total) replayed duplicates after 10 kills")
    }

    /// auditd events of five records each, written in small file batches so events are split
    /// across batches (the parse stage holds half-assembled events), counted per audit key.
    static func auditText(_ range: Range<Int>) -> String {
        var text = ""
        for i in range {
            let id = "audit(\(1_763_863_200 + i / 100).\(String(format: "%03d", (i % 100) * 10)):\(1_000 + i))"
            text += "type=SYSCALL msg=\(id): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=\(500 + i % 97) auid=1000 uid=1000 gid=1000 euid=1000 comm=\"git\" exe=\"/usr/bin/git\" key=\"key-\(i % 23)\"\n"
            text += "type=EXECVE msg=\(id): argc=3 a0=\"git\" a1=\"push\" a2=\"origin\"\n"
            text += "type=CWD msg=\(id): cwd=\"/srv/build/\(i)\"\n"
            text += "type=PROCTITLE msg=\(id): proctitle=6769740070757368\n"
            text += "type=EOE msg=\(id): \n"
        }
        return text
    }

    /// Appends `text` but keeps its last two lines back (written by the next call), so the
    /// file usually ends in the middle of an event: the parser then holds open records
    /// whenever the agent has read to the end.
    static func appendHoldingBack(_ url: URL, _ text: String, carry: inout String, holdBack: Int = 2) {
        var lines = (carry + text).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        let keep = lines.suffix(holdBack)
        lines.removeLast(min(holdBack, lines.count))
        carry = keep.map { $0 + "\n" }.joined()
        let chunk = lines.map { $0 + "\n" }.joined()
        if !FileManager.default.fileExists(atPath: url.path) { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        if let h = try? FileHandle(forWritingTo: url) { h.seekToEndOfFile(); h.write(Data(chunk.utf8)); h.closeFile() }
    }

    /// Ten SIGKILLs while auditd records split across batches are assembled and counted per
    /// key: after the last restart every event was emitted whole (never incomplete: the open
    /// events came back from the snapshot), and the counts equal an uninterrupted run's.
    /// (`assembly_timeout` is long: on a loaded machine a restart can take longer than the
    /// default 2 s of quiet, which would rightly emit a restored open event incomplete.)
    func testTenSIGKILLsDuringAuditdAssemblyLoseNoRecord() throws {
        let dir = makeTempDir()
        let input = dir.appendingPathComponent("audit.log"), output = dir.appendingPathComponent("out.ndjson")
        let config = dir.appendingPathComponent("p.yaml")
        try """
        data_dir: \(dir.appendingPathComponent("state").path)
        checkpoint_interval: 200ms
        batch_size: 7
        sources:
          audit: {type: file, include: ["\(input.path)"], batch_size: 7}
        transforms:
          parse: {type: parse, inputs: [audit], format: auditd, drop_original: true, assembly_timeout: 1m}
          count: {type: count_per_key, inputs: [parse], key: auditd.data.key}
        sinks:
          out: {type: file, inputs: [count], path: \(output.path), include_original: false}
        """.write(to: config, atomically: true, encoding: .utf8)
        var written = 2_000
        var carry = ""
        Self.appendHoldingBack(input, Self.auditText(0..<written), carry: &carry)
        let agent = try Self.killTenTimes(config: config, dir: dir, dataDir: dir.appendingPathComponent("state")) {
            Self.appendHoldingBack(input, Self.auditText(written..<(written + 100)), carry: &carry)
            written += 100
        }
        Self.appendHoldingBack(input, "", carry: &carry, holdBack: 0)  // the held-back tail, at last
        let total = written
        func read() -> (seqs: Set<Int>, counts: [String: Int], incomplete: Int) {
            guard let text = try? String(contentsOf: output, encoding: .utf8) else { return ([], [:], 0) }
            var seqs = Set<Int>(), counts: [String: Int] = [:], incomplete = 0
            for line in text.split(separator: "\n") {
                guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let a = o["auditd"] as? [String: Any], let seq = a["sequence"] as? Int else { continue }
                seqs.insert(seq - 1_000)
                if a["incomplete"] != nil { incomplete += 1 }
                if let k = (a["data"] as? [String: Any])?["key"] as? String, let c = (o["test"] as? [String: Any])?["count"] as? Int {
                    counts[k] = max(counts[k] ?? 0, c)
                }
            }
            return (seqs, counts, incomplete)
        }
        // The last event's EOE closes it; everything arrives once the agent caught up.
        XCTAssertTrue(waitUntil(timeout: 300, interval: 0.5) { read().seqs.count == total },
                      "not every event arrived: \(read().seqs.count) of \(total)\n\(agent.stderr)")
        agent.signal(SIGTERM)
        XCTAssertEqual(agent.wait(timeout: 60), 0, agent.stderr)
        let (seqs, counts, incomplete) = read()
        XCTAssertEqual(seqs, Set(0..<total), "an audit event was lost")
        XCTAssertEqual(incomplete, 0, "an event was emitted incomplete: its held records were lost across a kill")
        var expected: [String: Int] = [:]
        for i in 0..<total { expected["key-\(i % 23)", default: 0] += 1 }
        XCTAssertEqual(counts, expected, "per-key counts differ from an uninterrupted run")
    }

    /// The same out-of-order input (shuffled within the lateness) gives the same windowed
    /// counts in `replay` as in a live run.
    func testReplayAndLiveGiveTheSameWindowedOutput() throws {
        let dir = makeTempDir()
        let input = dir.appendingPathComponent("in.jsonl")
        // 3,000 events over 50 minutes, each moved up to 40 s from its place (lateness 2 min).
        var rng = SplitMix(seed: 42)
        let base: Int64 = 1_763_863_200_000
        let times = (0..<3_000).map { i in base + Int64(i) * 1_000 + Int64(rng.next() % 80_000) - 40_000 }
        try Self.writeKeyed(input, range: 0..<3_000, keys: 5) { times[$0] }
        // A last event three hours later moves event time past every window above, in both runs.
        try Self.writeKeyed(input, range: 3_000..<3_001, keys: 5, append: true) { _ in base + 3 * 3_600_000 }
        func pipeline(_ out: URL, dataDir: String?) -> String {
            """
            \(dataDir.map { "data_dir: \($0)" } ?? "")
            sources:
              in: {type: file, include: ["\(input.path)"]}
            transforms:
              parse: {type: parse, inputs: [in], format: json}
              windows: {type: window_count, inputs: [parse], key: k, window: 60s, lateness: 2m}
            sinks:
              out: {type: file, inputs: [windows], path: \(out.path), include_original: false}
            """
        }
        let replayOut = dir.appendingPathComponent("replay.ndjson"), liveOut = dir.appendingPathComponent("live.ndjson")
        let rc = dir.appendingPathComponent("replay.yaml"), lc = dir.appendingPathComponent("live.yaml")
        try pipeline(replayOut, dataDir: nil).write(to: rc, atomically: true, encoding: .utf8)
        try pipeline(liveOut, dataDir: nil).write(to: lc, atomically: true, encoding: .utf8)
        let (status, _, err) = try SluiceProcess.run(["replay", rc.path], directory: dir, binary: SluiceProcess.agent, timeout: 120)
        XCTAssertEqual(status, 0, err)
        let replayLines = lineCount(replayOut)
        let live = try SluiceProcess(["run", lc.path], directory: dir, binary: SluiceProcess.agent)
        // Live: windows close as event time passes (all but the last event's); the last one
        // when the run stops.
        XCTAssertTrue(waitUntil(timeout: 60, interval: 0.2) { lineCount(liveOut) >= replayLines - 1 }, live.stderr)
        live.signal(SIGTERM)
        XCTAssertEqual(live.wait(timeout: 60), 0, live.stderr)
        let a = try String(contentsOf: replayOut, encoding: .utf8), b = try String(contentsOf: liveOut, encoding: .utf8)
        XCTAssertGreaterThan(a.split(separator: "\n").count, 200)
        XCTAssertEqual(a, b, "replay and live runs gave different windows")
    }

    /// Three files covering the same four days, one ten times larger, replayed into one
    /// stage: events reach it never more than `max_source_skew` out of event-time order.
    func testReplayedInputsAreAlignedInEventTime() throws {
        let dir = makeTempDir()
        let fourDays: Int64 = 4 * 86_400_000
        let base: Int64 = 1_763_863_200_000
        var files: [URL] = []
        for (n, size) in [2_000, 20_000, 2_000].enumerated() {
            let f = dir.appendingPathComponent("in\(n).jsonl")
            try Self.writeKeyed(f, range: 0..<size, keys: 3) { base + Int64($0) * fourDays / Int64(size) }
            files.append(f)
        }
        let out = dir.appendingPathComponent("out.ndjson")
        let config = dir.appendingPathComponent("p.yaml")
        try """
        max_source_skew: 1m
        batch_size: 256
        sources:
        \(files.enumerated().map { "  in\($0.offset): {type: file, include: [\"\($0.element.path)\"]}" }.joined(separator: "\n"))
        transforms:
        \(files.indices.map { "  parse\($0): {type: parse, inputs: [in\($0)], format: json}" }.joined(separator: "\n"))
          merged: {type: count_per_key, inputs: [parse0, parse1, parse2], key: k}
        sinks:
          out: {type: file, inputs: [merged], path: \(out.path), include_original: false}
        """.write(to: config, atomically: true, encoding: .utf8)
        let (status, _, err) = try SluiceProcess.run(["replay", config.path], directory: dir, binary: SluiceProcess.agent, timeout: 180)
        XCTAssertEqual(status, 0, err)
        let text = try String(contentsOf: out, encoding: .utf8)
        var maxSeen: Int64 = 0, worst: Int64 = 0, count = 0
        let iso = ISO8601DateFormatter.withFractions()
        for line in text.split(separator: "\n") {
            guard let r = line.range(of: "\"@timestamp\":\""), let end = line[r.upperBound...].firstIndex(of: "\"") else { continue }
            let stamp = String(line[r.upperBound..<end])
            guard let t = iso.date(from: stamp) else { continue }
            let ms = Int64(t.timeIntervalSince1970 * 1000)
            worst = max(worst, maxSeen - ms)
            maxSeen = max(maxSeen, ms)
            count += 1
        }
        XCTAssertEqual(count, 24_000)
        XCTAssertLessThanOrEqual(worst, 60_000, "an event reached the stage \(worst) ms behind another input's")
    }
}

extension SluiceProcess {
    static func run(_ args: [String], directory: URL, binary: URL, timeout: TimeInterval = 60) throws -> (Int32?, String, String) {
        let p = try SluiceProcess(args, directory: directory, binary: binary)
        let status = p.wait(timeout: timeout)
        return (status, p.stdout, p.stderr)
    }
}

extension ISO8601DateFormatter {
    static func withFractions() -> ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }
}
