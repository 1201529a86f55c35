#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Word-at-a-time byte searches for the hot paths of the readers and writers (JSON, the
/// line parsers' tokens and URLs, CEF extensions). On x86-64 the JSON searches take sixteen
/// bytes at a time (SSE2, which every x86-64 processor has); elsewhere, and for the last
/// bytes of a buffer, eight at a time in a 64-bit word.
public enum ByteScan {
    @usableFromInline static let ones: UInt64 = 0x0101_0101_0101_0101
    @usableFromInline static let highs: UInt64 = 0x8080_8080_8080_8080

    /// High bit set in each byte of `v` that is zero. Exact for the lowest such byte (a false
    /// positive can only follow a true zero byte), which is all the searches here use.
    @inlinable @inline(__always)
    public static func zeroBytes(_ v: UInt64) -> UInt64 {
        // Literals, not `ones`/`highs`: inlined into another module, a global `let` is a
        // lazily initialized global read through its accessor.
        (v &- 0x0101_0101_0101_0101) & ~v & 0x8080_8080_8080_8080
    }

    /// The position of the first byte in `b[from..<to]` equal to one of `c1`…`c4` (repeat one
    /// to look for fewer), or `to`. Eight bytes at a time.
    @inlinable @inline(__always)
    public static func firstOf(_ b: UnsafeBufferPointer<UInt8>, from: Int, to: Int,
                               _ c1: UInt8, _ c2: UInt8, _ c3: UInt8, _ c4: UInt8) -> Int {
        guard let p = b.baseAddress, from < to else { return to }
        let raw = UnsafeRawPointer(p)
        let k: UInt64 = 0x0101_0101_0101_0101
        let m1 = k &* UInt64(c1), m2 = k &* UInt64(c2), m3 = k &* UInt64(c3), m4 = k &* UInt64(c4)
        var i = from
        while i + 8 <= to {
            let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            // The lowest flagged byte of each mask is exact, so the lowest over all four is.
            let m = zeroBytes(w ^ m1) | zeroBytes(w ^ m2) | zeroBytes(w ^ m3) | zeroBytes(w ^ m4)
            if m != 0 { return i &+ (m.trailingZeroBitCount >> 3) }
            i &+= 8
        }
        while i < to {
            let ch = p[i]
            if ch == c1 || ch == c2 || ch == c3 || ch == c4 { return i }
            i &+= 1
        }
        return to
    }

    /// Index of the first byte in `p[i..<n]` that JSON strings must escape or that ends
    /// them: `"`, `\`, or a control character (< 0x20); `n` if none. Sixteen bytes at a time
    /// on x86-64, then eight.
    @inlinable @inline(__always)
    public static func firstJSONSpecial(_ p: UnsafePointer<UInt8>, from start: Int, to n: Int) -> Int {
        var i = start
        let raw = UnsafeRawPointer(p)
        #if arch(x86_64)
        while i &+ 16 <= n {
            let m = jsonSpecials16(load16(raw + i))
            if m != 0 { return i &+ m.trailingZeroBitCount }
            i &+= 16
        }
        #endif
        while i + 8 <= n {
            let m = jsonSpecials8(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            if m != 0 { return i &+ (m.trailingZeroBitCount >> 3) }
            i &+= 8
        }
        while i < n {
            let c = p[i]
            if c < 0x20 || c == 0x22 || c == 0x5C { return i }
            i &+= 1
        }
        return n
    }

    /// The high bit set in each byte of the word `x` (first byte lowest) that JSON strings
    /// must escape or that ends them (`"`, `\`, below 0x20). Exact for the lowest such byte
    /// and zero exactly when there is none (a false positive can only follow a true one).
    @inlinable @inline(__always)
    public static func jsonSpecials8(_ x: UInt64) -> UInt64 {
        let control = (x &- 0x2020_2020_2020_2020) & ~x & 0x8080_8080_8080_8080
        return control | zeroBytes(x ^ 0x2222_2222_2222_2222) | zeroBytes(x ^ 0x5C5C_5C5C_5C5C_5C5C)
    }

    #if arch(x86_64)
    /// The sixteen bytes at `p` (no alignment needed).
    @inlinable @inline(__always)
    public static func load16(_ p: UnsafeRawPointer) -> __m128i {
        _mm_loadu_si128(p.assumingMemoryBound(to: __m128i.self))
    }

    /// One bit for each of the sixteen bytes of `x` that JSON strings must escape or that
    /// ends them (`"`, `\`, below 0x20), the first byte in the lowest bit. Takes the bytes
    /// loaded, so a caller that also stores them reads them once.
    @inlinable @inline(__always)
    public static func jsonSpecials16(_ x: __m128i) -> UInt32 {
        let control = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1F)), x)   // x <= 0x1F
        let quote = _mm_cmpeq_epi8(x, _mm_set1_epi8(0x22))
        let backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8(0x5C))
        return UInt32(truncatingIfNeeded: _mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(quote, backslash))))
    }

    /// One bit for each of the sixteen bytes of `x` that is 0x80 or more (not ASCII).
    @inlinable @inline(__always)
    public static func highBytes16(_ x: __m128i) -> UInt32 {
        UInt32(truncatingIfNeeded: _mm_movemask_epi8(x))
    }
    #endif
}
