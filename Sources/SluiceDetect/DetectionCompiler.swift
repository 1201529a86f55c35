import Foundation
import Yams

/// Compiles Sigma `detection` blocks (and Sluice extension selections) into expressions over
/// a shared, de-duplicated predicate table.
///
/// Guarantees: every modifier of DESIGN.md's list is applied as the Sigma specification
/// (and pySigma) define it; anything else (time modifiers, unknown names) throws
/// `RuleIssue.unsupportedModifier`, so a rule is loaded whole or not at all.
final class DetectionCompiler {
    private(set) var predicates: [Predicate] = []
    private var index: [Predicate: Int] = [:]
    let placeholders: [String: [String]]

    init(placeholders: [String: [String]] = [:]) { self.placeholders = placeholders }

    func intern(_ p: Predicate) -> Int {
        if let i = index[p] { return i }
        predicates.append(p)
        index[p] = predicates.count - 1
        return predicates.count - 1
    }

    /// A whole `detection:` block: its search identifiers and its condition (a list of
    /// conditions is OR).
    func compileDetection(_ node: Node, table: [String: String]) throws -> Expr {
        guard let entries = YAMLRead.entries(node) else { throw RuleIssue.invalid("'detection' must be a mapping") }
        var idents: [(String, Expr)] = []
        var conditions: [String] = []
        var sawCondition = false
        for e in entries {
            if e.key == "condition" {
                sawCondition = true
                if case .sequence(let seq) = e.value { conditions = seq.compactMap { YAMLRead.string($0) } }
                else if let c = YAMLRead.string(e.value) { conditions = [c] }
                continue
            }
            if e.key == "timeframe" { throw RuleIssue.unsupported("'timeframe' in detection (Sigma 1 aggregation; use a correlation rule)") }
            do { idents.append((e.key, try compileSelection(e.value, table: table))) }
            catch let i as RuleIssue { throw Self.located(i, "'\(e.key)'") }
        }
        guard sawCondition, !conditions.isEmpty else { throw RuleIssue.invalid("detection has no condition") }
        var exprs: [Expr] = []
        for c in conditions {
            if c.contains("|") { throw RuleIssue.unsupported("aggregation in condition '\(c)' (Sigma 1; use a correlation rule)") }
            if c.range(of: " near ", options: .caseInsensitive) != nil { throw RuleIssue.unsupported("'near' in condition") }
            exprs.append(try resolve(ConditionParser.parse(c), idents))
        }
        return .any(exprs)
    }

    private static func located(_ i: RuleIssue, _ at: String) -> RuleIssue {
        if case .invalid(let m) = i { return .invalid("\(at): \(m)") }
        return i
    }

    private func resolve(_ ast: ConditionAST, _ idents: [(String, Expr)]) throws -> Expr {
        switch ast {
        case .ident(let name):
            guard let e = idents.first(where: { $0.0 == name }) else { throw RuleIssue.invalid("condition names unknown search identifier '\(name)'") }
            return e.1
        case .and(let xs): return .and(try xs.map { try resolve($0, idents) })
        case .or(let xs): return .or(try xs.map { try resolve($0, idents) })
        case .not(let x): return .not(try resolve(x, idents))
        case .oneOf(let p), .allOf(let p):
            let chosen = idents.filter { p == nil ? !$0.0.hasPrefix("_") : ConditionParser.matches(pattern: p!, $0.0) }
            guard !chosen.isEmpty else { throw RuleIssue.invalid("no search identifier matches '\(p ?? "them")'") }
            if case .allOf = ast { return .all(chosen.map(\.1)) }
            return .any(chosen.map(\.1))
        }
    }

    /// One selection: a map (AND of field items), a list (OR of maps and/or keywords), or a
    /// single keyword.
    func compileSelection(_ node: Node, table: [String: String]) throws -> Expr {
        switch node {
        case .mapping:
            var items: [Expr] = []
            for e in YAMLRead.entries(node) ?? [] {
                items.append(try compileItem(key: e.key, value: e.value, table: table))
            }
            guard !items.isEmpty else { throw RuleIssue.invalid("empty selection") }
            return .all(items)
        case .sequence(let seq):
            guard !seq.isEmpty else { throw RuleIssue.invalid("empty selection list") }
            var keywords: [Node] = []
            var alts: [Expr] = []
            for s in seq {
                if case .mapping = s { alts.append(try compileSelection(s, table: table)) }
                else if case .scalar = s { keywords.append(s) }
                else if case .sequence(let inner) = s { keywords.append(contentsOf: inner) }
                else { throw RuleIssue.invalid("unexpected item in selection list") }
            }
            if !keywords.isEmpty { alts.append(try compileValues(target: .keywords, mods: [], values: keywords, table: table)) }
            return .any(alts)
        case .scalar:
            if YAMLRead.isNull(node) { throw RuleIssue.invalid("empty selection") }
            return try compileValues(target: .keywords, mods: [], values: [node], table: table)
        default:
            throw RuleIssue.invalid("unexpected selection")
        }
    }

