/// A parsed Sigma condition.
indirect enum ConditionAST: Equatable, Sendable {
    case ident(String)
    case and([ConditionAST])
    case or([ConditionAST])
    case not(ConditionAST)
    /// `1 of X*` / `all of X*` / `1 of them` (`pattern` nil).
    case oneOf(String?)
    case allOf(String?)
}

/// Parses Sigma conditions with the specification's precedence (least to most binding):
/// `or`, `and`, `not`, `x of`, parentheses. Keywords are case-insensitive; identifiers may
/// contain letters, digits, `_`, `.`, `-` and (in `x of` patterns) `*`.
struct ConditionParser {
    private enum Tok: Equatable { case word(String), lparen, rparen }
    private var toks: [Tok] = []
    private var pos = 0

    static func parse(_ text: String) throws -> ConditionAST {
        var p = ConditionParser()
        p.toks = try tokenize(text)
        guard !p.toks.isEmpty else { throw RuleIssue.invalid("empty condition") }
        let e = try p.orExpr()
        guard p.pos == p.toks.count else { throw RuleIssue.invalid("condition '\(text)': unexpected '\(p.describe(p.toks[p.pos]))'") }
        return e
    }

    private static func tokenize(_ s: String) throws -> [Tok] {
        var out: [Tok] = []
        var cur = ""
        func flush() { if !cur.isEmpty { out.append(.word(cur)); cur = "" } }
        for ch in s {
            switch ch {
            case "(": flush(); out.append(.lparen)
            case ")": flush(); out.append(.rparen)
            case " ", "\t", "\n", "\r": flush()
            default:
                guard ch.isLetter || ch.isNumber || ch == "_" || ch == "." || ch == "-" || ch == "*" else {
                    throw RuleIssue.invalid("condition '\(s)': unexpected character '\(ch)'")
                }
                cur.append(ch)
            }
        }
        flush()
        return out
    }

    private func describe(_ t: Tok) -> String {
        switch t { case .word(let w): return w; case .lparen: return "("; case .rparen: return ")" }
    }

    private func peekWord() -> String? {
        guard pos < toks.count, case .word(let w) = toks[pos] else { return nil }
        return w.lowercased()
    }

    private mutating func orExpr() throws -> ConditionAST {
        var items = [try andExpr()]
        while peekWord() == "or" { pos += 1; items.append(try andExpr()) }
        return items.count == 1 ? items[0] : .or(items)
    }

    private mutating func andExpr() throws -> ConditionAST {
        var items = [try notExpr()]
        while peekWord() == "and" { pos += 1; items.append(try notExpr()) }
        return items.count == 1 ? items[0] : .and(items)
    }

    private mutating func notExpr() throws -> ConditionAST {
        if peekWord() == "not" { pos += 1; return .not(try notExpr()) }
        return try atom()
    }

    private mutating func atom() throws -> ConditionAST {
        guard pos < toks.count else { throw RuleIssue.invalid("condition ends too early") }
        switch toks[pos] {
        case .lparen:
            pos += 1
            let e = try orExpr()
            guard pos < toks.count, toks[pos] == .rparen else { throw RuleIssue.invalid("condition: missing ')'") }
            pos += 1
            return e
        case .rparen:
            throw RuleIssue.invalid("condition: unexpected ')'")
        case .word(let w):
            let lw = w.lowercased()
            if (lw == "1" || lw == "any" || lw == "all"), pos + 1 < toks.count, case .word(let of) = toks[pos + 1], of.lowercased() == "of" {
                pos += 2
                guard pos < toks.count, case .word(let target) = toks[pos] else { throw RuleIssue.invalid("condition: '\(w) of' needs a pattern or 'them'") }
                pos += 1
                let pattern: String? = target.lowercased() == "them" ? nil : target
                return lw == "all" ? .allOf(pattern) : .oneOf(pattern)
            }
            if ["and", "or", "not", "of"].contains(lw) { throw RuleIssue.invalid("condition: unexpected '\(w)'") }
            if w.contains("*") { throw RuleIssue.invalid("condition: wildcard '\(w)' outside '1 of'/'all of'") }
            pos += 1
            return .ident(w)
        }
    }

    /// Sigma identifier pattern match (`*` = any run of characters).
    static func matches(pattern: String, _ name: String) -> Bool {
        let p = SigmaPattern(tokens: pattern.split(separator: "*", omittingEmptySubsequences: false).enumerated().flatMap { i, part -> [SigmaPattern.Token] in
            (i > 0 ? [SigmaPattern.Token.any] : []) + (part.isEmpty ? [] : [.literal(Array(part.utf8))])
        })
        var n = name
        return n.withUTF8 { GlobMatcher.matches(p.tokens, $0) }
    }
}
