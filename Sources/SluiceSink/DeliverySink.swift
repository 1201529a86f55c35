import Foundation
import Logging
import SluiceCore

/// Batch limits of a sink (`batch.max_events`, `batch.max_bytes`, `batch.timeout`).
public struct BatchLimits: Sendable {
    public var maxEvents: Int
    public var maxBytes: Int
    public var timeout: Double
    public init(maxEvents: Int = 500, maxBytes: Int = 1 << 20, timeout: Double = 1) {
        self.maxEvents = maxEvents; self.maxBytes = maxBytes; self.timeout = timeout
    }

    static func read(_ o: ComponentOptions, defaults d: BatchLimits) -> BatchLimits {
        guard let b = o.nested("batch") else { return d }
        let r = BatchLimits(maxEvents: b.int("max_events", default: d.maxEvents, range: 1...1_000_000),
                            maxBytes: b.bytes("max_bytes", default: d.maxBytes),
                            timeout: b.seconds("timeout", default: d.timeout))
        b.finish(); o.merge(b)
        return r
    }
}

/// Where a sink keeps events it has not delivered yet (`buffer:` option).
public enum BufferSettings: Sendable {
    /// In memory, bounded by the input queue (`buffer.max_events`) and one batch.
    case memory
    /// On disk under `<data_dir>/buffers/<sink>/`, at most `maxBytes` undelivered.
    case disk(maxBytes: Int, whenFull: BufferFullPolicy)

    static func read(_ o: ComponentOptions, _ ctx: BuildContext) -> BufferSettings {
        guard let b = o.nested("buffer") else { return .memory }
        enum Kind: String, CaseIterable { case memory, disk }
        let kind = b.choice("type", default: Kind.memory)
        _ = b.int("max_events", default: 0)          // the input queue's capacity (runtime)
        let whenFull = b.choice("when_full", default: BufferFullPolicy.block)
        let maxBytes = b.bytes("max_bytes", default: 256 << 20)
        b.finish(); o.merge(b)
        switch kind {
        case .memory:
            return .memory
        case .disk:
            if ctx.dataDir == nil { o.fail("a disk buffer needs 'data_dir' in the pipeline", at: "buffer"); return .memory }
            if maxBytes < 64 << 10 { o.fail("buffer.max_bytes must be at least 64KiB", at: "buffer") }
            return .disk(maxBytes: maxBytes, whenFull: whenFull)
        }
    }
}

/// A sink that encodes events with an `EventEncoder`, batches them and delivers them over
/// a `RecordTransport` (syslog, HTTP), with retries and an optional disk buffer.
///
/// Guarantees:
/// - Memory buffer (default): a batch is acknowledged to its sources only when every
///   record of it was delivered or dead-lettered. Failures are retried with capped
///   exponential backoff and jitter (honouring `Retry-After`) on the sink's own queue, which
///   holds back its input: backpressure, not loss.
/// - Disk buffer: a batch is acknowledged once its records are fsync'd in the buffer; a
///   background drain delivers them in order (retrying the same way) and deletes delivered
///   segments. Undelivered records survive a restart or crash.
/// - Records a receiver refuses for good (a 4xx that retrying cannot fix, a failed
///   `_bulk` item) go to dead letter with the receiver's reason, never into a retry loop.
/// - Order is kept per sink (a retried request is resent before anything after it).
public final class DeliverySink: Sink, DeadLetterReporting, @unchecked Sendable {
    // SAFETY (@unchecked Sendable): the runtime calls the `Sink` methods from the sink's own
    // thread, one at a time; the memory-mode batch (`pending`, `held`, `pendingSince`),
    // `started`, `disk`, `drainThread` and `scratch` are used only there (`disk` and
    // `drainThread` are set by `open` before the drain thread starts, which only reads
    // them). `deadLetterHandler` is set while building, before `start`. What the drain
    // thread and `close` share is under `stop`; `stats` and `transport` are thread-safe.
    public let name: String
    let transport: RecordTransport
    let encoder: EventEncoder
    let limits: BatchLimits
    let retry: RetryPolicy
    public let stats: SinkStats
    let logger: Logger
    public var deadLetterHandler: (@Sendable ([DeadLetter]) -> Void)?

