/// Word-at-a-time byte searches for the hot paths of the JSON reader and writer.
public enum ByteScan {
    @usableFromInline static let ones: UInt64 = 0x0101_0101_0101_0101
    @usableFromInline static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Index of the first byte in `p[i..<n]` that JSON strings must escape or that ends
    /// them: `"`, `\`, or a control character (< 0x20); `n` if none. Eight bytes at a time.
    @inlinable @inline(__always)
    public static func firstJSONSpecial(_ p: UnsafePointer<UInt8>, from start: Int, to n: Int) -> Int {
        var i = start
        let raw = UnsafeRawPointer(p)
        while i + 8 <= n {
            let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let control = (x &- 0x2020_2020_2020_2020) & ~x & highs
            let q = x ^ 0x2222_2222_2222_2222
            let quote = (q &- ones) & ~q & highs
            let b = x ^ 0x5C5C_5C5C_5C5C_5C5C
            let backslash = (b &- ones) & ~b & highs
            let m = control | quote | backslash
            // The lowest flagged byte is always a true match (false positives only follow one).
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
}
