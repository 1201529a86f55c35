import Foundation
import SluiceCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The time zone assumed for syslog timestamps that carry no offset (RFC 3164 stamps,
/// zone-less ISO 8601).
///
/// Accepted spellings: `UTC`, `Z`, `GMT`, fixed offsets `+01:00`, `-0500`, `+1`, `UTC+02:00`,
/// `local` (this machine's offset when the parser is built), and IANA names such as
/// `Europe/Berlin`, read from the TZif file under `/usr/share/zoneinfo` once at build time
/// (daylight-saving changes are honoured through the file's transitions; after its last
/// transition, the last offset applies).
public struct SyslogTimeZone: Sendable {
    /// The fixed offset (for IANA zones: the offset now, informative only).
    public let offsetSeconds: Int
    let rules: ZoneRules?

    public init(offsetSeconds: Int) { self.offsetSeconds = offsetSeconds; rules = nil }

    public static let utc = SyslogTimeZone(offsetSeconds: 0)

    /// Parses a time zone option; nil when it is not understood.
    public init?(_ text: String) {
        var t = Substring(text.trimmingCharacters(in: .whitespaces))
        let upper = t.uppercased()
        if upper == "UTC" || upper == "Z" || upper == "GMT" || upper == "ETC/UTC" || upper.isEmpty { offsetSeconds = 0; rules = nil; return }
        if upper == "LOCAL" {
            rules = nil
            var now = time(nil)
            var tm = tm()
            localtime_r(&now, &tm)
            offsetSeconds = Int(tm.tm_gmtoff)
            return
        }
        if upper.hasPrefix("UTC") || upper.hasPrefix("GMT") { t = t.dropFirst(3) }
        guard let sign = t.first, sign == "+" || sign == "-" else {
            guard let r = ZoneRules.load(String(t)) else { return nil }
            rules = r
            offsetSeconds = r.offset(atUTC: Int64(time(nil)))
            return
        }
        rules = nil
        let body = t.dropFirst().replacingOccurrences(of: ":", with: "")
        guard !body.isEmpty, body.count <= 4, body.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let h: Int, m: Int
        if body.count <= 2 { h = Int(body)!; m = 0 } else {
            h = Int(body.dropLast(2))!; m = Int(body.suffix(2))!
        }
        guard h <= 14, m < 60 else { return nil }
        offsetSeconds = (h * 3600 + m * 60) * (sign == "-" ? -1 : 1)
    }

    /// UTC offset in effect at a UTC instant (seconds since the epoch).
    @inline(__always)
    public func offset(atUTC t: Int64) -> Int { rules?.offset(atUTC: t) ?? offsetSeconds }

    /// UTC offset for a wall-clock time in this zone (seconds since the epoch as if UTC).
    @inline(__always)
    public func offset(forLocal l: Int64) -> Int {
        guard let rules else { return offsetSeconds }
        let o1 = rules.offset(atUTC: l - Int64(rules.offset(atUTC: l)))
        return rules.offset(atUTC: l - Int64(o1))
    }
}

/// Transitions of an IANA zone, from its TZif file (RFC 8536, version 1 or 2+ data).
struct ZoneRules: Sendable {
    let transitions: [Int64]
    let offsets: [Int]
    let initial: Int

    func offset(atUTC t: Int64) -> Int {
        var lo = 0, hi = transitions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if transitions[mid] <= t { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? initial : offsets[lo - 1]
    }

    /// Loads `/usr/share/zoneinfo/<name>`; nil for bad names, missing or malformed files.
    static func load(_ name: String, directory: String = "/usr/share/zoneinfo") -> ZoneRules? {
        guard !name.isEmpty, name.count < 64, !name.hasPrefix("/"), !name.contains(".."),
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/_+-".contains($0)) }),
              let data = FileManager.default.contents(atPath: directory + "/" + name), data.count <= 1 << 20 else { return nil }
        let b = [UInt8](data)
        func be32(_ i: Int) -> Int? {
            guard i >= 0, i + 4 <= b.count else { return nil }
            return Int(Int32(bitPattern: UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])))
        }
        func be64(_ i: Int) -> Int64? {
            guard let hi = be32(i), let lo = be32(i + 4) else { return nil }
            return Int64(hi) << 32 | Int64(UInt32(truncatingIfNeeded: lo))
        }
        func header(_ at: Int) -> (isut: Int, isstd: Int, leap: Int, time: Int, type: Int, char: Int)? {
            guard at + 44 <= b.count, b[at] == 0x54, b[at + 1] == 0x5A, b[at + 2] == 0x69, b[at + 3] == 0x66,
                  let a = be32(at + 20), let c = be32(at + 24), let d = be32(at + 28), let e = be32(at + 32),
                  let f = be32(at + 36), let g = be32(at + 40),
                  [a, c, d, e, f, g].allSatisfy({ $0 >= 0 && $0 < 100_000 }), f > 0 else { return nil }
            return (a, c, d, e, f, g)
        }
        guard var h = header(0) else { return nil }
        var at = 44
        var timeSize = 4
        if b[4] >= 0x32 {   // version '2' or later: skip the 32-bit block, use the 64-bit one
            at += h.time * 4 + h.time + h.type * 6 + h.char + h.leap * 8 + h.isstd + h.isut
            guard let h2 = header(at) else { return nil }
            h = h2
            at += 44
            timeSize = 8
        }
        let idxAt = at + h.time * timeSize
        let infoAt = idxAt + h.time
        guard infoAt + h.type * 6 <= b.count else { return nil }
        var types: [Int] = []
        for k in 0..<h.type {
            guard let off = be32(infoAt + k * 6), abs(off) < 26 * 3600 else { return nil }
            types.append(off)
        }
        var transitions: [Int64] = []
        var offsets: [Int] = []
        for k in 0..<h.time {
            guard let t = timeSize == 8 ? be64(at + k * 8) : be32(at + k * 4).map(Int64.init) else { return nil }
            let ti = Int(b[idxAt + k])
            guard ti < types.count else { return nil }
            transitions.append(t)
            offsets.append(types[ti])
        }
        return ZoneRules(transitions: transitions, offsets: offsets, initial: types[0])
    }
}

