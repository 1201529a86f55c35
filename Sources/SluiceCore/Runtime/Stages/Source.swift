/// An ingest component: reads records and emits them as batches of events whose
/// `original` holds each record's bytes.
///
/// Contract: building a source (its factory) acquires nothing; `run` is its start. `run` is
/// called once, on the source's own serial queue, and returns when input ends (`.toEnd`) or
/// `context.isStopping` becomes true. `context.emit` blocks while downstream is full: that is
/// how backpressure reaches the source. `stop()` may be called from any thread and must be
/// safe to call concurrently with `run`. A source that keeps a position attaches an
/// `Acknowledgement` to each batch and advances its checkpoint only when it completes.
public protocol Source: AnyObject {
    func run(_ context: SourceContext) throws
    /// Asks `run` to return soon. May be a no-op for sources that poll `context.isStopping`.
    func stop()
    /// Writes the checkpoint of everything acknowledged so far. The runtime calls it about once
    /// a second (from a timer thread, never from the read loop) and once at shutdown, so it
    /// must be thread-safe. Not called in pipelines with stateful stages (see
    /// `PositionedSource`).
    func commitCheckpoints()
}

extension Source {
    public func stop() {}
    public func commitCheckpoints() {}
}

/// A source whose read position can be captured at an epoch barrier.
///
/// In a pipeline with stateful stages and a data directory, positions are not saved per
/// source: at each epoch barrier the runtime takes `barrierPosition()` and commits it
/// together with the stages' snapshots once everything before the barrier is delivered and
/// every snapshot is on disk. On restart `SourceContext.restoredPosition` holds the committed
/// position, which the source must resume from instead of its own checkpoint file.
public protocol PositionedSource: Source {
    /// The position just after the last record passed to `context.emit`, encoded. Called on
    /// the source's own thread (inside `emit` or `serviceBarriers`).
    func barrierPosition() -> [UInt8]
}
