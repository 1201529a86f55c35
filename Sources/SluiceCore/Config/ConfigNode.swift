import Foundation
import Yams

/// A YAML value with its position, after environment interpolation.
public struct ConfigNode: @unchecked Sendable {
    public let node: Node
    public let file: String
    /// Environment used for `${VAR}` interpolation.
    let environment: [String: String]

    public init(node: Node, file: String, environment: [String: String]) {
        self.node = node; self.file = file; self.environment = environment
    }

    /// Parses a YAML document into a node (errors as `ConfigErrors` with positions).
    public static func load(yaml: String, file: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ConfigNode {
        do {
            let n = try Yams.compose(yaml: yaml) ?? .mapping([:])
            return ConfigNode(node: n, file: file, environment: environment)
        } catch let e as YamlError {
            throw ConfigErrors([PipelineConfig.yamlIssue(e, file: file)])
        }
    }

    public var line: Int { node.mark?.line ?? 0 }
    public var column: Int { node.mark?.column ?? 0 }

    public func issue(_ message: String, component: String? = nil) -> ConfigIssue {
        ConfigIssue(file: file, line: line, column: column, component: component, message: message)
    }

    public func child(_ n: Node) -> ConfigNode { ConfigNode(node: n, file: file, environment: environment) }

    /// Mapping entries in file order (`nil` when not a mapping).
    public var entries: [(key: String, keyNode: ConfigNode, value: ConfigNode)]? {
        guard case .mapping(let m) = node else { return nil }
        return m.map { (key: $0.key.string ?? "\($0.key)", keyNode: child($0.key), value: child($0.value)) }
    }

    public var items: [ConfigNode]? {
        guard case .sequence(let s) = node else { return nil }
        return s.map { child($0) }
    }

    public var isNull: Bool {
        if case .scalar(let s) = node { return s.tag == .init(.null) || (s.string == "" && s.style == .plain) || s.string == "~" || s.string == "null" }
        return false
    }

    /// The scalar text with `${VAR}` / `${VAR:-default}` expanded; `$$` is a literal `$`.
    public func scalarText() throws -> String {
        guard case .scalar(let s) = node else { throw issue("expected a single value, found \(kindName)") }
        return try Self.interpolate(s.string, environment: environment, at: self)
    }

    /// The node as canonical text (mapping keys sorted, `${VAR}` expanded): equal text means
    /// equal configuration, whatever the formatting or key order. A reload compares components
    /// with it.
    public func canonicalText() -> String {
        switch node {
        case .scalar(let s):
            let v = (try? Self.interpolate(s.string, environment: environment, at: self)) ?? s.string
            var out: [UInt8] = []
            JSONWriter.appendQuoted(v, to: &out)
            return String(decoding: out, as: UTF8.self)
        case .mapping:
            let parts = (entries ?? []).sorted { $0.key < $1.key }.map { e -> String in
                var k: [UInt8] = []
                JSONWriter.appendQuoted(e.key, to: &k)
                return String(decoding: k, as: UTF8.self) + ":" + e.value.canonicalText()
            }
            return "{" + parts.joined(separator: ",") + "}"
        case .sequence:
            return "[" + (items ?? []).map { $0.canonicalText() }.joined(separator: ",") + "]"
        case .alias:
            return "*"
        }
    }

    public var kindName: String {
        switch node {
        case .scalar: return "a value"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    static func interpolate(_ text: String, environment: [String: String], at node: ConfigNode) throws -> String {
        guard text.contains("$") else { return text }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            guard c == "$" else { out.append(c); i = text.index(after: i); continue }
            let next = text.index(after: i)
            if next < text.endIndex, text[next] == "$" { out.append("$"); i = text.index(after: next); continue }
            guard next < text.endIndex, text[next] == "{" else { out.append(c); i = next; continue }
            guard let close = text[next...].firstIndex(of: "}") else {
                throw node.issue("unterminated '${' in \"\(text)\"")
            }
            let expr = String(text[text.index(after: next)..<close])
            var name = expr
            var fallback: String?
            if let r = expr.range(of: ":-") { name = String(expr[..<r.lowerBound]); fallback = String(expr[r.upperBound...]) }
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw node.issue("invalid environment variable reference '${\(expr)}'")
            }
            if let v = environment[name], !(v.isEmpty && fallback != nil) { out += v }
            else if let f = fallback { out += f }
            else { throw node.issue("environment variable \(name) is not set (use ${\(name):-default} for a default)") }
            i = text.index(after: close)
        }
        return out
    }
}

/// The options of one component, read key by key. Every key read is marked used; `finish()`
/// reports the keys nobody read as unknown, so a typo is an error rather than ignored.
public final class ComponentOptions: @unchecked Sendable {
    public let component: String
    public let node: ConfigNode
    private var values: [String: (keyNode: ConfigNode, value: ConfigNode)] = [:]
    private var order: [String] = []
    private var used: Set<String> = []
    public private(set) var issues: [ConfigIssue] = []

