import Dispatch
import Foundation
import Logging

/// A running pipeline: the components of a `Plan`, each on its own serial `DispatchQueue`,
/// connected by bounded lanes.
///
/// Guarantees:
/// - Building (`init`) acquires nothing; `start()` starts sinks, then transforms, then sources.
/// - Batches move in order along every wire; a full lane blocks its producer (or drops newest,
///   counted, where configured), so backpressure reaches the sources. Inputs of a stage are
///   merged in event time (`max_source_skew`).
/// - A record a stage cannot handle goes to the dead-letter sinks with its reason and the rest
///   flows on (an implicit dead-letter sink exists when none is configured).
/// - A batch is acknowledged to its source once every sink on every path has it. With
///   stateful stages and a data directory, source positions commit only with snapshot epochs
///   (see `EpochCoordinator`); otherwise each source saves what was acknowledged, about once a
///   second from a timer.
/// - `stop()` stops the sources, drains every lane, flushes and closes sinks, then commits;
///   `reload(_:)` replaces only what changed and loses or duplicates nothing in flight.
public final class Topology: Sendable {
    public let mode: RunMode
    let registry: ComponentRegistry
    let logger: Logger
    /// Where components register files they re-read on SIGHUP (see `reloadFiles()`).
    public let reloads = ReloadRegistry()

    struct State: Sendable {
        var config: PipelineConfig
        var nodes: [ComponentNode] = []
        var contexts: [String: SourceContext] = [:]
        /// Nodes replaced or removed by a reload, still draining.
        var retired: [ComponentNode] = []
        var lifecycle: ComponentState = .building
        var startTime: Double = 0
        var env: RunEnvironment?
        var timers: [RepeatingTimer] = []
    }
    private let state: Locked<State>
    /// The plan between `init` and `start` (components not yet owned by runners).
    private let pending: Locked<PlanBox?>
    /// Where a replay keeps learned state (`sluice replay --state DIR`).
    let stateDirectory: String?

    /// Builds (validates) a pipeline; throws `ConfigErrors` listing every problem found.
    public convenience init(config: PipelineConfig, registry: ComponentRegistry, mode: RunMode, logger: Logger,
                            stateDirectory: String? = nil) throws {
        let plan = try Plan(config: config, registry: registry, mode: mode, logger: logger)
        self.init(plan: plan, registry: registry, logger: logger, stateDirectory: stateDirectory)
    }

    public init(plan: Plan, registry: ComponentRegistry, logger: Logger, stateDirectory: String? = nil) {
        mode = plan.mode
        self.registry = registry
        self.logger = logger
        self.stateDirectory = stateDirectory
        state = Locked(State(config: plan.config))
        pending = Locked<PlanBox?>(PlanBox(plan))
    }

    public var config: PipelineConfig { state.withLock { $0.config } }
    public var lifecycle: ComponentState { state.withLock { $0.lifecycle } }
    public var startTime: Double { state.withLock { $0.startTime } }
    /// The epoch coordinator of a live pipeline with stateful stages.
    public var epochs: EpochCoordinator? { state.withLock { $0.env?.coordinator } }

    // MARK: start

