import Logging

/// How far sources read.
public enum RunMode: Sendable {
    /// `sluice run`: keep following inputs until asked to stop.
    case follow
    /// `sluice replay`: read every input to its end, then finish.
    case toEnd
}

/// An ingest component: reads records and emits them as batches of events whose
/// `original` holds each record's bytes.
///
/// Contract: `run` is called once on the source's own serial queue and returns when input
/// ends (in `.toEnd` mode) or `context.isStopping` becomes true. `context.emit` blocks while
/// downstream is full: that is how backpressure reaches the source. A source that keeps a
/// position attaches an `Acknowledgement` to each batch and advances its checkpoint only
/// when that acknowledgement completes.
public protocol Source: AnyObject {
    func run(_ context: SourceContext) throws
    /// Asks `run` to return soon. Called from another thread; may be a no-op for sources
    /// that poll `context.isStopping` often.
    func stop()
    /// Writes the checkpoint of everything acknowledged so far. Called once at shutdown,
    /// after the pipeline has drained (or the drain timed out).
    func commitCheckpoints()
}

extension Source {
    public func stop() {}
    public func commitCheckpoints() {}
}

/// A stage between sources and sinks (parse, enrich, detect). Called on the stage's own
/// serial queue only, so implementations need no locking.
public protocol Transform: AnyObject {
    /// Turns `events` into `output`; records that cannot be handled go to `failures` with a
    /// reason (they reach the dead-letter output) and never stop the stage.
    func process(_ events: [Event], into output: inout [Event], failures: inout [DeadLetter])
    /// Called about once a second and once at end of input (`final`), for timers: windows
    /// closing, half-assembled records timing out.
    func tick(now: Int64, final: Bool, into output: inout [Event])
}

extension Transform {
    public func tick(now: Int64, final: Bool, into output: inout [Event]) {}
}

/// A delivery component. Called on the sink's own serial queue only.
///
/// Contract: `write` delivers the batch and then calls `batch.acknowledge()` (possibly
/// later, from another thread, for sinks that batch or buffer). It throws `SinkError` when
/// it could not deliver: `.retryable` makes the runtime retry the same batch with capped
/// exponential backoff; `.permanent` sends the batch's events to dead letter.
public protocol Sink: AnyObject {
    func write(_ batch: EventBatch) throws
    /// Called about once a second while idle, for age-based flushing.
    func tick(now: Int64) throws
    /// Delivers anything held back. Called before `close` at shutdown.
    func flush() throws
    func close()
}

extension Sink {
    public func tick(now: Int64) throws {}
    public func flush() throws {}
    public func close() {}
}

/// Why a sink could not deliver.
public enum SinkError: Error, CustomStringConvertible {
    case retryable(String)
    case permanent(String)
    public var description: String {
        switch self {
        case .retryable(let s): return "retryable: \(s)"
        case .permanent(let s): return "permanent: \(s)"
        }
    }
}

/// A record set aside by a stage, with the reason. It becomes a dead-letter event.
public struct DeadLetter: Sendable {
    public var event: Event
    /// Short stable reason code (used as a metric label), e.g. `invalid_json`.
    public var reason: String
    /// Human-readable detail, e.g. `expected ':' at byte 17`.
    public var detail: String
    /// The record format whose parser refused the record (`sluice.parser` on the dead-letter
    /// event, and the `parser` label of `sluice_parse_failures_total`); nil elsewhere.
    public var parser: String?

    public init(event: Event, reason: String, detail: String = "", parser: String? = nil) {
        self.event = event; self.reason = reason; self.detail = detail; self.parser = parser
    }
}

/// What a source needs from the runtime.
public final class SourceContext: @unchecked Sendable {
    public let name: String
    public let mode: RunMode
    public var logger: Logger
    public let metrics: ComponentMetrics
    /// `nil` when checkpoints are off (replay, or no data directory).
    public let checkpoints: CheckpointStore?
    private let outputs: [BoundedQueue]
    private let stopFlag = Monitor()
    private var stopping = false

    public init(name: String, mode: RunMode, logger: Logger, metrics: ComponentMetrics,
                checkpoints: CheckpointStore?, outputs: [BoundedQueue]) {
        self.name = name; self.mode = mode; self.logger = logger; self.metrics = metrics
        self.checkpoints = checkpoints; self.outputs = outputs
    }

    public var isStopping: Bool { stopFlag.withLock { stopping } }

    func requestStop() {
        stopFlag.withLock { stopping = true; stopFlag.broadcast() }
    }

    /// Sleeps up to `seconds`, returning early (true) when a stop is requested.
    @discardableResult
    public func sleep(seconds: Double) -> Bool {
        stopFlag.lock(); defer { stopFlag.unlock() }
        if !stopping { stopFlag.wait(0, seconds: seconds) }
        return stopping
    }

    /// Sends a batch downstream, waiting while downstream is full (backpressure).
    public func emit(_ batch: EventBatch, bytes: Int = 0) {
        guard batch.count > 0 else { batch.acknowledge(); return }
        metrics.recordOut(batch.count, bytes: bytes)
        BoundedQueue.push(batch, toAll: outputs)
    }

    /// True when every downstream queue has room now.
    public var downstreamHasRoom: Bool { outputs.allSatisfy { $0.depth < $0.capacity } }

    /// Runs `callback` once every downstream queue has room (for event-loop sources that
    /// must not block: pause reading, resume in the callback).
    public func whenDownstreamHasRoom(_ callback: @escaping @Sendable () -> Void) {
        let full = outputs.filter { $0.depth >= $0.capacity }
        guard let first = full.first else { callback(); return }
        first.whenSpaceAvailable { [weak self] in
            guard let self else { callback(); return }
            self.whenDownstreamHasRoom(callback)
        }
    }
}
