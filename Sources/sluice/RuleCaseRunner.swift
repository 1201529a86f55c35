import Foundation
import Logging
import SluiceCore
import SluiceDetect

/// Reads a rule case of a `sluice test` file (a case with `alerts:`) and runs it.
struct RuleCaseRunner {
    let registry: ComponentRegistry
    let logger: Logger

    static func isRuleCase(_ node: ConfigNode) -> Bool {
        node.entries?.contains { $0.key == "alerts" } ?? false
    }

    /// `defaultRules`: the file-level `rules:` paths (already resolved).
    func run(_ node: ConfigNode, index: Int, defaultRules: [String]) -> CaseRunner.Result {
        let o = ComponentOptions(component: "test \(index + 1)", node: node)
        let name = o.string("name") ?? "case \(index + 1) (line \(node.line))"
        let format = o.string("format", default: "json")
        let input = o.string("input") ?? ""
        let rulePaths = (o.stringList("rules") ?? []).map { Self.resolve($0, relativeTo: node.file) }
        let alertsFrom = o.stringList("alerts_from")
        let optNode = o.node("options")
        let parserOptNode = o.node("format_options")
        let expectNode = o.node("alerts")
        o.finish()
        if !o.issues.isEmpty { return .init(name: name, failure: o.issues.map(\.description).joined(separator: "; ")) }
        let paths = rulePaths.isEmpty ? defaultRules : rulePaths
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

    static func resolve(_ p: String, relativeTo file: String) -> String {
        if p.hasPrefix("/") { return p }
        return URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(p).standardizedFileURL.path
    }
}