    /// Starts every component: sinks, then transforms, then sources. Throws (after stopping
    /// what was started) when a component cannot start.
    public func start() throws {
        guard let plan = pending.withLock({ p -> Plan? in let x = p?.plan; p = nil; return x }) else {
            preconditionFailure("a topology starts once")
        }
        let config = plan.config
        // State: epochs in live pipelines with stateful stages; a replay keeps state only
        // when asked (`--state`).
        var coordinator: EpochCoordinator?
        var store: StateStore?
        var committed: CommittedEpoch?
        if mode == .follow, let dir = config.dataDir, plan.hasStatefulStages {
            store = StateStore(dataDirectory: dir)
        } else if mode == .toEnd, let dir = stateDirectory {
            store = StateStore(dataDirectory: dir)
        }
        if let store {
            do { committed = try store.committed() } catch {
                logger.error("\(error); starting without saved state")
            }
        }
        if mode == .follow, let store, plan.hasStatefulStages {
            coordinator = EpochCoordinator(
                store: store, committed: committed,
                sources: Set(plan.entries.filter { $0.kind == .source }.map(\.name)),
                stages: Set(plan.entries.filter(\.isStateful).map(\.name)),
                interval: config.checkpointInterval, logger: logger)
        }
        let priority = config.bottleneckPriority > 0 ? StagePriority(boost: config.bottleneckPriority, logger: logger) : nil
        let env = RunEnvironment(mode: mode, batchSize: config.batchSize,
                                 dataDir: mode == .toEnd ? nil : config.dataDir, logger: logger,
                                 reloads: reloads, coordinator: coordinator, stateStore: store, priority: priority)
        let nodes = plan.entries.map { makeNode($0, config: config) }
        wire(nodes, edges: plan.edges)
        state.withLock { s in
            s.nodes = nodes
            s.env = env
            s.lifecycle = .starting
            s.startTime = Clock.monotonic()
        }
        // Restore stateful stages from the committed epoch (or the replay's state).
        if let store, let committed {
            for n in nodes where n.isStateful {
                guard let t = n.box.transform?.statefulSelf else { continue }
                guard committed.stages.contains(n.name), let bytes = store.snapshot(stage: n.name, epoch: committed.epoch) else { continue }
                do {
                    try t.restore(bytes)
                    n.logger.info("restored state of epoch \(committed.epoch) (\(bytes.count) bytes)")
                } catch {
                    n.logger.error("cannot restore saved state: \(error); starting empty")
                }
            }
        }
        do {
            for n in nodes where n.kind == .sink { try startComponent(n, env: env) }
            for n in nodes where n.kind == .transform { try startComponent(n, env: env) }
        } catch {
            for n in nodes where n.kind == .sink { n.box.sink?.close() }
            for n in nodes where n.kind == .transform { n.box.transform?.stop() }
            state.withLock { $0.lifecycle = .failed }
            throw error
        }
        for n in nodes where n.kind == .sink { SinkRunner(node: n, env: env).start() }
        for n in nodes where n.kind == .transform { TransformRunner(node: n, env: env).start() }
        for n in nodes where n.kind == .source {
            let ctx = makeContext(n, env: env, config: config, committed: committed)
            state.withLock { $0.contexts[n.name] = ctx }
            SourceRunner(node: n, context: ctx, env: env).start()
        }
        if let coordinator { startEpochs(coordinator, interval: config.checkpointInterval) }
        if mode == .follow, coordinator == nil { startCheckpointTimer() }
        if let priority = env.priority {
            let timer = RepeatingTimer(label: "sluice.priority", interval: StagePriority.interval) { priority.sample() }
            state.withLock { $0.timers.append(timer) }
        }
        state.withLock { $0.lifecycle = .running }
    }

    private func makeNode(_ e: Plan.Entry, config: PipelineConfig) -> ComponentNode {
        let metrics = ComponentMetrics(name: e.name, kind: e.kind.rawValue, type: e.config.type)
        var inbox: Inbox?
        if e.kind != .source {
            let settings = InboxSettings(
                capacity: config.laneCapacity(for: e.config, isDeadLetter: e.isDeadLetter),
                policy: e.config.queuePolicy ?? config.queuePolicy,
                maxBatch: config.batchSize,
                maxSkew: e.isDeadLetter || config.maxSourceSkew <= 0 ? nil : Int64(config.maxSourceSkew * 1e9),
                idleTimeout: mode == .follow ? config.sourceIdleTimeout : nil)
            inbox = Inbox(name: e.name, settings: settings, onDepthChange: { depth in metrics.setQueueDepth(depth) })
        }
        return ComponentNode(entry: e, inbox: inbox, metrics: metrics, logger: logger)
    }

