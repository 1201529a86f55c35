import Foundation

/// Alerts read back from JSON lines (as the `json` encoding writes them), folded and described
/// for people: what `sluice alerts` prints.
///
/// Guarantees: lines that are not JSON objects with `event.kind: alert` are skipped (counted);
/// an alert that a later alert `escalates` is folded into it (the row shows the final
/// severity and the one it started at); rows are in order of the first alert of each fold.
/// Text from the alerts is printed as data: control characters are replaced, never
/// interpreted by the terminal.
struct AlertDigest {
    /// One row: an alert and the alerts it escalated (oldest first).
    struct Row {
        var alert: [String: Any]
        var startedAt: Severity?
        var firstTime: String
        var severity: Severity { Severity(name: alert["severity"] as? String ?? "") }
    }

    enum Severity: Int, Comparable {
        case informational = 0, low, medium, high, critical
        init(name: String) {
            switch name.lowercased() {
            case "low": self = .low
            case "medium": self = .medium
            case "high": self = .high
            case "critical": self = .critical
            default: self = .informational
            }
        }
        var name: String { ["informational", "low", "medium", "high", "critical"][rawValue] }
        static func < (a: Severity, b: Severity) -> Bool { a.rawValue < b.rawValue }
    }

    private(set) var rows: [Row] = []
    private(set) var alertCount = 0
    private(set) var skippedLines = 0

    /// Reads JSON lines; keeps alerts.
    init(lines: [Substring]) {
        var alerts: [[String: Any]] = []
        for line in lines where !line.allSatisfy(\.isWhitespace) {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  Self.string(obj, "event.kind") == "alert" else { skippedLines += 1; continue }
            alerts.append(obj)
        }
        alertCount = alerts.count
        var byID: [String: [String: Any]] = [:]
        var escalated = Set<String>()
        for a in alerts {
            if let id = Self.string(a, "event.id") { byID[id] = a }
            if let e = a["escalates"] as? String { escalated.insert(e) }
        }
        for a in alerts {
            if let id = Self.string(a, "event.id"), escalated.contains(id) { continue }
            // Walk back the escalation chain to the alert that opened it.
            var first = a
            var seen = Set<String>()
            while let prev = first["escalates"] as? String, let p = byID[prev], seen.insert(prev).inserted { first = p }
            let started = first["escalates"] == nil && Self.string(first, "event.id") != Self.string(a, "event.id")
                ? Severity(name: first["severity"] as? String ?? "") : nil
            rows.append(Row(alert: a, startedAt: started, firstTime: first["@timestamp"] as? String ?? ""))
        }
        rows.sort { ($0.firstTime, Self.string($0.alert, "rule.name") ?? "") < ($1.firstTime, Self.string($1.alert, "rule.name") ?? "") }
    }

    /// The rows whose evidence is shown: the highest severity first (then by time), one per
    /// person or host before a second for the same one, so that `n` alerts tell `n` stories.
    func top(_ n: Int) -> [Row] {
        let ranked = rows.enumerated().sorted { a, b in
            a.element.severity != b.element.severity ? a.element.severity > b.element.severity : a.offset < b.offset
        }.map(\.element)
        var chosen: [Row] = [], seen = Set<String>(), rest: [Row] = []
        for r in ranked {
            let keys = Self.entities(r.alert)
            if !keys.isEmpty && keys.isDisjoint(with: seen) { chosen.append(r); seen.formUnion(keys) } else { rest.append(r) }
        }
        return Array((chosen + rest).prefix(n))
    }

    /// The people and hosts an alert names (its identity, related users and hosts).
    static func entities(_ a: [String: Any]) -> Set<String> {
        var out = Set<String>()
        if let g = a["group"] as? [String: Any], let id = g["identity"] as? String { out.insert(id.lowercased()) }
        for k in ["related.user", "related.hosts"] {
            for v in (value(a, k) as? [Any] ?? []).compactMap({ $0 as? String }) { out.insert(v.lowercased()) }
        }
        return out
    }

    // MARK: describing an alert

    /// Who: the identity of the group, else the users and the first host the alert names.
    static func who(_ a: [String: Any]) -> String {
        if let g = a["group"] as? [String: Any], let id = g["identity"] as? String { return id }
        var parts: [String] = []
        for u in (value(a, "related.user") as? [Any] ?? []).compactMap({ $0 as? String }) where !parts.contains(u) && parts.count < 2 {
            parts.append(u)
        }
        var out = parts.joined(separator: "/")
        if let h = (value(a, "related.hosts") as? [Any])?.first as? String {
            out += out.isEmpty ? h : " @" + h
        }
        if out.isEmpty, let g = a["group"] as? [String: Any] {
            out = g.sorted { $0.key < $1.key }.compactMap { $0.value as? String }.first ?? ""
        }
        return out
    }

    /// What: the aggregate or the new values, in words.
    static func what(_ a: [String: Any]) -> String {
        let d = a["details"] as? [String: Any] ?? [:]
        let span = (d["timespan_seconds"] as? Int).map(duration) ?? ""
        if let n = d["distinct_count"] as? Int {
            let field = d["field"] as? String ?? "value"
            if field == "sluice.family" {
                let fams = (d["values"] as? [Any] ?? []).compactMap { $0 as? String }.joined(separator: "+")
                return "\(n) families (\(fams)) in \(span)"
            }
            let noun = field == "repo" || field.hasSuffix("repository") || field.hasSuffix(".repo") ? "repositories" : field + " values"
            return "\(n) \(noun) in \(span)"
        }
        if let sum = d["bucket_sum"] as? Double {
            var s = "\(bytes(sum)) sent in an hour"
            if let p = d["baseline_p95"] as? Double { s += ", p95 \(bytes(p))" }
            if let r = d["ratio"] as? Double { s += ", out/in \(Int(r.rounded()))x" }
            return s
        }
        if let rules = d["rules"] as? [Any] {
            return rules.compactMap { $0 as? String }.joined(separator: " → ") + (span.isEmpty ? "" : " within \(span)")
        }
        let fresh = d.keys.filter { $0.hasPrefix("first_seen_") }.sorted()
        if !fresh.isEmpty {
            var s = "new " + fresh.map { "\($0.dropFirst("first_seen_".count)) \(d[$0].map { "\($0)" } ?? "")" }.joined(separator: ", ")
            if let m = d["matched"] as? String { s += " (\(m))" }
            return s
        }
        if let m = d["matched"] as? String { return m }
        if let ev = (a["evidence"] as? [Any])?.first as? [String: Any] { return event(ev, brief: true) }
        return ""
    }

