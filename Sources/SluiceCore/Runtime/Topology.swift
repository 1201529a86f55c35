import Dispatch
import Foundation
import Logging

/// Per-component figures for the end-of-run summary.
public struct ComponentSummary: Sendable {
    public let name: String
    public let kind: String
    public let type: String
    public let eventsIn: Int
    public let eventsOut: Int
    public let failed: Int
    public let dropped: Int
    public let failureReasons: [String: Int]
}

/// A running pipeline: components built from a `PipelineConfig`, connected by bounded
/// queues, each stage on its own serial `DispatchQueue`.
///
/// Guarantees:
/// - Batches move in order along every edge; a full queue blocks its producer (or drops
///   newest, counted, where configured), so backpressure reaches the sources.
/// - A record a transform cannot handle goes to the dead-letter sinks with its reason and
///   the rest flows on. With no `dead_letter` sink configured, failures are written to an
///   implicit one (`<data_dir>/dead_letter.ndjson`, or stderr without a data directory).
/// - A batch is acknowledged to its source once every sink on every path has it.
/// - `stop()` stops the sources, drains every queue, flushes and closes sinks, then asks
///   sources to write their checkpoints.
public final class Topology: @unchecked Sendable {
    public let config: PipelineConfig
    public let mode: RunMode
    let logger: Logger

    final class Node {
        let config: ComponentConfig
        let metrics: ComponentMetrics
        var input: BoundedQueue?
        var outputs: [BoundedQueue] = []
        var source: Source?
        var transform: Transform?
        var sink: Sink?
        var sourceContext: SourceContext?
        let queue: DispatchQueue
        init(config: ComponentConfig, metrics: ComponentMetrics) {
            self.config = config; self.metrics = metrics
            queue = DispatchQueue(label: "sluice.\(config.kind.rawValue).\(config.name)")
        }
    }

    private(set) var nodes: [Node] = []
    private var deadLetterQueues: [BoundedQueue] = []
    private let group = DispatchGroup()
    private let hardStop = Monitor()
    private var _hardStopped = false
    private var started = false
    public private(set) var startTime: Double = 0

