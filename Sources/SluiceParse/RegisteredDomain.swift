import SluiceCore

/// The registered domain of a DNS name (`dns.question.registered_domain`): the public suffix
/// by the Public Suffix List (`PublicSuffixList.current`, with its wildcard and exception
/// rules) plus one label, e.g. `bbc.co.uk`, `acme.github.io`, `203.in-addr.arpa`.
///
/// Guarantees: works on the name's bytes without allocating (the DNS parsers call it per
/// record); a lower-case name gives a range of its own bytes, so the value can be a span of
/// the record; upper case is folded (then a new string is made). A single label, an IP
/// literal, an empty name or a name that is itself a public suffix (`co.uk`) has none.
enum RegisteredDomain {
    /// The registered domain of `name` (lower-cased, trailing dot removed), or nil.
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
        var dot = false
        for i in start..<end {
            let c = b[i]
            if c &- 65 < 26 { return nil }
            if c == UInt8(ascii: ".") { dot = true }
        }
        guard dot, !ByteText.isIP(b, start..<end) else { return nil }
        return PublicSuffixList.current.registeredDomain(b, start..<end)
    }

    /// The registered domain of the name at `r` of the cursor's record as a field value: a
    /// span of the record when the name is lower case, a folded string otherwise.
    static func value(_ c: RecordCursor, _ r: Range<Int>) -> FieldValue? {
        if let d = range(c.bytes, r) { return c.value(d) }
        guard (r.lowerBound..<r.upperBound).contains(where: { c.bytes[$0] &- 65 < 26 }) else { return nil }
        return of(c.string(r)).map { .string($0) }
    }
}