    /// Connects `nodes` along `edges` (lanes are added for edges not wired yet).
    private func wire(_ nodes: [ComponentNode], edges: [(from: String, to: String, failures: Bool)]) {
        let byName = Dictionary(nodes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for e in edges {
            guard let from = byName[e.from], let to = byName[e.to], let inbox = to.inbox else { continue }
            let lane = inbox.addLane(name: e.from)
            (e.failures ? from.failures : from.output).add(lane)
        }
    }

    private func startComponent(_ n: ComponentNode, env: RunEnvironment) throws {
        n.set(.starting)
        let ctx = env.startContext(n)
        do {
            if let s = n.box.sink {
                if let r = s as? DeadLetterReporting {
                    r.deadLetterHandler = { [weak n] failures in n?.sendToDeadLetter(failures, acks: []) }
                }
                try s.start(ctx)
            } else if let t = n.box.transform {
                try t.start(ctx)
            }
        } catch {
            n.set(.failed)
            n.status.withLock { $0.lastError = "\(error)" }
            throw StartError(component: n.name, underlying: error)
        }
    }

    private func makeContext(_ n: ComponentNode, env: RunEnvironment, config: PipelineConfig, committed: CommittedEpoch?) -> SourceContext {
        let positioned = n.box.source is PositionedSource
        let coordinator = env.coordinator
        var checkpoints: CheckpointStore?
        if mode == .follow, coordinator == nil, let dir = config.dataDir {
            do { checkpoints = try CheckpointStore(dataDirectory: dir) } catch {
                logger.error("cannot use data directory \(dir): \(error); checkpoints are off")
            }
        }
        let restored = coordinator != nil ? committed?.sources[n.name].map { [UInt8]($0) } : nil
        let ctx = SourceContext(name: n.name, mode: mode, logger: n.logger, metrics: n.metrics, checkpoints: checkpoints,
                                restoredPosition: restored, usesEpochs: coordinator != nil, positioned: positioned,
                                output: n.output, reloads: reloads,
                                onDelivered: Self.checker(coordinator))
        let name = n.name, output = n.output
        let source = n.box
        ctx.barrierHandler.withLock { h in
            h = { [weak ctx] (epoch: UInt64, emitted: UInt64) in
                guard let ctx else { return }
                let position = positioned && ctx.reportsOwnPosition ? (source.source as? PositionedSource)?.barrierPosition() : nil
                output.emitBarrier(epoch)
                let tracker = ctx.delivered
                coordinator?.sourceReached(name, epoch: epoch, position: position,
                                           delivered: { (tracker.committed ?? 0) >= emitted })
            }
        }
        return ctx
    }

    /// A callback that re-checks the epoch in flight (nil without epochs).
    private static func checker(_ c: EpochCoordinator?) -> (@Sendable (UInt64) -> Void)? {
        guard let c else { return nil }
        return { _ in c.check() }
    }

    private func startEpochs(_ coordinator: EpochCoordinator, interval: Double) {
        coordinator.requestBarriers.withLock { r in
            r = { [weak self] epoch in
                guard let self else { return }
                for ctx in self.state.withLock({ Array($0.contexts.values) }) { ctx.requestBarrier(epoch) }
            }
        }
        let timer = RepeatingTimer(label: "sluice.epochs", interval: interval) { coordinator.begin() }
        state.withLock { $0.timers.append(timer) }
    }

    /// Sources save their acknowledged positions about once a second, off their read loops.
    private func startCheckpointTimer() {
        let timer = RepeatingTimer(label: "sluice.checkpoints", interval: 1) { [weak self] in self?.commitCheckpoints() }
        state.withLock { $0.timers.append(timer) }
    }

    // MARK: stop

    /// Asks every source to stop; the pipeline then drains. With epochs, each source places
    /// the barrier of a final epoch as it ends.
    public func stopSources() {
        control.withLock { stopping in
            stopping = true
            stopSourcesLocked()
        }
    }

    /// Serializes a reload with a stop (SIGHUP and SIGTERM are handled on different queues):
    /// true once a stop began, after which a reload refuses. Without it a stop could stop only
    /// the sources a concurrent reload was replacing, and a reload after a stop would give up
    /// the stop's final epoch.
    private let control = Locked(false)

    private func stopSourcesLocked() {
        let (nodes, contexts, env) = state.withLock { s in (s.nodes, s.contexts, s.env) }
        if let c = env?.coordinator {
            let final = c.begin(final: true)
            env?.finalEpoch.withLock { $0 = final }
            for ctx in contexts.values { ctx.cancelBarrier() }
        }
        for n in nodes where n.kind == .source {
            contexts[n.name]?.requestStop()
            n.set(.draining)
            n.box.source?.stop()
        }
    }

    /// Waits until every component has finished (nil: forever). Returns false on timeout.
    public func wait(timeout: Double?) -> Bool {
        let deadline = timeout.map { Clock.monotonic() + $0 }
        while true {
            let nodes = state.withLock { $0.nodes + $0.retired }
            guard let next = nodes.first(where: { !$0.isFinished }) else { return true }
            let left = deadline.map { $0 - Clock.monotonic() }
            if let left, left <= 0 { return false }
            if !next.waitFinished(seconds: left.map { min($0, 1) } ?? 1) && deadline == nil { continue }
        }
    }

    /// Stops sources, drains within `timeout` seconds, then commits. Returns false if the
    /// drain timed out (undelivered events are read again at the next start).
    @discardableResult
    public func stop(timeout: Double) -> Bool {
        let deadline = Clock.monotonic() + timeout
        stopSources()
        var drained = wait(timeout: max(0, deadline - Clock.monotonic()))
        let (env, nodes, timers) = state.withLock { s in (s.env, s.nodes + s.retired, s.timers) }
        if !drained {
            logger.warning("shutdown timeout (\(timeout)s) reached before every event was delivered; undelivered events will be read again at the next start")
            env?.triggerHardStop()
            for n in nodes { n.inbox?.close() }
            _ = wait(timeout: 2)
        }
        for t in timers { t.cancel() }
        env?.priority?.stop()
        if let c = env?.coordinator, drained {
            let seconds = max(1, deadline - Clock.monotonic())
            drained = c.waitForCommit(seconds: seconds)
            if !drained {
                logger.warning("the final snapshot epoch did not commit within \(Int(seconds.rounded(.up)))s (\(c.pendingDescription() ?? "none in flight")); the next start resumes from epoch \(c.committed?.epoch ?? 0) and reads again what came after it")
            }
        }
        commitCheckpoints()
        writeReplayState()
        state.withLock { $0.lifecycle = .stopped }
        return drained
    }

    /// Saves each source's acknowledged position (pipelines without epochs).
    public func commitCheckpoints() {
        let (nodes, coordinator) = state.withLock { s in (s.nodes + s.retired, s.env?.coordinator) }
        guard coordinator == nil else { return }
        for n in nodes where n.kind == .source { n.box.source?.commitCheckpoints() }
    }

    /// After a replay with a state directory: every stateful stage's state, committed as a new
    /// epoch with no source positions (a live run started on it keeps learning from there).
    public func writeReplayState() {
        guard mode == .toEnd, let dir = stateDirectory else { return }
        let nodes = state.withLock { $0.nodes }
        let store = StateStore(dataDirectory: dir)
        let epoch = ((try? store.committed())?.epoch ?? 0) + 1
        var stages: [String] = []
        for n in nodes where n.isStateful && n.isFinished {
            guard let t = n.box.transform?.statefulSelf else { continue }
            do {
                try store.writeSnapshot(of: t, named: n.name, epoch: epoch)
                stages.append(n.name)
            } catch { logger.error("cannot save the state of \(n.name): \(error)") }
        }
        do { try store.commit(CommittedEpoch(epoch: epoch, stages: stages)) } catch {
            logger.error("cannot save state to \(dir): \(error)")
        }
    }

    // MARK: reload

    /// What a reload changed.
    public struct ReloadReport: Sendable, CustomStringConvertible {
        public var kept: [String] = []
        public var replaced: [String] = []
        public var added: [String] = []
        public var removed: [String] = []
        public var description: String {
            "kept \(kept.count) \(kept), replaced \(replaced.count) \(replaced), added \(added.count) \(added), removed \(removed.count) \(removed)"
        }
    }

    /// Replaces the running pipeline with `config`, component by component: unchanged
    /// components keep running with their lanes, positions and state; changed and new ones
    /// are built, started and wired in; removed ones drain and stop. Nothing in flight is lost
    /// or duplicated. Throws `ConfigErrors` (and changes nothing) when `config` is invalid.
    @discardableResult
    public func reload(_ config: PipelineConfig) throws -> ReloadReport {
        try control.withLock { stopping in
            if stopping {
                throw ConfigErrors([ConfigIssue(file: config.file, line: 0, column: 0, message: "the pipeline is stopping; not reloaded")])
            }
            return try reloadLocked(config)
        }
    }

    private func reloadLocked(_ config: PipelineConfig) throws -> ReloadReport {
        let plan = try Plan(config: config, registry: registry, mode: mode, logger: logger)
        let (oldNodes, env, contexts) = state.withLock { s in (s.nodes, s.env, s.contexts) }
        guard let env else { throw ConfigErrors([ConfigIssue(file: config.file, line: 0, column: 0, message: "the pipeline is not running")]) }
        var report = ReloadReport()
        let oldByName = Dictionary(oldNodes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        // Epochs begun so far can no longer commit: their barriers are stale everywhere
        // (`Inbox.abandonEpochs(through:)`, told to every inbox once the new one is wired).
        let givenUp = env.coordinator?.pause()

        // Which components stay, which are new (replacements included).
        var current: [ComponentNode] = []
        var fresh: [ComponentNode] = []
        var replacedOld: [String: ComponentNode] = [:]
        for e in plan.entries {
            if let old = oldByName[e.name], old.fingerprint == e.fingerprint, old.kind == e.kind {
                current.append(old)
                report.kept.append(e.name)
            } else {
                let n = makeNode(e, config: config)
                current.append(n)
                fresh.append(n)
                if let old = oldByName[e.name] { replacedOld[e.name] = old; report.replaced.append(e.name) }
                else { report.added.append(e.name) }
            }
        }
        let newNames = Set(plan.entries.map(\.name))
        let removed = oldNodes.filter { !newNames.contains($0.name) }
        report.removed = removed.map(\.name)
        let retiring = removed + Array(replacedOld.values)

        // Start new sinks and transforms before anything is routed to them.
        do {
            for n in fresh where n.kind == .sink { try startComponent(n, env: env) }
            for n in fresh where n.kind == .transform { try startComponent(n, env: env) }
        } catch {
            for n in fresh where n.kind == .sink { n.box.sink?.close() }
            for n in fresh where n.kind == .transform { n.box.transform?.stop() }
            env.coordinator?.resume(sources: Set(oldNodes.filter { $0.kind == .source }.map(\.name)),
                                    stages: Set(oldNodes.filter(\.isStateful).map(\.name)))
            if let givenUp { for n in oldNodes { n.inbox?.abandonEpochs(through: givenUp) } }
            throw error
        }

        // Wire the new edges. An edge whose two ends both stayed is already wired.
        let currentByName = Dictionary(current.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let kept = Set(report.kept)
        let oldEdges = Set(Self.edgeKeys(oldNodes: oldNodes))
        for e in plan.edges {
            if kept.contains(e.from) && kept.contains(e.to) && oldEdges.contains("\(e.from)>\(e.to)>\(e.failures)") { continue }
            guard let from = currentByName[e.from], let to = currentByName[e.to], let inbox = to.inbox else { continue }
            let lane = inbox.addLane(name: e.from)
            (e.failures ? from.failures : from.output).add(lane)
        }
        // Unwire what stayed from what leaves (its lanes finish; the leaving side drains).
        for n in current where kept.contains(n.name) {
            for out in [n.output, n.failures] {
                for lane in out.lanes where !currentByName.values.contains(where: { $0.inbox === lane.inbox }) {
                    out.remove(lane)
                }
            }
        }
        state.withLock { s in
            s.nodes = current
            s.retired.append(contentsOf: retiring)
        }
        if let givenUp { for n in current + retiring { n.inbox?.abandonEpochs(through: givenUp) } }
        // Stop sources that leave; start what is new. A replacement takes over once its
        // predecessor finished (a source: after everything it emitted was delivered and its
        // position saved; a stateful stage: with the predecessor's state).
        for old in retiring where old.kind == .source {
            // Retired first: ending, it must not take its name (its replacement's) out of the
            // epochs (`resume` below sets the participants).
            contexts[old.name]?.retire()
            contexts[old.name]?.requestStop()
            old.set(.draining)
            old.box.source?.stop()
        }
        for n in fresh where n.kind == .sink { SinkRunner(node: n, env: env).start() }
        for n in fresh where n.kind == .transform {
            let old = replacedOld[n.name]
            var takeOver: (@Sendable () -> Void)?
            if let old {
                takeOver = {
                    old.waitFinished(seconds: nil)
                    if let from = old.box.transform?.statefulSelf, let to = n.box.transform?.statefulSelf {
                        do { try to.restore(try from.snapshot()) } catch {
                            n.logger.error("cannot take over the state of the replaced stage: \(error); starting empty")
                        }
                    }
                }
            }
            TransformRunner(node: n, env: env).start(after: takeOver)
        }
        for n in fresh where n.kind == .source {
            let old = replacedOld[n.name]
            let oldContext = contexts[n.name]
            var restored: CommittedEpoch?
            if env.coordinator != nil { restored = env.coordinator?.committed }
            let ctx = makeContext(n, env: env, config: config, committed: restored)
            state.withLock { $0.contexts[n.name] = ctx }
            var takeOver: (@Sendable () -> Void)?
            if let old {
                let epochs = env.coordinator != nil
                takeOver = {
                    old.waitFinished(seconds: nil)
                    oldContext?.delivered.waitUntilIdle(seconds: 3600)
                    old.box.source?.commitCheckpoints()
                    // With epochs a source keeps no checkpoint of its own: the replacement
                    // resumes where the predecessor stopped (if it ran and ended cleanly).
                    if epochs, let oldContext, oldContext.reportsOwnPosition,
                       let position = (old.box.source as? PositionedSource)?.barrierPosition() {
                        ctx.takeOverPosition(position)
                    }
                }
            }
            SourceRunner(node: n, context: ctx, env: env).start(after: takeOver)
        }
        env.coordinator?.resume(sources: Set(current.filter { $0.kind == .source }.map(\.name)),
                                stages: Set(current.filter(\.isStateful).map(\.name)))
        state.withLock { $0.config = config }
        return report
    }

    private static func edgeKeys(oldNodes: [ComponentNode]) -> [String] {
        var keys: [String] = []
        for n in oldNodes {
            for l in n.output.lanes { if let to = oldNodes.first(where: { $0.inbox === l.inbox }) { keys.append("\(n.name)>\(to.name)>false") } }
            for l in n.failures.lanes { if let to = oldNodes.first(where: { $0.inbox === l.inbox }) { keys.append("\(n.name)>\(to.name)>true") } }
        }
        return keys
    }

    /// Runs every component's file reload (SIGHUP): certificates, intel and context tables.
    public func reloadFiles() { reloads.reloadAll() }

    // MARK: figures

    /// Component figures, in configuration order.
    public func summary() -> [ComponentSummary] {
        state.withLock { $0.nodes }.map { n in
            ComponentSummary(name: n.name, kind: n.kind.rawValue, type: n.type,
                             eventsIn: n.metrics.eventsIn, eventsOut: n.metrics.eventsOut,
                             failed: n.metrics.failed, dropped: n.metrics.dropped + (n.inbox?.dropped ?? 0),
                             failureReasons: n.metrics.failureReasons)
        }
    }

    /// Each component's state and figures (for `/health`, `sluice top`, the watchdog).
    public func statuses() -> [ComponentStatus] {
        state.withLock { $0.nodes }.map { $0.statusReport() }
    }

    /// Events accepted by sources so far, and events delivered by non-dead-letter sinks.
    public var progress: (read: Int, written: Int) {
        var r = 0, w = 0
        for n in state.withLock({ $0.nodes }) {
            if n.kind == .source { r += n.metrics.eventsOut }
            if n.kind == .sink && !n.isDeadLetter { w += n.metrics.eventsOut }
        }
        return (r, w)
    }

    /// Alerts made so far by the pipeline's detection stages (their `detect_alerts` counter).
    public var alertCount: Int {
        state.withLock { $0.nodes }.reduce(0) { $0 + ($1.metrics.counterTotals["detect_alerts"] ?? 0) }
    }

    public var isHealthy: Bool { !(state.withLock { $0.env?.isHardStopped } ?? false) }
}

/// A component that could not start, and why.
public struct StartError: Error, CustomStringConvertible {
    public let component: String
    public let underlying: Error
    public var description: String { "component '\(component)' cannot start: \(underlying)" }
}

/// Holds a plan until the topology starts.
final class PlanBox: @unchecked Sendable {
    // SAFETY (@unchecked Sendable): the plan's components are handed to runners in `start`,
    // which takes the box's plan exactly once under the topology's lock.
    let plan: Plan
    init(_ plan: Plan) { self.plan = plan }
}
