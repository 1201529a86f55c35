import CZlib

/// gzip (RFC 1952) compression with the system zlib, for HTTP request bodies.
public enum Gzip {
    /// Compresses `input`; nil only if zlib fails (then send uncompressed).
    public static func compress(_ input: [UInt8], level: Int32 = 6) -> [UInt8]? {
        var strm = z_stream()
        guard deflateInit2_(&strm, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                            zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { deflateEnd(&strm) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&strm, UInt(input.count))) + 32)
        let ok: Bool = input.withUnsafeBufferPointer { inp in
            out.withUnsafeMutableBufferPointer { o in
                strm.next_in = UnsafeMutablePointer(mutating: inp.baseAddress)
                strm.avail_in = UInt32(inp.count)
                strm.next_out = o.baseAddress
                strm.avail_out = UInt32(o.count)
                return deflate(&strm, Z_FINISH) == Z_STREAM_END
            }
        }
        guard ok else { return nil }
        out.removeLast(out.count - Int(strm.total_out))
        return out
    }
}
