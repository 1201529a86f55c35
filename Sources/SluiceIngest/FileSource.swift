#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SluiceCore

/// `file`: reads files line by line, follows appended data in `sluice run`, and keeps a
/// checkpoint per file that advances only when sinks have acknowledged the lines.
///
/// Options: `include` (paths or globs, required), `exclude` (globs), `read_from`
/// (`beginning`, default, or `end`, for files with no checkpoint), `max_line_bytes`
/// (default 256KiB; longer lines are cut and counted), `batch_size` (lines per batch,
/// default 1024), `poll_interval` (default 250ms), `glob_interval` (default 5s).
///
/// Guarantees: lines are emitted in file order; a checkpoint never passes a line that was
/// not acknowledged, so a crash replays at most the unacknowledged tail and skips nothing;
/// a partial last line waits for its newline (in `replay`, the end of input completes it).
public final class FileSource: Source {
    public enum ReadFrom: String, CaseIterable, Sendable { case beginning, end }

    let include: [String]
    let exclude: [String]
    let readFrom: ReadFrom
    let maxLineBytes: Int
    let batchSize: Int
    let pollInterval: Double
    let globInterval: Double
    static let chunkSize = 256 * 1024

    final class TailedFile {
        let path: String
        let key: String
        var fd: Int32
        var inode: ino_t
        var offset: Int64        // bytes read so far
        var lineEnd: Int64       // offset just after the last complete line emitted
        var splitter: LineSplitter
        let tracker: AckTracker<Int64>
        let pathValue: FieldValue
        var rotatedAway = false
        init(path: String, key: String, fd: Int32, inode: ino_t, offset: Int64, maxLine: Int) {
            self.path = path; self.key = key; self.fd = fd; self.inode = inode
            self.offset = offset; self.lineEnd = offset
            splitter = LineSplitter(maxLineBytes: maxLine)
            tracker = AckTracker(initial: offset)
            pathValue = .string(path)
        }
    }

    private let lock = NSLock()
    private var files: [String: TailedFile] = [:]
    private var saved = FileSourceCheckpoints()
    private var context: SourceContext?

    public init(include: [String], exclude: [String] = [], readFrom: ReadFrom = .beginning,
                maxLineBytes: Int = 256 * 1024, batchSize: Int = 1024, pollInterval: Double = 0.25, globInterval: Double = 5) {
        self.include = include; self.exclude = exclude; self.readFrom = readFrom
        self.maxLineBytes = maxLineBytes; self.batchSize = batchSize
        self.pollInterval = pollInterval; self.globInterval = globInterval
    }

    public static func make(_ o: ComponentOptions, _ ctx: BuildContext) throws -> FileSource {
        var include = o.stringList("include") ?? []
        if let p = o.string("path") { include.append(p) }
        if include.isEmpty { o.fail("missing required option 'include' (paths or globs of the files to read)") }
        return FileSource(include: include, exclude: o.stringList("exclude") ?? [],
                          readFrom: o.choice("read_from", default: ReadFrom.beginning),
                          maxLineBytes: o.bytes("max_line_bytes", default: 256 * 1024),
                          batchSize: o.int("batch_size", default: 1024, range: 1...1_000_000),
                          pollInterval: o.seconds("poll_interval", default: 0.25),
                          globInterval: o.seconds("glob_interval", default: 5))
    }

    static func expand(_ patterns: [String]) -> [String] {
        var out: [String] = []
        for p in patterns {
            var g = glob_t()
            defer { globfree(&g) }
            if glob(p, 0, nil, &g) == 0 {
                for i in 0..<Int(g.gl_pathc) { if let c = g.gl_pathv[i] { out.append(String(cString: c)) } }
            }
        }
        return out
    }

    static func matches(_ path: String, _ patterns: [String]) -> Bool {
        patterns.contains { fnmatch($0, path, 0) == 0 }
    }

    public func run(_ context: SourceContext) throws {
        self.context = context
        if let store = context.checkpoints {
            do { saved = try store.load(FileSourceCheckpoints.self, for: context.name) ?? FileSourceCheckpoints() } catch {
                context.logger.error("\(error); starting without checkpoint")
            }
        }
        var lastGlob = -1e9
        var lastSave = Topology.monotonic()
        while !context.isStopping {
            let now = Topology.monotonic()
            if now - lastGlob >= globInterval { discover(context); lastGlob = now }
            var progressed = false
            for f in currentFiles() where !context.isStopping {
                if readAvailable(f, context) { progressed = true }
            }
            if now - lastSave >= 1 { saveCheckpoints(); lastSave = now }
            if context.mode == .toEnd && !progressed {
                // End of input: complete held partial lines and finish.
                for f in currentFiles() { emitPending(f, context) }
                break
            }
            if !progressed {
                checkRotation(context)
                context.sleep(seconds: pollInterval)
            }
        }
    }

    private func currentFiles() -> [TailedFile] {
        lock.lock(); defer { lock.unlock() }
        return files.values.sorted { $0.path < $1.path }
    }

    private func discover(_ context: SourceContext) {
        for path in Self.expand(include) where !Self.matches(path, exclude) {
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            let key = "\(st.st_dev):\(st.st_ino)"
            lock.lock()
            let known = files[key] != nil
            lock.unlock()
            if known { continue }
            open(path: path, key: key, size: Int64(st.st_size), context: context)
        }
    }