    /// Builds every component; throws `ConfigErrors` listing every problem found.
    public init(config: PipelineConfig, registry: ComponentRegistry, mode: RunMode, logger: Logger) throws {
        self.config = config
        self.mode = mode
        self.logger = logger
        var issues: [ConfigIssue] = config.componentIssues
        var byName: [String: Node] = [:]
        for c in config.components {
            let metrics = ComponentMetrics(name: c.name, kind: c.kind.rawValue, type: c.type)
            let node = Node(config: c, metrics: metrics)
            var componentLogger = logger
            componentLogger[metadataKey: "component"] = "\(c.name)"
            // Replay keeps no state: no checkpoints, and dead letters go to stderr by default.
            let ctx = BuildContext(name: c.name, mode: mode, dataDir: mode == .toEnd ? nil : config.dataDir, logger: componentLogger, registry: registry)
            do {
                switch c.kind {
                case .source:
                    if let f = registry.sources[c.type] { node.source = try f(c.options, ctx) }
                    else if !c.type.isEmpty { c.options.fail("unknown source type '\(c.type)'; known: \(registry.sources.keys.sorted().joined(separator: ", "))") }
                case .transform:
                    if c.type == "parse" { node.transform = try ParseTransform.make(c.options, ctx, metrics: metrics) }
                    else if let f = registry.transforms[c.type] { node.transform = try f(c.options, ctx) }
                    else if !c.type.isEmpty { c.options.fail("unknown transform type '\(c.type)'; known: \((["parse"] + registry.transforms.keys).sorted().joined(separator: ", "))") }
                case .sink:
                    if let f = registry.sinks[c.type] { node.sink = try f(c.options, ctx) }
                    else if !c.type.isEmpty { c.options.fail("unknown sink type '\(c.type)'; known: \(registry.sinks.keys.sorted().joined(separator: ", "))") }
                    if let r = node.sink as? DeadLetterReporting {
                        let name = c.name
                        r.deadLetterHandler = { [weak self] failures in
                            self?.sendToDeadLetter(failures, component: name, acks: [], metrics: metrics)
                        }
                    }
                }
            } catch let e as ConfigIssue {
                issues.append(e)
            } catch let e as ConfigErrors {
                issues.append(contentsOf: e.issues)
            } catch {
                c.options.fail("cannot start: \(error)")
            }
            issues.append(contentsOf: c.options.finish())
            byName[c.name] = node
            nodes.append(node)
        }
        // Wiring.
        var producers: [String: Int] = [:]
        for n in nodes where n.config.kind != .source {
            for inp in n.config.inputs {
                guard let up = byName[inp] else {
                    let inputsNode = n.config.options.node("inputs") ?? n.config.node
                    issues.append(inputsNode.issue("input '\(inp)' is not a component of this pipeline", component: n.config.name))
                    continue
                }
                if up.config.kind == .sink {
                    issues.append(n.config.node.issue("input '\(inp)' is a sink; sinks produce no events", component: n.config.name))
                }
                // A dead-letter sink reads failures, not the events of its inputs: its
                // `inputs` are checked but not wired (see `isWired`).
                if Self.isWired(n.config) { producers[n.config.name, default: 0] += 1 }
            }
        }
        // Cycle check (transforms only can form cycles).
        var state: [String: Int] = [:]
        func visit(_ name: String, _ path: [String]) {
            guard let n = byName[name] else { return }
            if state[name] == 2 { return }
            if state[name] == 1 {
                issues.append(n.config.node.issue("inputs form a cycle: \((path + [name]).joined(separator: " -> "))", component: name))
                return
            }
            state[name] = 1
            for i in n.config.inputs { visit(i, path + [name]) }
            state[name] = 2
        }
        for n in nodes { visit(n.config.name, []) }
        for n in nodes where n.config.kind != .sink {
            let consumers = nodes.filter { Self.isWired($0.config) && $0.config.inputs.contains(n.config.name) }
            if consumers.isEmpty {
                issues.append(n.config.node.issue("no transform or sink reads from this \(n.config.kind.rawValue) (list it in some component's 'inputs')", component: n.config.name))
            }
        }
        if !issues.isEmpty { throw ConfigErrors(issues) }

        // Implicit dead-letter sink when none is configured.
        let failingComponents = nodes.filter { $0.config.kind == .transform || ($0.config.kind == .sink && $0.config.type != "dead_letter") }.count
        if !nodes.contains(where: { $0.config.type == "dead_letter" }), let f = registry.sinks["dead_letter"] {
            let opts = ComponentOptions(component: "dead_letter", node: ConfigNode(node: .mapping([:]), file: config.file, environment: [:]))
            let cc = ComponentConfig(name: "_dead_letter", kind: .sink, type: "dead_letter", inputs: [], queueCapacity: nil, queuePolicy: nil,
                                     options: opts, node: opts.node)
            let node = Node(config: cc, metrics: ComponentMetrics(name: "_dead_letter", kind: "sink", type: "dead_letter"))
            node.sink = try f(opts, BuildContext(name: "_dead_letter", mode: mode, dataDir: mode == .toEnd ? nil : config.dataDir, logger: logger, registry: registry))
            nodes.append(node)
        }
        for n in nodes where n.config.kind != .source {
            let isDL = n.config.type == "dead_letter"
            let capacity = n.config.queueCapacity ?? config.queueCapacity
            let policy = n.config.queuePolicy ?? config.queuePolicy
            let q = BoundedQueue(name: n.config.name, capacity: capacity, policy: policy,
                                 producers: (producers[n.config.name] ?? 0) + (isDL ? failingComponents : 0))
            let m = n.metrics
            q.onDepthChange = { [weak q] _ in if let q { m.setQueueDepth(q.depth) } }
            n.input = q
            if isDL { deadLetterQueues.append(q) }
        }
        for n in nodes where n.config.kind != .sink {
            n.outputs = nodes.filter { Self.isWired($0.config) && $0.config.inputs.contains(n.config.name) }.compactMap(\.input)
        }
    }

    /// Whether a component receives the events of its `inputs`. Dead-letter sinks do not:
    /// they receive every failure of the pipeline, and their `inputs` only document intent.
    static func isWired(_ c: ComponentConfig) -> Bool {
        !(c.kind == .sink && c.type == "dead_letter")
    }

    private var hardStopped: Bool { hardStop.withLock { _hardStopped } }