    private func accessor(_ field: String, _ table: [String: String]) -> FieldAccessor {
        var mapped = table[field]
        if mapped == nil { mapped = table.first { $0.key.lowercased() == field.lowercased() }?.value }
        return FieldAccessor(name: field, mapped: mapped)
    }

    private func compileItem(key: String, value: Node, table: [String: String]) throws -> Expr {
        let parts = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        let field = parts[0]
        let mods = parts.dropFirst().map { $0.lowercased() }
        let target: PredicateTarget = field.isEmpty ? .keywords : .field(accessor(field, table))
        var values: [Node] = []
        if case .sequence(let seq) = value {
            for v in seq {
                if case .sequence(let inner) = v { values.append(contentsOf: inner) } else { values.append(v) }
            }
            if seq.isEmpty { throw RuleIssue.invalid("'\(key)' has an empty list of values") }
        } else if case .mapping = value {
            throw RuleIssue.invalid("'\(key)': a value cannot be a mapping")
        } else {
            values = [value]
        }
        return try compileValues(target: target, mods: mods, values: values, table: table)
    }

    /// Applies the modifier chain to each value; values are OR (AND with `all`).
    func compileValues(target: PredicateTarget, mods: [String], values: [Node], table: [String: String]) throws -> Expr {
        var m = Modifiers()
        for mod in mods { try m.add(mod) }
        if m.all && values.count < 2 && !mods.isEmpty {
            // The specification forbids `all` with one value; tools accept it as that value.
        }
        var exprs: [Expr] = []
        for v in values {
            exprs.append(try compileValue(target: target, m, v, table: table))
        }
        return m.all ? .all(exprs) : .any(exprs)
    }

    private func pred(_ t: PredicateTarget, _ test: PredicateTest) -> Expr { .pred(intern(Predicate(target: t, test: test))) }

    private func compileValue(target: PredicateTarget, _ m: Modifiers, _ node: Node, table: [String: String]) throws -> Expr {
        if YAMLRead.isNull(node) {
            if target == .keywords { throw RuleIssue.invalid("null keyword") }
            return pred(target, .null)
        }
        guard case .scalar(let sc) = node else { throw RuleIssue.invalid("unexpected value") }
        let raw = sc.string
        if let e = m.exists {
            _ = e
            guard let b = YAMLRead.bool(node) else { throw RuleIssue.invalid("'exists' needs true or false") }
            return pred(target, .exists(b))
        }
        if let op = m.compare {
            guard let d = Double(raw.trimmingCharacters(in: .whitespaces)) else { throw RuleIssue.invalid("'\(op.rawValue)' needs a number, got '\(raw)'") }
            return pred(target, .compare(op, d))
        }
        if m.cidr {
            guard let net = IPNetwork(cidr: raw.trimmingCharacters(in: .whitespaces)) else { throw RuleIssue.invalid("invalid CIDR '\(raw)'") }
            return pred(target, .cidr(net))
        }
        if m.fieldref {
            guard !raw.isEmpty else { throw RuleIssue.invalid("'fieldref' needs a field name") }
            return pred(target, .fieldRef(accessor(raw, table), m.placement, cased: m.cased))
        }
        if let flags = m.regex {
            let r = try RegexTest(pattern: raw, flags: flags)
            return pred(target, .regex(r))
        }
        // String values: placeholders, windash, encodings, then placement.
        var texts = [raw]
        if m.expand { texts = try texts.flatMap { try expandPlaceholders($0) } }
        if m.windash { texts = try texts.flatMap { try Self.windash($0) } }
        var patterns: [SigmaPattern] = []
        for t in texts {
            if let b64 = m.base64 {
                let p = SigmaPattern(sigma: t)
                guard let plain = p.plainText else { throw RuleIssue.invalid("'\(b64 ? "base64offset" : "base64")' needs a value without wildcards") }
                let bytes = m.encode(plain)
                if b64 {
                    patterns.append(contentsOf: Self.base64Offsets(bytes).map { SigmaPattern(literal: Array($0.utf8)) })
                } else {
                    patterns.append(SigmaPattern(literal: Array(Data(bytes).base64EncodedString().utf8)))
                }
            } else {
                if m.encoding != nil { throw RuleIssue.invalid("'utf16'/'wide' must be followed by 'base64' or 'base64offset'") }
                patterns.append(SigmaPattern(sigma: t))
            }
        }
        var placement = m.placement
        if target == .keywords && placement == .equals { placement = .contains }
        let placed = patterns.map { p -> SigmaPattern in
            switch placement {
            case .equals: return p
            case .contains: return p.prepending(.any).appending(.any)
            case .startswith: return p.appending(.any)
            case .endswith: return p.prepending(.any)
            }
        }
        let tests = placed.map { PatternTest($0, cased: m.cased) }
        if m.neq { return .all(tests.map { pred(target, .notEqual($0)) }) }
        return .any(tests.map { pred(target, .pattern($0)) })
    }

