import Foundation
import SluiceCore

/// A boolean expression over predicates (compiled condition, allowlist or extension
/// selection).
indirect enum Expr: Sendable, Equatable {
    case pred(Int)
    case and([Expr])
    case or([Expr])
    case not(Expr)
    case const(Bool)

    static func all(_ items: [Expr]) -> Expr { items.count == 1 ? items[0] : .and(items) }
    static func any(_ items: [Expr]) -> Expr { items.count == 1 ? items[0] : .or(items) }

    /// The same expression with its constants folded (true or false for every event alike):
    /// a false term leaves an OR and a true one an AND, a true term makes an OR true and a
    /// false one an AND false, `not` of a constant is the other constant. A selection whose
    /// `|expand` placeholders are all configured as empty lists folds to `const(false)`.
    var folded: Expr {
        switch self {
        case .pred, .const: return self
        case .not(let x):
            let f = x.folded
            if case .const(let b) = f { return .const(!b) }
            return .not(f)
        case .or(let xs):
            var keep: [Expr] = []
            for x in xs {
                let f = x.folded
                if case .const(let b) = f { if b { return .const(true) }; continue }
                keep.append(f)
            }
            return keep.isEmpty ? .const(false) : .any(keep)
        case .and(let xs):
            var keep: [Expr] = []
            for x in xs {
                let f = x.folded
                if case .const(let b) = f { if !b { return .const(false) }; continue }
                keep.append(f)
            }
            return keep.isEmpty ? .const(true) : .all(keep)
        }
    }
}

/// What a predicate tests.
enum PredicateTarget: Sendable, Hashable {
    case field(FieldAccessor)
    /// `keywords`: the `message` field and the raw record.
    case keywords
}

/// A compiled string pattern: folded unless `cased`, with a shape for the common cases.
struct PatternTest: Sendable, Hashable {
    enum Shape: Sendable, Hashable { case exact, prefix, suffix, contains, glob }
    let tokens: [SigmaPattern.Token]
    let cased: Bool
    let shape: Shape
    /// The literal of exact/prefix/suffix/contains (as matched: folded unless cased).
    let literal: [UInt8]
    /// Folded literal that every match contains (multi-pattern prefilter key); nil when
    /// the pattern has no literal (`*`, `?*`).
    let key: [UInt8]?

    init(_ p: SigmaPattern, cased: Bool) {
        let t = cased ? p.tokens : p.folded.tokens
        tokens = t
        self.cased = cased
        func lit(_ x: SigmaPattern.Token) -> [UInt8]? { if case .literal(let l) = x { return l }; return nil }
        var shape = Shape.glob
        var literal: [UInt8] = []
        switch t.count {
        case 0: shape = .exact
        case 1: if let l = lit(t[0]) { shape = .exact; literal = l }
        case 2:
            if let l = lit(t[0]), t[1] == .any { shape = .prefix; literal = l }
            else if t[0] == .any, let l = lit(t[1]) { shape = .suffix; literal = l }
        case 3:
            if t[0] == .any, t[2] == .any, let l = lit(t[1]) { shape = .contains; literal = l }
        default: break
        }
        self.shape = shape
        self.literal = literal
        if shape == .glob {
            var best: [UInt8]? = nil
            for x in t { if let l = lit(x), l.count > (best?.count ?? 0) { best = l } }
            key = best.map { cased ? CaseFold.fold($0) : $0 }
        } else {
            key = cased ? CaseFold.fold(literal) : literal
        }
    }

    @inline(__always)
    static func equal(_ text: UnsafeBufferPointer<UInt8>, _ at: Int, _ lit: [UInt8]) -> Bool {
        if lit.isEmpty { return true }
        return lit.withUnsafeBufferPointer { memcmp($0.baseAddress!, text.baseAddress! + at, lit.count) == 0 }
    }

    /// Whether `text` matches; `folded` is its case-folded form.
    @inline(__always)
    func matches(folded: UnsafeBufferPointer<UInt8>, original: UnsafeBufferPointer<UInt8>) -> Bool {
        let text = cased ? original : folded
        switch shape {
        case .exact:
            return text.count == literal.count && Self.equal(text, 0, literal)
        case .prefix:
            return text.count >= literal.count && Self.equal(text, 0, literal)
        case .suffix:
            return text.count >= literal.count && Self.equal(text, text.count - literal.count, literal)
        case .contains:
            return ByteSearch.contains(text, literal)
        case .glob:
            return GlobMatcher.matches(tokens, text)
        }
    }
}

/// A compiled regular expression with its literal prefilter.
final class RegexTest: @unchecked Sendable, Hashable {
    // SAFETY (@unchecked Sendable): every field is `let`; `NSRegularExpression` is immutable
    // and documented as safe to use from several threads at once.
    let pattern: String
    let flags: String
    let regex: NSRegularExpression
    /// Folded literal every match must contain, when one could be found.
    let prefilter: [UInt8]?

    init(pattern: String, flags: String) throws {
        self.pattern = pattern; self.flags = flags
        var opts: NSRegularExpression.Options = []
        if flags.contains("i") { opts.insert(.caseInsensitive) }
        if flags.contains("m") { opts.insert(.anchorsMatchLines) }
        if flags.contains("s") { opts.insert(.dotMatchesLineSeparators) }
        do { regex = try NSRegularExpression(pattern: pattern, options: opts) }
        catch { throw RuleIssue.invalid("invalid regular expression '\(pattern)'") }
        prefilter = RegexLiteral.required(pattern).map { CaseFold.fold(Array($0.utf8)) }
    }

