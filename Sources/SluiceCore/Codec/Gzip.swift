#if canImport(Glibc)
import Glibc
#endif
import CZlib

/// gzip (RFC 1952) with the system zlib: compression for HTTP request bodies (HTTP sink) and
/// bounded decompression of received bodies (`Content-Encoding: gzip` on the HEC receiver).
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

    /// Why a body could not be decompressed.
    public enum DecompressError: Error, Equatable, CustomStringConvertible {
        /// The decompressed size would pass `limit` (a "zip bomb" or simply too large).
        case tooLarge(limit: Int)
        /// Not gzip/zlib data, corrupt, or cut short.
        case corrupt(String)
        public var description: String {
            switch self {
            case .tooLarge(let l): return "decompressed body larger than \(l) bytes"
            case .corrupt(let s): return "invalid gzip data: \(s)"
            }
        }
    }

    /// Decompresses gzip (or zlib) data, including several concatenated gzip members.
    ///
    /// Guarantees: never produces more than `limit` bytes (it stops and throws `.tooLarge`
    /// as soon as the output would pass it, so memory stays bounded whatever the input);
    /// truncated or corrupt input throws `.corrupt`.
    public static func decompress(_ input: ArraySlice<UInt8>, limit: Int) throws -> [UInt8] {
        var strm = z_stream()
        // 15 + 32: zlib detects a gzip or zlib header by itself.
        guard inflateInit2_(&strm, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DecompressError.corrupt("zlib could not start")
        }
        defer { inflateEnd(&strm) }
        var out: [UInt8] = []
        out.reserveCapacity(min(limit, max(4096, input.count * 4)))
        let chunk = 64 * 1024
        var buffer = [UInt8](repeating: 0, count: chunk)
        try input.withUnsafeBufferPointer { inp in
            strm.next_in = UnsafeMutablePointer(mutating: inp.baseAddress)
            strm.avail_in = UInt32(inp.count)
            while true {
                let (rc, produced): (Int32, Int) = buffer.withUnsafeMutableBufferPointer { b in
                    strm.next_out = b.baseAddress
                    strm.avail_out = UInt32(chunk)
                    let rc = inflate(&strm, Z_NO_FLUSH)
                    return (rc, chunk - Int(strm.avail_out))
                }
                if produced > 0 {
                    if out.count + produced > limit { throw DecompressError.tooLarge(limit: limit) }
                    out.append(contentsOf: buffer[0..<produced])
                }
                switch rc {
                case Z_STREAM_END:
                    // Another gzip member may follow (as `cat a.gz b.gz` makes).
                    if strm.avail_in == 0 { return }
                    guard inflateReset(&strm) == Z_OK else { throw DecompressError.corrupt("cannot read the next member") }
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    if strm.avail_in == 0 { throw DecompressError.corrupt("unexpected end of data") }
                    continue
                default:
                    let msg = strm.msg.map { String(cString: $0) } ?? "error \(rc)"
                    throw DecompressError.corrupt(msg)
                }
            }
        }
        return out
    }
}
