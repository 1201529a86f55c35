/// A tiny anchored pattern for "does this line start a new record" (multiline joining).
///
/// Syntax (matched against the *start* of a line, byte by byte; no regex engine):
/// literal bytes; `?` any one byte; `*` any run of bytes; `\d` a digit; `\s` a space or tab;
/// `\w` a letter, digit or `_`; `[abc]`, `[a-z]`, `[!a-z]` byte classes; `\x` the byte `x`
/// literally (e.g. `\[`, `\*`). Example for ISO timestamps: `\d\d\d\d-\d\d-\d\d`; for Java
/// stack traces (continuation lines start with a tab or `Caused by`): `[!\s]`.
///
/// Guarantees: matching allocates nothing and is bounded (at most pattern length x line
/// length steps for one `*`, linear without `*`).
public struct LinePattern: Sendable {
    enum Atom: Sendable {
        case byte(UInt8)
        case any
        case star
        case set([Bool])   // 256 entries
    }
    let atoms: [Atom]
    public let source: String

    public init?(_ pattern: String) {
        source = pattern
        var atoms: [Atom] = []
        let b = Array(pattern.utf8)
        var i = 0
        func cls(_ f: (UInt8) -> Bool) -> [Bool] { (0..<256).map { f(UInt8($0)) } }
        let digit = cls { $0 >= 0x30 && $0 <= 0x39 }
        let space = cls { $0 == 0x20 || $0 == 0x09 }
        let word = cls { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }
        while i < b.count {
            let c = b[i]
            switch c {
            case UInt8(ascii: "?"): atoms.append(.any); i += 1
            case UInt8(ascii: "*"): atoms.append(.star); i += 1
            case UInt8(ascii: "\\"):
                guard i + 1 < b.count else { return nil }
                switch b[i + 1] {
                case UInt8(ascii: "d"): atoms.append(.set(digit))
                case UInt8(ascii: "s"): atoms.append(.set(space))
                case UInt8(ascii: "w"): atoms.append(.set(word))
                default: atoms.append(.byte(b[i + 1]))
                }
                i += 2
            case UInt8(ascii: "["):
                var j = i + 1
                var negate = false
                if j < b.count && b[j] == UInt8(ascii: "!") { negate = true; j += 1 }
                var set = [Bool](repeating: false, count: 256)
                var first = true
                while j < b.count && (b[j] != UInt8(ascii: "]") || first) {
                    first = false
                    if b[j] == UInt8(ascii: "\\") && j + 1 < b.count {
                        let e = b[j + 1]
                        let s: [Bool]? = e == UInt8(ascii: "d") ? digit : e == UInt8(ascii: "s") ? space : e == UInt8(ascii: "w") ? word : nil
                        if let s { for k in 0..<256 where s[k] { set[k] = true } } else { set[Int(e)] = true }
                        j += 2
                    } else if j + 2 < b.count && b[j + 1] == UInt8(ascii: "-") && b[j + 2] != UInt8(ascii: "]") {
                        let lo = b[j], hi = b[j + 2]
                        guard lo <= hi else { return nil }
                        for k in lo...hi { set[Int(k)] = true }
                        j += 3
                    } else {
                        set[Int(b[j])] = true
                        j += 1
                    }
                }
                guard j < b.count else { return nil }  // unterminated class
                if negate { set = set.map { !$0 } }
                atoms.append(.set(set))
                i = j + 1
            default:
                atoms.append(.byte(c)); i += 1
            }
        }
        self.atoms = atoms
    }

    /// True when a prefix of `line` matches the pattern.
    public func matchesStart(_ line: ArraySlice<UInt8>) -> Bool {
        line.withUnsafeBufferPointer { match(0, $0, 0) }
    }

    private func match(_ ai: Int, _ s: UnsafeBufferPointer<UInt8>, _ si: Int) -> Bool {
        var ai = ai, si = si
        while ai < atoms.count {
            switch atoms[ai] {
            case .star:
                if ai + 1 == atoms.count { return true }
                var k = si
                while k <= s.count {
                    if match(ai + 1, s, k) { return true }
                    k += 1
                }
                return false
            case .any:
                guard si < s.count else { return false }
            case .byte(let b):
                guard si < s.count, s[si] == b else { return false }
            case .set(let set):
                guard si < s.count, set[Int(s[si])] else { return false }
            }
            ai += 1; si += 1
        }
        return true
    }
}