    /// Starts every stage. Sinks and transforms start before sources.
    public func start() {
        precondition(!started)
        started = true
        startTime = Self.monotonic()
        let checkpointStore: CheckpointStore? = {
            guard mode == .follow, let dir = config.dataDir else { return nil }
            do { return try CheckpointStore(dataDirectory: dir) } catch {
                logger.error("cannot use data directory \(dir): \(error); checkpoints are off")
                return nil
            }
        }()
        for n in nodes where n.config.kind == .sink { startSink(n) }
        for n in nodes where n.config.kind == .transform { startTransform(n) }
        for n in nodes where n.config.kind == .source {
            var l = logger
            l[metadataKey: "component"] = "\(n.config.name)"
            n.sourceContext = SourceContext(name: n.config.name, mode: mode, logger: l, metrics: n.metrics,
                                            checkpoints: checkpointStore, outputs: n.outputs)
            startSource(n)
        }
    }

    private func startSource(_ n: Node) {
        group.enter()
        n.queue.async { [self] in
            defer { for o in n.outputs { o.producerFinished() }; group.leave() }
            guard let source = n.source, let ctx = n.sourceContext else { return }
            do { try source.run(ctx) } catch {
                logger.error("source stopped with an error: \(error)", metadata: ["component": "\(n.config.name)"])
                n.metrics.recordFailure(reason: "source_error")
            }
        }
    }

    private func emit(_ events: [Event], acks: [Acknowledgement], to outputs: [BoundedQueue]) {
        let batch = EventBatch(events: events, acks: acks)
        guard !events.isEmpty else { batch.acknowledge(); return }
        BoundedQueue.push(batch, toAll: outputs)
    }

    private func sendToDeadLetter(_ failures: [DeadLetter], component: String, acks: [Acknowledgement], metrics: ComponentMetrics) {
        guard !failures.isEmpty else { return }
        var events: [Event] = []
        events.reserveCapacity(failures.count)
        for f in failures {
            metrics.recordFailure(reason: f.reason, parser: f.parser)
            var e = f.event
            e[ECS.sluiceComponent] = .string(component)
            if let p = f.parser { e[ECS.sluiceParser] = .string(p) }
            e[ECS.errorType] = .string(f.reason)
            if !f.detail.isEmpty { e[ECS.errorMessage] = .string(f.detail) }
            events.append(e)
        }
        for a in acks { a.retain() }
        emit(events, acks: acks, to: deadLetterQueues)
    }

    private func startTransform(_ n: Node) {
        group.enter()
        n.queue.async { [self] in
            let transform = n.transform!
            let input = n.input!
            var lastTick = Self.monotonic()
            var output: [Event] = []
            var failures: [DeadLetter] = []
            while let batch = input.pop(maxEvents: config.batchSize, timeout: 1.0) {
                if batch.count > 0 {
                    n.metrics.recordIn(batch.count)
                    output.removeAll(keepingCapacity: true)
                    failures.removeAll(keepingCapacity: true)
                    transform.process(batch.events, into: &output, failures: &failures)
                    sendToDeadLetter(failures, component: n.config.name, acks: batch.acks, metrics: n.metrics)
                    n.metrics.recordOut(output.count)
                    emit(output, acks: batch.acks, to: n.outputs)
                    output = []
                }
                let now = Self.monotonic()
                if batch.count == 0 || now - lastTick >= 1.0 {
                    lastTick = now
                    var ticked: [Event] = []
                    transform.tick(now: Timestamp.now(), final: false, into: &ticked)
                    n.metrics.recordOut(ticked.count)
                    emit(ticked, acks: [], to: n.outputs)
                }
                if hardStopped { break }
            }
            var ticked: [Event] = []
            transform.tick(now: Timestamp.now(), final: true, into: &ticked)
            n.metrics.recordOut(ticked.count)
            emit(ticked, acks: [], to: n.outputs)
            for o in n.outputs { o.producerFinished() }
            for q in deadLetterQueues { q.producerFinished() }
            group.leave()
        }
    }

