import Foundation
import SluiceCore
import SluiceTestSupport
import XCTest
@testable import SluiceSink

/// Writes the repository name only: makes order checks trivial.
final class RepoEncoder: EventEncoder {
    func encode(_ event: Event, into out: inout [UInt8]) {
        out.append(contentsOf: (event.string(TestSupport.repoKey) ?? "").utf8)
    }
}

/// A receiver in memory that can be "down".
final class RecordingTransport: RecordTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var _received: [String] = []
    private var _down: Bool
    private var _attempts = 0
    init(down: Bool) { _down = down }
    var received: [String] { lock.lock(); defer { lock.unlock() }; return _received }
    /// Calls of `send` so far (delivered or not).
    var attempts: Int { lock.lock(); defer { lock.unlock() }; return _attempts }
    var down: Bool { get { lock.lock(); defer { lock.unlock() }; return _down } set { lock.lock(); _down = newValue; lock.unlock() } }
    func appendRecord(_ event: Event, encoder: EventEncoder, to out: inout [UInt8]) { encoder.encode(event, into: &out) }
    func send(_ records: RecordBatch) -> SendOutcome {
        lock.lock(); defer { lock.unlock() }
        _attempts += 1
        if _down { return .retry("receiver down", after: nil) }
        for i in 0..<records.count { _received.append(String(decoding: records.record(i), as: UTF8.self)) }
        return .delivered
    }
    func close() {}
}

final class DiskBufferTests: XCTestCase {
    func batch(_ range: Range<Int>, acked: Acknowledgement? = nil) -> EventBatch {
        EventBatch(events: range.map { TestSupport.cloneEvent(repo: "acme/repo-\($0)") }, acks: acked.map { [$0] } ?? [])
    }

    func records(_ range: Range<Int>) -> RecordBatch {
        var r = RecordBatch()
        for i in range { r.append(Array("record-\(i)".utf8)) }
        return r
    }

    func drainAll(_ b: DiskBuffer) -> [String] {
        var out: [String] = []
        while let r = b.peek(maxEvents: 50, maxBytes: 1 << 20, timeout: 0.05) {
            for i in 0..<r.count { out.append(String(decoding: r.record(i), as: UTF8.self)) }
            b.commit()
        }
        return out
    }

    /// Restart test: events acknowledged into the disk buffer while the receiver is down;
    /// the buffer directory as a SIGKILL would leave it (copied while the sink runs, no
    /// close) is opened by a new sink, which delivers everything in order.
    func testRestartAfterKillDeliversInOrder() throws {
        let dir = tempDir("restart")
        let down = RecordingTransport(down: true)
        let retry = RetryPolicy(initial: 0.05, max: 0.1)
        let sink1 = try DeliverySink(name: "siem", transport: down, encoder: RepoEncoder(), limits: BatchLimits(maxEvents: 64),
                                     retry: retry, buffer: .disk(maxBytes: 1 << 20, whenFull: .block), dataDir: dir, logger: TestSupport.logger)
        let acked = ManagedCounter()
        for k in 0..<5 {
            let ack = Acknowledgement { acked.increment() }
            try sink1.write(batch((k * 100)..<((k + 1) * 100), acked: ack))
        }
        XCTAssertEqual(acked.value, 5, "acknowledged once durably in the buffer")
        XCTAssertEqual(sink1.disk?.bufferedEvents, 500)
        usleep(200_000)   // the scenario: the drain must deliver nothing to a receiver that is down
        XCTAssertTrue(down.received.isEmpty)
        // The state a SIGKILL leaves behind: the files as they are now.
        let killed = tempDir("restart-killed")
        try FileManager.default.createDirectory(atPath: killed + "/buffers", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir + "/buffers/siem", toPath: killed + "/buffers/siem")
        sink1.close()

        let up = RecordingTransport(down: false)
        let sink2 = try DeliverySink(name: "siem", transport: up, encoder: RepoEncoder(), limits: BatchLimits(maxEvents: 64),
                                     retry: retry, buffer: .disk(maxBytes: 1 << 20, whenFull: .block), dataDir: killed, logger: TestSupport.logger)
        try sink2.open()  // what the runtime's start does: recover the buffer, start draining
        XCTAssertTrue(waitUntil(timeout: 10) { up.received.count >= 500 })
        XCTAssertEqual(up.received, (0..<500).map { "acme/repo-\($0)" })
        XCTAssertTrue(waitUntil(timeout: 2) { sink2.disk?.bufferedEvents == 0 })
        XCTAssertEqual(sink2.stats.deliveredCount, 500)
        sink2.close()
        // Delivered segments are deleted; a third start delivers nothing again.
        let segs = try FileManager.default.contentsOfDirectory(atPath: killed + "/buffers/siem").filter { $0.hasSuffix(".seg") }
        XCTAssertLessThanOrEqual(segs.count, 2)
        let again = RecordingTransport(down: false)
        let sink3 = try DeliverySink(name: "siem", transport: again, encoder: RepoEncoder(), limits: BatchLimits(),
                                     buffer: .disk(maxBytes: 1 << 20, whenFull: .block), dataDir: killed, logger: TestSupport.logger)
        try sink3.open()
        usleep(300_000)   // the scenario: nothing may be delivered again for a while
        XCTAssertEqual(again.received, [])
        sink3.close()
    }

