#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SluiceCore

/// How `FileSource` knows a file: by device/inode while it is open, and by the fingerprint
/// of its first bytes for its checkpoint (so renamed, copied and rewritten files are told
/// apart); the open file itself (`TailedFile`).
extension FileSource {
    /// One open file. Used by the read loop only, except `path`, `key`, `prefix` and
    /// `tracker`, which `commitCheckpoints` may read from another thread (hence locked).
    final class TailedFile {
        private struct Shared: Sendable {
            var path: String, key: String, prefix: [UInt8] = [], tracker: AckTracker<Int64>
        }
        private let shared: Locked<Shared>
        var path: String { get { shared.withLock { $0.path } } set { shared.withLock { $0.path = newValue } } }
        var key: String { get { shared.withLock { $0.key } } set { shared.withLock { $0.key = newValue } } }
        var prefix: [UInt8] { get { shared.withLock { $0.prefix } } set { shared.withLock { $0.prefix = newValue } } }
        var tracker: AckTracker<Int64> { get { shared.withLock { $0.tracker } } set { shared.withLock { $0.tracker = newValue } } }
        let devIno: String
        var fd: Int32
        var offset: Int64        // bytes read so far
        var lineEnd: Int64       // offset just after the last record emitted
        var splitter: LineSplitter
        var pathValue: FieldValue
        var rotatedAt: Double?
        var lastDataAt: Double
        /// Found while running, shorter than a fingerprint, nothing read yet: it may be a
        /// copy being written (copytruncate), so its start position is decided later.
        var undetermined = false
        /// A copy still being written, shorter than the position it continues from.
        var pendingStart: Int64?
        /// Set for `.gz` files: read once to the end through zlib, never followed.
        var gz: GzipFile?
        // Multiline record being assembled.
        var record: [UInt8] = []
        var recordLines = 0
        var recordEnd: Int64 = 0
        init(path: String, devIno: String, key: String, fd: Int32, offset: Int64, maxLine: Int, now: Double) {
            shared = Locked(Shared(path: path, key: key, tracker: AckTracker(initial: offset)))
            self.devIno = devIno; self.fd = fd
            self.offset = offset; self.lineEnd = offset
            splitter = LineSplitter(maxLineBytes: maxLine)
            pathValue = .string(path)
            lastDataAt = now
        }
    }

    func readPrefix(_ fd: Int32) -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: fingerprintBytes)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, fingerprintBytes, 0) }
        return n > 0 ? Array(buf[0..<n]) : []
    }

    func identity(devIno: String, prefix: [UInt8]) -> String {
        prefix.count >= fingerprintBytes ? "fp:" + Fingerprint.hex(prefix) : "ino:" + devIno
    }

    func lookupGzip(key: String) -> FileCheckpoint? {
        saveLock.withLock { key.hasPrefix("fp:") ? saved.files[key] : nil }
    }

    /// The checkpoint of this file, if any: by fingerprint, else by inode when the first
    /// bytes still match what was saved.
    func lookup(key: String, devIno: String, fd: Int32) -> FileCheckpoint? {
        saveLock.withLock {
            if key.hasPrefix("fp:"), let cp = saved.files[key] { return cp }
            let inoKey = "ino:" + devIno
            guard let cp = saved.files[inoKey], let fp = cp.fingerprint, let len = cp.fingerprintLength else { return nil }
            var buf = [UInt8](repeating: 0, count: len)
            let n = len == 0 ? 0 : buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, len, 0) }
            guard n == len, Fingerprint.hex(buf) == fp else { return nil }  // inode reused by another file
            if key != inoKey { _ = saved.files.removeValue(forKey: inoKey) }
            return cp
        }
    }

    /// Decides where an undetermined file starts: once it has a fingerprint, a copy of an
    /// open or truncated file continues at that file's position; a short file whose bytes
    /// could still become such a copy waits while it is being written (up to 1s idle).
    func resolveIdentity(_ f: TailedFile, _ context: SourceContext) -> Bool {
        let p = readPrefix(f.fd)
        let others = currentFiles().filter { $0 !== f && $0.prefix.count >= fingerprintBytes }
        if p.count >= fingerprintBytes {
            let key = "fp:" + Fingerprint.hex(p)
            var offset: Int64 = 0
            if let live = others.first(where: { $0.key == key }) {
                offset = live.lineEnd
                live.key = "ino:" + live.devIno
                context.logger.info("\(f.path) is a copy of \(live.path); reading it from offset \(offset)")
            } else if let t = truncatedAt.removeValue(forKey: key) {
                offset = t.position
                context.logger.info("\(f.path) is a copy of a truncated file; reading it from offset \(offset)")
            } else if let cp = (saveLock.withLock { saved.files[key] }) {
                offset = cp.offset
            }
            saveLock.withLock { if let cp = saved.files.removeValue(forKey: f.key) { saved.files[key] = cp } }
            f.key = key
            f.prefix = p
            f.offset = offset; f.lineEnd = offset
            f.tracker = AckTracker(initial: offset)
            lseek(f.fd, off_t(offset), SEEK_SET)
            f.undetermined = false
            if offset > 0 { f.pendingStart = offset; return false }
            return true
        }
        let couldBeCopy = others.contains { $0.prefix.starts(with: p) } || truncatedAt.values.contains { $0.prefix.starts(with: p) }
        if couldBeCopy {
            var st = stat()
            if fstat(f.fd, &st) == 0 {
                let age = Date().timeIntervalSince1970 - (Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
                if age < 1 { return false }
            }
        }
        f.prefix = p
        f.undetermined = false
        return true
    }

    /// The file reached `fingerprint_bytes`: its checkpoint moves to the fingerprint key.
    func rekey(_ f: TailedFile) {
        let newKey = identity(devIno: f.devIno, prefix: f.prefix)
        guard newKey != f.key else { return }
        saveLock.withLock {
            if let cp = saved.files.removeValue(forKey: f.key) { saved.files[newKey] = cp }
            f.key = newKey
        }
    }
}

/// FNV-1a 64-bit hash of a byte prefix, as 16 hex digits (file fingerprints).
enum Fingerprint {
    static func hex(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        let s = String(h, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
