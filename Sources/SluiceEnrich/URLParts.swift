/// The parts of a URL as byte ranges of the text it was read from: `scheme://[userinfo@]host[:port][/path][?query][#fragment]`,
/// and the scp-like form git accepts (`git@github.com:acme/widgets.git`: user, host, path).
///
/// Guarantees: parsing allocates nothing and never reads outside the given range; a range is
/// empty when the part is absent; `host` excludes brackets of an IPv6 literal.
public struct URLParts: Sendable {
    public var scheme: Range<Int>
    /// The user name and password before `@` (empty when absent).
    public var userinfo: Range<Int>
    public var host: Range<Int>
    public var port: Range<Int>
    /// From the first `/` after the authority up to `?`/`#` (empty when absent).
    public var path: Range<Int>
    public var query: Range<Int>
    public var fragment: Range<Int>
    /// True for the scp-like `user@host:path` form (no scheme).
    public var scpLike: Bool

    /// Parses `scheme://…` in `b[r]`; nil when there is no `scheme://` prefix or no host.
    public static func parse(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> URLParts? {
        // scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) then "://"
        var i = r.lowerBound
        while i < r.upperBound, i - r.lowerBound < 16 {
            let c = b[i]
            if (c | 0x20) &- 97 < 26 || (i > r.lowerBound && (c &- 48 < 10 || c == 0x2B || c == 0x2D || c == 0x2E)) { i += 1; continue }
            break
        }
        guard i > r.lowerBound, i + 3 <= r.upperBound, b[i] == UInt8(ascii: ":"),
              b[i + 1] == UInt8(ascii: "/"), b[i + 2] == UInt8(ascii: "/") else { return nil }
        let scheme = r.lowerBound..<i
        return parseAuthority(b, from: i + 3, to: r.upperBound, scheme: scheme)
    }

    static func parseAuthority(_ b: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, scheme: Range<Int>) -> URLParts? {
        var authEnd = start
        while authEnd < end {
            let c = b[authEnd]
            if c == UInt8(ascii: "/") || c == UInt8(ascii: "?") || c == UInt8(ascii: "#") { break }
            authEnd += 1
        }
        // The host starts after the last '@' of the authority.
        var at = -1
        var j = start
        while j < authEnd { if b[j] == UInt8(ascii: "@") { at = j }; j += 1 }
        let userinfo = at >= 0 ? start..<at : start..<start
        var hs = at >= 0 ? at + 1 : start
        var he = authEnd
        var port = authEnd..<authEnd
        if hs < authEnd, b[hs] == UInt8(ascii: "[") {
            var k = hs
            while k < authEnd, b[k] != UInt8(ascii: "]") { k += 1 }
            guard k < authEnd else { return nil }
            if k + 1 < authEnd, b[k + 1] == UInt8(ascii: ":") { port = (k + 2)..<authEnd }
            hs += 1; he = k
        } else {
            var k = authEnd
            while k > hs, b[k - 1] &- 48 < 10 { k -= 1 }
            if k > hs, k - 1 >= hs, b[k - 1] == UInt8(ascii: ":") { port = k..<authEnd; he = k - 1 }
        }
        guard he > hs else { return nil }
        var p = authEnd..<authEnd, q = end..<end, f = end..<end
        var k = authEnd
        if k < end, b[k] == UInt8(ascii: "/") {
            let ps = k
            while k < end, b[k] != UInt8(ascii: "?"), b[k] != UInt8(ascii: "#") { k += 1 }
            p = ps..<k
        }
        if k < end, b[k] == UInt8(ascii: "?") {
            let qs = k + 1
            k += 1
            while k < end, b[k] != UInt8(ascii: "#") { k += 1 }
            q = qs..<k
        }
        if k < end, b[k] == UInt8(ascii: "#") { f = (k + 1)..<end }
        return URLParts(scheme: scheme, userinfo: userinfo, host: hs..<he, port: port, path: p, query: q, fragment: f, scpLike: false)
    }

    /// Parses git's scp-like `[user@]host:path` (no `://`, a `:` before any `/`, a host with a
    /// dot or `localhost`-like name); nil otherwise. Windows drive letters (`C:\…`) are not
    /// matched (the host must be longer than one character).
    public static func parseSCPLike(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> URLParts? {
        var colon = -1
        var at = -1
        var i = r.lowerBound
        while i < r.upperBound {
            let c = b[i]
            if c == UInt8(ascii: "/") { break }
            if c == UInt8(ascii: "@"), at < 0 { at = i }
            if c == UInt8(ascii: ":") { colon = i; break }
            if c == 0x20 { return nil }
            i += 1
        }
        guard colon > 0, colon + 1 < r.upperBound, b[colon + 1] != UInt8(ascii: "/") || at >= 0 else { return nil }
        let hs = at >= 0 ? at + 1 : r.lowerBound
        guard colon - hs >= 2 else { return nil }
        var dot = false
        for k in hs..<colon {
            let c = b[k]
            if c == UInt8(ascii: ".") { dot = true }
            guard (c | 0x20) &- 97 < 26 || c &- 48 < 10 || c == 0x2D || c == 0x2E || c == 0x5F else { return nil }
        }
        guard dot || at >= 0 else { return nil }
        return URLParts(scheme: r.lowerBound..<r.lowerBound, userinfo: r.lowerBound..<(at >= 0 ? at : r.lowerBound),
                        host: hs..<colon, port: colon..<colon, path: (colon + 1)..<r.upperBound,
                        query: r.upperBound..<r.upperBound, fragment: r.upperBound..<r.upperBound, scpLike: true)
    }

    /// The port is the scheme's default (`http` 80, `https` 443).
    public func hasDefaultPort(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !port.isEmpty else { return true }
        if Bytes.equalsFolded(b, scheme, "http") { return Bytes.equals(b, port, "80") }
        if Bytes.equalsFolded(b, scheme, "https") { return Bytes.equals(b, port, "443") }
        return false
    }
}

/// Small byte comparisons shared by the enrichers.
public enum Bytes {
    /// `b[r]` equals the ASCII `s` exactly.
    public static func equals(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ s: StaticString) -> Bool {
        guard r.count == s.utf8CodeUnitCount else { return false }
        let p = s.utf8Start
        for k in 0..<r.count where b[r.lowerBound + k] != p[k] { return false }
        return true
    }

    /// `b[r]` equals the lower-case ASCII `s` ignoring case.
    public static func equalsFolded(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ s: StaticString) -> Bool {
        guard r.count == s.utf8CodeUnitCount else { return false }
        let p = s.utf8Start
        for k in 0..<r.count where NameHash.fold(b[r.lowerBound + k]) != p[k] { return false }
        return true
    }

    /// `b[r]` starts with the lower-case ASCII `s`, ignoring case.
    public static func hasPrefixFolded(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard r.count >= n else { return false }
        return equalsFolded(b, r.lowerBound..<(r.lowerBound + n), s)
    }

    /// `b[r]` ends with the lower-case ASCII `s`, ignoring case.
    public static func hasSuffixFolded(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard r.count >= n else { return false }
        return equalsFolded(b, (r.upperBound - n)..<r.upperBound, s)
    }

    /// The first position of the lower-case ASCII `s` in `b[r]` ignoring case, or nil.
    public static func find(_ s: StaticString, in b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int? {
        let n = s.utf8CodeUnitCount
        guard n > 0, r.count >= n else { return nil }
        let p = s.utf8Start
        let first = p[0]
        var i = r.lowerBound
        let last = r.upperBound - n
        while i <= last {
            if NameHash.fold(b[i]) == first {
                var k = 1
                while k < n, NameHash.fold(b[i + k]) == p[k] { k += 1 }
                if k == n { return i }
            }
            i += 1
        }
        return nil
    }

    /// The path segments of `b[r]` (split at `/`, empty segments skipped), up to 8, as ranges.
    public static func segments(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Segments {
        var s = Segments()
        var i = r.lowerBound
        while i < r.upperBound, s.count < Segments.capacity {
            while i < r.upperBound, b[i] == UInt8(ascii: "/") { i += 1 }
            let st = i
            while i < r.upperBound, b[i] != UInt8(ascii: "/") { i += 1 }
            if i > st { s.append(st..<i) }
        }
        s.truncated = i < r.upperBound
        return s
    }
}

/// Up to eight path segments without an array allocation.
public struct Segments: Sendable {
    public static let capacity = 8
    @usableFromInline var r: (Range<Int>, Range<Int>, Range<Int>, Range<Int>, Range<Int>, Range<Int>, Range<Int>, Range<Int>) =
        (0..<0, 0..<0, 0..<0, 0..<0, 0..<0, 0..<0, 0..<0, 0..<0)
    public var count = 0
    /// More segments followed the eighth.
    public var truncated = false

    public init() {}

    mutating func append(_ x: Range<Int>) {
        switch count {
        case 0: r.0 = x
        case 1: r.1 = x
        case 2: r.2 = x
        case 3: r.3 = x
        case 4: r.4 = x
        case 5: r.5 = x
        case 6: r.6 = x
        default: r.7 = x
        }
        count += 1
    }

    public subscript(_ i: Int) -> Range<Int> {
        switch i {
        case 0: return r.0
        case 1: return r.1
        case 2: return r.2
        case 3: return r.3
        case 4: return r.4
        case 5: return r.5
        case 6: return r.6
        default: return r.7
        }
    }
}