    public init(component: String, node: ConfigNode, preUsed: Set<String> = []) {
        self.component = component
        self.node = node
        used = preUsed
        if let entries = node.entries {
            for e in entries {
                if values[e.key] != nil { issues.append(e.keyNode.issue("duplicate key '\(e.key)'", component: component)) }
                values[e.key] = (e.keyNode, e.value)
                order.append(e.key)
            }
        } else if !node.isNull {
            issues.append(node.issue("expected a mapping of options, found \(node.kindName)", component: component))
        }
    }

    /// Records a problem at `key` (or at the component when absent).
    public func fail(_ message: String, at key: String? = nil) {
        let at = key.flatMap { values[$0]?.value } ?? node
        issues.append(at.issue(message, component: component))
    }

    public func has(_ key: String) -> Bool { values[key] != nil }

    /// The raw node for `key`, for nested structures.
    public func node(_ key: String) -> ConfigNode? {
        used.insert(key)
        return values[key]?.value
    }

    public func string(_ key: String) -> String? {
        used.insert(key)
        guard let v = values[key]?.value, !v.isNull else { return nil }
        do { return try v.scalarText() } catch { issues.append(withComponent(error)); return nil }
    }

    public func string(_ key: String, default d: String) -> String { string(key) ?? d }

    public func requiredString(_ key: String) -> String {
        if let s = string(key), !s.isEmpty { return s }
        if values[key] == nil { fail("missing required option '\(key)'") } else { fail("option '\(key)' must not be empty", at: key) }
        return ""
    }

    public func int(_ key: String, default d: Int, range: ClosedRange<Int>? = nil) -> Int {
        guard let s = string(key) else { return d }
        guard let v = Int(s.replacingOccurrences(of: "_", with: "")) else { fail("option '\(key)' must be an integer, got \"\(s)\"", at: key); return d }
        if let r = range, !r.contains(v) { fail("option '\(key)' must be between \(r.lowerBound) and \(r.upperBound), got \(v)", at: key); return d }
        return v
    }

    public func bool(_ key: String, default d: Bool) -> Bool {
        guard let s = string(key) else { return d }
        switch s.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: fail("option '\(key)' must be true or false, got \"\(s)\"", at: key); return d
        }
    }

    /// A duration such as `10s`, `500ms`, `5m`, `1h`, `2d` or a plain number of seconds.
    public func seconds(_ key: String, default d: Double) -> Double {
        guard let s = string(key) else { return d }
        guard let v = Self.parseDuration(s) else { fail("option '\(key)' must be a duration like 10s, 500ms or 5m, got \"\(s)\"", at: key); return d }
        return v
    }

    /// A size such as `64KiB`, `100MiB`, `1GiB`, `512KB` or a plain number of bytes.
    public func bytes(_ key: String, default d: Int) -> Int {
        guard let s = string(key) else { return d }
        guard let v = Self.parseBytes(s) else { fail("option '\(key)' must be a size like 64KiB or 100MiB, got \"\(s)\"", at: key); return d }
        return v
    }