/// Byte-level timestamp readers for syslog headers (no Foundation, no allocation).
enum SyslogTime {
    @inline(__always)
    static func digits(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ n: Int) -> Int? {
        guard i + n <= p.count else { return nil }
        var v = 0
        for k in i..<(i + n) {
            let c = p[k] &- 48
            guard c < 10 else { return nil }
            v = v * 10 + Int(c)
        }
        return v
    }

    /// RFC 3339 / ISO 8601 `YYYY-MM-DD[T ]hh:mm:ss[.frac][Z|±hh:mm|±hhmm]` in `p[i..<end]`.
    /// Returns the time and the index after it. Zone-less stamps are read in `zone`.
    /// When `exact` the stamp must fill the range.
    static func iso(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, zone: SyslogTimeZone) -> (Int64, Int)? {
        var i = start
        guard end - i >= 19,
              let y = digits(p, i, 4), p[i + 4] == 0x2D, let mo = digits(p, i + 5, 2), p[i + 7] == 0x2D,
              let d = digits(p, i + 8, 2), p[i + 10] == 0x54 || p[i + 10] == 0x20 || p[i + 10] == 0x74,
              let h = digits(p, i + 11, 2), p[i + 13] == 0x3A, let mi = digits(p, i + 14, 2), p[i + 16] == 0x3A,
              let s = digits(p, i + 17, 2) else { return nil }
        guard mo >= 1, mo <= 12, d >= 1, d <= 31, h < 24, mi < 60, s <= 60, Timestamp.representableYears.contains(y) else { return nil }
        i += 19
        var nanos = 0
        if i < end, p[i] == 0x2E || p[i] == 0x2C {
            i += 1
            var nd = 0
            while i < end, p[i] &- 48 < 10 {
                if nd < 9 { nanos = nanos * 10 + Int(p[i] - 48) }
                nd += 1; i += 1
            }
            guard nd > 0 else { return nil }
            while nd < 9 { nanos *= 10; nd += 1 }
        }
        var offset: Int?
        if i < end {
            let c = p[i]
            if c == 0x5A || c == 0x7A { offset = 0; i += 1 }
            else if c == 0x2B || c == 0x2D {
                guard let oh = digits(p, i + 1, 2) else { return nil }
                i += 3
                if i < end, p[i] == 0x3A { i += 1 }
                guard let om = digits(p, i, 2), oh <= 23, om < 60 else { return nil }
                i += 2
                offset = (oh * 3600 + om * 60) * (c == 0x2D ? -1 : 1)
            }
        }
        let t = Timestamp.make(year: y, month: mo, day: d, hour: h, minute: mi, second: min(s, 59), nanos: nanos)
        let off = offset ?? zone.offset(forLocal: t / Timestamp.nanosPerSecond)
        return (t - Int64(off) * Timestamp.nanosPerSecond, i)
    }