    func testCorruptedRecordsAreSkippedAndCounted() throws {
        let dir = tempDir("corrupt")
        let stats = SinkStats(component: "corrupt-test")
        var b: DiskBuffer? = try DiskBuffer(directory: dir, maxBytes: 1 << 20, segmentBytes: 4096, logger: TestSupport.logger, stats: stats)
        for k in 0..<6 { try b!.append(records((k * 100)..<((k + 1) * 100))) }
        b!.close(); b = nil
        let segs = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".seg") }.sorted()
        XCTAssertGreaterThanOrEqual(segs.count, 3)
        // Flip a payload byte in the second segment; tear the last one's tail.
        let second = dir + "/" + segs[1]
        var data = try Data(contentsOf: URL(fileURLWithPath: second))
        data[40] ^= 0x55
        try data.write(to: URL(fileURLWithPath: second))
        let last = dir + "/" + segs[segs.count - 1]
        let fh = try FileHandle(forWritingTo: URL(fileURLWithPath: last))
        fh.seekToEndOfFile(); fh.write(Data([0x20, 0x00, 0x00])); try fh.close()

        let r = try DiskBuffer(directory: dir, maxBytes: 1 << 20, segmentBytes: 4096, logger: TestSupport.logger, stats: stats)
        let got = drainAll(r)
        XCTAssertGreaterThan(stats.corruptedCount, 0)
        XCTAssertGreaterThan(got.count, 300)
        XCTAssertLessThan(got.count, 600)
        // What comes out is in order and intact.
        let nums = got.map { Int($0.dropFirst("record-".count))! }
        XCTAssertEqual(nums, nums.sorted())
        XCTAssertEqual(Set(nums).count, nums.count)
        XCTAssertEqual(nums.first, 0)
        XCTAssertEqual(nums.last, 599)
        // New appends after the damage still flow.
        try r.append(records(600..<610))
        XCTAssertEqual(drainAll(r), (600..<610).map { "record-\($0)" })
    }

    func testDropNewestWhenFull() throws {
        let stats = SinkStats(component: "drop-test")
        let b = try DiskBuffer(directory: tempDir("drop"), maxBytes: 4096, whenFull: .drop_newest, logger: TestSupport.logger, stats: stats)
        let dropped = try b.append(records(0..<1000))
        XCTAssertGreaterThan(dropped, 0)
        XCTAssertEqual(stats.droppedCount, dropped)
        XCTAssertLessThanOrEqual(b.bufferedBytes, 4096)
        let got = drainAll(b)
        XCTAssertEqual(got, (0..<(1000 - dropped)).map { "record-\($0)" })
    }

    /// `waitUntilDrained` (what a disk-buffered sink's `flush` waits on) returns when the
    /// reader has delivered everything, and reports a buffer still holding records.
    func testWaitUntilDrainedFollowsTheReader() throws {
        let b = try DiskBuffer(directory: tempDir("drained"), maxBytes: 1 << 20, logger: TestSupport.logger)
        XCTAssertTrue(b.waitUntilDrained(timeout: 0), "an empty buffer is drained")
        try b.append(records(0..<100))
        XCTAssertFalse(b.waitUntilDrained(timeout: 0.05), "nothing read yet")
        let got = Locked<[String]>([])
        let reader = Thread {
            while got.withLock({ $0.count }) < 100, let r = b.peek(maxEvents: 7, maxBytes: 1 << 20, timeout: 1) {
                let texts = (0..<r.count).map { String(decoding: r.record($0), as: UTF8.self) }
                got.withLock { $0 += texts }
                b.commit()
            }
        }
        reader.start()
        XCTAssertTrue(b.waitUntilDrained(timeout: 30))
        XCTAssertEqual(b.bufferedEvents, 0)
        XCTAssertEqual(got.withLock { $0 }, (0..<100).map { "record-\($0)" })
        b.close()
    }

    func testBlockWaitsForDrain() throws {
        let b = try DiskBuffer(directory: tempDir("block"), maxBytes: 4096, whenFull: .block, logger: TestSupport.logger)
        try b.append(records(0..<150))   // about 3.6 KB
        let done = ManagedCounter()
        let more = records(150..<200)
        Thread { _ = try? b.append(more); done.increment() }.start()
        usleep(300_000)   // the scenario: the writer must stay blocked for a while
        XCTAssertEqual(done.value, 0, "writer blocks while full")
        let got = drainAll(b)
        XCTAssertTrue(waitUntil(timeout: 2) { done.value == 1 })
        XCTAssertEqual(got + drainAll(b), (0..<200).map { "record-\($0)" })
    }
}

