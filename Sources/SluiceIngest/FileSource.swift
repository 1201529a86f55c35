#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SluiceCore

/// `file`: reads files line by line, follows appended data in `sluice run`, survives
/// rotation, and keeps a checkpoint per file that advances only when sinks acknowledged.
///
/// Options: `include` (paths or globs, required), `exclude` (globs); `read_from`
/// (`beginning`, default, or `end`: for files with no checkpoint found at start; files that
/// appear while running are always read from their beginning); `max_line_bytes` (default
/// 256KiB; longer lines are cut and counted); `batch_size` (default 1024);
/// `fingerprint_bytes` (default 256); `multiline_timeout` (default 2s: a partial last line
/// or a multiline record is emitted after this long without new data);
/// `multiline: {start_pattern, max_lines}`; `rotate_wait` (default 5s: how long a file that
/// was renamed or deleted away stays open for late writes once idle); `checkpoint_ttl`
/// (default 7d); `poll_interval` (default 250ms), `glob_interval` (default 5s).
///
/// Identity: a file is known by device/inode while open, and its checkpoint by the
/// fingerprint (FNV-1a of the first `fingerprint_bytes` bytes); shorter files use
/// device/inode plus the fingerprint of what they have. So a renamed file keeps being read
/// to its end; a copy made by copytruncate resumes where the original was; a truncated or
/// rewritten file (its first bytes changed) is read again from 0; a reused inode is a new file.
///
/// Guarantees: lines are emitted in file order; a checkpoint never passes a line that was
/// not acknowledged, so a crash replays at most the unacknowledged tail and skips nothing.
/// New files are found through inotify on the include directories (with a periodic glob as
/// fallback). Files ending in `.gz` are skipped (logged) unless `read_compressed: true`: then
/// they are decompressed with zlib and read once to their end, identified by the fingerprint
/// of their decompressed start (so a file compressed after rotation is not read again).
public final class FileSource: PositionedSource {
    public enum ReadFrom: String, CaseIterable, Sendable { case beginning, end }

    let include: [String]
    let exclude: [String]
    let readFrom: ReadFrom
    let maxLineBytes: Int
    let batchSize: Int
    let pollInterval: Double
    let globInterval: Double
    let fingerprintBytes: Int
    let multilineTimeout: Double
    let startPattern: LinePattern?
    let maxMultilineLines: Int
    let rotateWait: Double
    let checkpointTTL: Double
    let readCompressed: Bool
    static let chunkSize = 256 * 1024

