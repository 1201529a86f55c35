import SluiceCore

/// An IPv4 or IPv6 address as 128 bits, IPv4 held IPv4-mapped (`::ffff:a.b.c.d`), so one
/// address space serves both families and `::ffff:198.51.100.7` is the same address as
/// `198.51.100.7`.
///
/// Guarantees: parsing works on bytes and allocates nothing; it accepts dotted-quad IPv4
/// (no leading `+`, each group ≤ 255, at most 3 digits), IPv6 in every RFC 4291 text form
/// (`::` compression, an embedded IPv4 tail), an IPv6 zone (`%eth0`, ignored) and brackets
/// (`[2001:db8::1]`); anything else is not an address.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    public var hi: UInt64
    public var lo: UInt64

    @inlinable public init(hi: UInt64, lo: UInt64) { self.hi = hi; self.lo = lo }

    /// The IPv4 address `v` (host order) as IPv4-mapped IPv6.
    @inlinable public init(v4 v: UInt32) { hi = 0; lo = 0x0000_FFFF_0000_0000 | UInt64(v) }

    /// True for an IPv4 address (the IPv4-mapped range `::ffff:0:0/96`).
    @inlinable public var isV4: Bool { hi == 0 && (lo >> 32) == 0xFFFF }

    /// The IPv4 address in host order (meaningful when `isV4`).
    @inlinable public var v4: UInt32 { UInt32(truncatingIfNeeded: lo) }

    /// The address with the bits after the first `prefix` (0...128) cleared.
    @inlinable
    public func masked(_ prefix: Int) -> IPAddress {
        if prefix >= 128 { return self }
        if prefix <= 0 { return IPAddress(hi: 0, lo: 0) }
        if prefix >= 64 {
            let keep = prefix - 64
            return IPAddress(hi: hi, lo: keep == 0 ? 0 : lo & (~UInt64(0) << UInt64(64 - keep)))
        }
        return IPAddress(hi: hi & (~UInt64(0) << UInt64(64 - prefix)), lo: 0)
    }

    /// `a.b.c.d` for an IPv4 address, each octet written by `JSONWriter.writeInt` (a feed of
    /// a million addresses formats each once when it loads; string interpolation costs ten
    /// times as much).
    static func dotted(_ v: UInt32) -> String {
        // 12 bytes of text at most, plus the 20 bytes `writeInt` may use past the last octet.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { out in
            let base = out.baseAddress!
            var n = 0
            for shift in stride(from: 24, through: 0, by: -8) {
                if shift != 24 { base[n] = UInt8(ascii: "."); n += 1 }
                n += JSONWriter.writeInt(Int64((v >> UInt32(shift)) & 255), to: base + n)
            }
            return String(decoding: UnsafeBufferPointer(start: base, count: n), as: UTF8.self)
        }
    }

    public var description: String {
        if isV4 { return Self.dotted(v4) }
        var groups: [UInt16] = []
        for i in 0..<4 { groups.append(UInt16(truncatingIfNeeded: hi >> UInt64(48 - 16 * i))) }
        for i in 0..<4 { groups.append(UInt16(truncatingIfNeeded: lo >> UInt64(48 - 16 * i))) }
        // The longest run of two or more zero groups becomes `::` (RFC 5952).
        var bestStart = -1, bestLen = 1, i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8, groups[j] == 0 { j += 1 }
                if j - i > bestLen { bestStart = i; bestLen = j - i }
                i = j
            } else { i += 1 }
        }
        var out = ""
        i = 0
        while i < 8 {
            if i == bestStart {
                out += "::"; i += bestLen; continue
            }
            if !out.isEmpty, !out.hasSuffix(":") { out += ":" }
            out += String(groups[i], radix: 16)
            i += 1
        }
        return out
    }

    /// Parses `s` (see the type's guarantees).
    public static func parse(_ s: String) -> IPAddress? {
        var s = s
        return s.withUTF8 { parse($0, 0..<$0.count) }
    }

    /// Parses the bytes `b[r]`.
    @inlinable
    public static func parse(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> IPAddress? {
        var lo = r.lowerBound, hi = r.upperBound
        guard hi - lo >= 2, hi - lo <= 64 else { return nil }
        if b[lo] == UInt8(ascii: "[") {
            guard b[hi - 1] == UInt8(ascii: "]") else { return nil }
            lo += 1; hi -= 1
        }
        var colon = false
        var i = lo
        while i < hi {
            let c = b[i]
            if c == UInt8(ascii: ":") { colon = true; break }
            if c == UInt8(ascii: "%") { hi = i; break }
            i += 1
        }
        if !colon { return parseV4(b, lo, hi).map { IPAddress(v4: $0) } }
        // A zone id ends the address.
        i = lo
        while i < hi { if b[i] == UInt8(ascii: "%") { hi = i; break }; i += 1 }
        return parseV6(b, lo, hi)
    }

    /// Dotted-quad IPv4 in `b[lo..<hi]`, in host order.
    @inlinable
    public static func parseV4(_ b: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> UInt32? {
        guard hi - lo >= 7, hi - lo <= 15 else { return nil }
        var i = lo
        var out: UInt32 = 0
        for group in 0..<4 {
            let start = i
            var v: UInt32 = 0
            while i < hi, b[i] &- 48 < 10 { v = v &* 10 &+ UInt32(b[i] &- 48); i += 1 }
            guard i > start, i - start <= 3, v <= 255 else { return nil }
            out = out << 8 | v
            if group < 3 {
                guard i < hi, b[i] == UInt8(ascii: ".") else { return nil }
                i += 1
            }
        }
        return i == hi ? out : nil
    }

    @inlinable
    static func hexValue(_ c: UInt8) -> UInt16? {
        if c &- 48 < 10 { return UInt16(c &- 48) }
        let l = c | 0x20
        if l &- 97 < 6 { return UInt16(l &- 87) }
        return nil
    }

    /// IPv6 text in `b[lo..<hi]` (no brackets or zone).
    @inlinable
    static func parseV6(_ b: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> IPAddress? {
        // Groups before `::` accumulate in `head`, groups after it in `tail` (128-bit values
        // shifted left 16 bits per group); `gap` is true once `::` was seen.
        var head = (UInt64(0), UInt64(0)), tail = (UInt64(0), UInt64(0))
        var groups = 0, tailGroups = 0
        var gap = false
        var i = lo
        @inline(__always) func push(_ v: UInt16) {
            if gap {
                tail = (tail.0 << 16 | tail.1 >> 48, tail.1 << 16 | UInt64(v)); tailGroups += 1
            } else {
                head = (head.0 << 16 | head.1 >> 48, head.1 << 16 | UInt64(v))
            }
            groups += 1
        }
        if i + 1 < hi, b[i] == UInt8(ascii: ":") {
            guard b[i + 1] == UInt8(ascii: ":") else { return nil }
            gap = true; i += 2
        }
        while i < hi {
            let start = i
            var v: UInt16 = 0
            var digits = 0
            while i < hi, let h = hexValue(b[i]) {
                digits += 1
                guard digits <= 4 else { return nil }
                v = v << 4 | h; i += 1
            }
            if i < hi, b[i] == UInt8(ascii: ".") {
                // An IPv4 tail takes two groups and ends the address.
                guard groups <= 6, let v4 = parseV4(b, start, hi) else { return nil }
                push(UInt16(v4 >> 16)); push(UInt16(v4 & 0xFFFF))
                break
            }
            guard digits > 0, groups < 8 else { return nil }
            push(v)
            if i == hi { break }
            guard b[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            if i < hi, b[i] == UInt8(ascii: ":") {
                guard !gap else { return nil }
                gap = true; i += 1
            } else if i == hi {
                return nil  // a trailing single ':'
            }
        }
        if !gap { return groups == 8 ? IPAddress(hi: head.0, lo: head.1) : nil }
        guard groups < 8 else { return nil }
        // The head groups move left past the zeros the gap stands for and the tail.
        let shift = 16 * (8 - (groups - tailGroups))
        var h = head
        if shift >= 128 { h = (0, 0) }
        else if shift >= 64 { h = (h.1 << UInt64(shift - 64), 0) }
        else if shift > 0 { h = (h.0 << UInt64(shift) | h.1 >> UInt64(64 - shift), h.1 << UInt64(shift)) }
        return IPAddress(hi: h.0 | tail.0, lo: h.1 | tail.1)
    }
}

/// An address block: an address and a prefix length in the 128-bit space (an IPv4 `/n` is
/// `/96+n`), host bits cleared.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    /// Prefix length in the 128-bit space (0...128).
    public let prefix: Int

    public init(address: IPAddress, prefix: Int) {
        self.address = address.masked(prefix); self.prefix = prefix
    }

    /// `198.51.100.0/24`, `2001:db8::/32`, a bare address (a /32 or /128); host bits are
    /// cleared (`10.1.2.3/8` is `10.0.0.0/8`). An IPv4 prefix is 0...32, IPv6 0...128.
    public static func parse(_ s: String) -> IPNetwork? {
        guard let slash = s.firstIndex(of: "/") else {
            return IPAddress.parse(s).map { IPNetwork(address: $0, prefix: 128) }
        }
        let addrText = String(s[..<slash])
        let lenText = s[s.index(after: slash)...]
        guard !lenText.isEmpty, lenText.count <= 3, lenText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let len = Int(lenText), let a = IPAddress.parse(addrText) else { return nil }
        let isV4Text = !addrText.contains(":")
        if isV4Text {
            guard len <= 32 else { return nil }
            return IPNetwork(address: a, prefix: 96 + len)
        }
        guard len <= 128 else { return nil }
        return IPNetwork(address: a, prefix: len)
    }

    public func contains(_ a: IPAddress) -> Bool { a.masked(prefix) == address }

    public var description: String {
        address.isV4 && prefix >= 96 ? "\(address)/\(prefix - 96)" : "\(address)/\(prefix)"
    }
}
