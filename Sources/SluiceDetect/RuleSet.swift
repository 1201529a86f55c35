import Foundation
import SluiceCore
import Yams

/// One loaded rule: its metadata, and either a compiled detection (single-event rule) or a
/// correlation over other rules, plus its `sluice:` extensions.
public final class CompiledRule: @unchecked Sendable {
    // SAFETY (@unchecked Sendable): the `var`s (`references`, `consumers`, `generates`) are
    // written only by `RuleSet.load` while it links the rules, before the `RuleSet` is
    // returned; afterwards every field is only read. `doc` holds Yams nodes (see
    // `SigmaDocument`); the compiled condition's regular expressions are `RegexTest`s.
    public let index: Int
    public let doc: SigmaDocument
    public let severity: Severity
    public let tacticIDs: [String]
    public let techniqueIDs: [String]
    /// Single-event rules: which events the rule sees and its condition (allowlist folded in).
    let selector: LogsourceSelector?
    /// Further logsources the rule sees (`sluice: also_logsources:`), besides `selector`.
    let extraSelectors: [LogsourceSelector]
    let table: [String: String]
    let condition: Expr?
    public let correlation: CorrelationSpec?
    /// Resolved `correlation.rules` (indices into the rule set).
    public internal(set) var references: [Int] = []
    /// Correlations that consume this rule's matches.
    public internal(set) var consumers: [Int] = []
    /// Whether matches become alerts of their own (not referenced by a correlation, or a
    /// referencing correlation says `generate: true`).
    public internal(set) var generates = true
    let ext: RuleExtensions

    init(index: Int, doc: SigmaDocument, selector: LogsourceSelector?, extraSelectors: [LogsourceSelector] = [], table: [String: String], condition: Expr?,
         correlation: CorrelationSpec?, ext: RuleExtensions) {
        self.index = index; self.doc = doc; self.extraSelectors = extraSelectors
        self.severity = doc.level.flatMap(Severity.init(name:)) ?? .medium
        self.tacticIDs = doc.tacticIDs; self.techniqueIDs = doc.techniqueIDs
        self.selector = selector; self.table = table; self.condition = condition
        self.correlation = correlation; self.ext = ext
    }

    public var id: String { doc.ruleID }
    public var name: String { doc.ruleName }
    public var isCorrelation: Bool { correlation != nil }
}

/// A set of loaded rules and the ones that were skipped, with reasons.
///
/// Guarantees: a bad rule (bad YAML, unsupported modifier, unmapped logsource, unknown
/// reference…) is listed in `skipped` and never stops the others; rule ids and names are
/// unique among `rules` (a duplicate is skipped); correlations reference loaded rules only.
public final class RuleSet: @unchecked Sendable {
    // SAFETY (@unchecked Sendable): every field is `let` and holds rules and predicates that
    // are not changed after `load` returns (see `CompiledRule`, `RegexTest`).
    public let rules: [CompiledRule]
    public let skipped: [SkippedRule]
    let predicates: [Predicate]

    init(rules: [CompiledRule], skipped: [SkippedRule], predicates: [Predicate]) {
        self.rules = rules; self.skipped = skipped; self.predicates = predicates
    }

    /// `rules: N loaded, M skipped`.
    public var summary: String { "rules: \(rules.count) loaded, \(skipped.count) skipped" }

    public static let empty = RuleSet(rules: [], skipped: [], predicates: [])

