import Foundation
import Logging
import SluiceCore

/// The `detect` transform: runs a `DetectionEngine` over the stage's events, forwards the
/// normalized events (`forward_events`, default true) and appends alert events as event
/// time passes them.
///
/// A thin adapter: the engine owns the semantics; this reads the options, loads the rules
/// (logging each skipped rule and the `rules: N loaded, M skipped` line) and maps the
/// runtime's calls onto the engine's: `tick` hands it the stage's event time (the frontier)
/// and, live, the wall clock; the final tick releases everything; `snapshot`/`restore` are
/// the engine's (the runtime's snapshot epochs).
public final class DetectTransform: StatefulTransform {
    public let engine: DetectionEngine
    public let forwardEvents: Bool
    var metrics: ComponentMetrics?
    var logger: Logger?
    private var exported: [String: Int] = [:]

    public init(engine: DetectionEngine, forwardEvents: Bool = true) {
        self.engine = engine
        self.forwardEvents = forwardEvents
    }

    public func start(_ context: StartContext) throws {
        metrics = context.metrics
        logger = context.logger
    }

    public func process(_ events: [Event], into output: inout [Event], failures: inout [DeadLetter]) {
        if forwardEvents { output.append(contentsOf: events) }
        engine.wallClock = Timestamp.now()   // for clamping far-future timestamps only
        engine.process(events, into: &output)
    }

    /// Without `forward_events` the batch's events are moved into the engine, not copied.
    public func process(taking events: inout [Event], into output: inout [Event], failures: inout [DeadLetter]) {
        guard !forwardEvents else { return process(events, into: &output, failures: &failures) }
        engine.wallClock = Timestamp.now()
        engine.process(taking: &events, into: &output)
    }

    /// Event time from the runtime releases held events and closes windows; in a live run
    /// the wall clock also releases what a quiet source left held (never in replay).
    public func tick(_ time: StageTime, into output: inout [Event]) {
        if time.final { engine.finish(into: &output) }
        else { engine.advance(frontier: time.eventTime, wallClock: time.mode == .follow ? time.wallClock : 0, into: &output) }
        publishCounters()
    }

    public func snapshot() throws -> [UInt8] { try engine.snapshot() }

    /// The engine's: an idle detection stage's state (tens of megabytes) is not read at each
    /// epoch to tell that it did not change.
    public var stateVersion: UInt64? { engine.stateVersion }

    /// Streamed in chunks (`DetectionEngine.snapshot(to:)`): the state is tens of megabytes.
    public func snapshot(to output: SnapshotOutput) throws { try engine.snapshot(to: output) }

    /// A snapshot this engine cannot read (another format version) is logged and ignored.
    public func restore(_ snapshot: [UInt8]) throws {
        do { try engine.restore(snapshot) }
        catch { logger?.warning("detection state not restored: \(error)") }
    }

    /// Exports the growth of the engine's counters (`sluice_detect_*_total`).
    func publishCounters() {
        guard let metrics else { return }
        for (name, value) in engine.counters {
            let delta = value - exported[name, default: 0]
            if delta > 0 { metrics.increment(name, by: delta) }
            exported[name] = value
        }
    }

    /// Builds the transform from its options (README "Rules": `rules`, `allowed_lateness`,
    /// `max_future`, the state caps, `evidence_limit`, `learning_period`, `placeholders`,
    /// `forward_events`).
    public static func make(_ o: ComponentOptions, _ ctx: BuildContext) throws -> DetectTransform {
        var opts = DetectOptions()
        let paths = o.stringList("rules") ?? []
        if paths.isEmpty { o.fail("missing required option 'rules' (rule files or folders)") }
        opts.allowedLateness = Int64(o.seconds("allowed_lateness", default: 120) * 1e9)
        opts.maxFuture = Int64(o.seconds("max_future", default: 300) * 1e9)
        opts.maxGroupsPerRule = o.int("max_groups_per_rule", default: opts.maxGroupsPerRule, range: 1...100_000_000)
        opts.maxValuesPerGroup = o.int("max_values_per_group", default: opts.maxValuesPerGroup, range: 1...10_000_000)
        opts.maxFirstSeenEntries = o.int("max_first_seen_entries", default: opts.maxFirstSeenEntries, range: 1...100_000_000)
        opts.maxBufferedEvents = o.int("max_buffered_events", default: opts.maxBufferedEvents, range: 1...100_000_000)
        opts.evidenceLimit = o.int("evidence_limit", default: 20, range: 1...1000)
        opts.evidenceBuffer = o.int("evidence_buffer", default: opts.evidenceBuffer, range: 16...10_000_000)
        opts.evidenceBufferBytes = o.bytes("evidence_buffer_bytes", default: opts.evidenceBufferBytes)
        opts.learningPeriod = Int64(o.seconds("learning_period", default: 72 * 3600) * 1e9)
        if let ph = o.node("placeholders"), let entries = ph.entries {
            for e in entries {
                if let items = e.value.items { opts.placeholders[e.key] = items.compactMap { try? $0.scalarText() } }
                else if let s = try? e.value.scalarText() { opts.placeholders[e.key] = [s] }
            }
        }
        let forward = o.bool("forward_events", default: true)
        let base = URL(fileURLWithPath: o.node.file).deletingLastPathComponent().path
        let resolved = paths.map { $0 == BuiltinRules.path || $0.hasPrefix("/") || FileManager.default.fileExists(atPath: $0) ? $0 : base + "/" + $0 }
        let rules = RuleSet.load(paths: resolved, placeholders: opts.placeholders)
        for s in rules.skipped { ctx.logger.warning("rule not loaded: \(s)") }
        ctx.logger.info("\(rules.summary)", metadata: ["component": .string(ctx.name)])
        if rules.rules.isEmpty && !paths.isEmpty { o.fail("no rule could be loaded from \(paths.joined(separator: ", "))", at: "rules") }
        return DetectTransform(engine: DetectionEngine(rules: rules, options: opts), forwardEvents: forward)
    }
}

/// The component types this module provides. Adding one is adding its file and a line here.
public enum DetectComponents {
    public static var registry: ComponentRegistry {
        var r = ComponentRegistry()
        r.transforms["detect"] = { o, ctx in try DetectTransform.make(o, ctx) }
        return r
    }
}