    /// One open file. Used by the read loop only, except `path`, `key`, `prefix` and
    /// `tracker`, which `commitCheckpoints` may read from another thread (hence locked).
    final class TailedFile {
        private let guardLock = NSLock()
        private var _path: String, _key: String, _prefix: [UInt8] = [], _tracker: AckTracker<Int64>
        var path: String { get { guardLock.withLock { _path } } set { guardLock.withLock { _path = newValue } } }
        var key: String { get { guardLock.withLock { _key } } set { guardLock.withLock { _key = newValue } } }
        var prefix: [UInt8] { get { guardLock.withLock { _prefix } } set { guardLock.withLock { _prefix = newValue } } }
        var tracker: AckTracker<Int64> { get { guardLock.withLock { _tracker } } set { guardLock.withLock { _tracker = newValue } } }
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
            _path = path; self.devIno = devIno; _key = key; self.fd = fd
            self.offset = offset; self.lineEnd = offset
            splitter = LineSplitter(maxLineBytes: maxLine)
            _tracker = AckTracker(initial: offset)
            pathValue = .string(path)
            lastDataAt = now
        }
    }

    private let lock = NSLock()
    private var files: [String: TailedFile] = [:]   // by dev:inode
    private var saved = FileSourceCheckpoints()
    private var context: SourceContext?
    private var inotifyFD: Int32 = -1
    private var needDiscover = false
    private var skippedGz = Set<String>()
    /// `.gz` files read to their end in this run (dev:inode).
    private var gzDone = Set<String>()
    /// Checkpoint keys of those files (kept while the files exist).
    private var gzKeys = Set<String>()
    /// Truncations / in-place rewrites seen (also the `file_truncations` counter).
    public private(set) var truncations = 0
    public var truncationCount: Int { truncations }
    /// Read positions of files truncated while open, by their old fingerprint key.
    private var truncatedAt: [String: (prefix: [UInt8], position: Int64)] = [:]

    public init(include: [String], exclude: [String] = [], readFrom: ReadFrom = .beginning,
                maxLineBytes: Int = 256 * 1024, batchSize: Int = 1024, pollInterval: Double = 0.25, globInterval: Double = 5,
                fingerprintBytes: Int = 256, multilineTimeout: Double = 2, startPattern: LinePattern? = nil,
                maxMultilineLines: Int = 500, rotateWait: Double = 5, checkpointTTL: Double = 7 * 86400,
                readCompressed: Bool = false) {
        self.include = include; self.exclude = exclude; self.readFrom = readFrom
        self.maxLineBytes = maxLineBytes; self.batchSize = batchSize
        self.pollInterval = pollInterval; self.globInterval = globInterval
        self.fingerprintBytes = fingerprintBytes; self.multilineTimeout = multilineTimeout
        self.startPattern = startPattern; self.maxMultilineLines = maxMultilineLines
        self.rotateWait = rotateWait; self.checkpointTTL = checkpointTTL
        self.readCompressed = readCompressed
    }

    public static func make(_ o: ComponentOptions, _ ctx: BuildContext) throws -> FileSource {
        var include = o.stringList("include") ?? []
        if let p = o.string("path") { include.append(p) }
        if include.isEmpty { o.fail("missing required option 'include' (paths or globs of the files to read)") }
        var pattern: LinePattern?
        var maxLines = 500
        if let m = o.nested("multiline") {
            let p = m.requiredString("start_pattern")
            maxLines = m.int("max_lines", default: 500, range: 1...100_000)
            m.finish(); o.merge(m)
            if !p.isEmpty {
                pattern = LinePattern(p)
                if pattern == nil { o.fail("invalid start_pattern \"\(p)\" (unterminated [class] or trailing \\)", at: "multiline") }
            }
        }
        return FileSource(include: include, exclude: o.stringList("exclude") ?? [],
                          readFrom: o.choice("read_from", default: ReadFrom.beginning),
                          maxLineBytes: o.bytes("max_line_bytes", default: 256 * 1024),
                          batchSize: o.int("batch_size", default: 1024, range: 1...1_000_000),
                          pollInterval: o.seconds("poll_interval", default: 0.25),
                          globInterval: o.seconds("glob_interval", default: 5),
                          fingerprintBytes: o.int("fingerprint_bytes", default: 256, range: 16...65536),
                          multilineTimeout: o.seconds("multiline_timeout", default: 2),
                          startPattern: pattern, maxMultilineLines: maxLines,
                          rotateWait: o.seconds("rotate_wait", default: 5),
                          checkpointTTL: o.seconds("checkpoint_ttl", default: 7 * 86400),
                          readCompressed: o.bool("read_compressed", default: false))
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
        if let restored = context.restoredPosition {
            do { saved = try JSONDecoder().decode(FileSourceCheckpoints.self, from: Data(restored)) } catch {
                context.logger.error("the committed position of this source cannot be read (\(error)); starting without checkpoint")
            }
            emittedPositions = saved.files
        } else if let store = context.checkpoints {
            do { saved = try store.load(FileSourceCheckpoints.self, for: context.name) ?? FileSourceCheckpoints() } catch {
                context.logger.error("\(error); starting without checkpoint")
            }
        }
        if context.mode == .follow { setUpInotify(context) }
        defer { if inotifyFD >= 0 { Glibc.close(inotifyFD); inotifyFD = -1 } }
        discover(context, initial: true)
        pruneCheckpoints()
        var lastGlob = Topology.monotonic()
        while !context.isStopping {
            var now = Topology.monotonic()
            if needDiscover || now - lastGlob >= globInterval {
                needDiscover = false
                discover(context, initial: false); lastGlob = now
            }
            var progressed = false
            for f in currentFiles() where !context.isStopping {
                if readAvailable(f, context) { progressed = true }
                else if f.gz != nil { finishGzip(f, context) }
                else { checkTruncation(f, context) }
            }
            now = Topology.monotonic()
            if context.mode == .toEnd && !progressed {
                // End of input: complete held partial lines and records, and finish.
                for f in currentFiles() { flushHeld(f, context) }
                break
            }
            for f in currentFiles() where now - f.lastDataAt >= multilineTimeout { flushHeld(f, context) }
            context.serviceBarriers()
            if !progressed {
                checkRotation(context)
                waitForChange(context, seconds: pollInterval)
            }
        }
        for f in currentFiles() where f.fd >= 0 { Glibc.close(f.fd) }
    }

    private func currentFiles() -> [TailedFile] {
        lock.lock(); defer { lock.unlock() }
        return files.values.sorted { $0.path < $1.path }
    }

    // MARK: discovery and identity

    private func discover(_ context: SourceContext, initial: Bool) {
        for path in Self.expand(include) where !Self.matches(path, exclude) {
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            let devIno = "\(st.st_dev):\(st.st_ino)"
            if path.hasSuffix(".gz") {
                if !readCompressed {
                    if skippedGz.insert(path).inserted { context.logger.info("skipping compressed file \(path) (read_compressed is off)") }
                    continue
                }
                lock.lock(); let open = files[devIno] != nil; lock.unlock()
                if !open && !gzDone.contains(devIno) { openGzip(path: path, devIno: devIno, context: context) }
                continue
            }
            lock.lock()
            let known = files[devIno]
            lock.unlock()
            if let f = known {
                if f.path != path { f.path = path; f.pathValue = .string(path) }
                f.rotatedAt = nil
                continue
            }
            open(path: path, devIno: devIno, size: Int64(st.st_size), context: context, initial: initial)
        }
    }

    private func readPrefix(_ fd: Int32) -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: fingerprintBytes)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, fingerprintBytes, 0) }
        return n > 0 ? Array(buf[0..<n]) : []
    }

    private func identity(devIno: String, prefix: [UInt8]) -> String {
        prefix.count >= fingerprintBytes ? "fp:" + Fingerprint.hex(prefix) : "ino:" + devIno
    }

    @discardableResult
    private func open(path: String, devIno: String, size: Int64, context: SourceContext, initial: Bool) -> Bool {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            context.logger.warning("cannot open \(path): \(String(cString: strerror(errno)))")
            return false
        }
        var st = stat()
        fstat(fd, &st)
        let size = Int64(st.st_size)
        let prefix = readPrefix(fd)
        let key = identity(devIno: devIno, prefix: prefix)
        var offset: Int64
        var isCopy = false
        if key.hasPrefix("fp:"), let live = currentFiles().first(where: { $0.key == key }) {
            // Same first bytes as an open file at another inode: a copy (copytruncate).
            // Continue where the original was; the original gets its inode identity.
            offset = live.lineEnd
            isCopy = true
            live.key = "ino:" + live.devIno
            context.logger.info("\(path) is a copy of \(live.path); reading it from offset \(offset)")
        } else if let t = truncatedAt.removeValue(forKey: key) {
            offset = t.position
            isCopy = true
            context.logger.info("\(path) is a copy of a truncated file; reading it from offset \(offset)")
        } else if let cp = lookup(key: key, devIno: devIno, fd: fd) {
            offset = cp.offset
        } else if initial && readFrom == .end && context.mode == .follow {
            offset = size
        } else {
            offset = 0
        }
        var pendingStart: Int64?
        if offset > size && isCopy {
            pendingStart = offset  // the copy is still being written
        } else if offset > size {
            context.logger.info("\(path) is shorter than its checkpoint (truncated); reading from the start")
            offset = 0
        }
        lseek(fd, off_t(offset), SEEK_SET)
        let f = TailedFile(path: path, devIno: devIno, key: key, fd: fd, offset: offset, maxLine: maxLineBytes, now: Topology.monotonic())
        f.prefix = prefix
        f.undetermined = !initial && offset == 0 && prefix.count < fingerprintBytes
        f.pendingStart = pendingStart
        lock.lock(); files[devIno] = f; lock.unlock()
        context.logger.debug("reading \(path) from offset \(offset) (identity \(key), \(devIno), size \(size))")
        return true
    }

    /// Opens a `.gz` file: identity is the fingerprint of its *decompressed* first bytes, so
    /// `app.log.1` compressed to `app.log.1.gz` keeps its checkpoint and is not read twice.
    private func openGzip(path: String, devIno: String, context: SourceContext) {
        guard let gz = GzipFile(path: path) else {
            context.logger.warning("cannot open compressed file \(path)")
            gzDone.insert(devIno)
            return
        }
        let prefix = gz.prefix(fingerprintBytes)
        let key = identity(devIno: devIno, prefix: prefix)
        var offset: Int64 = 0
        if let cp = lookupGzip(key: key) { offset = gz.skip(to: cp.offset) }
        let f = TailedFile(path: path, devIno: devIno, key: key, fd: -1, offset: offset, maxLine: maxLineBytes, now: Topology.monotonic())
        f.prefix = prefix
        f.gz = gz
        lock.lock(); files[devIno] = f; lock.unlock()
        context.logger.debug("reading compressed \(path) from decompressed offset \(offset) (identity \(key))")
    }

    private func lookupGzip(key: String) -> FileCheckpoint? {
        saveLock.lock(); defer { saveLock.unlock() }
        return key.hasPrefix("fp:") ? saved.files[key] : nil
    }

    /// The checkpoint of this file, if any: by fingerprint, else by inode when the first
    /// bytes still match what was saved.
    private func lookup(key: String, devIno: String, fd: Int32) -> FileCheckpoint? {
        saveLock.lock(); defer { saveLock.unlock() }
        if key.hasPrefix("fp:"), let cp = saved.files[key] { return cp }
        let inoKey = "ino:" + devIno
        guard let cp = saved.files[inoKey], let fp = cp.fingerprint, let len = cp.fingerprintLength else { return nil }
        var buf = [UInt8](repeating: 0, count: len)
        let n = len == 0 ? 0 : buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, len, 0) }
        guard n == len, Fingerprint.hex(buf) == fp else { return nil }  // inode reused by another file
        if key != inoKey { saved.files.removeValue(forKey: inoKey) }
        return cp
    }

    // MARK: reading

    /// Reads what is available (up to a few chunks); returns whether anything was read.
    private func readAvailable(_ f: TailedFile, _ context: SourceContext) -> Bool {
        if f.undetermined && !resolveIdentity(f, context) { return false }
        if let start = f.pendingStart {
            var st = stat()
            guard fstat(f.fd, &st) == 0 else { return false }
            let age = Date().timeIntervalSince1970 - (Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
            if Int64(st.st_size) < start && age < 1 { return false }
            f.pendingStart = nil
            if Int64(st.st_size) < start {
                context.logger.info("\(f.path) stopped short of the copied position; reading it from the start")
                lseek(f.fd, 0, SEEK_SET)
                f.offset = 0; f.lineEnd = 0; f.tracker = AckTracker(initial: 0)
            }
        }
        var any = false
        var events: [Event] = []
        events.reserveCapacity(batchSize)
        var bytes = 0
        for _ in 0..<8 {
            var chunk = [UInt8](repeating: 0, count: Self.chunkSize)
            let n = chunk.withUnsafeMutableBytes { raw -> Int in
                if let gz = f.gz { return gz.read(into: raw.baseAddress!, count: Self.chunkSize) }
                return read(f.fd, raw.baseAddress, Self.chunkSize)
            }
            if n < 0 {
                if errno == EINTR { continue }
                context.logger.warning("read error on \(f.path): \(String(cString: strerror(errno)))")
                break
            }
            if n == 0 { break }
            any = true
            chunk.removeSubrange(n...)
            if f.prefix.count < fingerprintBytes && f.offset < Int64(fingerprintBytes) {
                let take = min(n, fingerprintBytes - Int(f.offset))
                if f.offset == Int64(f.prefix.count) && take > 0 {
                    f.prefix.append(contentsOf: chunk[0..<take])
                    if f.prefix.count >= fingerprintBytes { rekey(f) }
                }
            }
            let base = f.offset
            f.offset += Int64(n)
            bytes += n
            f.splitter.feed(chunk) { line, end in
                handleLine(f, line, end: base + Int64(end), into: &events)
                if events.count >= batchSize {
                    emit(&events, f, context, bytes: bytes); bytes = 0
                }
            }
            if n < Self.chunkSize { break }
        }
        if any { f.lastDataAt = Topology.monotonic() }
        if f.splitter.truncated > 0 {
            context.metrics.increment("truncated_lines", by: f.splitter.truncated)
            f.splitter.clearTruncatedCount()
        }
        emit(&events, f, context, bytes: bytes)
        return any
    }

    /// Decides where an undetermined file starts: once it has a fingerprint, a copy of an
    /// open or truncated file continues at that file's position; a short file whose bytes
    /// could still become such a copy waits while it is being written (up to 1s idle).
    private func resolveIdentity(_ f: TailedFile, _ context: SourceContext) -> Bool {
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

    /// One complete line ending at file offset `end`: an event, or part of a multiline record.
    private func handleLine(_ f: TailedFile, _ line: ArraySlice<UInt8>, end: Int64, into events: inout [Event]) {
        guard let pattern = startPattern else {
            var e = Event(original: line)
            e.fields.append(Field(ECS.logFilePath, f.pathValue))
            events.append(e)
            f.lineEnd = end
            return
        }
        if pattern.matchesStart(line) || f.recordLines >= maxMultilineLines {
            finishRecord(f, into: &events)
        }
        if f.recordLines > 0 {
            if f.record.count < maxLineBytes {
                f.record.append(0x0A)
                f.record.append(contentsOf: line.prefix(maxLineBytes - f.record.count))
            } else {
                context?.metrics.increment("truncated_lines")
            }
        } else {
            f.record.append(contentsOf: line)
        }
        f.recordLines += 1
        f.recordEnd = end
    }

    private func finishRecord(_ f: TailedFile, into events: inout [Event]) {
        guard f.recordLines > 0 else { return }
        var e = Event(original: ArraySlice(f.record))
        e.fields.append(Field(ECS.logFilePath, f.pathValue))
        events.append(e)
        f.lineEnd = f.recordEnd
        f.record = []
        f.recordLines = 0
    }

    private func emit(_ events: inout [Event], _ f: TailedFile, _ context: SourceContext, bytes: Int) {
        guard !events.isEmpty else { return }
        let ack = f.tracker.register(f.lineEnd)
        if context.usesEpochs {
            emittedPositions[f.key] = FileCheckpoint(path: f.path, offset: f.lineEnd, updated: Int64(Date().timeIntervalSince1970),
                                                     fingerprint: Fingerprint.hex(f.prefix), fingerprintLength: f.prefix.count)
        }
        context.metrics.recordIn(events.count, bytes: bytes)
        context.emit(EventBatch(events: events, acks: [ack]), bytes: bytes)
        events = []
        events.reserveCapacity(batchSize)
    }

    /// A `.gz` file read to its end: emit its last line, and close it once acknowledged.
    private func finishGzip(_ f: TailedFile, _ context: SourceContext) {
        flushHeld(f, context)
        guard f.tracker.pending == 0 || context.mode == .toEnd else { return }
        saveCheckpoints()
        gzDone.insert(f.devIno)
        gzKeys.insert(f.key)
        f.gz = nil
        lock.lock(); files.removeValue(forKey: f.devIno); lock.unlock()
    }

    /// Emits a held partial line (as a line ending at the bytes read so far) and a held
    /// multiline record: end of input, or `multiline_timeout` without new data.
    private func flushHeld(_ f: TailedFile, _ context: SourceContext) {
        var events: [Event] = []
        if let line = f.splitter.flushPending() {
            handleLine(f, line, end: f.offset, into: &events)
        }
        finishRecord(f, into: &events)
        emit(&events, f, context, bytes: 0)
    }

    // MARK: rotation, truncation

    /// Truncation (size below the read offset, or first bytes changed: copytruncate, file
    /// rewritten in place): re-read from 0. Rename or deletion: keep reading the open file to
    /// its end; close it once idle for `rotate_wait`; pick up the new file at the path.
    private func checkRotation(_ context: SourceContext) {
        let now = Topology.monotonic()
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
                lock.lock(); files.removeValue(forKey: f.devIno); lock.unlock()
                Glibc.close(f.fd)
            }
        }
    }

    /// At end of data: a size below the read offset, or changed first bytes, means the file
    /// was truncated (copytruncate) or rewritten in place: read it again from 0.
    private func checkTruncation(_ f: TailedFile, _ context: SourceContext) {
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

    /// The file reached `fingerprint_bytes`: its checkpoint moves to the fingerprint key.
    private func rekey(_ f: TailedFile) {
        let newKey = identity(devIno: f.devIno, prefix: f.prefix)
        guard newKey != f.key else { return }
        saveLock.lock(); defer { saveLock.unlock() }
        if let cp = saved.files.removeValue(forKey: f.key) { saved.files[newKey] = cp }
        f.key = newKey
    }

    // MARK: waiting

    private func setUpInotify(_ context: SourceContext) {
        let fd = inotify_init1(Int32(O_NONBLOCK | O_CLOEXEC))
        guard fd >= 0 else { return }
        var dirs = Set<String>()
        for p in include {
            let dir = (p as NSString).deletingLastPathComponent
            if dir.isEmpty || dir.contains(where: { "*?[".contains($0) }) { continue }
            dirs.insert(dir)
        }
        let mask = UInt32(IN_CREATE | IN_MOVED_TO | IN_MODIFY | IN_MOVED_FROM | IN_DELETE)
        var any = false
        for d in dirs where inotify_add_watch(fd, d, mask) >= 0 { any = true }
        if any { inotifyFD = fd } else { Glibc.close(fd) }
    }

    /// Waits up to `seconds` for a change in a watched directory (or just sleeps without
    /// inotify); a stop request ends the wait within 250ms.
    private func waitForChange(_ context: SourceContext, seconds: Double) {
        guard inotifyFD >= 0 else { context.sleep(seconds: seconds); return }
        var pfd = pollfd(fd: inotifyFD, events: Int16(POLLIN), revents: 0)
        let r = poll(&pfd, 1, Int32(max(1, min(seconds, 0.25) * 1000)))
        guard r > 0 else { return }
        var buf = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = buf.withUnsafeMutableBytes { read(inotifyFD, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            var i = 0
            while i + 16 <= n {
                let mask = buf.withUnsafeBytes { $0.load(fromByteOffset: i + 4, as: UInt32.self) }
                let len = buf.withUnsafeBytes { $0.load(fromByteOffset: i + 12, as: UInt32.self) }
                if mask & UInt32(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) != 0 { needDiscover = true }
                i += 16 + Int(len)
            }
        }
    }

    // MARK: checkpoints

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
                saved.files[f.key] = FileCheckpoint(path: f.path, offset: pos, updated: now,
                                                    fingerprint: Fingerprint.hex(f.prefix), fingerprintLength: f.prefix.count)
                changed = true
            }
        }
        if pruneCheckpoints() { changed = true }
        guard changed else { return }
        do { try store.save(saved, for: context.name) } catch {
            context.logger.error("cannot save checkpoint: \(error)")
        }
    }

    /// Removes checkpoints of files not open and not updated for `checkpoint_ttl`.
    @discardableResult
    private func pruneCheckpoints() -> Bool {
        let now = Int64(Date().timeIntervalSince1970)
        let open = Set(currentFiles().map(\.key)).union(gzKeys)
        let expired = saved.files.filter { !open.contains($0.key) && Double(now - $0.value.updated) > checkpointTTL }.map(\.key)
        for k in expired { saved.files.removeValue(forKey: k) }
        return !expired.isEmpty
    }

    public func commitCheckpoints() {
        saveCheckpoints()
    }

    /// Positions just after the last record emitted, per file (with epochs: written by
    /// `emit`, read by `barrierPosition`, both on the source's thread).
    private var emittedPositions: [String: FileCheckpoint] = [:]

    /// Every file's position just after its last emitted record, as a checkpoint file's JSON.
    public func barrierPosition() -> [UInt8] {
        // Files gone for `checkpoint_ttl` are forgotten, as `pruneCheckpoints` does.
        let now = Int64(Date().timeIntervalSince1970)
        let open = Set(currentFiles().map(\.key)).union(gzKeys)
        emittedPositions = emittedPositions.filter { open.contains($0.key) || Double(now - $0.value.updated) <= checkpointTTL }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return (try? [UInt8](enc.encode(FileSourceCheckpoints(files: emittedPositions)))) ?? []
    }
}
