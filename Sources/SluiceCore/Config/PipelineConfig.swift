import Foundation
import Yams

/// The kind of a pipeline component.
public enum ComponentKind: String, Sendable {
    case source, transform, sink
    var section: String { rawValue + "s" }
}

/// One named component as written in the configuration.
public struct ComponentConfig: @unchecked Sendable {
    // SAFETY (@unchecked Sendable): `options` and `node` are only used while building a plan
    // (see `ComponentOptions`); afterwards a ComponentConfig is read-only.
    public let name: String
    public let kind: ComponentKind
    public let type: String
    public let inputs: [String]
    /// Input queue settings (transforms and sinks): capacity in events and overflow policy.
    public let queueCapacity: Int?
    public let queuePolicy: OverflowPolicy?
    /// The component's own options (everything except `type`, `inputs` and `buffer`
    /// with queue keys); checked for unknown keys by the component's factory.
    public let options: ComponentOptions
    public let node: ConfigNode
}

/// A parsed pipeline definition (Vector-style: named sources, transforms and sinks wired
/// by `inputs:`). Parsing checks structure; `Plan` checks types, options and wiring.
public struct PipelineConfig: @unchecked Sendable {
    // SAFETY (@unchecked Sendable): holds `ComponentConfig`s (see there); everything else is
    // plain values.
    public var file: String
    public var dataDir: String?
    public var shutdownTimeout: Double = 10
    public var apiEnabled = false
    public var apiAddress = "127.0.0.1:9598"
    public var queueCapacity = 16_384
    public var queuePolicy: OverflowPolicy = .block
    public var batchSize = 1024
    /// Event-time alignment of inputs: how far (seconds of event time) one input may run
    /// ahead of the slowest active one before it is held back. 0 turns alignment off.
    public var maxSourceSkew: Double = 60
    /// Live runs: seconds an input may stay silent before it stops holding the others back.
    public var sourceIdleTimeout: Double = 10
    /// Seconds between snapshot epochs in pipelines with stateful stages.
    public var checkpointInterval: Double = 5
    /// Nice steps the thread of a stage that saturates a CPU is raised by (0: off); see
    /// `StagePriority`.
    public var bottleneckPriority = 5
    public var components: [ComponentConfig] = []
    /// Problems found in components while parsing; `Plan` reports them together with
    /// the ones it finds (unknown types, options, wiring), so every error shows at once.
    public var componentIssues: [ConfigIssue] = []

    /// Keys the runtime reads for every component; the component's own factory never sees them.
    static let runtimeKeys: Set<String> = ["type", "inputs", "buffer", "enabled"]

    /// Components left out with `enabled: false`, and those whose every input was left out.
    public var disabled: [String] = []

    public var sources: [ComponentConfig] { components.filter { $0.kind == .source } }
    public var transforms: [ComponentConfig] { components.filter { $0.kind == .transform } }
    public var sinks: [ComponentConfig] { components.filter { $0.kind == .sink } }

    /// Batches a lane between two stages holds by default (see `laneCapacity(for:)`).
    public static let batchesBetweenStages = 4