final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func increment() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}

final class DiskBufferLimitTests: XCTestCase {
    /// One journald field larger than the reader's 16 MiB limit lost 50 of 101 events; the
    /// oversized record now goes to dead letter before the batch is acknowledged, and every
    /// other event is delivered.
    func testOversizedRecordGoesToDeadLetterAndNothingElseIsLost() throws {
        let dir = tempDir("oversized")
        let up = RecordingTransport(down: false)
        let sink = try DeliverySink(name: "siem", transport: up, encoder: RepoEncoder(), limits: BatchLimits(maxEvents: 64),
                                    retry: RetryPolicy(initial: 0.05, max: 0.1), buffer: .disk(maxBytes: 256 << 20, whenFull: .block),
                                    dataDir: dir, logger: TestSupport.logger)
        defer { sink.close() }
        let failures = DeadLetterBox()
        sink.deadLetterHandler = { failures.add($0) }
        var events = (0..<50).map { TestSupport.cloneEvent(repo: "acme/repo-\($0)") }
        events.append(TestSupport.cloneEvent(repo: String(repeating: "x", count: 17 << 20)))
        events += (51..<101).map { TestSupport.cloneEvent(repo: "acme/repo-\($0)") }
        let acked = ManagedCounter()
        try sink.write(EventBatch(events: events, acks: [Acknowledgement { acked.increment() }]))
        XCTAssertEqual(acked.value, 1)
        XCTAssertEqual(failures.items.map(\.reason), ["record_too_large"], "set aside with its reason before acknowledging")
        XCTAssertTrue(waitUntil(timeout: 20) { up.received.count >= 100 })
        usleep(200_000)   // the scenario: no duplicate may follow
        XCTAssertEqual(up.received, (0..<101).filter { $0 != 50 }.map { "acme/repo-\($0)" })
    }

    func testAppendRefusesWhatTheReaderWouldNotRead() throws {
        let b = try DiskBuffer(directory: tempDir("refuse"), maxBytes: 64 << 20, logger: TestSupport.logger)
        var r = RecordBatch()
        r.append([UInt8](repeating: 0x41, count: DiskBuffer.maxRecordBytes + 1))
        XCTAssertThrowsError(try b.append(r))
    }

    /// A damaged record skips only itself.
    func testCorruptRecordSkipsOnlyItself() throws {
        let dir = tempDir("corrupt-one")
        let stats = SinkStats(component: "corrupt-one")
        var b: DiskBuffer? = try DiskBuffer(directory: dir, maxBytes: 1 << 20, segmentBytes: 1 << 20, logger: TestSupport.logger, stats: stats)
        var r = RecordBatch()
        for i in 0..<20 { r.append(Array("record-\(i)".utf8)) }
        try b!.append(r)
        b!.close(); b = nil
        let seg = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".seg") })
        var data = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + seg))
        // Record 3's payload (16-byte headers; "record-N" is 8 bytes for N < 10).
        data[3 * 24 + 16 + 2] ^= 0x55
        // Record 7's length field: nonsense.
        data[7 * 24] = 0xFF; data[7 * 24 + 3] = 0x7F
        try data.write(to: URL(fileURLWithPath: dir + "/" + seg))
        let reader = try DiskBuffer(directory: dir, maxBytes: 1 << 20, segmentBytes: 1 << 20, logger: TestSupport.logger, stats: stats)
        var got: [String] = []
        while let batch = reader.peek(maxEvents: 50, maxBytes: 1 << 20, timeout: 0.05) {
            for i in 0..<batch.count { got.append(String(decoding: batch.record(i), as: UTF8.self)) }
            reader.commit()
        }
        XCTAssertEqual(got, (0..<20).filter { $0 != 3 && $0 != 7 }.map { "record-\($0)" })
        XCTAssertEqual(stats.corruptedCount, 2)
    }
}
