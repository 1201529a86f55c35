#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
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
/// Options: `path` (required), `encoding` (`json` default, `cef`, `ocsf`),
/// `include_original`, `fsync` (`never` default, `batch`), `rotate: {max_bytes, keep}`
/// (when the file reaches `max_bytes` it is renamed `path.1`, older ones shift to `.2`…,
/// and at most `keep` (default 5) rotated files are kept).
/// Guarantees: a batch is acknowledged only after all its bytes were written (and fsync'd
/// with `fsync: batch`); a write error is retried by the runtime, never dropped; a record
/// is never split across two files. On a full disk (or any failed write or fsync) the file
/// is truncated back to its last complete record before the error is reported, and a
/// retried batch skips the records an earlier attempt already completed: no half records,
/// no duplicates.
public final class FileSink: Sink {
    public let path: String
    let encoder: EventEncoder
    let fsyncPolicy: FsyncPolicy
    var fd: Int32 = -1
    var inode: ino_t = 0
    var buffer: [UInt8] = []
    /// Writes a batch's pieces while the next is encoded; made at the first write.
    var writeBehind: WriteBehind?
    var lastCheck: Int64 = 0
    var size = 0
    let rotateBytes: Int?
    let keep: Int
    var logger: Logger?

    public init(path: String, encoder: EventEncoder, fsync: FsyncPolicy = .never, rotateBytes: Int? = nil, keep: Int = 5) {
        self.path = path; self.encoder = encoder; self.fsyncPolicy = fsync
        self.rotateBytes = rotateBytes; self.keep = max(1, keep)
    }

    public static func make(_ o: ComponentOptions, _ ctx: BuildContext) throws -> FileSink {
        let path = o.requiredString("path")
        var rotateBytes: Int?, keep = 5
        if let r = o.nested("rotate") {
            rotateBytes = r.bytes("max_bytes", default: 100 << 20)
            keep = r.int("keep", default: 5, range: 1...1000)
            r.finish(); o.merge(r)
        }
        let sink = FileSink(path: path, encoder: EncodingName.makeEncoder(o), fsync: o.choice("fsync", default: FsyncPolicy.never),
                            rotateBytes: rotateBytes, keep: keep)
        sink.logger = ctx.logger
        return sink
    }

    /// Renames `path` to `path.1` (shifting older ones, dropping beyond `keep`).
    func rotate() {
        if fd >= 0 { if fsyncPolicy == .batch { fsync(fd) }; Glibc.close(fd); fd = -1 }
        unlink("\(path).\(keep)")
        if keep > 1 { for i in stride(from: keep - 1, through: 1, by: -1) { rename("\(path).\(i)", "\(path).\(i + 1)") } }
        rename(path, "\(path).1")
        size = 0
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
        if fstat(fd, &st) == 0 { inode = st.st_ino; size = Int(st.st_size) }
    }

    /// What identifies a batch the runtime retries after a failed write: the same events
    /// buffer, count, first acknowledgement and first record.
    struct BatchID: Equatable {
        let base: UnsafeRawPointer?
        let count: Int
        let ack: ObjectIdentifier?
        let firstRecord: UInt64
    }

    /// A batch whose write failed after some of its records were durably in the file (a
    /// rotation in between): how many. Its retry skips them, so nothing is written twice.
    var partial: (id: BatchID, written: Int)?

    func batchID(_ batch: EventBatch) -> BatchID {
        var firstHash: UInt64 = 0xcbf2_9ce4_8422_2325
        if let first = batch.events.first {
            var bytes: [UInt8] = []
            encoder.encode(first, into: &bytes)
            for b in bytes { firstHash = (firstHash ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        return BatchID(base: batch.events.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }, count: batch.count,
                       ack: batch.acks.first.map { ObjectIdentifier($0) }, firstRecord: firstHash)
    }

    /// Bytes encoded before they are written: a batch goes out in pieces of about this size,
    /// each written by `WriteBehind` while the next is encoded, and the kernel copies from a
    /// buffer still in the CPU cache (one write of a whole batch, a megabyte or more with
    /// `event.original` kept, copies from memory).
    static let writeChunk = 128 << 10

    public func write(_ batch: EventBatch) throws {
        // Encoded into a local buffer (the member keeps its capacity between batches).
        var buffer = self.buffer
        self.buffer = []
        defer { buffer.removeAll(keepingCapacity: true); self.buffer = buffer }
        // Only a batch retried after a partial write needs identifying (rotation only).
        var id: BatchID?
        var written = 0
        if let p = partial {
            let bid = batchID(batch)
            if p.id == bid { written = p.written }
            id = bid
        }
        partial = nil
        let behind = writeBehind ?? WriteBehind(label: path)
        writeBehind = behind
        do {
            try ensureOpen()
            var start = fileStart()
            do {
                // Encoded in place: the events are read where they are, not copied one by one.
                try batch.events.withUnsafeBufferPointer { events in
                    var lineStart = 0
                    var inBuffer = 0
                    for i in written..<events.count {
                        encoder.encode(events[i], into: &buffer)
                        buffer.append(0x0A)
                        if let max = rotateBytes, size + buffer.count > max, lineStart > 0 || size > 0 {
                            // Write what fits before this record, then rotate and continue in a new file.
                            try behind.finish()
                            try append(buffer[..<lineStart])
                            written += inBuffer
                            inBuffer = 0
                            buffer.removeFirst(lineStart)
                            rotate()
                            try ensureOpen()
                            start = fileStart()
                        } else if buffer.count >= Self.writeChunk {
                            size += buffer.count
                            try behind.submit(&buffer, fd: fd, label: path)
                        }
                        inBuffer += 1
                        lineStart = buffer.count
                    }
                }
                try behind.finish()
                try append(buffer[...])
            } catch {
                // Nothing of this batch stays in the file: no half record, no half batch,
                // so the runtime's retry writes each record once.
                _ = try? behind.finish()
                if fd >= 0, ftruncate(fd, start) != 0 {
                    logger?.error("\(path): could not truncate back to \(start) bytes after a failed write: \(String(cString: strerror(errno)))")
                }
                size = Int(start)
                throw error
            }
        } catch {
            if written > 0 { partial = (id ?? batchID(batch), written) }
            throw error
        }
        if let max = rotateBytes, size >= max { rotate() }
        batch.acknowledge()
    }

    /// The file's size before a batch's first write: where a failed batch is cut back to.
    private func fileStart() -> off_t {
        var st = stat()
        return fstat(fd, &st) == 0 ? off_t(st.st_size) : off_t(size)
    }

    /// Appends the last piece of a batch (or of its part before a rotation) and, with
    /// `fsync: batch`, makes the file durable. The caller truncates on failure.
    private func append(_ bytes: ArraySlice<UInt8>) throws {
        if !bytes.isEmpty { try FileDescriptorWriter(fd: fd, label: path).writeAll(bytes) }
        size += bytes.count
        if fsyncPolicy == .batch, fsync(fd) != 0 {
            throw SinkError.retryable("\(path): fsync: \(String(cString: strerror(errno)))")
        }
    }

    public func flush() throws {
        if fd >= 0 { fsync(fd) }
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }
}
