import Logging

/// What every runner of one topology shares.
final class RunEnvironment: Sendable {
    let mode: RunMode
    let batchSize: Int
    let dataDir: String?
    let logger: Logger
    let reloads: ReloadRegistry
    /// Snapshot epochs (pipelines with stateful stages and a data directory, live runs).
    let coordinator: EpochCoordinator?
    let stateStore: StateStore?
    /// Set when the drain timed out: runners stop at once, leaving the rest unacknowledged.
    let hardStop = Locked(false, conditions: 1)
    /// The epoch every source places as it ends (graceful stop), so the last positions and
    /// snapshots commit together.
    let finalEpoch = Locked<UInt64?>(nil)
    let retry: RetryPolicy
    /// Where stage threads register so the bottleneck's can be raised (nil: off).
    let priority: StagePriority?

    init(mode: RunMode, batchSize: Int, dataDir: String?, logger: Logger, reloads: ReloadRegistry,
         coordinator: EpochCoordinator?, stateStore: StateStore?, retry: RetryPolicy = RetryPolicy(initial: 0.1, max: 30),
         priority: StagePriority? = nil) {
        self.mode = mode; self.batchSize = batchSize; self.dataDir = dataDir; self.logger = logger
        self.reloads = reloads; self.coordinator = coordinator; self.stateStore = stateStore; self.retry = retry
        self.priority = priority
    }

    var isHardStopped: Bool { hardStop.withLock { $0 } }

    /// Sleeps `seconds` unless a hard stop comes first; returns true when it did.
    func sleepUnlessHardStop(_ seconds: Double) -> Bool {
        hardStop.wait(timeout: seconds, until: { $0 }) { s, _ in s }
    }

    func triggerHardStop() {
        hardStop.withLock { $0 = true }
        hardStop.broadcast()
    }

    func startContext(_ node: ComponentNode) -> StartContext {
        StartContext(name: node.name, mode: mode, dataDir: dataDir, logger: node.logger, metrics: node.metrics, reloads: reloads)
    }
}
