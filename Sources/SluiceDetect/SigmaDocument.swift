import Foundation
import SluiceCore
import Yams

/// One rule document as written (before compilation): metadata, logsource, detection or
/// correlation, and the raw `sluice:` extension block.
public struct SigmaDocument: @unchecked Sendable {
    // SAFETY (@unchecked Sendable): plain values plus Yams `Node`s, trees of values whose only
    // references (`Tag`) are immutable after parsing (as for `ConfigNode`); nothing changes
    // a document's nodes after it is read.
    public var file: String
    public var line: Int
    public var id: String?
    public var name: String?
    public var title: String
    public var description: String
    public var level: String?
    public var status: String?
    public var tags: [String]
    public var falsepositives: [String]
    public var references: [String]
    public var logsource: LogsourceSpec?
    public var detection: Node?
    public var correlation: Node?
    public var sluice: Node?

    /// `rule.name` of alerts: the Sigma `name`, else the title.
    public var ruleName: String { name ?? title }
    /// `rule.id` of alerts: the Sigma `id`, else the name, else a stable hash of the title.
    public var ruleID: String { id ?? name ?? "title-" + StableHash.hex(StableHash.of(title)) }
}

/// Reading YAML nodes the way Sigma means them.
enum YAMLRead {
    static func line(_ n: Node) -> Int { (n.mark?.line ?? 0) }

    static func string(_ n: Node?) -> String? {
        guard let n, case .scalar(let s) = n else { return nil }
        if isNull(n) { return nil }
        return s.string
    }

    static func isNull(_ n: Node) -> Bool {
        guard case .scalar(let s) = n else { return false }
        if s.style != .plain { return false }
        return s.string.isEmpty || s.string == "~" || s.string == "null" || s.string == "Null" || s.string == "NULL"
    }

    static func strings(_ n: Node?) -> [String] {
        guard let n else { return [] }
        if case .sequence(let seq) = n { return seq.compactMap { string($0) } }
        return string(n).map { [$0] } ?? []
    }

    static func entries(_ n: Node) -> [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let m) = n else { return nil }
        return m.map { (key: $0.key.string ?? "", keyNode: $0.key, value: $0.value) }
    }

    static func get(_ n: Node, _ key: String) -> Node? {
        guard case .mapping(let m) = n else { return nil }
        for (k, v) in m where k.string == key { return v }
        return nil
    }

    static func bool(_ n: Node?) -> Bool? {
        guard let s = string(n) else { return nil }
        switch s.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }

    /// Parses `10s`, `5m`, `2h`, `1d`, `1w` (also plain seconds) into nanoseconds.
    static func duration(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9), ("d", 86400e9), ("w", 604800e9)]
        for (u, mult) in units where t.hasSuffix(u) {
            if let v = Double(t.dropLast(u.count)), v >= 0, v.isFinite { return Int64(v * mult) }
        }
        if let v = Double(t), v >= 0, v.isFinite { return Int64(v * 1e9) }
        return nil
    }
}

extension SigmaDocument {
    /// Reads one YAML document; throws `RuleIssue` when it is not a rule.
    static func read(_ root: Node, file: String) throws -> SigmaDocument {
        guard case .mapping = root else { throw RuleIssue.invalid("a rule must be a YAML mapping") }
        if let a = YAMLRead.string(YAMLRead.get(root, "action")) {
            throw RuleIssue.unsupported("'action: \(a)' documents (Sigma 1 rule collections)")
        }
        let title = YAMLRead.string(YAMLRead.get(root, "title")) ?? ""
        var ls: LogsourceSpec?
        if let l = YAMLRead.get(root, "logsource") {
            ls = LogsourceSpec(category: YAMLRead.string(YAMLRead.get(l, "category")),
                               product: YAMLRead.string(YAMLRead.get(l, "product")),
                               service: YAMLRead.string(YAMLRead.get(l, "service")))
        }
        let doc = SigmaDocument(
            file: file, line: YAMLRead.line(root),
            id: YAMLRead.string(YAMLRead.get(root, "id")), name: YAMLRead.string(YAMLRead.get(root, "name")),
            title: title, description: YAMLRead.string(YAMLRead.get(root, "description")) ?? "",
            level: YAMLRead.string(YAMLRead.get(root, "level"))?.lowercased(),
            status: YAMLRead.string(YAMLRead.get(root, "status")),
            tags: YAMLRead.strings(YAMLRead.get(root, "tags")),
            falsepositives: YAMLRead.strings(YAMLRead.get(root, "falsepositives")),
            references: YAMLRead.strings(YAMLRead.get(root, "references")),
            logsource: ls, detection: YAMLRead.get(root, "detection"),
            correlation: YAMLRead.get(root, "correlation"), sluice: YAMLRead.get(root, "sluice"))
        if doc.detection == nil && doc.correlation == nil {
            throw RuleIssue.invalid("neither 'detection' nor 'correlation'")
        }
        if doc.detection != nil && doc.correlation != nil {
            throw RuleIssue.invalid("both 'detection' and 'correlation'")
        }
        if let l = doc.level, Severity(name: l) == nil { throw RuleIssue.invalid("unknown level '\(l)'") }
        return doc
    }

    /// ATT&CK tactic ids (`attack.ta0010` or tactic names like `attack.exfiltration`).
    var tacticIDs: [String] {
        var out: [String] = []
        for t in tags {
            let l = t.lowercased()
            guard l.hasPrefix("attack.") else { continue }
            let rest = String(l.dropFirst(7))
            var id: String?
            if rest.hasPrefix("ta"), rest.dropFirst(2).allSatisfy(\.isNumber), rest.count > 2 { id = rest.uppercased() }
            else if let known = Self.tacticNames[rest] { id = known }
            if let id, !out.contains(id) { out.append(id) }
        }
        return out
    }

    /// ATT&CK technique ids (`attack.t1567.001` → `T1567.001`).
    var techniqueIDs: [String] {
        var out: [String] = []
        for t in tags {
            let l = t.lowercased()
            guard l.hasPrefix("attack.t"), !l.hasPrefix("attack.ta") else { continue }
            let rest = l.dropFirst(8)
            guard let first = rest.first, first.isNumber else { continue }
            let id = "T" + rest.uppercased()
            if !out.contains(id) { out.append(id) }
        }
        return out
    }

    static let tacticNames: [String: String] = [
        "reconnaissance": "TA0043", "resource_development": "TA0042", "resource-development": "TA0042",
        "initial_access": "TA0001", "initial-access": "TA0001", "execution": "TA0002", "persistence": "TA0003",
        "privilege_escalation": "TA0004", "privilege-escalation": "TA0004", "defense_evasion": "TA0005",
        "defense-evasion": "TA0005", "credential_access": "TA0006", "credential-access": "TA0006",
        "discovery": "TA0007", "lateral_movement": "TA0008", "lateral-movement": "TA0008", "collection": "TA0009",
        "exfiltration": "TA0010", "command_and_control": "TA0011", "command-and-control": "TA0011", "impact": "TA0040",
    ]
}