    @discardableResult
    private func open(path: String, key: String, size: Int64, context: SourceContext, fromStart: Bool = false) -> Bool {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            context.logger.warning("cannot open \(path): \(String(cString: strerror(errno)))")
            return false
        }
        var st = stat()
        fstat(fd, &st)
        var offset: Int64
        if fromStart { offset = 0 }
        else if let cp = saved.files[key] { offset = cp.offset }
        else { offset = readFrom == .end && context.mode == .follow ? size : 0 }
        if offset > Int64(st.st_size) {
            context.logger.info("\(path) is shorter than its checkpoint (truncated); reading from the start")
            offset = 0
        }
        lseek(fd, off_t(offset), SEEK_SET)
        let f = TailedFile(path: path, key: key, fd: fd, inode: st.st_ino, offset: offset, maxLine: maxLineBytes)
        lock.lock(); files[key] = f; lock.unlock()
        context.logger.debug("reading \(path) from offset \(offset)")
        return true
    }

    /// Reads what is available (up to a few chunks); returns whether anything was read.
    private func readAvailable(_ f: TailedFile, _ context: SourceContext) -> Bool {
        var any = false
        var events: [Event] = []
        events.reserveCapacity(batchSize)
        var bytes = 0
        for _ in 0..<8 {
            var chunk = [UInt8](repeating: 0, count: Self.chunkSize)
            let n = chunk.withUnsafeMutableBytes { read(f.fd, $0.baseAddress, Self.chunkSize) }
            if n < 0 {
                if errno == EINTR { continue }
                context.logger.warning("read error on \(f.path): \(String(cString: strerror(errno)))")
                break
            }
            if n == 0 { break }
            any = true
            chunk.removeSubrange(n...)
            let base = f.offset
            f.offset += Int64(n)
            bytes += n
            f.splitter.feed(chunk) { line, end in
                var e = Event(original: line)
                e.fields.append(Field(ECS.logFilePath, f.pathValue))
                events.append(e)
                f.lineEnd = base + Int64(end)
                if events.count >= batchSize {
                    emit(&events, f, context, bytes: bytes); bytes = 0
                }
            }
            if n < Self.chunkSize { break }
        }
        if f.splitter.truncated > 0 {
            context.metrics.increment("truncated_lines", by: f.splitter.truncated)
            f.splitter = resetCount(f.splitter)
        }
        emit(&events, f, context, bytes: bytes)
        return any
    }

    private func resetCount(_ s: LineSplitter) -> LineSplitter {
        var copy = s
        copy.clearTruncatedCount()
        return copy
    }

    private func emit(_ events: inout [Event], _ f: TailedFile, _ context: SourceContext, bytes: Int) {
        guard !events.isEmpty else { return }
        let ack = f.tracker.register(f.lineEnd)
        context.metrics.recordIn(events.count, bytes: bytes)
        context.emit(EventBatch(events: events, acks: [ack]), bytes: bytes)
        events = []
        events.reserveCapacity(batchSize)
    }

    private func emitPending(_ f: TailedFile, _ context: SourceContext) {
        guard let line = f.splitter.flushPending() else { return }
        var e = Event(original: line)
        e.fields.append(Field(ECS.logFilePath, f.pathValue))
        f.lineEnd = f.offset
        var events = [e]
        emit(&events, f, context, bytes: 0)
    }

    /// Handles rename rotation (the path now names another file: finish the old one, then
    /// read the new one from the start) and truncation (copytruncate: re-read from 0).
    private func checkRotation(_ context: SourceContext) {
        for f in currentFiles() {
            var fst = stat()
            if fstat(f.fd, &fst) == 0, Int64(fst.st_size) < f.offset {
                context.logger.info("\(f.path) was truncated; reading from the start")
                lseek(f.fd, 0, SEEK_SET)
                f.offset = 0; f.lineEnd = 0
                f.splitter.reset()
                continue
            }
            var st = stat()
            let exists = stat(f.path, &st) == 0
            if !exists || st.st_ino != f.inode {
                // The old file was fully read (no progress this round): close it and drop it.
                saveCheckpoints()
                lock.lock(); files.removeValue(forKey: f.key); lock.unlock()
                Glibc.close(f.fd)
                if exists {
                    context.logger.info("\(f.path) was rotated; reading the new file from the start")
                    open(path: f.path, key: "\(st.st_dev):\(st.st_ino)", size: Int64(st.st_size), context: context, fromStart: saved.files["\(st.st_dev):\(st.st_ino)"] == nil)
                }
            }
        }
    }

    private let saveLock = NSLock()

    /// Saves advanced positions. Serialized: the read loop and the shutdown commit may call
    /// it at the same time.
    private func saveCheckpoints() {
        saveLock.lock(); defer { saveLock.unlock() }
        guard let context, let store = context.checkpoints else { return }
        var changed = false
        let now = Int64(Date().timeIntervalSince1970)
        for f in currentFiles() {
            if let pos = f.tracker.takeIfAdvanced() {
                saved.files[f.key] = FileCheckpoint(path: f.path, offset: pos, updated: now)
                changed = true
            }
        }
        guard changed else { return }
        do { try store.save(saved, for: context.name) } catch {
            context.logger.error("cannot save checkpoint: \(error)")
        }
    }

    public func commitCheckpoints() {
        saveCheckpoints()
    }
}
