/// A delivery component.
///
/// Contract: building a sink acquires nothing; `start` opens files, buffers, clients and
/// threads. `write`, `tick`, `flush` and `close` are called on the sink's own serial queue.
/// `write` delivers the batch and then calls `batch.acknowledge()` (possibly later, from
/// another thread, for sinks that batch or buffer). It throws `SinkError` when it could not
/// deliver: `.retryable` makes the runtime retry the same batch under the pipeline's
/// `RetryPolicy`; `.permanent` sends the batch's events to dead letter.
public protocol Sink: AnyObject {
    /// Acquires resources. Called once before the first `write`.
    func start(_ context: StartContext) throws
    func write(_ batch: EventBatch) throws
    /// Called about once a second while idle, for age-based flushing.
    func tick(now: Int64) throws
    /// Delivers anything held back. Called before `close` at shutdown.
    func flush() throws
    /// Releases what `start` acquired. Called once, even when `start` was never called.
    func close()
}

extension Sink {
    public func start(_ context: StartContext) throws {}
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

/// A sink that can set aside single events (one rejected item of a bulk request, a 4xx for
/// one request among many) instead of failing a whole batch. The runtime installs
/// `deadLetterHandler` before `start`; the handler may be called from any thread (e.g. a
/// sink's disk-buffer drain thread) and sends the events to the dead-letter sinks.
public protocol DeadLetterReporting: AnyObject {
    var deadLetterHandler: (@Sendable ([DeadLetter]) -> Void)? { get set }
}