    /// The capacity (events) of `component`'s input lanes: its own `buffer.max_events` when
    /// set; otherwise `queueCapacity` (`buffer.max_events` at the top, default 16,384) for a
    /// stage that a source feeds, and for dead-letter sinks, where a deep lane absorbs what
    /// backpressure cannot slow down (a UDP burst, a journal catching up), and
    /// `batchesBetweenStages` batches (4 × `batch_size`, at most `queueCapacity`) for a stage
    /// fed only by other stages: their producers wait without losing anything, so a deeper
    /// lane there would hold memory (about 2 KB an enriched event) and gain nothing.
    public func laneCapacity(for component: ComponentConfig, isDeadLetter: Bool = false) -> Int {
        if let own = component.queueCapacity { return own }
        if isDeadLetter { return queueCapacity }
        let sources = Set(self.sources.map(\.name))
        if component.inputs.contains(where: sources.contains) { return queueCapacity }
        return min(queueCapacity, Self.batchesBetweenStages * batchSize)
    }

    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PipelineConfig {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigErrors([ConfigIssue(file: path, line: 0, column: 0, message: "cannot read file: \(error.localizedDescription)")])
        }
        return try parse(text, file: path, environment: environment)
    }

    public static func parse(_ text: String, file: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PipelineConfig {
        let root: Node
        do {
            guard let n = try Yams.compose(yaml: text) else {
                throw ConfigErrors([ConfigIssue(file: file, line: 1, column: 1, message: "the configuration is empty")])
            }
            root = n
        } catch let e as ConfigErrors { throw e } catch let e as YamlError {
            throw ConfigErrors([yamlIssue(e, file: file)])
        } catch {
            throw ConfigErrors([ConfigIssue(file: file, line: 1, column: 1, message: "invalid YAML: \(error)")])
        }
        var cfg = PipelineConfig(file: file)
        var issues: [ConfigIssue] = []
        let top = ComponentOptions(component: "(pipeline)", node: ConfigNode(node: root, file: file, environment: environment))
        if top.issues.isEmpty == false {
            throw ConfigErrors(top.issues.map { var i = $0; i.component = nil; return i })
        }
        cfg.dataDir = top.string("data_dir")
        cfg.shutdownTimeout = top.seconds("shutdown_timeout", default: 10)
        cfg.batchSize = top.int("batch_size", default: 1024, range: 1...1_000_000)
        cfg.maxSourceSkew = top.seconds("max_source_skew", default: cfg.maxSourceSkew)
        cfg.sourceIdleTimeout = top.seconds("source_idle_timeout", default: cfg.sourceIdleTimeout)
        cfg.checkpointInterval = top.seconds("checkpoint_interval", default: cfg.checkpointInterval)
        if cfg.checkpointInterval <= 0 { top.fail("checkpoint_interval must be positive", at: "checkpoint_interval") }
        cfg.bottleneckPriority = top.int("bottleneck_priority", default: cfg.bottleneckPriority, range: 0...19)
        if let api = top.nested("api") {
            cfg.apiEnabled = api.bool("enabled", default: true)
            cfg.apiAddress = api.string("address", default: cfg.apiAddress)
            api.finish(); top.merge(api)
        }
        if let q = top.nested("buffer") {
            cfg.queueCapacity = q.int("max_events", default: cfg.queueCapacity, range: 1...100_000_000)
            cfg.queuePolicy = q.choice("when_full", default: cfg.queuePolicy)
            q.finish(); top.merge(q)
        }
        var names = Set<String>()
        var disabled = Set<String>()
        for kind in [ComponentKind.source, .transform, .sink] {
            guard let section = top.node(kind.section), !section.isNull else { continue }
            guard let entries = section.entries else {
                issues.append(section.issue("'\(kind.section)' must be a mapping of component names to their settings"))
                continue
            }
            for e in entries {
                let name = e.key
                if !name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) || name.isEmpty {
                    issues.append(e.keyNode.issue("component name '\(name)' may contain only letters, digits, '_' and '-'"))
                }
                if !names.insert(name).inserted {
                    issues.append(e.keyNode.issue("component name '\(name)' is used twice (names are shared by sources, transforms and sinks)"))
                }
                let opts = ComponentOptions(component: name, node: e.value, preUsed: Self.runtimeKeys)
                let type = opts.string("type") ?? ""
                if type.isEmpty { opts.fail("missing required option 'type'") }
                if !opts.bool("enabled", default: true) { disabled.insert(name) }
                var inputs: [String] = []
                if kind != .source {
                    inputs = opts.stringList("inputs") ?? []
                    // Whether a component may do without inputs (a dead-letter sink) is known once
                    // it is built: `Plan` checks it.
                } else if opts.has("inputs") {
                    opts.fail("a source has no inputs", at: "inputs")
                }
                var cap: Int?, pol: OverflowPolicy?
                if let b = opts.nested("buffer") {
                    if kind == .source { opts.fail("'buffer' applies to transforms and sinks (their input queue)", at: "buffer") }
                    cap = b.has("max_events") ? b.int("max_events", default: cfg.queueCapacity, range: 1...100_000_000) : nil
                    pol = b.has("when_full") ? b.choice("when_full", default: OverflowPolicy.block) : nil
                    // Other buffer keys (e.g. a sink's disk buffer) belong to the component.
                    opts.merge(b)
                }
                issues.append(contentsOf: opts.issues)
                cfg.components.append(ComponentConfig(name: name, kind: kind, type: type, inputs: inputs,
                                                      queueCapacity: cap, queuePolicy: pol,
                                                      options: ComponentOptions(component: name, node: e.value, preUsed: Self.runtimeKeys),
                                                      node: e.value))
            }
        }
        cfg.leaveOut(disabled)
        issues.insert(contentsOf: top.finish().map { var i = $0; i.component = nil; return i }, at: 0)
        // Component-level problems wait for the topology check, so all are reported together.
        cfg.componentIssues = issues.filter { $0.component != nil }
        issues.removeAll { $0.component != nil }
        if cfg.sources.isEmpty && issues.isEmpty {
            issues.append(ConfigIssue(file: file, line: 1, column: 1, message: "the pipeline has no sources"))
        }
        if cfg.sinks.isEmpty && issues.isEmpty {
            issues.append(ConfigIssue(file: file, line: 1, column: 1, message: "the pipeline has no sinks"))
        }
        if !issues.isEmpty { throw ConfigErrors(issues) }
        return cfg
    }

    /// Removes the components switched off with `enabled: false` (typically
    /// `enabled: ${SLUICE_X:-false}`), drops them from every `inputs` list, and removes a
    /// transform or sink whose inputs were all left out, until nothing changes.
    mutating func leaveOut(_ off: Set<String>) {
        var off = off
        guard !off.isEmpty else { return }
        while true {
            var more = false
            for c in components where !off.contains(c.name) && !c.inputs.isEmpty && c.inputs.allSatisfy({ off.contains($0) }) {
                off.insert(c.name); more = true
            }
            if !more { break }
        }
        disabled = components.map(\.name).filter { off.contains($0) }
        components = components.filter { !off.contains($0.name) }.map { c in
            guard c.inputs.contains(where: { off.contains($0) }) else { return c }
            return ComponentConfig(name: c.name, kind: c.kind, type: c.type, inputs: c.inputs.filter { !off.contains($0) },
                                   queueCapacity: c.queueCapacity, queuePolicy: c.queuePolicy, options: c.options, node: c.node)
        }
    }

    static func yamlIssue(_ e: YamlError, file: String) -> ConfigIssue {
        switch e {
        case .scanner(let context, let problem, let mark, _):
            return ConfigIssue(file: file, line: mark.line, column: mark.column, message: "invalid YAML: \(problem)" + (context.map { " \($0.text)" } ?? ""))
        case .parser(let context, let problem, let mark, _):
            return ConfigIssue(file: file, line: mark.line, column: mark.column, message: "invalid YAML: \(problem)" + (context.map { " \($0.text)" } ?? ""))
        case .composer(let context, let problem, let mark, _):
            return ConfigIssue(file: file, line: mark.line, column: mark.column, message: "invalid YAML: \(problem)" + (context.map { " \($0.text)" } ?? ""))
        default:
            return ConfigIssue(file: file, line: 1, column: 1, message: "invalid YAML: \(e)")
        }
    }
}
