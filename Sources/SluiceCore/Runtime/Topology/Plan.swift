import Logging

/// A sink that receives every record the pipeline's stages set aside (not the events of its
/// `inputs`, which it does not need).
public protocol DeadLetterDestination: Sink {}

/// One built component of a plan. Inert: nothing acquired until the topology starts it.
public enum BuiltComponent {
    case source(Source)
    case transform(Transform)
    case sink(Sink)
}

/// A validated, wired and **inert** pipeline: every component built from its configuration
/// (options checked, nothing opened, started or bound), every wire checked.
///
/// Guarantees: building a plan has no side effects (no files, threads or sockets), so
/// `sluice validate` and a reload can build one freely; a plan that exists is valid (every
/// problem of a configuration is thrown at once as `ConfigErrors`, located in the file).
public final class Plan {
    public let config: PipelineConfig
    public let mode: RunMode

    /// One component, its configuration and a fingerprint of it (equal fingerprints: nothing
    /// changed for a reload).
    public final class Entry {
        public let config: ComponentConfig
        public let component: BuiltComponent
        public let fingerprint: String
        /// The components it reads from (none for sources and dead-letter sinks).
        public let inputs: [String]
        init(config: ComponentConfig, component: BuiltComponent, fingerprint: String, inputs: [String]) {
            self.config = config; self.component = component; self.fingerprint = fingerprint; self.inputs = inputs
        }
        public var name: String { config.name }
        public var kind: ComponentKind { config.kind }
        public var isDeadLetter: Bool {
            if case .sink(let s) = component { return s is DeadLetterDestination }
            return false
        }
        public var isStateful: Bool {
            if case .transform(let t) = component { return t.statefulSelf != nil }
            return false
        }
        /// Whether its failures go to the dead-letter sinks (transforms and other sinks).
        public var reportsFailures: Bool { kind == .transform || (kind == .sink && !isDeadLetter) }
    }

    public private(set) var entries: [Entry] = []

    public subscript(name: String) -> Entry? { entries.first { $0.name == name } }

    /// Builds every component; throws `ConfigErrors` listing every problem found.
    public init(config: PipelineConfig, registry: ComponentRegistry, mode: RunMode, logger: Logger) throws {
        self.config = config
        self.mode = mode
        var issues: [ConfigIssue] = config.componentIssues
        var byName: [String: Entry] = [:]
        let settings = "batch=\(config.batchSize);cap=\(config.queueCapacity);policy=\(config.queuePolicy.rawValue);data=\(config.dataDir ?? "-")"
        for c in config.components {
            var componentLogger = logger
            componentLogger[metadataKey: "component"] = "\(c.name)"
            // Replay keeps no state: no checkpoints, and dead letters go to stderr by default.
            let ctx = BuildContext(name: c.name, mode: mode, dataDir: mode == .toEnd ? nil : config.dataDir,
                                   logger: componentLogger, registry: registry)
            var built: BuiltComponent?
            do {
                switch c.kind {
                case .source:
                    if let f = registry.sources[c.type] { built = .source(try f(c.options, ctx)) }
                    else if !c.type.isEmpty { c.options.fail("unknown source type '\(c.type)'; known: \(registry.sources.keys.sorted().joined(separator: ", "))") }
                case .transform:
                    if let f = registry.transforms[c.type] { built = .transform(try f(c.options, ctx)) }
                    else if !c.type.isEmpty { c.options.fail("unknown transform type '\(c.type)'; known: \(registry.transforms.keys.sorted().joined(separator: ", "))") }
                case .sink:
                    if let f = registry.sinks[c.type] { built = .sink(try f(c.options, ctx)) }
                    else if !c.type.isEmpty { c.options.fail("unknown sink type '\(c.type)'; known: \(registry.sinks.keys.sorted().joined(separator: ", "))") }
                }
            } catch let e as ConfigIssue {
                issues.append(e)
            } catch let e as ConfigErrors {
                issues.append(contentsOf: e.issues)
            } catch {
                c.options.fail("\(error)")
            }
            issues.append(contentsOf: c.options.finish())
            guard let built else { continue }
            let queue = "\(c.queueCapacity.map(String.init) ?? "-")/\(c.queuePolicy?.rawValue ?? "-")"
            let e = Entry(config: c, component: built, fingerprint: c.node.canonicalText() + "|" + settings + "|" + queue, inputs: c.inputs)
            byName[c.name] = e
            entries.append(e)
        }
        // Wiring.
        for e in entries where e.kind != .source {
            if e.inputs.isEmpty && !e.isDeadLetter {
                issues.append(e.config.node.issue("missing required option 'inputs' (the components this one reads from)", component: e.name))
            }
            for inp in e.inputs where !e.isDeadLetter {
                guard let up = byName[inp] else {
                    if config.components.contains(where: { $0.name == inp }) { continue }  // failed to build: reported already
                    let inputsNode = e.config.options.node("inputs") ?? e.config.node
                    issues.append(inputsNode.issue("input '\(inp)' is not a component of this pipeline", component: e.name))
                    continue
                }
                if up.kind == .sink {
                    issues.append(e.config.node.issue("input '\(inp)' is a sink; sinks produce no events", component: e.name))
                }
            }
        }
        // Cycles (only transforms can form them).
        var state: [String: Int] = [:]
        func visit(_ name: String, _ path: [String]) {
            guard let n = byName[name], !n.isDeadLetter else { return }
            if state[name] == 2 { return }
            if state[name] == 1 {
                issues.append(n.config.node.issue("inputs form a cycle: \((path + [name]).joined(separator: " -> "))", component: name))
                return
            }
            state[name] = 1
            for i in n.inputs { visit(i, path + [name]) }
            state[name] = 2
        }
        for e in entries { visit(e.name, []) }
        for e in entries where e.kind != .sink {
            if !entries.contains(where: { !$0.isDeadLetter && $0.inputs.contains(e.name) }) {
                issues.append(e.config.node.issue("no transform or sink reads from this \(e.kind.rawValue) (list it in some component's 'inputs')", component: e.name))
            }
        }
        if !issues.isEmpty { throw ConfigErrors(issues) }

        // Implicit dead-letter sink when none is configured.
        if !entries.contains(where: \.isDeadLetter), let f = registry.defaultDeadLetter {
            let opts = ComponentOptions(component: "_dead_letter", node: ConfigNode(node: .mapping([:]), file: config.file, environment: [:]))
            let cc = ComponentConfig(name: "_dead_letter", kind: .sink, type: "dead_letter", inputs: [], queueCapacity: nil,
                                     queuePolicy: nil, options: opts, node: opts.node)
            let sink = try f(opts, BuildContext(name: "_dead_letter", mode: mode, dataDir: mode == .toEnd ? nil : config.dataDir,
                                                logger: logger, registry: registry))
            entries.append(Entry(config: cc, component: .sink(sink), fingerprint: "implicit|" + settings, inputs: []))
        }
    }

    /// Every wire of the pipeline: (from, to, carriesFailures). Failure wires run from each
    /// transform and sink to each dead-letter sink.
    public var edges: [(from: String, to: String, failures: Bool)] {
        var out: [(String, String, Bool)] = []
        for e in entries where !e.isDeadLetter && e.kind != .source {
            for i in e.inputs { out.append((i, e.name, false)) }
        }
        for dl in entries where dl.isDeadLetter {
            for e in entries where e.reportsFailures { out.append((e.name, dl.name, true)) }
        }
        return out
    }

    /// Whether the pipeline keeps state that must survive restarts through epochs.
    public var hasStatefulStages: Bool { entries.contains(where: \.isStateful) }
}
