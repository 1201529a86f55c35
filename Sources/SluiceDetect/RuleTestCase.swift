import SluiceCore

/// A `sluice test` rule case (README "Testing a rule"): events through the engine, then the
/// alerts compared with what the case expects.
public struct RuleTestCase {
    /// One expected alert; nil fields are not checked.
    public struct Expected: Sendable {
        public var rule: String?
        public var severity: Severity?
        public var count: Int?
        public var group: [(String, String)] = []
        public var escalates: Bool?
        public init(rule: String? = nil, severity: Severity? = nil, count: Int? = nil, group: [(String, String)] = [], escalates: Bool? = nil) {
            self.rule = rule; self.severity = severity; self.count = count; self.group = group; self.escalates = escalates
        }
    }

    public var rules: RuleSet
    public var options: DetectOptions
    public var events: [Event]
    public var expected: [Expected]
    /// Compare only alerts of these rules (names or ids); nil: all alerts.
    public var alertsFrom: [String]?

    public init(rules: RuleSet, options: DetectOptions, events: [Event], expected: [Expected], alertsFrom: [String]? = nil) {
        self.rules = rules; self.options = options; self.events = events; self.expected = expected; self.alertsFrom = alertsFrom
    }

    /// Runs the case; returns the alerts and a failure message (nil: passed).
    public func run() -> (alerts: [Event], failure: String?) {
        let engine = DetectionEngine(rules: rules, options: options)
        var out: [Event] = []
        engine.process(events, into: &out)
        engine.finish(into: &out)
        var alerts = out.filter { $0.alert != nil }
        if let only = alertsFrom {
            alerts = alerts.filter { a in only.contains(a.alert!.ruleName) || only.contains(a.alert!.ruleID) }
        }
        func describe(_ a: Alert) -> String {
            let g = a.group.map { "\($0.key.path)=\($0.value.text ?? "?")" }.joined(separator: ",")
            return "\(a.ruleName) \(a.severity.name) count=\(a.count)\(g.isEmpty ? "" : " group=" + g)\(a.escalates != nil ? " escalates" : "")"
        }
        let got = alerts.map { describe($0.alert!) }
        guard alerts.count == expected.count else {
            return (alerts, "expected \(expected.count) alert\(expected.count == 1 ? "" : "s"), got \(alerts.count)\(got.isEmpty ? "" : ": " + got.joined(separator: "; "))")
        }
        for (i, (e, a)) in zip(expected, alerts.map { $0.alert! }).enumerated() {
            var problems: [String] = []
            if let r = e.rule, r != a.ruleName, r != a.ruleID { problems.append("rule \(a.ruleName), expected \(r)") }
            if let s = e.severity, s != a.severity { problems.append("severity \(a.severity.name), expected \(s.name)") }
            if let c = e.count, c != a.count { problems.append("count \(a.count), expected \(c)") }
            for (k, v) in e.group {
                let have = a.group.first { $0.key.path == k }?.value.text
                if have?.lowercased() != v.lowercased() { problems.append("group \(k)=\(have ?? "absent"), expected \(v)") }
            }
            if let x = e.escalates, x != (a.escalates != nil) { problems.append(x ? "does not escalate" : "escalates") }
            if !problems.isEmpty { return (alerts, "alert \(i + 1) (\(describe(a))): " + problems.joined(separator: ", ")) }
        }
        return (alerts, nil)
    }
}
