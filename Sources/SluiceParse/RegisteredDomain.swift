import SluiceCore

/// The registered domain of a DNS name with a small built-in suffix table (not the full
/// Public Suffix List): the last two labels, or the last three when the last two are a
/// known multi-label public suffix (`co.uk`, `com.au`, `github.io`, …).
///
/// Guarantees: works on the name's bytes without allocating (the DNS parsers call it per
/// record); a lower-case name gives a range of its own bytes, so the value can be a span of
/// the record; upper case is folded (then a new string is made).
enum RegisteredDomain {
    static let multiLabelSuffixes: [String] = [
        "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "ltd.uk", "plc.uk", "net.uk", "sch.uk",
        "com.au", "net.au", "org.au", "edu.au", "gov.au", "asn.au", "id.au",
        "co.nz", "org.nz", "net.nz", "co.jp", "ne.jp", "or.jp", "ac.jp", "go.jp",
        "co.kr", "or.kr", "co.in", "net.in", "org.in", "co.za", "org.za", "co.il", "org.il",
        "com.br", "net.br", "org.br", "com.cn", "net.cn", "org.cn", "com.mx", "com.ar", "com.tr",
        "com.sg", "com.hk", "com.tw", "com.my", "com.ph", "com.vn", "com.ua", "com.pl", "co.id",
        // Private suffixes where each label below is a different owner.
        "github.io", "githubusercontent.com", "gitlab.io", "herokuapp.com", "netlify.app",
        "vercel.app", "pages.dev", "workers.dev", "azurewebsites.net", "cloudfront.net",
        "blogspot.com", "appspot.com", "firebaseapp.com", "web.app", "ngrok.io", "ngrok-free.app",
    ]

    /// The suffixes' bytes by length, for a comparison without building a string.
    static let suffixesByLength: [[[UInt8]]] = {
        var t = [[[UInt8]]](repeating: [], count: 33)
        for s in multiLabelSuffixes { t[s.utf8.count].append(Array(s.utf8)) }
        return t
    }()

    /// The registered domain of `name` (lower-cased, trailing dot removed), or nil for a
    /// single label, an IP literal or an empty name.
    static func of(_ name: String) -> String? {
        var n = name
        if n.utf8.contains(where: { $0 &- 65 < 26 }) { n = n.lowercased() }
        return n.withUTF8 { b in range(b, 0..<b.count).map { ByteText.string(b, $0) } }
    }

    /// The registered domain of a lower-case name in `b[r]` as a range of it, or nil (also
    /// for a name with upper-case letters: use `of` for those).
    static func range(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Range<Int>? {
        var end = r.upperBound
        if end > r.lowerBound, b[end - 1] == UInt8(ascii: ".") { end -= 1 }
        let start = r.lowerBound
        guard end > start, end - start <= 253 else { return nil }
        var d1 = -1, d2 = -1, d3 = -1
        var i = end - 1
        while i >= start {
            let c = b[i]
            if c &- 65 < 26 { return nil }
            if c == UInt8(ascii: ".") {
                if d1 < 0 { d1 = i } else if d2 < 0 { d2 = i } else if d3 < 0 { d3 = i }
            }
            i -= 1
        }
        guard d1 >= 0, !ByteText.isIP(b, start..<end) else { return nil }
        guard d2 >= 0 else { return start..<end }
        let lastTwo = (d2 + 1)..<end
        guard isMultiLabelSuffix(b, lastTwo) else { return lastTwo }
        return d3 >= 0 ? (d3 + 1)..<end : start..<end
    }

    static func isMultiLabelSuffix(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        guard r.count < suffixesByLength.count else { return false }
        for s in suffixesByLength[r.count] {
            var k = 0
            while k < s.count, s[k] == b[r.lowerBound + k] { k += 1 }
            if k == s.count { return true }
        }
        return false
    }

    /// The registered domain of the name at `r` of the cursor's record as a field value: a
    /// span of the record when the name is lower case, a folded string otherwise.
    static func value(_ c: RecordCursor, _ r: Range<Int>) -> FieldValue? {
        if let d = range(c.bytes, r) { return c.value(d) }
        guard (r.lowerBound..<r.upperBound).contains(where: { c.bytes[$0] &- 65 < 26 }) else { return nil }
        return of(c.string(r)).map { .string($0) }
    }
}
