/// Why a rule was not loaded (the reason `sluice validate --rules` prints).
public enum RuleIssue: Error, Sendable, Equatable, CustomStringConvertible {
    case badYAML(line: Int, message: String)
    case logsourceNotMapped(String)
    case unsupportedModifier(String)
    case unsupported(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .badYAML(let line, let m): return "bad YAML at line \(line): \(m)"
        case .logsourceNotMapped(let ls): return "logsource not mapped (\(ls.isEmpty ? "none" : ls))"
        case .unsupportedModifier(let m): return "unsupported modifier '\(m)'"
        case .unsupported(let m): return "unsupported: \(m)"
        case .invalid(let m): return m
        }
    }
}

/// A rule that was not loaded: where it is, what it is, and why.
public struct SkippedRule: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var id: String?
    public var title: String?
    public var reason: RuleIssue

    public var description: String {
        var who = id ?? ""
        if let t = title, !t.isEmpty { who += who.isEmpty ? "\"\(t)\"" : " (\(t))" }
        if who.isEmpty { who = "(no id)" }
        return "\(file):\(line): \(who): \(reason)"
    }
}
