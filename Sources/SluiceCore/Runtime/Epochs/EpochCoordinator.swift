import Dispatch
import Foundation
import Logging

/// Aligned snapshot epochs (the Chandy–Lamport idea, as Flink checkpoints do it) for a
/// pipeline with stateful stages.
///
/// Every `interval` the coordinator asks each source for the barrier of a new epoch. A source
/// places it between two batches and reports its position there; each stage hands the barrier
/// on once it arrived on all its inputs, a stateful stage after writing its snapshot. The epoch
/// is **complete** when every source reported, every batch a source emitted before its barrier
/// was acknowledged by every sink, every stateful stage persisted its snapshot, and every batch
/// a stateful stage emitted before the barrier was acknowledged. Only then is the record
/// (epoch, source positions, stages) written, atomically. On restart, stages restore the
/// snapshots of the committed epoch and sources resume from its positions, so the restored
/// state plus the replayed tail equal an uninterrupted run.
///
/// One epoch is in flight at a time; an epoch that does not complete within `timeout` is
/// given up (its barriers become stale and are discarded downstream) and a new one begins.
public final class EpochCoordinator: Sendable {
    struct Mark: Sendable {
        var position: [UInt8]?
        var delivered: @Sendable () -> Bool
    }
    struct Pending: Sendable {
        var epoch: UInt64
        var started: Double
        var final: Bool
        var sources: [String: Mark] = [:]
        var stages: [String: Mark] = [:]
    }
    struct State: Sendable {
        var next: UInt64
        var pending: Pending?
        var committed: CommittedEpoch?
        var sources: Set<String>
        var stages: Set<String>
        var paused = false
        /// A final epoch (a graceful stop) has begun: no other epoch begins after it.
        var finalBegun = false
        var committing = false
        /// Sources that ended without a barrier in this run (their input ended or they
        /// failed): their last committed position is kept in later records.
        var finished: Set<String> = []
        var commits = 0
        var abandoned = 0
    }

    let store: StateStore
    let interval: Double
    let timeout: Double
    let logger: Logger
    private let state: Locked<State>
    /// Writes the records, one at a time (internal: tests hold it to widen a race).
    let commitQueue = DispatchQueue(label: "sluice.epochs.commit")
    /// Asks the sources for the barrier of an epoch (set by the topology).
    let requestBarriers: Locked<(@Sendable (UInt64) -> Void)?> = Locked(nil)

    public init(store: StateStore, committed: CommittedEpoch?, sources: Set<String>, stages: Set<String>,
                interval: Double, timeout: Double = 600, logger: Logger) {
        self.store = store; self.interval = interval; self.timeout = timeout; self.logger = logger
        state = Locked(State(next: (committed?.epoch ?? 0) + 1, committed: committed, sources: sources, stages: stages))
    }

    public var committed: CommittedEpoch? { state.withLock { $0.committed } }
    public var commitCount: Int { state.withLock { $0.commits } }
    public var abandonedCount: Int { state.withLock { $0.abandoned } }
    public var pendingEpoch: UInt64? { state.withLock { $0.pending?.epoch } }

    /// Starts the next epoch if none is in flight (gives up one older than `timeout`).
    /// Returns the epoch whose barriers must be requested.
    @discardableResult
    public func begin(final: Bool = false) -> UInt64? {
        let e = state.withLock { s -> UInt64? in
            // After a stop's final epoch began, the periodic timer (cancelled only once the
            // pipeline drained) must not open one that no source would ever reach.
            if (s.paused || s.finalBegun) && !final { return nil }
            if final { s.finalBegun = true }
            if let p = s.pending {
                if final || Clock.monotonic() - p.started > timeout {
                    s.abandoned += p.final ? 0 : 1
                    s.pending = nil
                } else { return nil }
            }
            let e = s.next
            s.next += 1
            s.pending = Pending(epoch: e, started: Clock.monotonic(), final: final)
            return e
        }
        if let e, !final { requestBarriers.withLock { $0 }?(e) }
        return e
    }

    /// Gives up the epoch in flight and starts none until `resume` (a reload rewires).
    /// Returns the newest epoch begun so far (0: none): none at or below it can commit any
    /// more, so its barriers still on their way are stale (`Inbox.abandonEpochs(through:)`).
    @discardableResult
    public func pause() -> UInt64 {
        state.withLock { s in
            s.paused = true
            if s.pending != nil { s.pending = nil; s.abandoned += 1 }
            return s.next - 1
        }
    }

    /// Resumes epochs with the participants of the new topology.
    public func resume(sources: Set<String>, stages: Set<String>) {
        state.withLock { s in
            s.paused = false; s.sources = sources; s.stages = stages
            s.finished.subtract(sources)   // participants again: they report their own positions
        }
    }