    /// Month number (1-12) of a three-letter English abbreviation at `p[i]`, case-insensitive.
    @inline(__always)
    static func month(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        guard i + 3 <= p.count else { return nil }
        let a = p[i] | 0x20, b = p[i + 1] | 0x20, c = p[i + 2] | 0x20
        switch (a, b, c) {
        case (0x6A, 0x61, 0x6E): return 1   // jan
        case (0x66, 0x65, 0x62): return 2   // feb
        case (0x6D, 0x61, 0x72): return 3   // mar
        case (0x61, 0x70, 0x72): return 4   // apr
        case (0x6D, 0x61, 0x79): return 5   // may
        case (0x6A, 0x75, 0x6E): return 6   // jun
        case (0x6A, 0x75, 0x6C): return 7   // jul
        case (0x61, 0x75, 0x67): return 8   // aug
        case (0x73, 0x65, 0x70): return 9   // sep
        case (0x6F, 0x63, 0x74): return 10  // oct
        case (0x6E, 0x6F, 0x76): return 11  // nov
        case (0x64, 0x65, 0x63): return 12  // dec
        default: return nil
        }
    }

    /// RFC 3164 `Mmm dd hh:mm:ss` (day space-padded or not), optionally `Mmm dd yyyy hh:mm:ss`
    /// and a fraction after the seconds. Returns civil parts (year nil when absent) and the
    /// index after the stamp.
    static func bsd(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int)
        -> (year: Int?, month: Int, day: Int, h: Int, m: Int, s: Int, nanos: Int, next: Int)? {
        var i = start
        guard end - i >= 14, let mo = month(p, i), p[i + 3] == 0x20 else { return nil }
        i += 4
        if p[i] == 0x20 { i += 1 }
        var day = 0, nd = 0
        while i < end, p[i] &- 48 < 10, nd < 2 { day = day * 10 + Int(p[i] - 48); i += 1; nd += 1 }
        guard nd > 0, day >= 1, day <= 31, i < end, p[i] == 0x20 else { return nil }
        i += 1
        var year: Int?
        if end - i >= 5, let y = digits(p, i, 4), p[i + 4] == 0x20 {
            guard Timestamp.representableYears.contains(y) else { return nil }   // outside Int64 nanoseconds
            year = y; i += 5
        }
        guard end - i >= 8, let h = digits(p, i, 2), p[i + 2] == 0x3A, let mi = digits(p, i + 3, 2), p[i + 5] == 0x3A,
              let s = digits(p, i + 6, 2), h < 24, mi < 60, s <= 60 else { return nil }
        i += 8
        var nanos = 0
        if i < end, p[i] == 0x2E {
            var j = i + 1, n = 0
            while j < end, p[j] &- 48 < 10 { if n < 9 { nanos = nanos * 10 + Int(p[j] - 48) }; n += 1; j += 1 }
            if n > 0 { while n < 9 { nanos *= 10; n += 1 }; i = j } else { nanos = 0 }
        }
        return (year, mo, day, h, mi, min(s, 59), nanos, i)
    }

    /// The year for a year-less stamp: the year of `now` (in the stamp's zone), moved back
    /// one year when that would put the stamp more than 7 days in the future (a December
    /// line read in January), forward one when the stamp is January and `now` is late
    /// December (a sender whose clock already passed New Year).
    static func inferYear(month: Int, day: Int, h: Int, m: Int, s: Int, offset: Int, now: Int64) -> Int {
        let localNow = now / Timestamp.nanosPerSecond + Int64(offset)
        var days = localNow / 86400
        if localNow < 0 && localNow % 86400 != 0 { days -= 1 }
        let (ny, nm, _) = Timestamp.civilFromDays(Int(days))
        let candidate = Timestamp.make(year: ny, month: month, day: day, hour: h, minute: m, second: s) / Timestamp.nanosPerSecond
        let diff = candidate - localNow
        if diff > 7 * 86400 { return ny - 1 }
        if month == 1 && nm == 12 && diff < -300 * 86400 { return ny + 1 }
        return ny
    }
}
