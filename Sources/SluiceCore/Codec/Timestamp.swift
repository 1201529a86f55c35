/// Event-time helpers: RFC 3339 formatting and parsing without Foundation date formatters.
///
/// Times are `Int64` nanoseconds since the Unix epoch (UTC).
public enum Timestamp {
    public static let nanosPerSecond: Int64 = 1_000_000_000

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    @inlinable
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    @inlinable
    public static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// Years whose times fit in Int64 nanoseconds (1678-2261), with margin.
    public static let representableYears = 1700...2200

    /// Nanoseconds since the epoch for a UTC civil time. Years outside
    /// `representableYears` are clamped to its bounds so arithmetic never overflows;
    /// parsers should reject such years first (see `checkedMake`).
    @inlinable
    public static func make(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, nanos: Int = 0) -> Int64 {
        let y = min(max(year, representableYears.lowerBound), representableYears.upperBound)
        let days = Int64(daysFromCivil(year: y, month: month, day: day))
        return ((days * 86400) + Int64(hour * 3600 + minute * 60 + second)) * nanosPerSecond + Int64(nanos)
    }

    /// Like `make`, but `nil` for a year outside `representableYears`.
    @inlinable
    public static func checkedMake(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, nanos: Int = 0) -> Int64? {
        guard representableYears.contains(year) else { return nil }
        return make(year: year, month: month, day: day, hour: hour, minute: minute, second: second, nanos: nanos)
    }

    /// The most bytes `writeRFC3339` writes: `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    public static let rfc3339MaxBytes = 27

    /// Appends `YYYY-MM-DDTHH:MM:SS.mmmZ` (milliseconds; microseconds when present).
    public static func appendRFC3339(_ t: Int64, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: rfc3339MaxBytes) { b in
            let n = writeRFC3339(t, to: b.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: b[..<n]))
        }
    }

    /// Writes what `appendRFC3339` appends to `p` (room for `rfc3339MaxBytes`), without
    /// allocating; returns the number of bytes written.
    public static func writeRFC3339(_ t: Int64, to p: UnsafeMutablePointer<UInt8>) -> Int {
        var secs = t / nanosPerSecond
        var ns = t % nanosPerSecond
        if ns < 0 { ns += nanosPerSecond; secs -= 1 }
        var days = secs / 86400
        var rem = secs % 86400
        if rem < 0 { rem += 86400; days -= 1 }
        let (y, m, d) = civilFromDays(Int(days))
        @inline(__always) func two(_ v: Int, _ at: Int) { p[at] = UInt8(truncatingIfNeeded: 48 + v / 10); p[at + 1] = UInt8(truncatingIfNeeded: 48 + v % 10) }
        let yy = max(0, min(9999, y))
        p[0] = UInt8(truncatingIfNeeded: 48 + yy / 1000); p[1] = UInt8(truncatingIfNeeded: 48 + (yy / 100) % 10); two(yy % 100, 2)
        p[4] = UInt8(ascii: "-"); two(m, 5); p[7] = UInt8(ascii: "-"); two(d, 8)
        p[10] = UInt8(ascii: "T"); two(Int(rem / 3600), 11); p[13] = UInt8(ascii: ":")
        two(Int(rem % 3600 / 60), 14); p[16] = UInt8(ascii: ":"); two(Int(rem % 60), 17)
        p[19] = UInt8(ascii: ".")
        let micros = Int(ns / 1000)
        let digits = micros % 1000 == 0 ? 3 : 6
        var v = digits == 3 ? micros / 1000 : micros
        var i = 20 + digits - 1
        while i >= 20 { p[i] = UInt8(truncatingIfNeeded: 48 + v % 10); v /= 10; i -= 1 }
        p[20 + digits] = UInt8(ascii: "Z")
        return 21 + digits
    }

    public static func rfc3339(_ t: Int64) -> String {
        var out: [UInt8] = []
        appendRFC3339(t, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses RFC 3339 / ISO 8601 date-times: `2026-11-23T02:08:35Z`,
    /// `2026-11-23T02:08:35.123456+01:00`, `2026-11-23 02:08:35` (a space, no zone: UTC
    /// unless `defaultOffsetSeconds` says otherwise). Returns `nil` on anything else.
    public static func parseRFC3339<C: Collection>(_ s: C, defaultOffsetSeconds: Int = 0) -> Int64? where C.Element == UInt8, C.Index == Int {
        var i = s.startIndex
        let end = s.endIndex
        func num(_ n: Int) -> Int? {
            guard end - i >= n else { return nil }
            var v = 0
            for _ in 0..<n {
                let c = s[i]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48); i += 1
            }
            return v
        }
        func expect(_ c: UInt8) -> Bool { guard i < end, s[i] == c else { return false }; i += 1; return true }
        guard let y = num(4), expect(UInt8(ascii: "-")), let mo = num(2), expect(UInt8(ascii: "-")), let d = num(2) else { return nil }
        guard i < end, s[i] == UInt8(ascii: "T") || s[i] == UInt8(ascii: "t") || s[i] == UInt8(ascii: " ") else { return nil }
        i += 1
        guard let h = num(2), expect(UInt8(ascii: ":")), let mi = num(2), expect(UInt8(ascii: ":")), let se = num(2) else { return nil }
        guard (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, se <= 60 else { return nil }
        var nanos = 0
        if i < end, s[i] == UInt8(ascii: ".") || s[i] == UInt8(ascii: ",") {
            i += 1
            var digits = 0
            while i < end, s[i] >= 48, s[i] <= 57 {
                if digits < 9 { nanos = nanos * 10 + Int(s[i] - 48) }
                digits += 1; i += 1
            }
            guard digits > 0 else { return nil }
            var k = digits; while k < 9 { nanos *= 10; k += 1 }
        }
        var offset = defaultOffsetSeconds
        if i < end {
            let c = s[i]
            if c == UInt8(ascii: "Z") || c == UInt8(ascii: "z") { offset = 0; i += 1 }
            else if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                i += 1
                guard let oh = num(2) else { return nil }
                _ = expect(UInt8(ascii: ":"))
                guard let om = num(2) else { return nil }
                offset = (oh * 3600 + om * 60) * (c == UInt8(ascii: "-") ? -1 : 1)
            }
        }
        guard i == end else { return nil }
        guard let t = checkedMake(year: y, month: mo, day: d, hour: h, minute: mi, second: min(se, 59), nanos: nanos) else { return nil }
        return t - Int64(offset) * nanosPerSecond
    }

    public static func parseRFC3339(_ s: String, defaultOffsetSeconds: Int = 0) -> Int64? {
        parseRFC3339(Array(s.utf8), defaultOffsetSeconds: defaultOffsetSeconds)
    }

    /// Current wall-clock time in ns since the epoch.
    public static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * nanosPerSecond + Int64(ts.tv_nsec)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