    /// `%name%` placeholders (not preceded by `\`) replaced by each configured value.
    private func expandPlaceholders(_ text: String) throws -> [String] {
        let c = Array(text)
        var out = [""]
        var i = 0
        while i < c.count {
            if c[i] == "\\", i + 1 < c.count, c[i + 1] == "%" { out = out.map { $0 + "%" }; i += 2; continue }
            if c[i] == "%", let end = c[(i + 1)...].firstIndex(of: "%") {
                let name = String(c[(i + 1)..<end])
                guard let vals = placeholders[name] ?? placeholders[name.lowercased()], !vals.isEmpty else {
                    throw RuleIssue.unsupported("placeholder %\(name)% is not configured (detect option 'placeholders')")
                }
                out = out.flatMap { prefix in vals.map { prefix + $0 } }
                i = end + 1; continue
            }
            out = out.map { $0 + String(c[i]) }
            i += 1
        }
        return out
    }

    static let dashes = ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"]

    /// pySigma's `windash`: every `-` or `/` that starts a word after a non-word character
    /// (regex `\B[-/]\b`) in each of its five forms, all combinations.
    static func windash(_ text: String) throws -> [String] {
        let c = Array(text)
        func isWord(_ ch: Character) -> Bool { ch.isLetter || ch.isNumber || ch == "_" }
        var spots: [Int] = []
        for (i, ch) in c.enumerated() where ch == "-" || ch == "/" {
            let before = i == 0 || !isWord(c[i - 1])
            let after = i + 1 < c.count && isWord(c[i + 1])
            if before && after { spots.append(i) }
        }
        guard !spots.isEmpty else { return [text] }
        guard spots.count <= 5 else { throw RuleIssue.unsupported("'windash' on a value with more than 5 flags") }
        var out: [String] = []
        let total = Int(pow(Double(dashes.count), Double(spots.count)))
        for n in 0..<total {
            var copy = c.map { String($0) }
            var k = n
            for s in spots { copy[s] = dashes[k % dashes.count]; k /= dashes.count }
            out.append(copy.joined())
        }
        return out
    }

    /// pySigma's `base64offset`: the three encodings of `bytes` at offsets 0, 1, 2 with the
    /// characters that depend on the neighbouring bytes cut off.
    static func base64Offsets(_ bytes: [UInt8]) -> [String] {
        let start = [0, 2, 3]
        let endCut = [0, 3, 2]   // chars removed from the end, by (len + i) % 3
        var out: [String] = []
        for i in 0..<3 {
            let enc = Array(Data([UInt8](repeating: 0x20, count: i) + bytes).base64EncodedString().utf8)
            let cut = endCut[(bytes.count + i) % 3]
            let hi = enc.count - cut
            guard start[i] <= hi else { out.append(""); continue }
            out.append(String(decoding: enc[start[i]..<hi], as: UTF8.self))
        }
        return out
    }
}

/// A parsed modifier chain.
struct Modifiers {
    var placement: Placement = .equals
    var all = false
    var cased = false
    var regex: String? = nil
    var cidr = false
    var exists: Bool? = nil
    var compare: CompareOp? = nil
    var fieldref = false
    var neq = false
    var expand = false
    var windash = false
    /// nil: none; false: base64; true: base64offset.
    var base64: Bool? = nil
    enum Encoding { case utf16le, utf16be, utf16 }
    var encoding: Encoding? = nil

    mutating func add(_ m: String) throws {
        switch m {
        case "contains": placement = .contains
        case "startswith": placement = .startswith
        case "endswith": placement = .endswith
        case "all": all = true
        case "cased": cased = true
        case "re": regex = regex ?? ""
        case "i", "m", "s":
            guard regex != nil else { throw RuleIssue.unsupportedModifier(m) }
            regex! += m
        case "cidr": cidr = true
        case "exists": exists = true
        case "gt": compare = .gt
        case "gte": compare = .gte
        case "lt": compare = .lt
        case "lte": compare = .lte
        case "fieldref": fieldref = true
        case "neq": neq = true
        case "expand": expand = true
        case "windash": windash = true
        case "base64": base64 = false
        case "base64offset": base64 = true
        case "utf16le", "wide": encoding = .utf16le
        case "utf16be": encoding = .utf16be
        case "utf16": encoding = .utf16
        default: throw RuleIssue.unsupportedModifier(m)
        }
    }

    func encode(_ plain: [UInt8]) -> [UInt8] {
        guard let enc = encoding else { return plain }
        let units = Array(String(decoding: plain, as: UTF8.self).utf16)
        var out: [UInt8] = enc == .utf16 ? [0xFF, 0xFE] : []
        for u in units {
            if enc == .utf16be { out.append(UInt8(u >> 8)); out.append(UInt8(u & 0xFF)) }
            else { out.append(UInt8(u & 0xFF)); out.append(UInt8(u >> 8)) }
        }
        return out
    }
}
