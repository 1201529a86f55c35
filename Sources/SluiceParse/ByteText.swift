import SluiceCore

/// Small byte-level helpers shared by the line parsers: numbers, IP literals, times.
enum ByteText {
    @inline(__always)
    static func string(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self)
    }

    static func find(_ literal: StaticString, in b: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        let n = literal.utf8CodeUnitCount
        let p = literal.utf8Start
        guard n > 0, to - from >= n else { return nil }
        let first = p[0]
        var i = from
        let last = to - n
        outer: while i <= last {
            if b[i] != first { i += 1; continue }
            for k in 1..<max(n, 1) where b[i + k] != p[k] { i += 1; continue outer }
            return i
        }
        return nil
    }

    /// True when the bytes equal `literal` exactly.
    @inline(__always)
    static func equals(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard r.count == n else { return false }
        let p = literal.utf8Start
        for k in 0..<n where b[r.lowerBound + k] != p[k] { return false }
        return true
    }

    @inline(__always)
    static func isDash(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        r.count == 1 && b[r.lowerBound] == UInt8(ascii: "-")
    }

    /// A non-negative decimal integer of at most 18 digits.
    @inline(__always)
    static func uint(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int64? {
        guard !r.isEmpty, r.count <= 18 else { return nil }
        var v: Int64 = 0
        for i in r {
            let d = b[i] &- 48
            guard d < 10 else { return nil }
            v = v &* 10 &+ Int64(d)  // at most 18 digits: cannot overflow
        }
        return v
    }

    /// A decimal integer with an optional leading `-`.
    static func int(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int64? {
        guard !r.isEmpty else { return nil }
        if b[r.lowerBound] == UInt8(ascii: "-") {
            return uint(b, (r.lowerBound + 1)..<r.upperBound).map { -$0 }
        }
        return uint(b, r)
    }

    /// `seconds[.fraction]` (e.g. `1700000000.123`) as ns since the epoch.
    static func decimalSeconds(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int64? {
        var i = r.lowerBound
        var secs: Int64 = 0
        var digits = 0
        while i < r.upperBound, b[i] &- 48 < 10 {
            guard digits < 12 else { return nil }
            secs = secs &* 10 &+ Int64(b[i] &- 48); i += 1; digits += 1  // at most 12 digits
        }
        guard digits > 0 else { return nil }
        var nanos: Int64 = 0
        if i < r.upperBound {
            guard b[i] == UInt8(ascii: ".") else { return nil }
            i += 1
            var f = 0
            while i < r.upperBound {
                let d = b[i] &- 48
                guard d < 10 else { return nil }
                if f < 9 { nanos = nanos &* 10 &+ Int64(d) }
                f += 1; i += 1
            }
            while f < 9 { nanos *= 10; f += 1 }
        }
        guard secs < 9_000_000_000 else { return nil }  // beyond Int64 ns (year 2255)
        return secs * 1_000_000_000 + nanos
    }

    /// True for an IPv4 dotted quad or an IPv6 literal (hex, colons, optional embedded IPv4
    /// and `%zone`). A syntax check only.
    static func isIP(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        guard r.count >= 2, r.count <= 64 else { return false }
        // Most addresses in logs are IPv4 and most names start with a letter: one pass decides.
        let first = b[r.lowerBound]
        if first &- 48 < 10 {
            if isIPv4(b, r) { return true }
        } else if first != UInt8(ascii: ":"), !(first &- 97 < 6 || first &- 65 < 6) {
            return false  // neither a digit, ':' nor a hex letter: not an IP literal
        }
        var colons = 0, dots = 0, digitRun = 0
        var i = r.lowerBound
        while i < r.upperBound {
            let c = b[i]
            switch c {
            case 48...57: digitRun += 1
            case 97...102, 65...70: digitRun += 1
            case UInt8(ascii: ":"): colons += 1; digitRun = 0
            case UInt8(ascii: "."): dots += 1; digitRun = 0
            case UInt8(ascii: "%"): return colons >= 2
            default: return false
            }
            if digitRun > 4 { return false }
            i += 1
        }
        if colons == 0 { return false }  // IPv4 was decided above
        return colons >= 2 && colons <= 7 && (dots == 0 || dots == 3)
    }

    static func isIPv4(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        // Four groups of 1-3 digits (each at most 255) joined by dots: at most 15 bytes.
        guard r.count >= 7, r.count <= 15 else { return false }
        var i = r.lowerBound
        let e = r.upperBound
        for group in 0..<4 {
            let start = i
            var v: UInt32 = 0
            while i < e, b[i] &- 48 < 10 { v = v &* 10 &+ UInt32(b[i] &- 48); i += 1 }
            guard i > start, i - start <= 3, v <= 255 else { return false }
            if group < 3 {
                guard i < e, b[i] == UInt8(ascii: ".") else { return false }
                i += 1
            }
        }
        return i == e
    }

    static func isIP(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { isIP($0, 0..<$0.count) }
    }

    /// Month number (1-12) for an English three-letter abbreviation.
    static func month(_ b: UnsafeBufferPointer<UInt8>, _ at: Int) -> Int? {
        guard at + 3 <= b.count else { return nil }
        let v = (UInt32(b[at] | 0x20) << 16) | (UInt32(b[at + 1] | 0x20) << 8) | UInt32(b[at + 2] | 0x20)
        switch v {
        case 0x6A616E: return 1   // jan
        case 0x666562: return 2   // feb
        case 0x6D6172: return 3   // mar
        case 0x617072: return 4   // apr
        case 0x6D6179: return 5   // may
        case 0x6A756E: return 6   // jun
        case 0x6A756C: return 7   // jul
        case 0x617567: return 8   // aug
        case 0x736570: return 9   // sep
        case 0x6F6374: return 10  // oct
        case 0x6E6F76: return 11  // nov
        case 0x646563: return 12  // dec
        default: return nil
        }
    }

    /// Reads exactly `n` decimal digits at `i`.
    @inline(__always)
    static func digits(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, _ n: Int) -> Int? {
        guard i >= 0, i + n <= b.count else { return nil }
        var v = 0
        for k in 0..<n {
            let c = b[i + k]
            guard c >= 48, c <= 57 else { return nil }
            v = v * 10 + Int(c - 48)
        }
        return v
    }

    /// The digits of a fraction of a second starting at `j` (before `end`) as nanoseconds
    /// (digits past the ninth are read and dropped), and the index after the last digit.
    static func fraction(_ b: UnsafeBufferPointer<UInt8>, from j: Int, to end: Int) -> (nanos: Int, next: Int) {
        var j = j, f = 0, nanos = 0
        while j < end, b[j] >= 48, b[j] <= 57 { if f < 9 { nanos = nanos * 10 + Int(b[j] - 48) }; f += 1; j += 1 }
        while f < 9 { nanos *= 10; f += 1 }
        return (nanos, j)
    }

    /// A classic syslog (RFC 3164) timestamp `Nov 23 02:08:35` (day may be space-padded) at
    /// `i`; returns the time (year inferred: the current year, or the previous one when that
    /// would put the stamp more than a day in the future) and the index after it.
    static func bsdTimestamp(_ b: UnsafeBufferPointer<UInt8>, at i: Int, now: Int64) -> (Int64, Int)? {
        guard i + 15 <= b.count, let mon = month(b, i), b[i + 3] == 0x20 else { return nil }
        let dayText = b[i + 4] == 0x20 ? digits(b, i + 5, 1) : digits(b, i + 4, 2)
        guard let day = dayText, day >= 1, day <= 31, b[i + 6] == 0x20,
              let h = digits(b, i + 7, 2), b[i + 9] == UInt8(ascii: ":"),
              let m = digits(b, i + 10, 2), b[i + 12] == UInt8(ascii: ":"),
              let s = digits(b, i + 13, 2), h < 24, m < 60, s < 61 else { return nil }
        var j = i + 15
        var nanos = 0
        if j < b.count, b[j] == UInt8(ascii: ".") { (nanos, j) = fraction(b, from: j + 1, to: b.count) }
        let secs = now / 1_000_000_000
        let year = Timestamp.civilFromDays(Int(secs / 86400)).year
        var t = Timestamp.make(year: year, month: mon, day: day, hour: h, minute: m, second: min(s, 59), nanos: nanos)
        if t > now + 86_400 * 1_000_000_000 {
            t = Timestamp.make(year: year - 1, month: mon, day: day, hour: h, minute: m, second: min(s, 59), nanos: nanos)
        }
        return (t, j)
    }

    /// `Timestamp.make` for a civil time, or nil when the year is outside 1970...2200 (beyond
    /// that, nanoseconds since the epoch overflow Int64 near 2262).
    @inline(__always)
    static func time(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, nanos: Int = 0) -> Int64? {
        guard year >= 1970, year <= 2200, month >= 1, month <= 12, day >= 1, day <= 31 else { return nil }
        return Timestamp.make(year: year, month: month, day: day, hour: hour, minute: minute, second: min(second, 59), nanos: nanos)
    }

    /// `Timestamp.parseRFC3339` guarded against years it cannot represent.
    static func rfc3339<C: Collection>(_ s: C) -> Int64? where C.Element == UInt8, C.Index == Int {
        guard s.count >= 10 else { return nil }
        var y = 0
        var i = s.startIndex
        for _ in 0..<4 {
            let c = s[i]
            guard c >= 48, c <= 57 else { return nil }
            y = y * 10 + Int(c - 48); i += 1
        }
        guard y >= 1970, y <= 2200 else { return nil }
        return Timestamp.parseRFC3339(s)
    }

    static func rfc3339(_ s: String) -> Int64? { rfc3339(Array(s.utf8)) }

    /// Decodes a hex string (even length, all hex digits), or nil.
    static func hexDecode(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> [UInt8]? {
        guard r.count >= 2, r.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(r.count / 2)
        var i = r.lowerBound
        while i < r.upperBound {
            guard let hi = hexValue(b[i]), let lo = hexValue(b[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }
}
