import Foundation
import Logging
import SluiceCore
import SluiceDetect
import SluiceEnrich

/// Reads a rule case of a `sluice test` file (a case with `alerts:`) and runs it.
struct RuleCaseRunner {
    let registry: ComponentRegistry
    let logger: Logger
    /// Enrichment files already loaded once by this run: their load messages (counts, bad
    /// lines) are logged the first time only, not for every case that uses them.
    let loaded: LoadedFiles

    final class LoadedFiles { var seen = Set<[String]>() }

    static func isRuleCase(_ node: ConfigNode) -> Bool {
        node.entries?.contains { $0.key == "alerts" } ?? false
    }

    /// What the file's top level gives every case (paths already resolved).
    struct Defaults {
        var rules: [String] = []
        var context: [String] = []
        var intel: [String] = []
    }

    /// `defaults`: the file-level `rules:`, `context:` and `intel:` paths.
    func run(_ node: ConfigNode, index: Int, defaults: Defaults) -> CaseRunner.Result {
        let o = ComponentOptions(component: "test \(index + 1)", node: node)
        let name = o.string("name") ?? "case \(index + 1) (line \(node.line))"
        let format = o.string("format", default: "json")
        let input = o.string("input") ?? ""
        let rulePaths = (o.stringList("rules") ?? []).map { Self.resolve($0, relativeTo: node.file) }
        let contextPaths = o.stringList("context").map { $0.map { Self.resolve($0, relativeTo: node.file) } } ?? defaults.context
        let intelPaths = o.stringList("intel").map { $0.map { Self.resolve($0, relativeTo: node.file) } } ?? defaults.intel
        let alertsFrom = o.stringList("alerts_from")
        let optNode = o.node("options")
        let parserOptNode = o.node("format_options")
        let expectNode = o.node("alerts")
        o.finish()
        if !o.issues.isEmpty { return .init(name: name, failure: o.issues.map(\.description).joined(separator: "; ")) }
        let paths = rulePaths.isEmpty ? defaults.rules : rulePaths
        guard !paths.isEmpty else { return .init(name: name, failure: "no rules: give 'rules:' in the case or at the top of the file") }

        var opts = DetectOptions()
        opts.allowedLateness = 0
        if let n = optNode {
            let d = ComponentOptions(component: name, node: n)
            opts.allowedLateness = Int64(d.seconds("allowed_lateness", default: 0) * 1e9)
            opts.learningPeriod = Int64(d.seconds("learning_period", default: 72 * 3600) * 1e9)
            opts.evidenceLimit = d.int("evidence_limit", default: 20, range: 1...1000)
            if let ph = d.node("placeholders"), let entries = ph.entries {
                for e in entries { opts.placeholders[e.key] = e.value.items?.compactMap { try? $0.scalarText() } ?? [(try? e.value.scalarText()) ?? ""] }
            }
            let issues = d.finish()
            if !issues.isEmpty { return .init(name: name, failure: issues.map(\.description).joined(separator: "; ")) }
        }
        let rules = RuleSet.load(paths: paths, placeholders: opts.placeholders)
        if !rules.skipped.isEmpty {
            return .init(name: name, failure: "rules not loaded: " + rules.skipped.map(\.description).joined(separator: "; "))
        }

        // Events: records of `format`, one a line.
        let popts = ComponentOptions(component: name, node: parserOptNode ?? ConfigNode(node: .mapping([:]), file: node.file, environment: [:]))
        let parser: Parser
        do {
            guard let p = try registry.makeParser(format: format, options: popts,
                                                   context: BuildContext(name: name, mode: .toEnd, dataDir: nil, logger: logger, registry: registry)) else {
                return .init(name: name, failure: "unknown format '\(format)'")
            }
            parser = p
        } catch { return .init(name: name, failure: "cannot build parser: \(error)") }
        var events: [Event] = []
        for (i, line) in input.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let bytes = ArraySlice(Array(line.utf8))
            do { try parser.parse(bytes, event: Event(original: bytes), into: &events) }
            catch { return .init(name: name, failure: "input line \(i + 1): \(error)") }
        }
        parser.tick(StageTime(wallClock: Timestamp.now(), eventTime: Int64.max, final: true), into: &events)
        if !contextPaths.isEmpty || !intelPaths.isEmpty {
            do { events = try enrich(events, context: contextPaths, intel: intelPaths, name: name) }
            catch { return .init(name: name, failure: "enrichment: \(error)") }
        }

        var expected: [RuleTestCase.Expected] = []
        for (i, item) in (expectNode?.items ?? []).enumerated() {
            let x = ComponentOptions(component: "\(name) alert \(i + 1)", node: item)
            var e = RuleTestCase.Expected()
            e.rule = x.string("rule")
            if let s = x.string("severity") {
                guard let sev = Severity(name: s) else { return .init(name: name, failure: "alert \(i + 1): unknown severity '\(s)'") }
                e.severity = sev
            }
            if x.has("count") { e.count = x.int("count", default: 0) }
            e.group = x.stringMap("group") ?? []
            if x.has("escalates") { e.escalates = x.bool("escalates", default: false) }
            let issues = x.finish()
            if !issues.isEmpty { return .init(name: name, failure: issues.map(\.description).joined(separator: "; ")) }
            expected.append(e)
        }
        let (_, failure) = RuleTestCase(rules: rules, options: opts, events: events, expected: expected, alertsFrom: alertsFrom).run()
        return .init(name: name, failure: failure)
    }

    /// The events through the enrichment a shipped pipeline runs before detection (the
    /// transforms `sluice replay --context --intel` adds: context, repo services, threat
    /// intel), built from the registry and started as in a pipeline.
    func enrich(_ events: [Event], context: [String], intel: [String], name: String) throws -> [Event] {
        let (yaml, _) = EnrichmentFlags.transforms(intel: intel, context: context, inputs: ["parse"])
        var log = logger
        if !loaded.seen.insert(context + ["\u{1}"] + intel).inserted { log.logLevel = .error }
        let root = try ConfigNode.load(yaml: "transforms:\n" + yaml, file: "<test \(name)>", environment: [:])
        var out = events
        for entry in root.entries ?? [] where entry.key == "transforms" {
            for t in entry.value.entries ?? [] {
                let o = ComponentOptions(component: t.key, node: t.value)
                let type = o.string("type") ?? ""
                _ = o.stringList("inputs")
                guard let make = registry.transforms[type] else { throw ValidationFailure("no transform type '\(type)'") }
                let ctx = BuildContext(name: t.key, mode: .toEnd, dataDir: nil, logger: log, registry: registry)
                let stage = try make(o, ctx)
                let issues = o.finish()
                if !issues.isEmpty { throw ValidationFailure(issues.map(\.description).joined(separator: "; ")) }
                try stage.start(StartContext(name: t.key, mode: .toEnd, dataDir: nil, logger: log,
                                             metrics: ComponentMetrics(name: t.key, kind: "transform", type: type), reloads: ReloadRegistry()))
                var next: [Event] = []
                var failures: [DeadLetter] = []
                stage.process(out, into: &next, failures: &failures)
                stage.stop()
                if let f = failures.first { throw ValidationFailure("\(t.key) set aside a record: \(f)") }
                out = next
            }
        }
        return out
    }

    struct ValidationFailure: Error, CustomStringConvertible { let description: String; init(_ d: String) { description = d } }

    static func resolve(_ p: String, relativeTo file: String) -> String {
        if p.hasPrefix("/") { return p }
        return URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(p).standardizedFileURL.path
    }
}
