/// A Sigma string value after its escapes are read: literal text and the wildcards `*`
/// (any run of characters, also empty) and `?` (exactly one character).
///
/// Escapes follow the specification: `\*`, `\?` and `\\` are literals; a backslash before
/// any other character is itself a literal (so `C:\Windows` and `C:\\Windows` both mean one
/// backslash, and `\\*` is a backslash followed by a wildcard).
public struct SigmaPattern: Sendable, Hashable, CustomStringConvertible {
    public enum Token: Sendable, Hashable {
        case literal([UInt8])
        case any
        case one
    }

    public var tokens: [Token]

    public init(tokens: [Token]) { self.tokens = Self.normalize(tokens) }

    /// Reads a rule value (wildcards active).
    public init(sigma text: String) {
        var toks: [Token] = []
        var lit: [UInt8] = []
        let b = Array(text.utf8)
        var i = 0
        func flush() { if !lit.isEmpty { toks.append(.literal(lit)); lit = [] } }
        while i < b.count {
            let c = b[i]
            if c == 0x5C { // backslash
                if i + 1 < b.count, b[i + 1] == 0x2A || b[i + 1] == 0x3F || b[i + 1] == 0x5C {
                    lit.append(b[i + 1]); i += 2; continue
                }
                lit.append(c); i += 1; continue
            }
            if c == 0x2A { flush(); toks.append(.any); i += 1; continue }
            if c == 0x3F { flush(); toks.append(.one); i += 1; continue }
            lit.append(c); i += 1
        }
        flush()
        self.init(tokens: toks)
    }

    /// A value taken literally (no wildcards), e.g. after `base64`.
    public init(literal bytes: [UInt8]) { self.init(tokens: bytes.isEmpty ? [] : [.literal(bytes)]) }

    /// Merges adjacent literals and collapses `**`.
    static func normalize(_ toks: [Token]) -> [Token] {
        var out: [Token] = []
        for t in toks {
            switch (out.last, t) {
            case (.literal(let a)?, .literal(let b)): out[out.count - 1] = .literal(a + b)
            case (.any?, .any): continue
            case (_, .literal(let b)) where b.isEmpty: continue
            default: out.append(t)
            }
        }
        return out
    }

    public var hasWildcards: Bool { tokens.contains { $0 == .any || $0 == .one } }

    /// The text without wildcards, when the pattern is one literal (or empty).
    public var plainText: [UInt8]? {
        if tokens.isEmpty { return [] }
        if tokens.count == 1, case .literal(let l) = tokens[0] { return l }
        return nil
    }

    public func prepending(_ t: Token) -> SigmaPattern { SigmaPattern(tokens: [t] + tokens) }
    public func appending(_ t: Token) -> SigmaPattern { SigmaPattern(tokens: tokens + [t]) }

    /// The rule text form (wildcards as `*`/`?`, literal ones escaped).
    public var description: String {
        var s = ""
        for t in tokens {
            switch t {
            case .any: s += "*"
            case .one: s += "?"
            case .literal(let l):
                for ch in String(decoding: l, as: UTF8.self) {
                    if ch == "*" || ch == "?" || ch == "\\" { s.append("\\") }
                    s.append(ch)
                }
            }
        }
        return s
    }

    /// The pattern with every literal case-folded (see `CaseFold`).
    public var folded: SigmaPattern {
        SigmaPattern(tokens: tokens.map { if case .literal(let l) = $0 { return .literal(CaseFold.fold(l)) }; return $0 })
    }
}

/// Case folding used for case-insensitive matching: ASCII letters in place, anything with
/// non-ASCII bytes through Unicode lowercasing. Rule literals and field values are folded
/// the same way, so matching compares folded bytes.
public enum CaseFold {
    @inlinable
    public static func fold(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        bytes.withUnsafeBufferPointer { fold($0, into: &out) }
        return out
    }

    /// Appends the folded form of `src` to `out`.
    @inlinable
    public static func fold(_ src: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        var ascii = true
        for b in src where b >= 0x80 { ascii = false; break }
        if ascii {
            // Copied whole (a `memcpy`), then folded in place: appending a repeated zero
            // to make room first cost a generic append of one byte at a time.
            let start = out.count
            out.append(contentsOf: src)
            out.withUnsafeMutableBufferPointer { o in
                for i in start..<o.count { let b = o[i]; o[i] = b &- 0x41 < 26 ? b | 0x20 : b }
            }
        } else {
            out.append(contentsOf: String(decoding: src, as: UTF8.self).lowercased().utf8)
        }
    }
}

/// Matches a pattern against text bytes. `?` consumes one UTF-8 encoded character.
///
/// Guarantees: O(text × pattern) in the worst case (the classic single-backtrack-point
/// algorithm: a later `*` supersedes an earlier one), so hostile text cannot make a rule
/// with many `*` take exponential time.
enum GlobMatcher {
    @inline(__always)
    static func charLength(_ b: UInt8) -> Int {
        if b < 0xC0 { return 1 }
        if b >= 0xF0 { return 4 }
        if b >= 0xE0 { return 3 }
        return 2
    }

    @inline(__always)
    static func literalAt(_ l: [UInt8], _ text: UnsafeBufferPointer<UInt8>, _ p: Int) -> Bool {
        guard p + l.count <= text.count else { return false }
        for i in 0..<l.count where text[p + i] != l[i] { return false }
        return true
    }

    /// Whole-text match of `toks` against `text` (both folded, or both not).
    static func matches(_ toks: [SigmaPattern.Token], _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = text.count
        var ti = 0, p = 0
        var starTi = -1, starP = 0
        while true {
            if ti < toks.count {
                switch toks[ti] {
                case .any:
                    starTi = ti; starP = p; ti += 1; continue
                case .one:
                    if p < n { p = min(n, p + charLength(text[p])); ti += 1; continue }
                case .literal(let l):
                    if literalAt(l, text, p) { p += l.count; ti += 1; continue }
                }
            } else if p == n {
                return true
            }
            // Mismatch (or pattern done with text left): let the last `*` take one more character.
            guard starTi >= 0, starP < n else { return false }
            starP = min(n, starP + charLength(text[starP]))
            p = starP; ti = starTi + 1
        }
    }
}