    // Memory mode (sink queue only).
    private var pending = RecordBatch()
    private var held: [EventBatch] = []
    private var pendingSince = 0.0

    // Disk mode: opened by `start` (building the sink acquires nothing).
    let buffer: BufferSettings
    let dataDir: String?
    public private(set) var disk: DiskBuffer?
    private var started = false
    private var drainThread: Thread?
    private struct StopState: Sendable {
        /// `close` was called: waits and retries end, the drain thread returns.
        var stopping = false
        /// The drain thread has returned.
        var drainDone = false
    }
    private let stop = Locked(StopState())
    private var scratch: [UInt8] = []

    public init(name: String, transport: RecordTransport, encoder: EventEncoder, limits: BatchLimits,
                retry: RetryPolicy = RetryPolicy(), buffer: BufferSettings = .memory, dataDir: String? = nil,
                logger: Logger) throws {
        self.name = name; self.transport = transport; self.encoder = encoder
        self.limits = limits; self.retry = retry; self.logger = logger
        self.buffer = buffer; self.dataDir = dataDir
        stats = SinkStats(component: name)
    }

    /// Opens the disk buffer (recovering what a previous run left in it) and starts its
    /// drain thread. The runtime calls it before the first write; a sink used directly opens
    /// on its first write.
    public func start(_ context: StartContext) throws { try open() }

    public func open() throws {
        guard !started else { return }
        guard case .disk(let maxBytes, let whenFull) = buffer else { started = true; return }
        let dir = (dataDir ?? ".") + "/buffers/" + name
        disk = try DiskBuffer(directory: dir, maxBytes: maxBytes, whenFull: whenFull, logger: logger, stats: stats)
        started = true
        let t = Thread { [weak self] in self?.drainLoop() }
        t.name = "sluice.sink.\(name).drain"
        drainThread = t
        t.start()
    }

    // MARK: Sink

    public func write(_ batch: EventBatch) throws {
        try open()
        var records = RecordBatch()
        var oversized: [DeadLetter] = []
        for e in batch.events {
            let start = records.bytes.count
            transport.appendRecord(e, encoder: encoder, to: &records.bytes)
            if disk != nil, records.bytes.count - start > DiskBuffer.maxRecordBytes {
                // Larger than the disk buffer reads back: set aside with its reason before
                // the batch is acknowledged, never written and lost.
                oversized.append(DeadLetter(event: e, reason: "record_too_large",
                                            detail: "encoded record of \(records.bytes.count - start) bytes exceeds the disk buffer's limit of \(DiskBuffer.maxRecordBytes) bytes"))
                records.bytes.removeSubrange(start...)
                continue
            }
            records.endRecord()
        }
        if let disk {
            if !oversized.isEmpty {
                stats.recordFailed(oversized.count)
                logger.error("\(oversized.count) records larger than the disk buffer's limit of \(DiskBuffer.maxRecordBytes) bytes sent to dead letter")
                deadLetterHandler?(oversized)
            }
            try disk.append(records)   // blocks while full (`block`), counts drops otherwise
            batch.acknowledge()
            return
        }
        if pending.isEmpty { pendingSince = Clock.monotonic() }
        pending.bytes.append(contentsOf: records.bytes)
        let base = pending.ends.last ?? 0
        pending.ends.append(contentsOf: records.ends.map { $0 + base })
        held.append(EventBatch(events: [], acks: batch.acks))
        if pending.count >= limits.maxEvents || pending.bytes.count >= limits.maxBytes { flushPending() }
    }