    private func startSink(_ n: Node) {
        group.enter()
        n.queue.async { [self] in
            let sink = n.sink!
            let input = n.input!
            let isDL = n.config.type == "dead_letter"
            var lastTick = Self.monotonic()
            while let batch = input.pop(maxEvents: config.batchSize, timeout: 1.0) {
                if batch.count > 0 {
                    n.metrics.recordIn(batch.count)
                    deliver(batch, to: sink, node: n, isDeadLetter: isDL)
                }
                let now = Self.monotonic()
                if batch.count == 0 || now - lastTick >= 1.0 {
                    lastTick = now
                    do { try sink.tick(now: Timestamp.now()) } catch {
                        logger.warning("sink tick failed: \(error)", metadata: ["component": "\(n.config.name)"])
                    }
                }
                if hardStopped { break }
            }
            do { try sink.flush() } catch {
                logger.error("sink flush failed: \(error)", metadata: ["component": "\(n.config.name)"])
            }
            sink.close()
            if !isDL { for q in deadLetterQueues { q.producerFinished() } }
            group.leave()
        }
    }

    /// Writes with retries: capped exponential backoff with jitter on `.retryable`,
    /// dead letter on `.permanent`. Gives up only on a hard stop (not acknowledged then, so
    /// sources replay it next start).
    private func deliver(_ batch: EventBatch, to sink: Sink, node n: Node, isDeadLetter: Bool) {
        var attempt = 0
        while true {
            do {
                try sink.write(batch)
                n.metrics.recordOut(batch.count)
                return
            } catch SinkError.permanent(let why) {
                n.metrics.recordFailure(reason: "rejected", count: batch.count)
                logger.error("sink rejected \(batch.count) events: \(why)", metadata: ["component": "\(n.config.name)"])
                if isDeadLetter { batch.acknowledge(); return }
                sendToDeadLetter(batch.events.map { DeadLetter(event: $0, reason: "sink_rejected", detail: why) },
                                 component: n.config.name, acks: batch.acks, metrics: n.metrics)
                batch.acknowledge()
                return
            } catch {
                attempt += 1
                n.metrics.increment("sink_retries")
                let delay = min(30.0, 0.1 * pow(2.0, Double(min(attempt, 10)))) * Double.random(in: 0.5...1.0)
                logger.warning("delivery failed (attempt \(attempt)), retrying in \(String(format: "%.1f", delay))s: \(error)",
                               metadata: ["component": "\(n.config.name)"])
                hardStop.lock()
                if !_hardStopped { hardStop.wait(0, seconds: delay) }
                let stop = _hardStopped
                hardStop.unlock()
                if stop { return }
            }
        }
    }

    /// Asks every source to stop; the pipeline then drains.
    public func stopSources() {
        for n in nodes where n.config.kind == .source {
            n.sourceContext?.requestStop()
            n.source?.stop()
        }
    }

    /// Waits until every stage has finished (nil: forever). Returns false on timeout.
    public func wait(timeout: Double?) -> Bool {
        if let t = timeout { return group.wait(timeout: .now() + t) == .success }
        group.wait()
        return true
    }

    /// Stops sources, drains within `timeout` seconds, then writes checkpoints. Returns
    /// false if the drain timed out (undelivered events are replayed on the next start).
    @discardableResult
    public func stop(timeout: Double) -> Bool {
        let deadline = Self.monotonic() + timeout
        stopSources()
        let drained = wait(timeout: max(0, deadline - Self.monotonic()))
        if !drained {
            logger.warning("shutdown timeout (\(timeout)s) reached before every event was delivered; undelivered events will be read again at the next start")
            hardStop.withLock { _hardStopped = true; hardStop.broadcast() }
            for n in nodes { n.input?.close() }
            _ = wait(timeout: 2)
        }
        commitCheckpoints()
        return drained
    }

    public func commitCheckpoints() {
        for n in nodes where n.config.kind == .source { n.source?.commitCheckpoints() }
    }

    /// Component figures, in configuration order.
    public func summary() -> [ComponentSummary] {
        nodes.map { n in
            ComponentSummary(name: n.config.name, kind: n.config.kind.rawValue, type: n.config.type,
                             eventsIn: n.metrics.eventsIn, eventsOut: n.metrics.eventsOut,
                             failed: n.metrics.failed, dropped: n.metrics.dropped + (n.input?.dropped ?? 0),
                             failureReasons: n.metrics.failureReasons)
        }
    }

    /// Events accepted by sources so far, and events delivered by non-dead-letter sinks.
    public var progress: (read: Int, written: Int) {
        var r = 0, w = 0
        for n in nodes {
            if n.config.kind == .source { r += n.metrics.eventsOut }
            if n.config.kind == .sink && n.config.type != "dead_letter" { w += n.metrics.eventsOut }
        }
        return (r, w)
    }

    public var isHealthy: Bool { !hardStopped }

    public static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