    /// Why: the threat-intelligence categories and what raised the severity, else the first
    /// sentence of the rule's description.
    static func why(_ a: [String: Any], startedAt: Severity?) -> String {
        var reasons: [String] = []
        let enrich = a["enrichment"] as? [String: Any] ?? [:]
        // Threat intelligence: each indicator once, with its categories.
        var indicators: [(String, [String])] = []
        for e in enrich["threat.enrichments"] as? [Any] ?? [] {
            guard let m = e as? [String: Any], let c = m["category"] as? String else { continue }
            let ind = m["indicator"] as? String ?? ""
            if let i = indicators.firstIndex(where: { $0.0 == ind }) {
                if !indicators[i].1.contains(c) { indicators[i].1.append(c) }
            } else { indicators.append((ind, [c])) }
        }
        for (ind, cats) in indicators.prefix(2) { reasons.append((ind.isEmpty ? "" : ind + " ") + cats.joined(separator: "/")) }
        let raised = (enrich["escalated_by"] as? [Any] ?? []).compactMap { $0 as? String }
        if !raised.isEmpty { reasons.append("raised by " + raised.joined(separator: ", ")) }
        if let s = startedAt { reasons.append("escalated from \(s.name)") }
        if !reasons.isEmpty { return reasons.joined(separator: "; ") }
        return firstSentence(string(a, "rule.description") ?? "")
    }

    /// One evidence event in a line: what happened, by whom, where (`brief`: without the host
    /// and user, which the row's WHO column gives).
    static func event(_ e: [String: Any], brief: Bool = false) -> String {
        func s(_ p: String) -> String? { string(e, p) }
        let ds = s("event.dataset") ?? ""
        var parts: [String] = []
        if s("event.kind") == "alert" {
            parts = [s("severity") ?? "", s("rule.name") ?? "", who(e), what(e)]
        } else if ds == "github.audit" {
            var vis = ""
            if let v = s("github.visibility") { vis = "visibility \(v)" + (s("github.previous_visibility").map { " (was \($0))" } ?? "") }
            parts = [s("event.action") ?? "", brief ? "" : s("user.name") ?? "", s("github.repo") ?? "", vis,
                     s("source.ip").map { "from \($0)" } ?? "", brief ? "" : s("user_agent.original").map { "(\($0))" } ?? ""]
        } else if ds.hasPrefix("squid") || s("http.request.method") != nil {
            let out = (value(e, "source.bytes") as? Int).map { "\(bytes(Double($0))) out" }
            parts = [brief ? "" : s("host.name") ?? s("source.ip") ?? "", brief ? "" : s("user.name") ?? "", s("http.request.method") ?? "",
                     s("url.full") ?? "", out ?? ""]
        } else if s("dns.question.name") != nil {
            parts = [brief ? "" : s("host.name") ?? s("source.ip") ?? "", "query", s("dns.question.name") ?? "", s("dns.question.type") ?? ""]
        } else if s("process.command_line") != nil {
            parts = [brief ? "" : s("host.name") ?? "", brief ? "" : (s("user.name") ?? "") + ":", s("process.command_line") ?? ""]
        } else {
            parts = [s("event.original") ?? ""]
        }
        var line = parts.filter { !$0.isEmpty }.joined(separator: " ")
        let cats = (value(e, "threat.enrichments") as? [Any] ?? []).compactMap { ($0 as? [String: Any])?["category"] as? String }
        if !cats.isEmpty { line += " [" + Array(Set(cats)).sorted().joined(separator: ", ") + "]" }
        return line
    }

    // MARK: helpers

    /// The description up to its first full stop (the pack's descriptions open with a short
    /// sentence saying what was seen).
    static func firstSentence(_ d: String) -> String {
        if let r = d.range(of: ". ") { return String(d[..<r.lowerBound]) }
        return d.hasSuffix(".") ? String(d.dropLast()) : d
    }

    /// A dotted path through nested objects (also a flat dotted key at any level).
    static func value(_ obj: [String: Any], _ path: String) -> Any? {
        if let v = obj[path] { return v }
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, let inner = obj[parts[0]] as? [String: Any] else { return nil }
        return value(inner, parts[1])
    }

    static func string(_ obj: [String: Any], _ path: String) -> String? {
        switch value(obj, path) {
        case let s as String: return s
        case let n as NSNumber: return n.stringValue
        default: return nil
        }
    }

    static func bytes(_ n: Double) -> String {
        if n >= 1e9 { return String(format: "%.1f GB", n / 1e9) }
        if n >= 1e6 { return String(format: "%.0f MB", n / 1e6) }
        if n >= 1e3 { return String(format: "%.0f kB", n / 1e3) }
        return "\(Int(n)) B"
    }

    static func duration(_ seconds: Int) -> String {
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    /// Text safe to print: control characters (ESC, CR, …) become U+FFFD.
    static func printable(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) ? "\u{FFFD}" : $0 }))
    }
}
