/// A stage between sources and sinks (parse, enrich, detect).
///
/// Contract: building a transform acquires nothing; `start` (before any event) acquires what
/// it needs (files, tables, watchers) and `stop` releases it. `process` and `tick` are called
/// on the stage's own serial queue only, so implementations need no locking.
public protocol Transform: AnyObject {
    /// Acquires resources. Called once, before any `process`, on the stage's queue.
    func start(_ context: StartContext) throws
    /// Turns `events` into `output`; records that cannot be handled go to `failures` with a
    /// reason (they reach the dead-letter output) and never stop the stage.
    func process(_ events: [Event], into output: inout [Event], failures: inout [DeadLetter])
    /// The same as `process`, for a runner that hands the batch over: an implementation may
    /// move the events out of `events` (leaving anything in their place) instead of copying
    /// them. The default calls `process`.
    func process(taking events: inout [Event], into output: inout [Event], failures: inout [DeadLetter])
    /// Time passes: after every batch whose events moved the stage's event time, about once a
    /// second while idle, and once at the end (`time.final`). For timers: windows closing,
    /// half-assembled records timing out. Use `time.eventTime` (not the wall clock) for
    /// anything that must give the same result in `replay` as live.
    func tick(_ time: StageTime, into output: inout [Event])
    /// Releases what `start` acquired. Called once, after the last `tick`.
    func stop()
}

extension Transform {
    public func start(_ context: StartContext) throws {}
    public func process(taking events: inout [Event], into output: inout [Event], failures: inout [DeadLetter]) {
        process(events, into: &output, failures: &failures)
    }
    public func tick(_ time: StageTime, into output: inout [Event]) {}
    public func stop() {}
}

/// A transform that keeps state absorbing events across batches (windows, counters,
/// half-assembled records).
///
/// The runtime makes such state exact across crashes with aligned snapshot epochs: when the
/// barrier of an epoch has arrived on every input, it calls `snapshot()` and writes the bytes
/// durably; a source position is committed only for epochs every stateful stage persisted.
/// On restart `restore` gets the snapshot of the committed epoch before any event, and the
/// sources replay exactly what came after it.
public protocol StatefulTransform: Transform {
    /// Whether this instance keeps state at all (a parse stage does only for formats that
    /// assemble records). Default true.
    var holdsState: Bool { get }
    /// The whole state, encoded. Called on the stage's queue between batches, possibly more
    /// than once for one epoch (the runtime takes a digest of an idle stage's snapshot to tell
    /// whether it changed): it must not change the state, and the same state must give the
    /// same bytes.
    func snapshot() throws -> [UInt8]
    /// The same bytes as `snapshot()`, streamed to `output`: a stage with a large state
    /// writes it out in chunks of `output.chunkBytes` instead of building it whole. By
    /// default, `snapshot()` written at once.
    func snapshot(to output: SnapshotOutput) throws
    /// Replaces the state with a snapshot (before `start`'s first event). A snapshot the
    /// transform cannot read (an older format, other rules) should be logged and ignored.
    func restore(_ snapshot: [UInt8]) throws
    /// A number that changes whenever the state may have changed (a batch, a tick that moved
    /// anything, a restore); nil (the default) when the stage does not track it. A stage
    /// idle since its last snapshot whose version is the one that snapshot was taken at has
    /// that file linked without its state being read at all; with nil, the runtime
    /// serializes the state to a digest to tell. The version must change with every change
    /// of the bytes `snapshot()` returns (a missed change would restore a stale state after
    /// a crash; debug builds check it against the digest); changing when the bytes did not
    /// only costs a snapshot.
    var stateVersion: UInt64? { get }
}

extension StatefulTransform {
    public var holdsState: Bool { true }
    public var stateVersion: UInt64? { nil }
    public func snapshot(to output: SnapshotOutput) throws { try output.write(snapshot()) }
}

extension Transform {
    /// The transform as a `StatefulTransform` when it keeps state, nil otherwise.
    public var statefulSelf: StatefulTransform? {
        guard let s = self as? StatefulTransform, s.holdsState else { return nil }
        return s
    }
}

/// Time as a stage sees it.
public struct StageTime: Sendable {
    /// Wall-clock time, nanoseconds since the epoch.
    public var wallClock: Int64
    /// The largest event time (`@timestamp`) the stage has been handed; Int64.min before any.
    /// Inputs are merged in event time (see `Inbox`), so this moves like a watermark.
    public var eventTime: Int64
    /// Seconds since the stage last received events (live runs; 0 in replay, where only event
    /// time may close anything).
    public var idleSeconds: Double
    /// Every input has ended: flush everything.
    public var final: Bool
    public var mode: RunMode

    public init(wallClock: Int64, eventTime: Int64, idleSeconds: Double = 0, final: Bool = false, mode: RunMode = .toEnd) {
        self.wallClock = wallClock; self.eventTime = eventTime; self.idleSeconds = idleSeconds
        self.final = final; self.mode = mode
    }

    /// `eventTime` minus `lateness` (nanoseconds): what may be closed now.
    public func watermark(lateness: Int64) -> Int64 {
        eventTime == Int64.min ? Int64.min : eventTime &- lateness
    }
}

/// A transform whose work is done in `process(taking:)`, moving each event it is handed (an
/// enricher adding fields in place): `process(_:)` comes from here, handing over a copy of the
/// batch. A conformer must implement `process(taking:)` (`Transform`'s default of it calls
/// `process(_:)`).
public protocol MovingTransform: Transform {}

extension MovingTransform {
    public func process(_ events: [Event], into output: inout [Event], failures: inout [DeadLetter]) {
        var batch = events
        process(taking: &batch, into: &output, failures: &failures)
    }
}

extension Array where Element == Event {
    /// Moves every event into `output` through `change`, in order, leaving this array empty
    /// (`change` holds the only reference to each event, so adding fields never copies
    /// storage the batch shared): the way a transform that enriches events in place
    /// implements `process(taking:)`. When `output` is empty (what the runner hands a stage)
    /// the two arrays trade buffers and the events are changed where they are; otherwise
    /// each is moved over by `drain`. No event is copied either way.
    @inlinable
    public mutating func moveEach(into output: inout [Event], _ change: (inout Event) -> Void) {
        if output.isEmpty {
            swap(&self, &output)
            for i in output.indices { change(&output[i]) }
        } else {
            output.reserveCapacity(output.count + count)
            drain { e in
                var e = consume e   // a move: `var e = e` copied, and the fields with it on change
                change(&e)
                output.append(consume e)
            }
        }
    }

    /// Hands every event to `body` by value, in order, moving it out of this array, which is
    /// left empty with its capacity kept: for a stage that consumes the events it is handed
    /// (a parser, the detection engine). Nothing is left in an event's place (leaving an
    /// empty event there cost building one and destroying it, about 200 instructions an
    /// event a stage): the events are reversed in place and then taken from the end. The
    /// reversal goes through the buffer (whose `swapAt` moves); the array's own `reverse()`
    /// swaps by copying each event and destroying the copy.
    @inlinable
    public mutating func drain(_ body: (consuming Event) -> Void) {
        withUnsafeMutableBufferPointer { $0.reverse() }
        while let e = popLast() { body(consume e) }
    }
}
