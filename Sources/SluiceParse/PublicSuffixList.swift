import Foundation
import SluiceCore

/// The Public Suffix List (https://publicsuffix.org) with its normal, wildcard (`*.ck`) and
/// exception (`!www.ck`) rules, ICANN and private sections alike, for registered domains
/// (`dns.question.registered_domain`).
///
/// Where it comes from: the file named by `SLUICE_PUBLIC_SUFFIX_LIST`, else Debian's
/// `/usr/share/publicsuffix/public_suffix_list.dat` (package `publicsuffix`, kept current by
/// the distribution), else the copy embedded at build time
/// (`scripts/gen-public-suffix-list.sh`). `PublicSuffixList.use(path:)` replaces it (call it
/// before pipelines start). Internationalized rules are held in their `xn--` (punycode) form,
/// as names appear in DNS logs.
///
/// Guarantees: `registeredDomain` works on the name's bytes and allocates nothing (parsers
/// call it per record): one right-to-left hash pass and up to three table probes per label.
public final class PublicSuffixList: @unchecked Sendable {
    // SAFETY (@unchecked Sendable): every stored property is written only by `init`, which
    // builds the whole table before the object is returned; afterwards lookups only read.
    /// Default location of the list on Debian.
    public static let systemPath = "/usr/share/publicsuffix/public_suffix_list.dat"

    /// Where the rules came from (a path, or `embedded (publicsuffix VERSION)`).
    public let origin: String
    public private(set) var ruleCount = 0

    private var arena: [UInt8] = []
    private var starts: [UInt32] = [0]
    /// Open-addressing table of rule ids + 1 (0 = empty), with the rule's kind.
    private var slots: [UInt32] = []
    private var kinds: [UInt8] = []
    private var mask = 0

    private enum Kind: UInt8 { case normal = 1, wildcard = 2, exception = 4 }