    /// Loads rule files and folders (`*.yml`, `*.yaml`, recursively, in name order); the path
    /// `builtin` is the pack built into the binary (`BuiltinRules`).
    public static func load(paths: [String], placeholders: [String: [String]] = [:]) -> RuleSet {
        var sources: [(String, String)] = []
        var skipped: [SkippedRule] = []
        for p in paths {
            if p == BuiltinRules.path {
                let files = BuiltinRules.files
                if files.isEmpty { skipped.append(SkippedRule(file: p, line: 0, id: nil, title: nil, reason: .invalid("no rule pack is built into this program"))) }
                sources.append(contentsOf: files.map { ($0.file, $0.yaml) })
                continue
            }
            for f in files(at: p) {
                do { sources.append((f, try String(contentsOfFile: f, encoding: .utf8))) }
                catch { skipped.append(SkippedRule(file: f, line: 0, id: nil, title: nil, reason: .invalid("cannot read file: \(error.localizedDescription)"))) }
            }
            if !FileManager.default.fileExists(atPath: p) {
                skipped.append(SkippedRule(file: p, line: 0, id: nil, title: nil, reason: .invalid("no such file or directory")))
            }
        }
        return build(sources: sources, placeholders: placeholders, skipped: skipped)
    }

    /// Builds a rule set from YAML texts (file name, text), e.g. for tests.
    public static func parse(_ texts: [(file: String, yaml: String)], placeholders: [String: [String]] = [:]) -> RuleSet {
        build(sources: texts.map { ($0.file, $0.yaml) }, placeholders: placeholders, skipped: [])
    }

    public static func parse(yaml: String, file: String = "rules.yml") -> RuleSet { parse([(file, yaml)]) }

