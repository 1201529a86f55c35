/// Masks credentials in text that may carry them (URLs, command lines): the password of a
/// URL's `user:password@` (`https://alice:****@github.com/…`), a token used as the user name
/// (`https://****@github.com/…`), `x-access-token:…`, the credentials of an
/// `Authorization: <scheme> …` header, and GitHub/GitLab tokens by their prefixes
/// (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`, `glpat-`): each secret becomes `****`.
///
/// Guarantees: returns nil (and allocates nothing) when there is nothing to mask; the rest
/// of the text is kept byte for byte.
public enum CredentialMask {
    public static let mask: [UInt8] = Array("****".utf8)
    static let tokenPrefixes: [StaticString] = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-"]

    @inline(__always)
    static func isTokenChar(_ c: UInt8) -> Bool {
        (c | 0x20) &- 97 < 26 || c &- 48 < 10 || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
    }

    @inline(__always)
    static func isCredentialChar(_ c: UInt8) -> Bool {
        isTokenChar(c) || c == UInt8(ascii: "=") || c == UInt8(ascii: ".") || c == UInt8(ascii: "/") || c == UInt8(ascii: "+") || c == UInt8(ascii: "~")
    }

    /// The text with its credentials masked, or nil when it holds none.
    public static func masked(_ b: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var ranges: [Range<Int>] = []
        // URL userinfo.
        var from = 0
        while let s = Bytes.find("://", in: b, from..<b.count) {
            let start = s + 3
            var end = start
            var at = -1
            while end < b.count {
                let c = b[end]
                if c == UInt8(ascii: "/") || c == 0x20 || c == 0x09 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") || c == UInt8(ascii: "?") || c == UInt8(ascii: "#") { break }
                if c == UInt8(ascii: "@") { at = end }
                end += 1
            }
            if at > start {
                var colon = -1
                for k in start..<at where b[k] == UInt8(ascii: ":") { colon = k; break }
                if colon >= 0 {
                    if at > colon + 1, !(Bytes.equals(b, (colon + 1)..<at, "****")) { ranges.append((colon + 1)..<at) }
                } else if looksLikeToken(b, start..<at) {
                    ranges.append(start..<at)
                }
            }
            from = max(end, s + 3)
        }
        // x-access-token:SECRET
        from = 0
        while let s = Bytes.find("x-access-token:", in: b, from..<b.count) {
            var e = s + 15
            while e < b.count, isTokenChar(b[e]) { e += 1 }
            if e > s + 15, !Bytes.equals(b, (s + 15)..<e, "****") { ranges.append((s + 15)..<e) }
            from = e
        }
        // Authorization: <scheme> <credentials>
        from = 0
        while let s = Bytes.find("authorization:", in: b, from..<b.count) {
            var e = s + 14
            while e < b.count, b[e] == 0x20 { e += 1 }
            let schemeStart = e
            while e < b.count, (b[e] | 0x20) &- 97 < 26 { e += 1 }
            if e > schemeStart, e < b.count, b[e] == 0x20 {
                while e < b.count, b[e] == 0x20 { e += 1 }
                let cs = e
                while e < b.count, isCredentialChar(b[e]) { e += 1 }
                if e > cs, !Bytes.equals(b, cs..<e, "****") { ranges.append(cs..<e) }
            } else {
                // `Authorization: SECRET` without a scheme.
                e = schemeStart
                while e < b.count, isCredentialChar(b[e]) { e += 1 }
                if e - schemeStart >= 8 { ranges.append(schemeStart..<e) }
            }
            from = max(e, s + 14)
        }
        // Token prefixes at a word start.
        for p in tokenPrefixes {
            from = 0
            let n = p.utf8CodeUnitCount
            while let s = Bytes.find(p, in: b, from..<b.count) {
                var e = s + n
                while e < b.count, isTokenChar(b[e]) { e += 1 }
                if (s == 0 || !isTokenChar(b[s - 1])), e - (s + n) >= 16 { ranges.append((s + n)..<e) }
                from = e
            }
        }
        guard !ranges.isEmpty else { return nil }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var pos = 0
        for r in ranges {
            if r.lowerBound < pos { if r.upperBound > pos { pos = r.upperBound }; continue }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: b[pos..<r.lowerBound]))
            out.append(contentsOf: mask)
            pos = r.upperBound
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: b[pos..<b.count]))
        return out
    }

    public static func masked(_ s: String) -> String? {
        var s = s
        return s.withUTF8 { masked($0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// A user name that is a secret: a known token prefix, or 20+ token characters with a digit.
    static func looksLikeToken(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        for p in tokenPrefixes where Bytes.hasPrefixFolded(b, r, p) { return true }
        guard r.count >= 20 else { return false }
        var digit = false
        for k in r {
            guard isTokenChar(b[k]) else { return false }
            if b[k] &- 48 < 10 { digit = true }
        }
        return digit
    }
}
