import CZlib

/// A gzip-compressed file read sequentially through zlib (`gzopen`/`gzread`), for rotated
/// logs such as `app.log.2.gz`.
///
/// Guarantees: reads return decompressed bytes in order; positions are offsets in the
/// decompressed stream; `skip` moves forward by decompressing (gzip cannot seek); a corrupt
/// or truncated stream ends reading with an error instead of crashing. Used by one thread.
final class GzipFile {
    private var handle: gzFile?

    init?(path: String) {
        guard let h = gzopen(path, "rb") else { return nil }
        handle = h
        gzbuffer(h, 128 * 1024)
    }

    deinit { if let h = handle { gzclose(h) } }

    /// Reads up to `count` bytes into `buffer`; 0 at the end, -1 on error.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) -> Int {
        guard let h = handle else { return -1 }
        return Int(gzread(h, buffer, UInt32(min(count, Int(Int32.max)))))
    }

    /// The first `count` decompressed bytes (fewer if the stream is shorter); moves the
    /// read position back to 0.
    func prefix(_ count: Int) -> [UInt8] {
        guard let h = handle else { return [] }
        var buf = [UInt8](repeating: 0, count: count)
        let n = buf.withUnsafeMutableBytes { Int(gzread(h, $0.baseAddress, UInt32(count))) }
        gzrewind(h)
        return n > 0 ? Array(buf[0..<n]) : []
    }

    /// Moves forward to decompressed offset `offset` (from the start); returns the offset reached.
    func skip(to offset: Int64) -> Int64 {
        guard let h = handle, offset > 0 else { return 0 }
        let r = gzseek(h, off_t(offset), SEEK_SET)
        return r < 0 ? 0 : Int64(r)
    }
}

#if canImport(Glibc)
import Glibc
#endif