    static func files(at path: String) -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return [] }
        guard isDir.boolValue else { return [path] }
        var out: [String] = []
        let e = FileManager.default.enumerator(atPath: path)
        while let f = e?.nextObject() as? String {
            if f.hasSuffix(".yml") || f.hasSuffix(".yaml") { out.append(path + "/" + f) }
        }
        return out.sorted()
    }

    private static func build(sources: [(String, String)], placeholders: [String: [String]], skipped initial: [SkippedRule]) -> RuleSet {
        var skipped = initial
        var docs: [SigmaDocument] = []
        for (file, text) in sources {
            do {
                var seq = try Yams.compose_all(yaml: text)
                while let node = seq.next() {
                    do { docs.append(try SigmaDocument.read(node, file: file)) }
                    catch let i as RuleIssue {
                        skipped.append(SkippedRule(file: file, line: YAMLRead.line(node), id: YAMLRead.string(YAMLRead.get(node, "id")),
                                                   title: YAMLRead.string(YAMLRead.get(node, "title")), reason: i))
                    }
                }
                if let err = seq.error { throw err }
            } catch let e as YamlError {
                let (line, msg) = yamlProblem(e)
                skipped.append(SkippedRule(file: file, line: line, id: nil, title: nil, reason: .badYAML(line: line, message: msg)))
            } catch {
                skipped.append(SkippedRule(file: file, line: 1, id: nil, title: nil, reason: .badYAML(line: 1, message: "\(error)")))
            }
        }
        let compiler = DetectionCompiler(placeholders: placeholders)
        var rules: [CompiledRule] = []
        var byKey: [String: Int] = [:]
        func skip(_ d: SigmaDocument, _ r: RuleIssue) {
            skipped.append(SkippedRule(file: d.file, line: d.line, id: d.id, title: d.title, reason: r))
        }
        // Pass 1: compile every document.
        for d in docs {
            if let id = d.id, byKey[id] != nil { skip(d, .invalid("duplicate rule id '\(id)'")); continue }
            if let n = d.name, byKey[n] != nil { skip(d, .invalid("duplicate rule name '\(n)'")); continue }
            do {
                compiler.ruleDefaults = try RuleExtensions.placeholderDefaults(d.sluice)
                let rule: CompiledRule
                if let c = d.correlation {
                    let spec = try CorrelationSpec.read(c)
                    let ext = try RuleExtensions.compile(d.sluice, compiler: compiler, table: [:], isCorrelation: true)
                    rule = CompiledRule(index: rules.count, doc: d, selector: nil, table: [:], condition: nil, correlation: spec, ext: ext)
                } else {
                    guard let ls = d.logsource else { throw RuleIssue.logsourceNotMapped("") }
                    var (sel, table): (LogsourceSelector, [String: String])
                    switch LogsourceMap.resolve(ls) {
                    case .success(let r): (sel, table) = r
                    case .failure(let i): throw i
                    }
                    // `also_logsources`: more selectors; their field tables add names the
                    // rule's own table does not have.
                    var extra: [LogsourceSelector] = []
                    for more in try RuleExtensions.alsoLogsources(d.sluice) {
                        switch LogsourceMap.resolve(more) {
                        case .success(let (s2, t2)):
                            if s2 != sel, !extra.contains(s2) { extra.append(s2) }
                            table.merge(t2) { mine, _ in mine }
                        case .failure(let i): throw i
                        }
                    }
                    var cond = try compiler.compileDetection(d.detection!, table: table)
                    let ext = try RuleExtensions.compile(d.sluice, compiler: compiler, table: table, isCorrelation: false)
                    if let allow = ext.allowlist { cond = .and([cond, .not(allow)]) }
                    rule = CompiledRule(index: rules.count, doc: d, selector: sel, extraSelectors: extra, table: table, condition: cond, correlation: nil, ext: ext)
                }
                rules.append(rule)
                if let id = d.id { byKey[id] = rule.index }
                if let n = d.name { byKey[n] = rule.index }
            } catch let i as RuleIssue {
                skip(d, i)
            } catch {
                skip(d, .invalid("\(error)"))
            }
        }
        // Pass 2: resolve correlation references (repeat: dropping one may orphan another).
        var alive = Array(repeating: true, count: rules.count)
        var changed = true
        while changed {
            changed = false
            for r in rules where alive[r.index] {
                guard let c = r.correlation else { continue }
                var refs: [Int] = []
                var problem: RuleIssue?
                for name in c.rules {
                    guard let i = byKey[name] else { problem = .invalid("references unknown rule '\(name)'"); break }
                    guard alive[i] else { problem = .invalid("references skipped rule '\(name)'"); break }
                    guard i != r.index else { problem = .invalid("references itself"); break }
                    refs.append(i)
                }
                if problem == nil, r.ext.escalations.contains(where: { if case .afterRule(let names, _, _) = $0.trigger { return names.contains { byKey[$0] == nil } }; return false }) {
                    problem = .invalid("escalate after_rule names an unknown rule")
                }
                if let p = problem { alive[r.index] = false; skip(r.doc, p); changed = true; continue }
                r.references = refs
            }
        }
        // Cycles among correlations.
        func reaches(_ from: Int, _ target: Int, _ seen: inout Set<Int>) -> Bool {
            for ref in rules[from].references {
                if ref == target { return true }
                if seen.insert(ref).inserted, reaches(ref, target, &seen) { return true }
            }
            return false
        }
        for r in rules where alive[r.index] && r.isCorrelation {
            var seen = Set<Int>()
            if reaches(r.index, r.index, &seen) { alive[r.index] = false; skip(r.doc, .invalid("correlation cycle")) }
        }
        let kept = rules.filter { alive[$0.index] }
        var remap: [Int: Int] = [:]
        for (i, r) in kept.enumerated() { remap[r.index] = i }
        let final = kept.enumerated().map { i, r -> CompiledRule in
            let n = CompiledRule(index: i, doc: r.doc, selector: r.selector, extraSelectors: r.extraSelectors, table: r.table, condition: r.condition, correlation: r.correlation, ext: r.ext)
            n.references = r.references.compactMap { remap[$0] }
            return n
        }
        for r in final {
            for ref in r.references {
                final[ref].consumers.append(r.index)
            }
        }
        for r in final where !r.consumers.isEmpty {
            r.generates = r.consumers.contains { final[$0].correlation?.generate == true }
        }
        return RuleSet(rules: final, skipped: skipped, predicates: compiler.predicates)
    }

    static func yamlProblem(_ e: YamlError) -> (Int, String) {
        switch e {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return (mark.line, problem)
        default:
            return (1, "\(e)")
        }
    }

    /// The rule with this id or name.
    public func rule(named key: String) -> CompiledRule? { rules.first { $0.doc.id == key || $0.doc.name == key || $0.doc.title == key } }
}
