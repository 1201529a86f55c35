/// An IPv4 or IPv6 network (address and prefix length) for the `cidr` modifier.
///
/// Guarantees: IPv4 is held as IPv4-mapped IPv6 (`::ffff:a.b.c.d`), so `10.0.0.0/8`
/// matches `10.1.2.3` and `::ffff:10.1.2.3`; text that is not an address never matches.
public struct IPNetwork: Sendable, Hashable {
    public let high: UInt64
    public let low: UInt64
    /// Prefix length in the 128-bit space.
    public let bits: Int

    public init?(cidr text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let addr = IPNetwork.parse(String(parts[0])) else { return nil }
        var bits = addr.v4 ? 32 : 128
        if parts.count == 2 {
            guard let b = Int(parts[1]), b >= 0, b <= bits else { return nil }
            bits = b
        }
        let total = addr.v4 ? bits + 96 : bits
        self.bits = total
        (high, low) = IPNetwork.mask(addr.high, addr.low, total)
    }

    public func contains(_ text: some StringProtocol) -> Bool {
        guard let a = IPNetwork.parse(text) else { return false }
        let (h, l) = IPNetwork.mask(a.high, a.low, bits)
        return h == high && l == low
    }

    static func mask(_ h: UInt64, _ l: UInt64, _ bits: Int) -> (UInt64, UInt64) {
        if bits <= 0 { return (0, 0) }
        if bits >= 128 { return (h, l) }
        if bits <= 64 { return (bits == 64 ? h : h & ~(UInt64.max >> UInt64(bits)), 0) }
        return (h, l & ~(UInt64.max >> UInt64(bits - 64)))
    }

    /// Parses an IPv4 or IPv6 address (IPv6 zone ids and brackets are not accepted).
    static func parse(_ s: some StringProtocol) -> (high: UInt64, low: UInt64, v4: Bool)? {
        let b = Array(s.utf8)
        if let v4 = parseV4(b[...]) { return (0, 0xFFFF_0000_0000 | UInt64(v4), true) }
        guard let v6 = parseV6(b) else { return nil }
        return (v6.0, v6.1, false)
    }

    static func parseV4(_ b: ArraySlice<UInt8>) -> UInt32? {
        var out: UInt32 = 0, octets = 0, cur = -1, digits = 0
        for c in b {
            if c == 0x2E {
                guard cur >= 0, octets < 3 else { return nil }
                out = out << 8 | UInt32(cur); octets += 1; cur = -1; digits = 0
            } else if c >= 0x30 && c <= 0x39 {
                digits += 1
                guard digits <= 3 else { return nil }
                cur = (cur < 0 ? 0 : cur) * 10 + Int(c - 0x30)
                guard cur <= 255 else { return nil }
            } else { return nil }
        }
        guard cur >= 0, octets == 3 else { return nil }
        return out << 8 | UInt32(cur)
    }

    static func parseV6(_ b: [UInt8]) -> (UInt64, UInt64)? {
        guard b.count >= 2, b.count <= 45 else { return nil }
        var groups: [UInt16] = []
        var gap = -1
        var i = 0
        if b[0] == 0x3A { guard b[1] == 0x3A else { return nil }; gap = 0; i = 2 }
        while i < b.count {
            // An embedded IPv4 tail.
            if let dot = b[i...].firstIndex(of: 0x2E), !b[i..<dot].contains(0x3A) {
                guard let v4 = parseV4(b[i...]) else { return nil }
                groups.append(UInt16(v4 >> 16)); groups.append(UInt16(v4 & 0xFFFF))
                i = b.count; break
            }
            var v = 0, n = 0
            while i < b.count, let d = hex(b[i]) { v = v << 4 | d; n += 1; i += 1; guard n <= 4 else { return nil } }
            guard n > 0 else { return nil }
            groups.append(UInt16(v))
            if i < b.count {
                guard b[i] == 0x3A else { return nil }
                i += 1
                if i < b.count, b[i] == 0x3A {
                    guard gap < 0 else { return nil }
                    gap = groups.count; i += 1
                } else if i == b.count { return nil }
            }
        }
        if gap >= 0 {
            guard groups.count < 8 else { return nil }
            groups.insert(contentsOf: [UInt16](repeating: 0, count: 8 - groups.count), at: gap)
        }
        guard groups.count == 8 else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0
        for k in 0..<4 { h = h << 16 | UInt64(groups[k]) }
        for k in 4..<8 { l = l << 16 | UInt64(groups[k]) }
        return (h, l)
    }

    private static func hex(_ c: UInt8) -> Int? {
        switch c {
        case 0x30...0x39: return Int(c - 0x30)
        case 0x61...0x66: return Int(c - 0x61 + 10)
        case 0x41...0x46: return Int(c - 0x41 + 10)
        default: return nil
        }
    }
}