    public func tick(now: Int64) throws {
        disk?.refreshMetrics()
        if disk == nil, !pending.isEmpty, Clock.monotonic() - pendingSince >= limits.timeout { flushPending() }
    }

    public func flush() throws {
        if disk == nil { flushPending(); return }
        // Give the drain up to 5 s to empty the buffer; what remains is kept on disk.
        disk?.waitUntilDrained(timeout: 5)
    }

    public func close() {
        stop.withLock { $0.stopping = true }
        stop.broadcast()
        transport.stop()
        disk?.close()
        if drainThread != nil {
            stop.wait(timeout: 5, until: { $0.drainDone }) { _, _ in }
        }
        transport.close()
    }

    // MARK: delivery

    /// Delivers the pending records, then acknowledges their batches. When the sink is
    /// closed before every record was delivered, the batches stay unacknowledged: their
    /// sources do not move past them and read them again at the next start.
    private func flushPending() {
        guard !pending.isEmpty else { return }
        var complete = true
        for chunk in pending.chunks(maxEvents: limits.maxEvents, maxBytes: limits.maxBytes) where !deliver(chunk) {
            complete = false
            break
        }
        pending.removeAll()
        if complete {
            for b in held { b.acknowledge() }
        } else {
            logger.warning("closing with \(held.count) batches undelivered; not acknowledged, so they are read again at the next start")
        }
        held.removeAll()
    }

    private func drainLoop() {
        defer {
            stop.withLock { $0.drainDone = true }
            stop.broadcast()
        }
        guard let disk else { return }
        while !isStopping {
            guard let batch = disk.peek(maxEvents: limits.maxEvents, maxBytes: limits.maxBytes, timeout: 0.5) else { continue }
            if batch.isEmpty { continue }
            if deliver(batch) { disk.commit() }
        }
    }

    private var isStopping: Bool { stop.withLock { $0.stopping } }

    /// Sends until every record is delivered or dead-lettered. Returns false only when the
    /// sink is closing (the records stay undelivered: in the disk buffer, or unacknowledged).
    @discardableResult
    func deliver(_ records: RecordBatch) -> Bool {
        var remaining = records
        var attempt = 0
        while true {
            switch transport.send(remaining) {
            case .delivered:
                stats.recordDelivered(remaining.count)
                return true
            case .rejected(let why):
                deadLetter(remaining, indices: Array(0..<remaining.count), reason: why)
                return true
            case .partial(let again, let rejected):
                let failed = Set(again).union(rejected.keys)
                stats.recordDelivered(remaining.count - failed.count)
                for (i, why) in rejected.sorted(by: { $0.key < $1.key }) { deadLetter(remaining, indices: [i], reason: why) }
                if again.isEmpty { return true }
                remaining = remaining.subset(again.sorted())
                attempt += 1
                stats.recordRetry()
                logger.warning("\(again.count) records refused for now; retrying them")
                if !sleep(retry.delay(attempt: attempt)) { return false }
            case .retry(let why, let after):
                attempt += 1
                stats.recordRetry()
                let d = retry.delay(attempt: attempt, retryAfter: after)
                logger.warning("delivery failed (attempt \(attempt)), retrying in \(String(format: "%.1f", d))s: \(why)")
                if !sleep(d) { return false }
            }
        }
    }

    /// Waits `seconds` unless the sink is closing (returns false then).
    private func sleep(_ seconds: Double) -> Bool {
        stop.wait(timeout: seconds, until: { $0.stopping }) { s, _ in !s.stopping }
    }

    private func deadLetter(_ records: RecordBatch, indices: [Int], reason: String) {
        stats.recordFailed(indices.count)
        logger.error("receiver refused \(indices.count) records: \(reason)")
        guard let h = deadLetterHandler else { return }
        let failures = indices.map { i in
            DeadLetter(event: Event(timestamp: Timestamp.now(), original: records.record(i)), reason: "sink_rejected", detail: reason)
        }
        h(failures)
    }
}
