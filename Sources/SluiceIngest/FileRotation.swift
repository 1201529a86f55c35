#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SluiceCore

/// How `FileSource` follows files that change under it: renamed or deleted away (read to
/// the end, closed after `rotate_wait`), truncated or rewritten in place (read again from
/// the start; a copytruncate copy continues where the original was), and `.gz` files read
/// to their end.
extension FileSource {
    /// Truncation (size below the read offset, or first bytes changed: copytruncate, file
    /// rewritten in place): re-read from 0. Rename or deletion: keep reading the open file to
    /// its end; close it once idle for `rotate_wait`; pick up the new file at the path.
    func checkRotation(_ context: SourceContext) {
        let now = Clock.monotonic()
        for f in currentFiles() where f.gz == nil {
            var st = stat()
            let exists = stat(f.path, &st) == 0
            if exists && "\(st.st_dev):\(st.st_ino)" == f.devIno { f.rotatedAt = nil; continue }
            if f.rotatedAt == nil {
                f.rotatedAt = now
                needDiscover = true
                context.logger.info("\(f.path) was rotated or removed; reading the old file to its end")
            } else if now - f.rotatedAt! >= rotateWait && now - f.lastDataAt >= rotateWait {
                var events: [Event] = []
                if let line = f.splitter.flushPending() { handleLine(f, line, end: f.offset, into: &events) }
                finishRecord(f, into: &events)
                emit(&events, f, context, bytes: 0)
                saveCheckpoints()
                lock.withLock { _ = files.removeValue(forKey: f.devIno) }
                Glibc.close(f.fd)
            }
        }
    }

    /// At end of data: a size below the read offset, or changed first bytes, means the file
    /// was truncated (copytruncate) or rewritten in place: read it again from 0.
    func checkTruncation(_ f: TailedFile, _ context: SourceContext) {
        if f.pendingStart != nil || f.undetermined { return }
        var fst = stat()
        guard fstat(f.fd, &fst) == 0 else { return }
        let size = Int64(fst.st_size)
        var replaced = size < f.offset
        if !replaced && (f.prefix.count < fingerprintBytes || size > 0) {
            let current = readPrefix(f.fd)
            replaced = current.count < f.prefix.count || !current.starts(with: f.prefix)
            if !replaced && current.count > f.prefix.count {
                f.prefix = current
                if current.count >= fingerprintBytes { rekey(f) }
            }
        }
        guard replaced else { return }
        context.logger.info("\(f.path) was truncated or rewritten; reading from the start")
        context.metrics.increment("file_truncations")
        truncations += 1
        if f.key.hasPrefix("fp:") {
            // A copy with these first bytes (copytruncate) continues from here.
            truncatedAt[f.key] = (f.prefix, f.lineEnd)
            if truncatedAt.count > 64 { truncatedAt.removeValue(forKey: truncatedAt.keys.first!) }
        }
        saveCheckpoints()
        lseek(f.fd, 0, SEEK_SET)
        f.offset = 0; f.lineEnd = 0
        f.splitter.reset()
        f.record = []; f.recordLines = 0
        f.prefix = []
        f.tracker = AckTracker(initial: 0)
        f.key = "ino:" + f.devIno
        needDiscover = true
    }

    /// A `.gz` file read to its end: emit its last line, and close it once acknowledged.
    func finishGzip(_ f: TailedFile, _ context: SourceContext) {
        flushHeld(f, context)
        guard f.tracker.pending == 0 || context.mode == .toEnd else { return }
        saveCheckpoints()
        gzDone.insert(f.devIno)
        gzKeys.insert(f.key)
        f.gz = nil
        lock.withLock { _ = files.removeValue(forKey: f.devIno) }
    }
}
