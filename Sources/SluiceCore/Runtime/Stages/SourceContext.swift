import Logging

/// What a source needs from the runtime: where to emit, when to stop, where its position is
/// kept.
///
/// Guarantees: `emit` passes batches on in call order and blocks while downstream is full;
/// every emitted batch is tracked until its acknowledgement completes (`inFlight`), so the
/// runtime knows when everything a source emitted was delivered; epoch barriers are placed
/// between batches, after exactly the batches emitted before them.
public final class SourceContext: Sendable {
    public let name: String
    public let mode: RunMode
    public let logger: Logger
    public let metrics: ComponentMetrics
    /// Where a source keeps its own checkpoint file; nil when checkpoints are off (replay, no
    /// data directory) or when positions are committed with epochs (`restoredPosition`).
    public let checkpoints: CheckpointStore?
    /// In pipelines with stateful stages: the position committed with the last completed
    /// epoch (what `PositionedSource.barrierPosition()` returned), to resume from, or for a
    /// source a reload replaced, where its predecessor stopped (`takeOverPosition`). nil there
    /// means start as if new; ignored by sources that are not `PositionedSource`. Read it in
    /// `run`.
    public var restoredPosition: [UInt8]? { control.withLock { $0.restored } }
    /// True when positions are committed with epochs rather than saved by the source.
    public let usesEpochs: Bool
    /// Where the source registers files it re-reads on SIGHUP (TLS certificates).
    public let reloads: ReloadRegistry

    let output: Output
    /// Acknowledgements of every emitted batch, in order (position = emitted batch number).
    let delivered: AckTracker<UInt64>

    struct Control: Sendable {
        var stopping = false
        /// The epoch whose barrier this source must place next.
        var pendingBarrier: UInt64?
        /// Batches emitted so far.
        var emitted: UInt64 = 0
        /// False once the runtime decided the source's own position cannot be trusted at its
        /// final barrier (`keepCommittedPosition`).
        var ownPosition = true
        /// A reload replaced or removed this source (`retire`).
        var retired = false
        /// `restoredPosition`.
        var restored: [UInt8]?
    }
    private let control = Locked(Control())
    /// Serializes emits with barrier placement (sources on event loops emit from several
    /// threads). Holds the number of batches emitted.
    private let emitOrder = Locked()
    /// Set by the runtime: how to place a barrier (takes the source's position when it keeps
    /// one) and report it to the epoch coordinator.
    let barrierHandler: Locked<(@Sendable (UInt64, _ emitted: UInt64) -> Void)?>
    let positioned: Bool

    /// A context for tests and benchmarks that stand in for the runtime: emits go to `outputs`.
    public convenience init(name: String, mode: RunMode, logger: Logger, metrics: ComponentMetrics,
                            checkpoints: CheckpointStore?, outputs: [BoundedQueue]) {
        self.init(name: name, mode: mode, logger: logger, metrics: metrics, checkpoints: checkpoints,
                  restoredPosition: nil, usesEpochs: false, positioned: false,
                  output: Output(lanes: outputs.map(\.lane)), reloads: ReloadRegistry(), onDelivered: nil)
    }

    init(name: String, mode: RunMode, logger: Logger, metrics: ComponentMetrics, checkpoints: CheckpointStore?,
         restoredPosition: [UInt8]?, usesEpochs: Bool, positioned: Bool, output: Output,
         reloads: ReloadRegistry, onDelivered: (@Sendable (UInt64) -> Void)?) {
        self.reloads = reloads
        self.name = name; self.mode = mode; self.logger = logger; self.metrics = metrics
        self.checkpoints = checkpoints; self.usesEpochs = usesEpochs
        self.positioned = positioned
        self.output = output
        delivered = AckTracker(initial: 0, onAdvance: onDelivered)
        barrierHandler = Locked(nil)
        control.withLock { $0.restored = restoredPosition }
    }

    public var isStopping: Bool { control.withLock { $0.stopping } }

    /// Asks `run` to return soon (also wakes `sleep`).
    public func requestStop() {
        control.withLock { $0.stopping = true }
        control.broadcast()
    }

    /// Sleeps up to `seconds`, returning early (true) when a stop is requested.
    @discardableResult
    public func sleep(seconds: Double) -> Bool {
        control.wait(timeout: seconds, until: { $0.stopping }) { s, _ in s.stopping }
    }

    /// Sends a batch downstream, waiting while downstream is full (backpressure).
    public func emit(_ batch: EventBatch, bytes: Int = 0) {
        guard batch.count > 0 else { batch.acknowledge(); return }
        metrics.recordOut(batch.count, bytes: bytes)
        emitOrder.withLock {
            let seq = control.withLock { s -> UInt64 in s.emitted += 1; return s.emitted }
            var b = batch
            b.acks.append(delivered.register(seq))
            output.emit(b)
        }
        if positioned { serviceBarriers() }
    }

    /// Batches emitted whose acknowledgement has not completed yet.
    public var inFlight: Int { delivered.pending }

    /// Places a requested epoch barrier now. A `PositionedSource` must call this from its
    /// read loop while it waits for input (at least every few hundred milliseconds); `emit`
    /// calls it too. Cheap when nothing is requested.
    public func serviceBarriers() {
        guard let epoch = control.withLock({ s -> UInt64? in
            let e = s.pendingBarrier
            s.pendingBarrier = nil
            return e
        }) else { return }
        placeBarrier(epoch)
    }

    /// The runtime asks for the barrier of `epoch`: placed at once for sources without a
    /// position, by the source's own thread otherwise.
    func requestBarrier(_ epoch: UInt64) {
        if positioned {
            control.withLock { $0.pendingBarrier = epoch }
        } else {
            placeBarrier(epoch)
        }
    }

    /// Drops a requested barrier that was not placed yet (its epoch was given up).
    func cancelBarrier() { control.withLock { $0.pendingBarrier = nil } }

    /// The source never ran, or failed: what it would report as its position is not where it
    /// stopped reading (an empty file set, an empty journal cursor), so its barriers report
    /// none and the epoch keeps the position committed before.
    func keepCommittedPosition() { control.withLock { $0.ownPosition = false } }

    /// Whether the source's barriers report its own position (`keepCommittedPosition`).
    var reportsOwnPosition: Bool { control.withLock { $0.ownPosition } }

    /// A reload replaced or removed this source: when it ends it neither places a final
    /// barrier nor leaves the epochs (its name is its replacement's, or no longer a participant).
    func retire() { control.withLock { $0.retired = true } }
    var isRetired: Bool { control.withLock { $0.retired } }

    /// A reload replaced this source: it resumes where its predecessor stopped (everything
    /// that one emitted was delivered), not from the last committed epoch, which would read
    /// again what the predecessor delivered after it. Called before `run`.
    func takeOverPosition(_ position: [UInt8]) { control.withLock { $0.restored = position } }

    func placeBarrier(_ epoch: UInt64) {
        emitOrder.withLock {
            let emitted = control.withLock { $0.emitted }
            barrierHandler.withLock { $0 }?(epoch, emitted)
        }
    }

    /// True when every downstream lane has room now.
    public var downstreamHasRoom: Bool { output.hasRoom }

    /// Runs `callback` once every downstream lane has room (for event-loop sources that must
    /// not block: pause reading, resume in the callback).
    public func whenDownstreamHasRoom(_ callback: @escaping @Sendable () -> Void) {
        output.whenRoom(callback)
    }
}
