import Foundation
import SluiceCore
import Yams

/// The `sluice:` block of a rule, compiled (README "Rules" documents every key).
///
/// Selections (`when:`, `allowlist:`, `selections:`) use Sigma detection syntax and the
/// field lookup of the rule's logsource; for correlations, that of the events they test.
public struct RuleExtensions: Sendable {
    /// `family:` label carried by alerts (`sluice.family`).
    public var family: String?
    /// `allowlist:` OR of selections, constants folded; a matching event does not count for
    /// the rule. Nil also when it can never hold (every placeholder in it configured empty).
    var allowlist: Expr?
    /// `suppress:` one alert per group (`by` fields, default the group-by) per period.
    public var suppressFor: Int64?
    public var suppressBy: [String]?
    /// `coalesce:` derived field name → fields tried in order (first non-empty).
    public var coalesce: [String: [String]] = [:]
    /// `extract:` derived field name → (source field, regex): the first capture group (or the
    /// whole match) of the first match in the field's value.
    var extract: [String: (field: String, regex: RegexTest)] = [:]
    /// `baseline_windows: active`: learned percentiles over the windows (buckets) in which the
    /// group had events, instead of over every window with empty ones counting as 0.
    var baselineActiveOnly = false
    var tiers: [Tier] = []
    var escalations: [Escalation] = []
    var firstSeen: FirstSeenSpec?
    var baseline: BaselineSpec?

    /// A severity tier: the level when the aggregate satisfies `condition` (and, with
    /// `baselineFactor`, is at least factor × the group's learned p95), for groups whose
    /// events matched `when` (nil: the default tier set).
    struct Tier: Sendable {
        var condition: CorrelationCondition
        var baselineFactor: Double?
        var level: Severity
        /// Index into `whenSelections` (nil: default tiers).
        var when: Int?
    }

    /// Named or inline `when:` selections, compiled; tiers and escalations refer to them.
    var whenSelections: [Expr] = []
    var whenNames: [String] = []

    struct Escalation: Sendable {
        enum Trigger: Sendable {
            /// A contributing event matched the selection (index into `whenSelections`).
            case selection(Int)
            /// Any of `rules` alerted for the same key within `within` (our field → its field).
            case afterRule(rules: [String], same: [(mine: String, theirs: String)], within: Int64)
            /// Events of the correlation disagree on a field.
            case differs(String)
        }
        var trigger: Trigger
        var steps: Int
        var tiers: [Tier]
    }

    struct FirstSeenSpec: Sendable {
        var entity: [String]
        var values: [String]
        var learning: Int64?
        /// `each: true`: every value is learned on its own for the entity (new if any of
        /// them is new), instead of the combination of all of them.
        var each = false
        /// `entity_learning`: an entity's values alert only once the entity itself was first
        /// seen at least this long before (an entity with no history has nothing to differ from).
        var entityLearning: Int64?
        /// `or_when`: events matching this selection (index into `whenSelections`) alert even
        /// when none of their values is new, learning or not.
        var orWhen: Int?
    }

    struct BaselineSpec: Sendable {
        var entity: [String]
        var value: String
        var bucket: Int64
        var k: Double
        var floor: Double
        var history: Int
        var ratioField: String?
        var ratioMin: Double
        var learning: Int64?
    }

    var isEmpty: Bool {
        family == nil && allowlist == nil && suppressFor == nil && coalesce.isEmpty && extract.isEmpty && tiers.isEmpty && escalations.isEmpty && firstSeen == nil && baseline == nil
    }

    /// The rule's `also_logsources:` (a list of Sigma logsource maps), read before its
    /// detection is compiled: the rule also sees those events.
    static func alsoLogsources(_ node: Node?) throws -> [LogsourceSpec] {
        guard let node, let list = YAMLRead.get(node, "also_logsources") else { return [] }
        guard case .sequence(let seq) = list else { throw RuleIssue.invalid("sluice: 'also_logsources' must be a list of logsource maps") }
        return try seq.map { n in
            guard YAMLRead.entries(n) != nil else { throw RuleIssue.invalid("sluice: 'also_logsources' must be a list of logsource maps") }
            for e in YAMLRead.entries(n) ?? [] where !["category", "product", "service"].contains(e.key) {
                throw RuleIssue.invalid("sluice: also_logsources: unknown key '\(e.key)'")
            }
            return LogsourceSpec(category: YAMLRead.string(YAMLRead.get(n, "category")), product: YAMLRead.string(YAMLRead.get(n, "product")),
                                 service: YAMLRead.string(YAMLRead.get(n, "service")))
        }
    }

