import Glibc

/// Reads a file whole, straight into one array: no second copy (through `Data`), so the
/// file's size is the peak memory of reading it. Used off the hot path: enrichment tables,
/// detection snapshots.
///
/// Guarantees: the result holds every byte up to end of file, also when the file grew since
/// it was measured; a file over `maxBytes` (before or while reading), a directory, or a
/// failed open, stat or read throws a `WholeFile.Failure` naming the cause.
public enum WholeFile {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case open(Int32), stat(Int32), directory, tooLarge(maxBytes: Int), read(Int32)

        public var description: String {
            switch self {
            case .open(let e): return "cannot open: \(String(cString: strerror(e)))"
            case .stat(let e): return "cannot stat: \(String(cString: strerror(e)))"
            case .directory: return "is a directory"
            case .tooLarge(let max): return "larger than \(max >> 20) MiB"
            case .read(let e): return "cannot read: \(String(cString: strerror(e)))"
            }
        }
    }

    public static func read(_ path: String, maxBytes: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure.open(errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Failure.stat(errno) }
        guard (st.st_mode & S_IFMT) != S_IFDIR else { throw Failure.directory }
        guard Int(st.st_size) <= maxBytes else { throw Failure.tooLarge(maxBytes: maxBytes) }
        var out: [UInt8] = []
        // One byte more than the size, so a file read whole also sees its end in the same call.
        var chunk = max(Int(st.st_size), 0) + 1
        while true {
            var failed: Int32 = 0
            let want = chunk
            let buf = [UInt8](unsafeUninitializedCapacity: want) { p, initialized in
                var total = 0
                while total < want {
                    let r = Glibc.read(fd, p.baseAddress! + total, want - total)
                    if r < 0 { if errno == EINTR { continue }; failed = errno; break }
                    if r == 0 { break }
                    total += r
                }
                initialized = total
            }
            if failed != 0 { throw Failure.read(failed) }
            if out.isEmpty { out = buf } else { out.append(contentsOf: buf) }
            guard out.count <= maxBytes else { throw Failure.tooLarge(maxBytes: maxBytes) }
            if buf.count < want { return out }
            chunk = 1 << 20
        }
    }
}
