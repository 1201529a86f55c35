import Atomics
import Foundation

private let tmpCounter = ManagedAtomic<Int>(0)

/// Durable per-source state (file offsets, journal cursors) in `<data_dir>/checkpoints/`.
///
/// Guarantees: a save is atomic and durable: the value is written to a temporary file,
/// fsync'd, renamed over the old file and the directory fsync'd, so after a crash a
/// checkpoint is either the old or the new one, never torn. Not on the hot path: sources
/// save at most about once a second and at shutdown.
public final class CheckpointStore: Sendable {
    public let directory: URL

    public init(dataDirectory: String) throws {
        directory = URL(fileURLWithPath: dataDirectory).appendingPathComponent("checkpoints", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    private func url(_ name: String) -> URL {
        let safe = name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" }
        return directory.appendingPathComponent(String(safe) + ".json")
    }

    public func load<T: Decodable>(_ type: T.Type, for name: String) throws -> T? {
        let u = url(name)
        guard let data = try? Data(contentsOf: u) else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw CheckpointError.corrupt(path: u.path, detail: "\(error)")
        }
    }

    public func save<T: Encodable>(_ value: T, for name: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        try Self.writeAtomically(try enc.encode(value), to: url(name).path)
    }

    /// Writes `data` to `path` with temp file + fsync + rename + directory fsync. Takes any
    /// contiguous bytes (`Data`, `[UInt8]`) and writes them in place, without a copy.
    public static func writeAtomically<Bytes: ContiguousBytes>(_ data: Bytes, to path: String) throws {
        try writeAtomically(to: path) { write in try data.withUnsafeBytes { try write($0) } }
    }

    /// Writes what `body` hands to its writer to `path`, atomically and durably as
    /// `writeAtomically(_:to:)` does: nothing replaces `path` unless `body` returns and every
    /// byte reached the disk (a throw or a failed write leaves the old file and no temp file).
    public static func writeAtomically(to path: String, _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let tmp = path + ".tmp.\(getpid()).\(tmpCounter.wrappingIncrementThenLoad(ordering: .relaxed))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CheckpointError.io(path: tmp, errno: errno) }
        do {
            try body { raw in
                var off = 0
                while off < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                    if n < 0 { if errno == EINTR { continue }; throw CheckpointError.io(path: tmp, errno: errno) }
                    off += n
                }
            }
        } catch {
            close(fd); unlink(tmp); throw error
        }
        let ok = fsync(fd) == 0
        let savedErrno = errno
        close(fd)
        guard ok else { unlink(tmp); throw CheckpointError.io(path: tmp, errno: savedErrno) }
        guard rename(tmp, path) == 0 else { let e = errno; unlink(tmp); throw CheckpointError.io(path: path, errno: e) }
        let dir = (path as NSString).deletingLastPathComponent
        syncDirectory(dir.isEmpty ? "." : dir)
    }

    /// Makes a directory's entries durable (a rename or link in it survives a crash).
    /// Returns whether the fsync succeeded.
    @discardableResult
    static func syncDirectory(_ dir: String) -> Bool {
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { return false }
        defer { close(dfd) }
        return fsync(dfd) == 0
    }
}

public enum CheckpointError: Error, CustomStringConvertible {
    case io(path: String, errno: Int32)
    case corrupt(path: String, detail: String)
    public var description: String {
        switch self {
        case .io(let p, let e): return "\(p): \(String(cString: strerror(e)))"
        case .corrupt(let p, let d): return "\(p): corrupt checkpoint: \(d)"
        }
    }
}