    func matches(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let s = String(decoding: text, as: UTF8.self)
        return regex.firstMatch(in: s, range: NSRange(location: 0, length: (s as NSString).length)) != nil
    }

    static func == (a: RegexTest, b: RegexTest) -> Bool { a.pattern == b.pattern && a.flags == b.flags }
    func hash(into h: inout Hasher) { h.combine(pattern); h.combine(flags) }
}

enum CompareOp: String, Sendable, Hashable { case gt, gte, lt, lte }
enum Placement: Sendable, Hashable { case equals, contains, startswith, endswith }

/// One test of a rule: a target and what must hold of it.
enum PredicateTest: Sendable, Hashable {
    case pattern(PatternTest)
    case regex(RegexTest)
    case cidr(IPNetwork)
    case compare(CompareOp, Double)
    case exists(Bool)
    /// Missing, null or empty.
    case null
    case fieldRef(FieldAccessor, Placement, cased: Bool)
    /// Present and not equal to the pattern.
    case notEqual(PatternTest)
}

struct Predicate: Sendable, Hashable {
    let target: PredicateTarget
    let test: PredicateTest

    /// Whether the multi-pattern scan decides it (string patterns and prefiltered regexes).
    var scanned: Bool {
        switch test {
        case .pattern: return true
        case .regex(let r): return r.prefilter != nil
        default: return false
        }
    }
}

/// Substring search.
enum ByteSearch {
    @inline(__always)
    static func contains(_ text: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        let m = needle.count
        if m == 0 { return true }
        let n = text.count
        guard n >= m, let base = text.baseAddress else { return false }
        return needle.withUnsafeBufferPointer { nb in
            let first = nb[0]
            var i = 0
            while i <= n - m {
                guard let p = memchr(base + i, Int32(first), n - m - i + 1) else { return false }
                let off = base.distance(to: p.assumingMemoryBound(to: UInt8.self))
                if memcmp(base + off, nb.baseAddress!, m) == 0 { return true }
                i = off + 1
            }
            return false
        }
    }
}

/// Finds a literal that every match of a regular expression contains, for the prefilter.
enum RegexLiteral {
    /// The longest run of literal characters (at least 3) at the top level of the pattern,
    /// or nil when there is none or the top level has an alternation.
    static func required(_ pattern: String) -> String? {
        let c = Array(pattern)
        var depth = 0, i = 0
        var runs: [String] = []
        var cur = ""
        func endRun() { if !cur.isEmpty { runs.append(cur); cur = "" } }
        // Top-level alternation defeats a single required literal.
        var d = 0, j = 0, inClass = false
        while j < c.count {
            let ch = c[j]
            if ch == "\\" { j += 2; continue }
            if inClass { if ch == "]" { inClass = false }; j += 1; continue }
            if ch == "[" { inClass = true } else if ch == "(" { d += 1 } else if ch == ")" { d -= 1 } else if ch == "|" && d == 0 { return nil }
            j += 1
        }
        while i < c.count {
            let ch = c[i]
            var lit: Character? = nil
            var width = 1
            if depth > 0 {
                if ch == "\\" { i += 2; continue }
                if ch == "(" { depth += 1 } else if ch == ")" { depth -= 1 }
                i += 1
                if depth == 0 { skipQuantifier(c, &i) }
                continue
            }
            switch ch {
            case "\\":
                guard i + 1 < c.count else { endRun(); i += 1; continue }
                let n = c[i + 1]
                if n.isLetter || n.isNumber { endRun(); i += 2; skipQuantifier(c, &i); continue }
                lit = n; width = 2
            case "(":
                endRun(); depth = 1; i += 1; continue
            case "[":
                endRun()
                var k = i + 1
                if k < c.count, c[k] == "^" { k += 1 }
                if k < c.count, c[k] == "]" { k += 1 }
                while k < c.count, c[k] != "]" { if c[k] == "\\" { k += 1 }; k += 1 }
                i = k + 1; skipQuantifier(c, &i); continue
            case ".", "^", "$":
                endRun(); i += 1; skipQuantifier(c, &i); continue
            case "*", "+", "?", "{", "}", ")", "|":
                endRun(); i += 1; continue
            default:
                lit = ch
            }
            // A quantifier after the literal: optional (`?`, `*`, `{0`) drops it; `+`/`{n` keeps one.
            let after = i + width
            if after < c.count, ["?", "*"].contains(c[after]) || (c[after] == "{" && after + 1 < c.count && c[after + 1] == "0") {
                endRun(); i = after; skipQuantifier(c, &i); continue
            }
            if after < c.count, c[after] == "+" || c[after] == "{" {
                cur.append(lit!); endRun(); i = after; skipQuantifier(c, &i); continue
            }
            cur.append(lit!)
            i = after
        }
        endRun()
        guard let best = runs.max(by: { $0.utf8.count < $1.utf8.count }), best.utf8.count >= 3 else { return nil }
        return best
    }

    private static func skipQuantifier(_ c: [Character], _ i: inout Int) {
        guard i < c.count else { return }
        if c[i] == "*" || c[i] == "+" || c[i] == "?" { i += 1 }
        else if c[i] == "{" { while i < c.count, c[i] != "}" { i += 1 }; i += 1 }
        if i < c.count, c[i] == "?" || c[i] == "+" { i += 1 }   // lazy / possessive
    }
}
