#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Appends JSON text to a byte buffer. No Foundation, no intermediate strings.
///
/// Guarantees: output is valid UTF-8 JSON; control characters, quotes and backslashes are
/// escaped; invalid UTF-8 in raw byte input is replaced by U+FFFD, so no input can break the
/// framing of a JSON line.
public enum JSONWriter {
    @usableFromInline static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `s` as a quoted JSON string.
    @inlinable
    public static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { appendQuotedValidUTF8($0, to: &out) }
    }

    /// For each byte: 0 = copied as is, 1 = short escape (`\n`), 2 = `\u00XX`.
    @usableFromInline static let escapeClass: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 256)
        for b in 0..<0x20 { t[b] = 2 }
        for b in [0x08, 0x09, 0x0A, 0x0C, 0x0D] { t[b] = 1 }
        t[0x22] = 1; t[0x5C] = 1
        // \b and \f use the \u form for simplicity; keep them 2.
        t[0x08] = 2; t[0x0C] = 2
        return t
    }()

    /// Appends already-valid UTF-8 bytes as a quoted JSON string. Finds the bytes to escape
    /// eight at a time and copies the runs between them whole. One pass in the usual case:
    /// the output gets room for every byte escaped in the two-byte form (`\"`, `\\`, `\n`…);
    /// only a string with a control byte that needs `\u00XX` is measured first.
    @inlinable
    public static func appendQuotedValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        let n = bytes.count
        guard let p = bytes.baseAddress, n > 0 else { out.append(contentsOf: [0x22, 0x22]); return }
        let firstSpecial = ByteScan.firstJSONSpecial(p, from: 0, to: n)
        if firstSpecial == n {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\""))
            return
        }
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: 2 &* n &+ 2))
        var end = out.withUnsafeMutableBufferPointer {
            writeQuoted(p, n, firstSpecial: firstSpecial, to: $0.baseAddress! + start, shortOnly: true)
        }
        if end < 0 {
            var extra = 0
            var i = firstSpecial
            while i < n {
                extra &+= escapeClass[Int(p[i])] == 1 ? 1 : 5
                i = ByteScan.firstJSONSpecial(p, from: i &+ 1, to: n)
            }
            out.removeSubrange(start...)
            out.append(contentsOf: repeatElement(0, count: n &+ extra &+ 2))
            end = out.withUnsafeMutableBufferPointer {
                writeQuoted(p, n, firstSpecial: firstSpecial, to: $0.baseAddress! + start, shortOnly: false)
            }
        }
        out.removeSubrange((start &+ end)...)
    }

    /// Writes `p[0..<n]` quoted and escaped at `d` (which has room for it); returns the bytes
    /// written, or -1 when `shortOnly` and a byte needs the six-byte `\u00XX` form.
    /// With `shortOnly` the room is `2 * n + 2` bytes (every byte escaped in two), which lets
    /// the copy go sixteen bytes at a time on x86-64 (SSE2) and eight elsewhere, each block
    /// stored whole before its specials are looked at: a record dense in quotes (JSON in
    /// `event.original`) costs a few instructions per quote, not a search and a copy call.
    /// With `asciiOnly` (and `shortOnly`), returns `notASCII` at the first byte of 0x80 or
    /// more: text not yet known to be valid UTF-8 is copied and checked in one pass when it
    /// is ASCII, the common case, and validated first only when it is not.
    @inlinable
    static func writeQuoted(_ p: UnsafePointer<UInt8>, _ n: Int, firstSpecial: Int,
                            to d: UnsafeMutablePointer<UInt8>, shortOnly: Bool, asciiOnly: Bool = false) -> Int {
        guard shortOnly else { return writeQuotedExact(p, n, firstSpecial: firstSpecial, to: d) }
        d[0] = UInt8(ascii: "\"")
        if firstSpecial > 0 { (d + 1).update(from: p, count: firstSpecial) }
        var i = firstSpecial
        var j = 1 &+ firstSpecial
        let src = UnsafeRawPointer(p)
        let dst = UnsafeMutableRawPointer(d)
        while i < n {
            #if arch(x86_64)
            if i &+ 16 <= n {
                // j + 16 <= 2i + 17 <= 2n + 2: the sixteen bytes fit the room.
                // Tested from the bytes loaded for the store: the store may alias them for all
                // the compiler knows, so reading `src` again would load them a second time.
                let v = ByteScan.load16(src + i)
                _mm_storeu_si128((dst + j).assumingMemoryBound(to: __m128i.self), v)
                if asciiOnly && ByteScan.highBytes16(v) != 0 { return notASCII }
                var m = ByteScan.jsonSpecials16(v)
                if m == 0 { i &+= 16; j &+= 16; continue }
                if i &+ 32 <= n {
                    // Every special of the block from its mask: each escaped, then the sixteen
                    // bytes after it copied one place further on (bytes past the block are
                    // raw copies that the next block checks and stores again). Reads end by
                    // i + 32 <= n; writes by j + 2k + 18 <= 2i + 49 <= 2n + 2 (j <= 2i + 1, k <= 15).
                    var shift = 0
                    repeat {
                        let k = Int(m.trailingZeroBitCount)
                        guard shortEscape(p[i &+ k], to: d + (j &+ k &+ shift)) else { return -1 }
                        shift &+= 1
                        _mm_storeu_si128((dst + (j &+ k &+ 1 &+ shift)).assumingMemoryBound(to: __m128i.self),
                                         ByteScan.load16(src + (i &+ k &+ 1)))
                        m &= m &- 1
                    } while m != 0
                    i &+= 16; j &+= 16 &+ shift
                    continue
                }
                let k = Int(m.trailingZeroBitCount)
                i &+= k; j &+= k
                guard shortEscape(p[i], to: d + j) else { return -1 }
                i &+= 1; j &+= 2
                continue
            }
            #endif
            if i &+ 8 <= n {
                // j + 8 <= 2i + 9 <= 2n + 2: the word fits the room.
                let x = src.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                dst.storeBytes(of: x, toByteOffset: j, as: UInt64.self)
                let m = ByteScan.jsonSpecials8(x)
                if asciiOnly && x & 0x8080_8080_8080_8080 != 0 { return notASCII }
                if m == 0 { i &+= 8; j &+= 8; continue }
                // The lowest flagged byte is a true special (false positives only follow one).
                let k = m.trailingZeroBitCount &>> 3
                i &+= k; j &+= k
            } else {
                // Fewer than eight bytes left of a string of eight or more: when none of its
                // last eight bytes is special or above ASCII, the bytes before i among them were
                // written unescaped right before j, and the word stored over them ends the copy.
                if n >= 8 {
                    let x = src.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
                    if ByteScan.jsonSpecials8(x) == 0 && x & 0x8080_8080_8080_8080 == 0 {
                        dst.storeBytes(of: x, toByteOffset: j &- (i &- (n &- 8)), as: UInt64.self)
                        j &+= n &- i; i = n
                        continue
                    }
                }
                let b = p[i]
                if asciiOnly && b >= 0x80 { return notASCII }
                if b >= 0x20 && b != 0x22 && b != 0x5C { d[j] = b; i &+= 1; j &+= 1; continue }
            }
            guard shortEscape(p[i], to: d + j) else { return -1 }
            i &+= 1; j &+= 2
        }
        d[j] = UInt8(ascii: "\"")
        return j &+ 1
    }

    /// Writes the two-byte escape of `b` (a quote, backslash, newline, return or tab) at `d`;
    /// false for a byte that needs the six-byte `\u00XX` form (nothing useful written).
    @inlinable @inline(__always)
    static func shortEscape(_ b: UInt8, to d: UnsafeMutablePointer<UInt8>) -> Bool {
        d[0] = UInt8(ascii: "\\")
        if b == 0x22 || b == 0x5C { d[1] = b; return true }   // the usual case: no jump table
        switch b {
        case 0x0A: d[1] = UInt8(ascii: "n")
        case 0x0D: d[1] = UInt8(ascii: "r")
        case 0x09: d[1] = UInt8(ascii: "t")
        default: return false
        }
        return true
    }

    /// What `writeQuoted` with `asciiOnly` returns for text that is not all ASCII.
    public static let notASCII = -2

    /// `writeQuoted` into room measured exactly (`\u00XX` forms counted): copies the runs
    /// between specials, never past the end.
    @inlinable
    static func writeQuotedExact(_ p: UnsafePointer<UInt8>, _ n: Int, firstSpecial: Int,
                                 to d: UnsafeMutablePointer<UInt8>) -> Int {
        var j = 0
        d[j] = UInt8(ascii: "\""); j &+= 1
        var from = 0
        var at = firstSpecial
        while true {
            let run = at &- from
            if run > 0 { (d + j).update(from: p + from, count: run); j &+= run }
            if at == n { break }
            let b = p[at]
            if escapeClass[Int(b)] == 1 {
                d[j] = UInt8(ascii: "\\")
                switch b {
                case 0x0A: d[j &+ 1] = UInt8(ascii: "n")
                case 0x0D: d[j &+ 1] = UInt8(ascii: "r")
                case 0x09: d[j &+ 1] = UInt8(ascii: "t")
                default: d[j &+ 1] = b  // quote or backslash
                }
                j &+= 2
            } else {
                d[j] = UInt8(ascii: "\\"); d[j &+ 1] = UInt8(ascii: "u")
                d[j &+ 2] = UInt8(ascii: "0"); d[j &+ 3] = UInt8(ascii: "0")
                d[j &+ 4] = hex[Int(b >> 4)]; d[j &+ 5] = hex[Int(b & 0xF)]
                j &+= 6
            }
            from = at &+ 1
            at = ByteScan.firstJSONSpecial(p, from: from, to: n)
        }
        d[j] = UInt8(ascii: "\"")
        return j &+ 1
    }

    /// Appends arbitrary bytes as a quoted JSON string, replacing invalid UTF-8 with U+FFFD.
    public static func appendQuotedBytes(_ bytes: ArraySlice<UInt8>, to out: inout [UInt8]) {
        bytes.withUnsafeBufferPointer { appendQuotedBytes($0, to: &out) }
    }

    /// Appends arbitrary bytes as a quoted JSON string, replacing invalid UTF-8 with U+FFFD.
    public static func appendQuotedBytes(_ buf: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        if UTF8Validation.isValid(buf) {
            appendQuotedValidUTF8(buf, to: &out)
        } else {
            appendQuoted(String(decoding: buf, as: UTF8.self), to: &out)
        }
    }

    /// Appends `v` in decimal (`writeInt`'s digits, through 20 bytes on the stack).
    @inlinable
    public static func appendInt(_ v: Int64, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buf in
            let n = writeInt(v, to: buf.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[..<n]))
        }
    }

    /// Writes `v` in decimal at `d` (room for 20 bytes); returns the bytes written (what
    /// `appendInt` appends). The length is known first (`decimalDigits`), so the digits
    /// are written in place from the end, two at a time, and never moved.
    @inlinable
    public static func writeInt(_ v: Int64, to d: UnsafeMutablePointer<UInt8>) -> Int {
        var x = v.magnitude
        var len = decimalDigits(x)
        if v < 0 { d[0] = UInt8(ascii: "-"); len &+= 1 }
        var k = len
        let t = twoDigits.utf8Start
        while x >= 100 {
            let r = Int(truncatingIfNeeded: x % 100) &* 2
            x /= 100
            k &-= 2
            d[k] = t[r]; d[k &+ 1] = t[r &+ 1]
        }
        if x >= 10 {
            let r = Int(truncatingIfNeeded: x) &* 2
            d[k &- 2] = t[r]; d[k &- 1] = t[r &+ 1]
        } else {
            d[k &- 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: x)
        }
        return len
    }

    /// The number of decimal digits of `x` (1 for 0): the bit length times log10(2)
    /// (1233/4096), then one comparison with a power of ten.
    @inlinable
    static func decimalDigits(_ x: UInt64) -> Int {
        let estimate = ((64 &- x.leadingZeroBitCount) &* 1233) &>> 12
        let n = x >= powerOfTen(estimate) ? estimate &+ 1 : estimate
        return n == 0 ? 1 : n
    }

    /// 10^i for i in 0...19 (a switch the compiler turns into a table among the binary's
    /// constants: no global to initialize and check on each call, as an array would be).
    @inlinable @inline(__always)
    static func powerOfTen(_ i: Int) -> UInt64 {
        switch i {
        case 0: return 1
        case 1: return 10
        case 2: return 100
        case 3: return 1000
        case 4: return 10000
        case 5: return 100000
        case 6: return 1000000
        case 7: return 10000000
        case 8: return 100000000
        case 9: return 1000000000
        case 10: return 10000000000
        case 11: return 100000000000
        case 12: return 1000000000000
        case 13: return 10000000000000
        case 14: return 100000000000000
        case 15: return 1000000000000000
        case 16: return 10000000000000000
        case 17: return 100000000000000000
        case 18: return 1000000000000000000
        default: return 10_000_000_000_000_000_000
        }
    }

    /// "00" to "99" as one text: the two digits of n at 2n (a constant of the binary, read
    /// through a pointer, no global to initialize).
    @usableFromInline static let twoDigits: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    public static func appendDouble(_ v: Double, to out: inout [UInt8]) {
        guard v.isFinite else { out.append(contentsOf: "null".utf8); return }
        if v.rounded() == v, abs(v) < 1e15 { appendInt(Int64(v), to: &out); out.append(contentsOf: ".0".utf8); return }
        out.append(contentsOf: v.description.utf8)
    }

    /// Appends any field value; a `.span` is read from `record` (the owning event's
    /// `spanStorage`), so pass it whenever the value may come from a parser.
    public static func appendValue(_ v: FieldValue, record: ArraySlice<UInt8> = [], to out: inout [UInt8]) {
        record.withUnsafeBufferPointer { appendValue(v, recordBytes: $0, to: &out) }
    }

    /// `appendValue(_:record:to:)` with the record's bytes already in hand: an encoder
    /// writing many fields of one event reads them in place, with no reference counting
    /// per span.
    public static func appendValue(_ v: FieldValue, recordBytes record: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        switch v {
        case .string(let s): appendQuoted(s, to: &out)
        case .span(let sp): appendQuotedBytes(sp.bytes(in: record), to: &out)
        case .int(let i): appendInt(i, to: &out)
        case .double(let d): appendDouble(d, to: &out)
        case .bool(let b): out.append(contentsOf: b ? "true".utf8 : "false".utf8)
        case .null: out.append(contentsOf: "null".utf8)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, e) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendValue(e, recordBytes: record, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, m) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendQuoted(m.key.path, to: &out)
                out.append(UInt8(ascii: ":"))
                appendValue(m.value, recordBytes: record, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}

/// UTF-8 validation on raw bytes, fast for ASCII.
public enum UTF8Validation {
    public static func isValid(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = buf.count
        // ASCII fast path, 8 bytes at a time.
        if let base = buf.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= n {
                if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
                i += 8
            }
        }
        while i < n {
            let b = buf[i]
            if b < 0x80 { i += 1; continue }
            var need = 0
            var minCode: UInt32 = 0
            var code: UInt32
            if b & 0xE0 == 0xC0 { need = 1; code = UInt32(b & 0x1F); minCode = 0x80 }
            else if b & 0xF0 == 0xE0 { need = 2; code = UInt32(b & 0x0F); minCode = 0x800 }
            else if b & 0xF8 == 0xF0 { need = 3; code = UInt32(b & 0x07); minCode = 0x10000 }
            else { return false }
            if i + need >= n { return false }
            for k in 1...need {
                let c = buf[i + k]
                if c & 0xC0 != 0x80 { return false }
                code = (code << 6) | UInt32(c & 0x3F)
            }
            if code < minCode || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF) { return false }
            i += need + 1
        }
        return true
    }
}