    public func choice<T: RawRepresentable>(_ key: String, default d: T) -> T where T.RawValue == String, T: CaseIterable {
        guard let s = string(key) else { return d }
        guard let v = T(rawValue: s) else {
            fail("option '\(key)' must be one of \(T.allCases.map { $0.rawValue }.joined(separator: ", ")), got \"\(s)\"", at: key)
            return d
        }
        return v
    }

    /// A list of strings; a single string is accepted as a one-element list.
    public func stringList(_ key: String) -> [String]? {
        used.insert(key)
        guard let v = values[key]?.value, !v.isNull else { return nil }
        if let items = v.items {
            var out: [String] = []
            for item in items {
                do { out.append(try item.scalarText()) } catch { issues.append(withComponent(error)) }
            }
            return out
        }
        do { return [try v.scalarText()] } catch { issues.append(withComponent(error)); return nil }
    }

    /// A mapping of string to string (e.g. HTTP headers).
    public func stringMap(_ key: String) -> [(String, String)]? {
        used.insert(key)
        guard let v = values[key]?.value, !v.isNull else { return nil }
        guard let entries = v.entries else { fail("option '\(key)' must be a mapping", at: key); return nil }
        var out: [(String, String)] = []
        for e in entries {
            do { out.append((e.key, try e.value.scalarText())) } catch { issues.append(withComponent(error)) }
        }
        return out
    }

    /// Options of a nested mapping (e.g. `tls:`), checked for unknown keys by its own `finish()`.
    public func nested(_ key: String) -> ComponentOptions? {
        used.insert(key)
        guard let v = values[key]?.value, !v.isNull else { return nil }
        return ComponentOptions(component: component, node: v)
    }

    /// Absorbs a nested options object's issues (after its `finish()`).
    public func merge(_ other: ComponentOptions) { issues.append(contentsOf: other.issues) }

    /// Reports unknown keys; returns all issues so far.
    @discardableResult
    public func finish() -> [ConfigIssue] {
        for k in order where !used.contains(k) {
            let known = used.sorted()
            var msg = "unknown option '\(k)'"
            if let s = Self.suggestion(for: k, among: known) { msg += " (did you mean '\(s)'?)" }
            issues.append(values[k]!.keyNode.issue(msg, component: component))
            used.insert(k)
        }
        return issues
    }

    private func withComponent(_ e: Error) -> ConfigIssue {
        var i = (e as? ConfigIssue) ?? node.issue("\(e)"); if i.component == nil { i.component = component }; return i
    }

    static func suggestion(for key: String, among known: [String]) -> String? {
        func distance(_ a: String, _ b: String) -> Int {
            let a = Array(a), b = Array(b)
            var prev = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var cur = [i] + Array(repeating: 0, count: b.count)
                for j in 1...max(b.count, 1) where !b.isEmpty {
                    cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                }
                prev = cur
            }
            return prev[b.count]
        }
        let best = known.map { ($0, distance(key, $0)) }.min { $0.1 < $1.1 }
        if let b = best, b.1 <= 2 { return b.0 }
        return nil
    }

    public static func parseDuration(_ s: String) -> Double? {
        let t = s.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("us", 0.000001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (u, mult) in units where t.hasSuffix(u) {
            if let v = Double(t.dropLast(u.count)), v >= 0 { return v * mult }
        }
        if let v = Double(t), v >= 0 { return v }
        return nil
    }

    public static func parseBytes(_ s: String) -> Int? {
        let t = s.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "_", with: "")
        let units: [(String, Int)] = [("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("kb", 1000), ("mb", 1_000_000), ("gb", 1_000_000_000), ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("b", 1)]
        for (u, mult) in units where t.hasSuffix(u) {
            if let v = Double(t.dropLast(u.count)), v >= 0 { return Int(v * Double(mult)) }
        }
        if let v = Int(t), v >= 0 { return v }
        return nil
    }
}
