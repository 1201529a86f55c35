import Yams

/// A Sigma correlation (`correlation:` section) as loaded.
public struct CorrelationSpec: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case eventCount = "event_count", valueCount = "value_count", valueSum = "value_sum", valueAvg = "value_avg"
        case temporal, temporalOrdered = "temporal_ordered"
    }
    public var kind: Kind
    /// Referenced rules by id or name, as written.
    public var rules: [String]
    public var groupBy: [String]
    /// alias → (rule name or id → field name).
    public var aliases: [String: [String: String]]
    public var timespan: Int64
    public var condition: CorrelationCondition
    /// `field` of value_count / value_sum / value_avg.
    public var field: String?
    public var generate: Bool

    static func read(_ n: Node) throws -> CorrelationSpec {
        guard case .mapping = n else { throw RuleIssue.invalid("'correlation' must be a mapping") }
        guard let t = YAMLRead.string(YAMLRead.get(n, "type")) else { throw RuleIssue.invalid("correlation without 'type'") }
        guard let kind = Kind(rawValue: t) else {
            throw RuleIssue.unsupported("correlation type '\(t)' (supported: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let rules = YAMLRead.strings(YAMLRead.get(n, "rules"))
        guard !rules.isEmpty else { throw RuleIssue.invalid("correlation without 'rules'") }
        guard let ts = YAMLRead.string(YAMLRead.get(n, "timespan") ?? YAMLRead.get(n, "timeframe")),
              let span = YAMLRead.duration(ts), span > 0 else { throw RuleIssue.invalid("correlation needs a 'timespan' like 10m") }
        var aliases: [String: [String: String]] = [:]
        if let a = YAMLRead.get(n, "aliases") {
            for e in YAMLRead.entries(a) ?? [] {
                var m: [String: String] = [:]
                for r in YAMLRead.entries(e.value) ?? [] { if let f = YAMLRead.string(r.value) { m[r.key] = f } }
                aliases[e.key] = m
            }
        }
        var cond = CorrelationCondition()
        var field = YAMLRead.string(YAMLRead.get(n, "field"))
        if let c = YAMLRead.get(n, "condition") {
            for e in YAMLRead.entries(c) ?? [] {
                if e.key == "field" {
                    field = YAMLRead.strings(e.value).first
                    if YAMLRead.strings(e.value).count > 1 { throw RuleIssue.unsupported("value_count over several fields") }
                    continue
                }
                guard let s = YAMLRead.string(e.value), let v = Double(s) else { throw RuleIssue.invalid("correlation condition '\(e.key)' needs a number") }
                switch e.key {
                case "gt": cond.gt = v
                case "gte": cond.gte = v
                case "lt": cond.lt = v
                case "lte": cond.lte = v
                case "eq": cond.eq = v
                case "neq": cond.neq = v
                default: throw RuleIssue.unsupported("correlation condition operator '\(e.key)'")
                }
            }
        } else if kind != .temporal && kind != .temporalOrdered {
            throw RuleIssue.invalid("\(kind.rawValue) correlation needs a 'condition'")
        }
        if [.valueCount, .valueSum, .valueAvg].contains(kind), field == nil {
            throw RuleIssue.invalid("\(kind.rawValue) correlation needs 'field' in its condition")
        }
        let groupBy = YAMLRead.strings(YAMLRead.get(n, "group-by"))
        return CorrelationSpec(kind: kind, rules: rules, groupBy: groupBy, aliases: aliases, timespan: span,
                               condition: cond, field: field, generate: YAMLRead.bool(YAMLRead.get(n, "generate")) ?? false)
    }
}

/// `gt`/`gte`/`lt`/`lte`/`eq`/`neq`, combined with AND.
public struct CorrelationCondition: Sendable, Equatable {
    public var gt: Double?, gte: Double?, lt: Double?, lte: Double?, eq: Double?, neq: Double?

    public init(gt: Double? = nil, gte: Double? = nil, lt: Double? = nil, lte: Double? = nil, eq: Double? = nil, neq: Double? = nil) {
        self.gt = gt; self.gte = gte; self.lt = lt; self.lte = lte; self.eq = eq; self.neq = neq
    }

    public var isEmpty: Bool { gt == nil && gte == nil && lt == nil && lte == nil && eq == nil && neq == nil }

    public func holds(_ v: Double) -> Bool {
        if let x = gt, !(v > x) { return false }
        if let x = gte, !(v >= x) { return false }
        if let x = lt, !(v < x) { return false }
        if let x = lte, !(v <= x) { return false }
        if let x = eq, v != x { return false }
        if let x = neq, v == x { return false }
        return true
    }

    /// Whether the condition can only be decided when the window closes (an upper bound,
    /// equality or inequality): a growing aggregate could still leave the range.
    public var needsWindowEnd: Bool { lt != nil || lte != nil || eq != nil || neq != nil }
}