    /// A source placed the barrier of `epoch` at `position`; `delivered` tells whether every
    /// batch it emitted before it has been acknowledged.
    public func sourceReached(_ source: String, epoch: UInt64, position: [UInt8]?, delivered: @escaping @Sendable () -> Bool) {
        state.withLock { s in
            guard s.pending?.epoch == epoch else { return }
            s.pending!.sources[source] = Mark(position: position, delivered: delivered)
        }
        check()
    }

    /// A source ended without a final barrier (its input ended): epochs stop waiting for it.
    public func sourceFinished(_ source: String) {
        state.withLock { s in
            if s.sources.remove(source) != nil { s.finished.insert(source) }
        }
        check()
    }

    /// A stateful stage persisted its snapshot of `epoch`; `delivered` tells whether every
    /// batch it emitted before the barrier has been acknowledged.
    public func stagePersisted(_ stage: String, epoch: UInt64, delivered: @escaping @Sendable () -> Bool) {
        state.withLock { s in
            guard s.pending?.epoch == epoch else { return }
            s.pending!.stages[stage] = Mark(position: nil, delivered: delivered)
        }
        check()
    }

    /// Commits the epoch in flight if it is complete. Called whenever an acknowledgement,
    /// a barrier or a snapshot may have completed it; cheap otherwise.
    public func check() {
        let ready = state.withLock { s -> (Pending, [String: Data])? in
            guard !s.committing, let p = s.pending else { return nil }
            guard s.sources.isSubset(of: Set(p.sources.keys)), s.stages.isSubset(of: Set(p.stages.keys)) else { return nil }
            for m in p.sources.values where !m.delivered() { return nil }
            for m in p.stages.values where !m.delivered() { return nil }
            s.committing = true
            // A source that reported no position of its own (it never ran, or failed) or that
            // ended without a barrier keeps the one committed before: dropping it would make
            // the next start read that source from its beginning again. A source a reload
            // removed is neither, and is dropped.
            var kept: [String: Data] = [:]
            for (name, pos) in s.committed?.sources ?? [:]
            where s.finished.contains(name) || (p.sources[name].map { $0.position == nil } ?? false) {
                kept[name] = pos
            }
            return (p, kept)
        }
        guard let (p, kept) = ready else { return }
        commitQueue.async { [self] in
            var sources = kept
            for (name, m) in p.sources { if let pos = m.position { sources[name] = Data(pos) } }
            let record = CommittedEpoch(epoch: p.epoch, sources: sources, stages: p.stages.keys.sorted())
            var ok = true
            do { try store.commit(record) } catch {
                ok = false
                logger.error("cannot commit epoch \(p.epoch): \(error); positions stay at the previous epoch")
            }
            state.withLock { s in
                s.committing = false
                if s.pending?.epoch == p.epoch { s.pending = nil }
                if ok { s.committed = record; s.commits += 1 }
            }
            state.broadcast()
            // Another epoch may have completed while this record was written (a graceful stop
            // begins its final epoch at once, and its participants may all report before this
            // commit ends): their `check()`s found a commit running and did nothing, and at a
            // stop nothing else would check again.
            check()
        }
    }

    /// What the epoch in flight still waits for, in words (nil when none is in flight): the
    /// sources and stateful stages that have not reported it, and those whose batches before
    /// the barrier are not all acknowledged yet. For the warning of a shutdown that could not
    /// commit its final epoch.
    public func pendingDescription() -> String? {
        state.withLock { s -> String? in
            guard let p = s.pending else { return nil }
            var parts: [String] = []
            let sources = s.sources.subtracting(p.sources.keys).sorted()
            let stages = s.stages.subtracting(p.stages.keys).sorted()
            if !sources.isEmpty { parts.append("no barrier yet from source(s) " + sources.joined(separator: ", ")) }
            if !stages.isEmpty { parts.append("no snapshot yet from stage(s) " + stages.joined(separator: ", ")) }
            let undelivered = (Array(p.sources.filter { !$0.value.delivered() }.keys) + Array(p.stages.filter { !$0.value.delivered() }.keys)).sorted()
            if !undelivered.isEmpty { parts.append("batches not yet acknowledged downstream of " + undelivered.joined(separator: ", ")) }
            if s.committing { parts.append("its record being written") }
            return "epoch \(p.epoch)" + (parts.isEmpty ? "" : ": " + parts.joined(separator: "; "))
        }
    }

    /// Waits up to `seconds` until the epoch in flight was committed or given up.
    @discardableResult
    public func waitForCommit(seconds: Double) -> Bool {
        check()
        return state.wait(timeout: seconds, until: { $0.pending == nil && !$0.committing }) { _, ready in ready }
    }
}