    /// The rule's `placeholders:` defaults (name → values; a scalar is one value, `[]` none),
    /// read before its detection is compiled. The configuration's values override them.
    static func placeholderDefaults(_ node: Node?) throws -> [String: [String]] {
        guard let node, let p = YAMLRead.get(node, "placeholders") else { return [:] }
        guard let entries = YAMLRead.entries(p) else { throw RuleIssue.invalid("sluice: 'placeholders' must map names to lists of values") }
        var out: [String: [String]] = [:]
        for e in entries {
            switch e.value {
            case .sequence(let seq):
                var vals: [String] = []
                for item in seq {
                    guard let s = YAMLRead.string(item) else { throw RuleIssue.invalid("sluice: placeholder '\(e.key)' holds a value that is not text") }
                    vals.append(s)
                }
                out[e.key] = vals
            case .scalar:
                guard let s = YAMLRead.string(e.value) else { throw RuleIssue.invalid("sluice: placeholder '\(e.key)' needs a value or a list (use [] for none)") }
                out[e.key] = [s]
            default:
                throw RuleIssue.invalid("sluice: placeholder '\(e.key)' needs a value or a list")
            }
        }
        return out
    }

    /// Compiles a `sluice:` node. `table` is the field table of the rule's logsource.
    static func compile(_ node: Node?, compiler: DetectionCompiler, table: [String: String], isCorrelation: Bool) throws -> RuleExtensions {
        var x = RuleExtensions()
        guard let node else { return x }
        guard let entries = YAMLRead.entries(node) else { throw RuleIssue.invalid("'sluice' must be a mapping") }
        var named: [String: Node] = [:]
        if let s = YAMLRead.get(node, "selections") {
            for e in YAMLRead.entries(s) ?? [] { named[e.key] = e.value }
        }
        func when(_ n: Node) throws -> Int {
            if let name = YAMLRead.string(n), case .scalar = n {
                if let i = x.whenNames.firstIndex(of: name) { return i }
                guard let sel = named[name] else { throw RuleIssue.invalid("sluice: unknown selection '\(name)'") }
                x.whenSelections.append(try compiler.compileSelection(sel, table: table))
                x.whenNames.append(name)
                return x.whenSelections.count - 1
            }
            x.whenSelections.append(try compiler.compileSelection(n, table: table))
            x.whenNames.append("")
            return x.whenSelections.count - 1
        }
        func tiers(_ n: Node) throws -> [Tier] {
            guard case .sequence(let seq) = n else { throw RuleIssue.invalid("sluice: 'tiers' must be a list") }
            return try seq.map { t in
                var cond = CorrelationCondition()
                var tier = Tier(condition: cond, baselineFactor: nil, level: .medium, when: nil)
                var sawLevel = false
                for e in YAMLRead.entries(t) ?? [] {
                    switch e.key {
                    case "gt", "gte", "lt", "lte", "eq", "min":
                        guard let s = YAMLRead.string(e.value), let v = Self.number(s) else { throw RuleIssue.invalid("sluice tier: '\(e.key)' needs a number") }
                        switch e.key {
                        case "gt": cond.gt = v
                        case "gte", "min": cond.gte = max(cond.gte ?? v, v)
                        case "lt": cond.lt = v
                        case "lte": cond.lte = v
                        default: cond.eq = v
                        }
                    case "baseline":
                        guard let s = YAMLRead.string(e.value), let v = Double(s), v > 0 else { throw RuleIssue.invalid("sluice tier: 'baseline' needs a factor like 3") }
                        tier.baselineFactor = v
                    case "level":
                        guard let s = YAMLRead.string(e.value), let l = Severity(name: s) else { throw RuleIssue.invalid("sluice tier: unknown level") }
                        tier.level = l; sawLevel = true
                    case "when": tier.when = try when(e.value)
                    default: throw RuleIssue.invalid("sluice tier: unknown key '\(e.key)'")
                    }
                }
                guard sawLevel else { throw RuleIssue.invalid("sluice tier without 'level'") }
                tier.condition = cond
                return tier
            }
        }
        for e in entries {
            switch e.key {
            case "family": x.family = YAMLRead.string(e.value)
            case "selections", "placeholders", "also_logsources":
                if isCorrelation && e.key == "also_logsources" { throw RuleIssue.invalid("sluice: 'also_logsources' belongs on a detection rule") }
            case "extract":
                for c in YAMLRead.entries(e.value) ?? [] {
                    guard let field = YAMLRead.string(YAMLRead.get(c.value, "field")),
                          let re = YAMLRead.string(YAMLRead.get(c.value, "regex")) else {
                        throw RuleIssue.invalid("sluice: extract '\(c.key)' needs 'field' and 'regex'")
                    }
                    for k in YAMLRead.entries(c.value) ?? [] where k.key != "field" && k.key != "regex" {
                        throw RuleIssue.invalid("sluice: extract '\(c.key)': unknown key '\(k.key)'")
                    }
                    x.extract[c.key] = (field, try RegexTest(pattern: re, flags: ""))
                }
            case "baseline_windows":
                switch YAMLRead.string(e.value) {
                case "active": x.baselineActiveOnly = true
                case "all": x.baselineActiveOnly = false
                default: throw RuleIssue.invalid("sluice: 'baseline_windows' is 'all' or 'active'")
                }
            case "allowlist":
                var alts: [Expr] = []
                if case .sequence(let seq) = e.value {
                    for s in seq { alts.append(try compiler.compileSelection(s, table: table)) }
                } else {
                    alts.append(try compiler.compileSelection(e.value, table: table))
                }
                // An allowlist that can never hold (its placeholders all configured empty, the
                // pack's default) is no allowlist: nothing is tested per event for it.
                let allow = Expr.any(alts).folded
                if !alts.isEmpty, allow != .const(false) { x.allowlist = allow }
            case "suppress":
                guard let f = YAMLRead.get(e.value, "for").flatMap(YAMLRead.string), let d = YAMLRead.duration(f), d > 0 else {
                    throw RuleIssue.invalid("sluice: 'suppress' needs 'for: DURATION'")
                }
                x.suppressFor = d
                if let by = YAMLRead.get(e.value, "by") { x.suppressBy = YAMLRead.strings(by) }
            case "coalesce":
                for c in YAMLRead.entries(e.value) ?? [] {
                    let fields = YAMLRead.strings(c.value)
                    guard !fields.isEmpty else { throw RuleIssue.invalid("sluice: coalesce '\(c.key)' needs a list of fields") }
                    x.coalesce[c.key] = fields
                }
            case "tiers": x.tiers = try tiers(e.value)
            case "escalate":
                let items: [Node]
                if case .sequence(let seq) = e.value { items = Array(seq) } else { items = [e.value] }
                for it in items {
                    var steps = 1
                    var trig: Escalation.Trigger?
                    var extra: [Tier] = []
                    var after: [String] = [], same: [(String, String)] = [], within: Int64 = 2 * 3_600_000_000_000
                    for f in YAMLRead.entries(it) ?? [] {
                        switch f.key {
                        case "steps":
                            guard let s = YAMLRead.string(f.value), let v = Int(s), v >= 0, v <= 4 else { throw RuleIssue.invalid("sluice escalate: 'steps' must be 0 to 4") }
                            steps = v
                        case "when": trig = .selection(try when(f.value))
                        case "differs":
                            guard let s = YAMLRead.string(f.value) else { throw RuleIssue.invalid("sluice escalate: 'differs' needs a field") }
                            trig = .differs(s)
                        case "after_rule": after = YAMLRead.strings(f.value)
                        case "same":
                            for m in YAMLRead.entries(f.value) ?? [] { same.append((m.key, YAMLRead.string(m.value) ?? m.key)) }
                            if case .sequence = f.value { same = YAMLRead.strings(f.value).map { ($0, $0) } }
                        case "within":
                            guard let s = YAMLRead.string(f.value), let d = YAMLRead.duration(s) else { throw RuleIssue.invalid("sluice escalate: 'within' needs a duration") }
                            within = d
                        case "tiers": extra = try tiers(f.value)
                        default: throw RuleIssue.invalid("sluice escalate: unknown key '\(f.key)'")
                        }
                    }
                    if !after.isEmpty {
                        let a = after
                        guard !same.isEmpty else { throw RuleIssue.invalid("sluice escalate: 'after_rule' needs 'same:' fields") }
                        trig = .afterRule(rules: a, same: same.map { (mine: $0.0, theirs: $0.1) }, within: within)
                    }
                    guard let t = trig else { throw RuleIssue.invalid("sluice escalate: needs 'when', 'after_rule' or 'differs'") }
                    x.escalations.append(Escalation(trigger: t, steps: steps, tiers: extra))
                }
            case "first_seen":
                let ent = YAMLRead.strings(YAMLRead.get(e.value, "entity"))
                let vals = YAMLRead.strings(YAMLRead.get(e.value, "values") ?? YAMLRead.get(e.value, "value"))
                guard !ent.isEmpty, !vals.isEmpty else { throw RuleIssue.invalid("sluice: first_seen needs 'entity' and 'values'") }
                guard !isCorrelation else { throw RuleIssue.invalid("sluice: first_seen belongs on a detection rule, not a correlation") }
                var spec = FirstSeenSpec(entity: ent, values: vals, learning: nil)
                for f in YAMLRead.entries(e.value) ?? [] {
                    switch f.key {
                    case "entity", "values", "value": break
                    case "learning", "entity_learning":
                        guard let l = YAMLRead.string(f.value), let d = YAMLRead.duration(l) else {
                            throw RuleIssue.invalid("sluice: first_seen '\(f.key)' needs a duration")
                        }
                        if f.key == "learning" { spec.learning = d } else { spec.entityLearning = d }
                    case "each":
                        guard let b = YAMLRead.bool(f.value) else { throw RuleIssue.invalid("sluice: first_seen 'each' is true or false") }
                        spec.each = b
                    case "or_when": spec.orWhen = try when(f.value)
                    default: throw RuleIssue.invalid("sluice: first_seen: unknown key '\(f.key)'")
                    }
                }
                x.firstSeen = spec
            case "baseline":
                let b = e.value
                let ent = YAMLRead.strings(YAMLRead.get(b, "entity"))
                guard !ent.isEmpty, let value = YAMLRead.string(YAMLRead.get(b, "value")) else {
                    throw RuleIssue.invalid("sluice: baseline needs 'entity' and 'value'")
                }
                guard !isCorrelation else { throw RuleIssue.invalid("sluice: baseline belongs on a detection rule (tiers take 'baseline:' on correlations)") }
                var spec = BaselineSpec(entity: ent, value: value, bucket: 3_600_000_000_000, k: 3, floor: 0, history: 168,
                                        ratioField: nil, ratioMin: 0, learning: nil)
                for f in YAMLRead.entries(b) ?? [] {
                    let s = YAMLRead.string(f.value) ?? ""
                    switch f.key {
                    case "entity", "value": break
                    case "bucket": guard let d = YAMLRead.duration(s), d > 0 else { throw RuleIssue.invalid("sluice baseline: bad 'bucket'") }; spec.bucket = d
                    case "k": guard let v = Double(s), v > 0 else { throw RuleIssue.invalid("sluice baseline: bad 'k'") }; spec.k = v
                    case "floor": guard let v = number(s) else { throw RuleIssue.invalid("sluice baseline: bad 'floor'") }; spec.floor = v
                    case "history": guard let v = Int(s), v >= 2, v <= 10_000 else { throw RuleIssue.invalid("sluice baseline: 'history' 2 to 10000") }; spec.history = v
                    case "learning": guard let d = YAMLRead.duration(s) else { throw RuleIssue.invalid("sluice baseline: bad 'learning'") }; spec.learning = d
                    case "ratio":
                        guard let rf = YAMLRead.string(YAMLRead.get(f.value, "field")) else { throw RuleIssue.invalid("sluice baseline: 'ratio' needs 'field'") }
                        spec.ratioField = rf
                        spec.ratioMin = YAMLRead.string(YAMLRead.get(f.value, "min")).flatMap(Double.init) ?? 1
                    default: throw RuleIssue.invalid("sluice baseline: unknown key '\(f.key)'")
                    }
                }
                x.baseline = spec
            default:
                throw RuleIssue.invalid("sluice: unknown key '\(e.key)'")
            }
        }
        if !x.tiers.isEmpty && !isCorrelation && x.baseline == nil {
            throw RuleIssue.invalid("sluice: 'tiers' need an aggregate (a correlation or a baseline)")
        }
        return x
    }

    /// How the engine reads field `name` (group-by, first-seen values, baseline entities,
    /// `suppress.by`, `same:`) through a rule's field `table`: a `coalesce` name gives its
    /// fields in order, an `extract` name its source field with the capture, anything else
    /// the field itself.
    func accessors(_ name: String, table: [String: String]) -> [FieldAccessor] {
        func one(_ n: String) -> FieldAccessor {
            if let x = extract[n] { return FieldAccessor(name: x.field, mapped: table[x.field], capture: x.regex) }
            return FieldAccessor(name: n, mapped: table[n])
        }
        if let fields = coalesce[name] { return fields.map(one) }
        return [one(name)]
    }

    /// A number with an optional size suffix (KiB, MiB, GiB, KB, MB, GB).
    static func number(_ s: String) -> Double? {
        let t = s.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "_", with: "")
        let units: [(String, Double)] = [("kib", 1024), ("mib", 1_048_576), ("gib", 1_073_741_824), ("kb", 1e3), ("mb", 1e6), ("gb", 1e9)]
        for (u, m) in units where t.hasSuffix(u) { return Double(t.dropLast(u.count)).map { $0 * m } }
        return Double(t)
    }
}