    /// Parses a list in the public_suffix_list.dat format.
    public init(text: String, origin: String) {
        self.origin = origin
        var rules: [(String, Kind)] = []
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("//") { continue }
            if let sp = line.firstIndex(where: { $0 == " " || $0 == "\t" }) { line = String(line[..<sp]) }
            var kind = Kind.normal
            if line.hasPrefix("!") { kind = .exception; line.removeFirst() }
            else if line.hasPrefix("*.") { kind = .wildcard; line.removeFirst(2) }
            guard let ascii = Self.asciiName(line) else { continue }
            rules.append((ascii, kind))
        }
        var cap = 16
        while cap < rules.count * 2 { cap <<= 1 }
        slots = [UInt32](repeating: 0, count: cap)
        mask = cap - 1
        var count = 0
        for (name, kind) in rules {
            let bytes = Array(name.utf8)
            let h = bytes.withUnsafeBufferPointer { Self.hash($0, 0..<$0.count) }
            if let id = bytes.withUnsafeBufferPointer({ find($0, 0..<$0.count, h) }) {
                kinds[Int(id)] |= kind.rawValue
                continue
            }
            arena.append(contentsOf: bytes)
            starts.append(UInt32(arena.count))
            kinds.append(kind.rawValue)
            var i = Int(truncatingIfNeeded: h) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = UInt32(count + 1)
            count += 1
        }
        ruleCount = count
    }

    /// Reads a list file; nil when it cannot be read.
    public convenience init?(path: String) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        self.init(text: text, origin: path)
    }

    /// The copy embedded at build time.
    public static let embedded = PublicSuffixList(text: embeddedRules, origin: "embedded (\(embeddedVersion))")

    /// The list in use (see the type's comment for where it comes from).
    public static var current: PublicSuffixList { inUse.withLock { $0 } }

    private static let inUse = Locked<PublicSuffixList>({
        if let p = ProcessInfo.processInfo.environment["SLUICE_PUBLIC_SUFFIX_LIST"], !p.isEmpty {
            if let l = PublicSuffixList(path: p) { return l }
            FileHandle.standardError.write(Data("warning: cannot read the public suffix list \(p) (SLUICE_PUBLIC_SUFFIX_LIST); using the embedded copy\n".utf8))
            return embedded
        }
        return PublicSuffixList(path: systemPath) ?? embedded
    }())

    /// Uses the list at `path` from now on (for the parsers built after this call); throws
    /// when it cannot be read.
    public static func use(path: String) throws {
        guard let l = PublicSuffixList(path: path) else {
            throw ConfigIssue(file: path, line: 0, column: 0, message: "cannot read the public suffix list")
        }
        use(l)
    }

    /// Uses `list` from now on (tests).
    public static func use(_ list: PublicSuffixList) { inUse.withLock { $0 = list } }

    // MARK: lookup

    @inline(__always)
    static func step(_ h: UInt64, _ c: UInt8) -> UInt64 { (h ^ UInt64(c)) &* 0x0000_0100_0000_01b3 }
    static let seed: UInt64 = 0xcbf2_9ce4_8422_2325

    static func hash(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> UInt64 {
        var h = seed
        var i = r.upperBound
        while i > r.lowerBound { i -= 1; h = step(h, b[i]) }
        return h
    }

    @inline(__always)
    private func find(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ h: UInt64) -> UInt32? {
        guard !slots.isEmpty else { return nil }
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = slots[i]
            if e == 0 { return nil }
            let id = Int(e - 1)
            let s = Int(starts[id]), n = Int(starts[id + 1]) - s
            if n == r.count {
                var k = 0
                while k < n, arena[s + k] == b[r.lowerBound + k] { k += 1 }
                if k == n { return UInt32(id) }
            }
            i = (i + 1) & mask
        }
    }

    @inline(__always)
    private func kind(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ h: UInt64) -> UInt8 {
        find(b, r, h).map { kinds[Int($0)] } ?? 0
    }

    /// The registered domain (public suffix plus one label) of the lower-case name `b[r]`
    /// (no trailing dot) as a range of it, or nil when the name is itself a public suffix or
    /// has a single label.
    public func registeredDomain(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Range<Int>? {
        // Walk the suffixes right to left: suffix k has k labels and starts at `start`.
        var h = Self.seed
        var i = r.upperBound
        var k = 0
        var publicLabels = 1          // the implicit `*` rule
        var previousWildcard = false  // `*.` + suffix k-1 covers suffix k
        var resultStart = -1          // start of suffix (publicLabels + 1)
        // Starts of the last few suffixes, to answer once the public suffix is known.
        var s0 = -1, s1 = -1, s2 = -1, s3 = -1, s4 = -1, s5 = -1, s6 = -1, s7 = -1
        var done = false
        while i >= r.lowerBound, !done {
            // Extend the hash to the next dot (or the start).
            var j = i
            while j > r.lowerBound, b[j - 1] != UInt8(ascii: ".") { j -= 1; h = Self.step(h, b[j]) }
            let start = j
            guard start < i else { return nil }  // an empty label
            k += 1
            switch k {
            case 1: s0 = start
            case 2: s1 = start
            case 3: s2 = start
            case 4: s3 = start
            case 5: s4 = start
            case 6: s5 = start
            case 7: s6 = start
            case 8: s7 = start
            default: break
            }
            let kd = kind(b, start..<r.upperBound, h)
            if kd & Kind.exception.rawValue != 0 {
                publicLabels = k - 1
                done = true
            } else if kd & Kind.normal.rawValue != 0 || previousWildcard {
                publicLabels = k
            }
            previousWildcard = kd & Kind.wildcard.rawValue != 0
            if start == r.lowerBound { break }
            h = Self.step(h, UInt8(ascii: "."))
            i = start - 1
            // No rule is longer than 8 labels: past that (and past the public suffix found),
            // the answer cannot change.
            if k >= 8, !previousWildcard { break }
        }
        let want = publicLabels + 1
        guard k >= want else { return nil }
        switch want {
        case 1: resultStart = s0
        case 2: resultStart = s1
        case 3: resultStart = s2
        case 4: resultStart = s3
        case 5: resultStart = s4
        case 6: resultStart = s5
        case 7: resultStart = s6
        case 8: resultStart = s7
        default:
            // A public suffix of 8+ labels (no such rule exists today): find the label start.
            var dots = 0
            var p = r.upperBound
            while p > r.lowerBound {
                p -= 1
                if b[p] == UInt8(ascii: ".") { dots += 1; if dots == want { return (p + 1)..<r.upperBound } }
            }
            return r
        }
        return resultStart..<r.upperBound
    }

    /// The registered domain of `name` (lower-cased), or nil.
    public func registeredDomain(_ name: String) -> String? {
        var n = name.lowercased()
        if n.hasSuffix(".") { n.removeLast() }
        return n.withUTF8 { b in registeredDomain(b, 0..<b.count).map { String(decoding: UnsafeBufferPointer(rebasing: b[$0]), as: UTF8.self) } }
    }

    // MARK: punycode (RFC 3492), for the internationalized rules

    /// `name` lower-cased with each non-ASCII label in its `xn--` form; nil if it cannot be.
    static func asciiName(_ name: String) -> String? {
        var labels: [String] = []
        for label in name.lowercased().split(separator: ".", omittingEmptySubsequences: false) {
            if label.utf8.allSatisfy({ $0 < 0x80 }) { labels.append(String(label)); continue }
            guard let p = punycode(Array(label.unicodeScalars.map(\.value))) else { return nil }
            labels.append("xn--" + p)
        }
        let out = labels.joined(separator: ".")
        return out.isEmpty ? nil : out
    }

    static func punycode(_ input: [UInt32]) -> String? {
        let base: UInt32 = 36, tMin: UInt32 = 1, tMax: UInt32 = 26, skew: UInt32 = 38, damp: UInt32 = 700
        var n: UInt32 = 128, delta: UInt32 = 0, bias: UInt32 = 72
        var out: [UInt8] = input.filter { $0 < 0x80 }.map { UInt8($0) }
        let basic = UInt32(out.count)
        var h = basic
        if basic > 0 { out.append(UInt8(ascii: "-")) }
        func digit(_ d: UInt32) -> UInt8 { d < 26 ? UInt8(d + 97) : UInt8(d - 26 + 48) }
        func adapt(_ delta0: UInt32, _ numPoints: UInt32, _ first: Bool) -> UInt32 {
            var d = first ? delta0 / damp : delta0 / 2
            d += d / numPoints
            var k: UInt32 = 0
            while d > ((base - tMin) * tMax) / 2 { d /= base - tMin; k += base }
            return k + (base - tMin + 1) * d / (d + skew)
        }
        while h < UInt32(input.count) {
            guard let m = input.filter({ $0 >= n }).min() else { return nil }
            let (mul, o1) = (m - n).multipliedReportingOverflow(by: h + 1)
            guard !o1 else { return nil }
            delta = delta &+ mul
            n = m
            for c in input {
                if c < n { delta += 1 }
                if c == n {
                    var q = delta
                    var k = base
                    while true {
                        let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                        if q < t { break }
                        out.append(digit(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    out.append(digit(q))
                    bias = adapt(delta, h + 1, h == basic)
                    delta = 0
                    h += 1
                }
            }
            delta += 1
            n += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
