#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SluiceCore

/// When a file sink makes its writes durable.
public enum FsyncPolicy: String, CaseIterable, Sendable {
    /// Leave it to the kernel (fastest; a host crash may lose the last seconds).
    case never
    /// fsync after every batch, before acknowledging it (nothing acknowledged is lost).
    case batch
}

/// `file`: appends one encoded record per line to `path`. The file is created (0640) if
/// missing and reopened if it is moved away (log rotation by rename).
///
/// Options: `path` (required), `encoding` (default json), `include_original`,
/// `fsync` (`never` default, `batch`).
/// Guarantees: a batch is acknowledged only after all its bytes were written (and fsync'd
/// with `fsync: batch`); a write error is retried by the runtime, never dropped.
public final class FileSink: Sink {
    public let path: String
    let encoder: EventEncoder
    let fsyncPolicy: FsyncPolicy
    var fd: Int32 = -1
    var inode: ino_t = 0
    var buffer: [UInt8] = []
    var lastCheck: Int64 = 0

    public init(path: String, encoder: EventEncoder, fsync: FsyncPolicy = .never) {
        self.path = path; self.encoder = encoder; self.fsyncPolicy = fsync
    }

    public static func make(_ o: ComponentOptions, _ ctx: BuildContext) throws -> FileSink {
        let path = o.requiredString("path")
        return FileSink(path: path, encoder: EncodingName.makeEncoder(o), fsync: o.choice("fsync", default: FsyncPolicy.never))
    }

    func ensureOpen() throws {
        if fd >= 0 {
            // Reopen when the file was renamed or deleted (checked at most once a second).
            let now = Timestamp.now()
            if now - lastCheck < 1_000_000_000 { return }
            lastCheck = now
            var st = stat()
            if stat(path, &st) == 0 && st.st_ino == inode { return }
            Glibc.close(fd); fd = -1
        }
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SinkError.retryable("\(path): \(String(cString: strerror(errno)))") }
        var st = stat()
        if fstat(fd, &st) == 0 { inode = st.st_ino }
    }

    public func write(_ batch: EventBatch) throws {
        try ensureOpen()
        buffer.removeAll(keepingCapacity: true)
        for e in batch.events {
            encoder.encode(e, into: &buffer)
            buffer.append(0x0A)
        }
        try FileDescriptorWriter(fd: fd, label: path).writeAll(buffer)
        if fsyncPolicy == .batch, fsync(fd) != 0 {
            throw SinkError.retryable("\(path): fsync: \(String(cString: strerror(errno)))")
        }
        batch.acknowledge()
    }

    public func flush() throws {
        if fd >= 0 { fsync(fd) }
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }
}
