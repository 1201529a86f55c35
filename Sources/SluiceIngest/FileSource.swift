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
/// (default 7d); `poll_interval` (default 250ms), `glob_interval` (default 5s);
/// `follow_symlinks` (default false).
///
/// Links and pseudo files: by default a symbolic link is not followed — a matched path that
/// is a link is skipped (logged once) and files are opened with `O_NOFOLLOW`, so a link
/// planted in an include directory cannot make Sluice ship a file it points to.
/// `follow_symlinks: true` follows them for operators who rely on links. Either way, files
/// on kernel pseudo file systems (`/proc`, `/sys`, debugfs, tracefs, securityfs, cgroup,
/// configfs, bpf, efivarfs) are never read: their sizes lie (a busy re-read loop) and their
/// contents are not logs.
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
    let followSymlinks: Bool
    static let chunkSize = 256 * 1024

    /// Guards `files` (a plain mutex): `commitCheckpoints` lists them from another thread.
    let lock = Locked()
    var files: [String: TailedFile] = [:]   // by dev:inode
    /// The checkpoint file's contents (under `saveLock`).
    var saved = FileSourceCheckpoints()
    var context: SourceContext?
    var inotifyFD: Int32 = -1
    var needDiscover = false
    var skippedGz = Set<String>()
    /// Paths skipped as links, and files refused as pseudo files (dev:inode): logged once.
    var skippedLinks = Set<String>()
    var refusedPseudo = Set<String>()
    /// `.gz` files read to their end in this run (dev:inode).
    var gzDone = Set<String>()
    /// Checkpoint keys of those files (kept while the files exist).
    var gzKeys = Set<String>()
    /// Truncations / in-place rewrites seen (also the `file_truncations` counter).
    public internal(set) var truncations = 0
    public var truncationCount: Int { truncations }
    /// Read positions of files truncated while open, by their old fingerprint key.
    var truncatedAt: [String: (prefix: [UInt8], position: Int64)] = [:]
    /// Held while the checkpoints are read or saved (a plain mutex).
    let saveLock = Locked()
    /// Positions just after the last record emitted, per file (with epochs: written by
    /// `emit`, read by `barrierPosition`, both on the source's thread).
    var emittedPositions: [String: FileCheckpoint] = [:]

    public init(include: [String], exclude: [String] = [], readFrom: ReadFrom = .beginning,
                maxLineBytes: Int = 256 * 1024, batchSize: Int = 1024, pollInterval: Double = 0.25, globInterval: Double = 5,
                fingerprintBytes: Int = 256, multilineTimeout: Double = 2, startPattern: LinePattern? = nil,
                maxMultilineLines: Int = 500, rotateWait: Double = 5, checkpointTTL: Double = 7 * 86400,
                readCompressed: Bool = false, followSymlinks: Bool = false) {
        self.include = include; self.exclude = exclude; self.readFrom = readFrom
        self.maxLineBytes = maxLineBytes; self.batchSize = batchSize
        self.pollInterval = pollInterval; self.globInterval = globInterval
        self.fingerprintBytes = fingerprintBytes; self.multilineTimeout = multilineTimeout
        self.startPattern = startPattern; self.maxMultilineLines = maxMultilineLines
        self.rotateWait = rotateWait; self.checkpointTTL = checkpointTTL
        self.readCompressed = readCompressed
        self.followSymlinks = followSymlinks
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
                          readCompressed: o.bool("read_compressed", default: false),
                          followSymlinks: o.bool("follow_symlinks", default: false))
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
        var lastGlob = Clock.monotonic()
        while !context.isStopping {
            var now = Clock.monotonic()
            if needDiscover || now - lastGlob >= globInterval {
                needDiscover = false
                discover(context, initial: false); lastGlob = now
            }
            var progressed = false
            // Files that had nothing new on this pass: only these may flush a held partial
            // line or record. A file read in this pass may have been stopped inside a line
            // (the read limit) or held in `emit` by backpressure for longer than
            // `multiline_timeout`; neither means its writer went quiet.
            var quiet: [TailedFile] = []
            for f in currentFiles() where !context.isStopping {
                if readAvailable(f, context) { progressed = true; continue }
                quiet.append(f)
                if f.gz != nil { finishGzip(f, context) } else { checkTruncation(f, context) }
            }
            now = Clock.monotonic()
            if context.mode == .toEnd && !progressed {
                // End of input: complete held partial lines and records, and finish.
                for f in currentFiles() { flushHeld(f, context) }
                break
            }
            for f in quiet where now - f.lastDataAt >= multilineTimeout { flushHeld(f, context) }
            context.serviceBarriers()
            if !progressed {
                checkRotation(context)
                waitForChange(context, seconds: pollInterval)
            }
        }
        for f in currentFiles() where f.fd >= 0 { Glibc.close(f.fd) }
    }

    func currentFiles() -> [TailedFile] {
        lock.withLock { files.values.sorted { $0.path < $1.path } }
    }

    // MARK: reading

    /// Reads what is available (up to a few chunks); returns whether anything was read.
    func readAvailable(_ f: TailedFile, _ context: SourceContext) -> Bool {
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
            // A new chunk per read (the events keep slices of it), left uninitialized: the
            // read fills it and its count is what was read.
            var n = 0
            let chunk = [UInt8](unsafeUninitializedCapacity: Self.chunkSize) { buf, count in
                if let gz = f.gz {
                    n = gz.read(into: UnsafeMutableRawPointer(buf.baseAddress!), count: Self.chunkSize)
                } else {
                    n = read(f.fd, buf.baseAddress, Self.chunkSize)
                }
                count = Swift.max(0, n)
            }
            if n < 0 {
                if errno == EINTR { continue }
                context.logger.warning("read error on \(f.path): \(String(cString: strerror(errno)))")
                break
            }
            if n == 0 { break }
            any = true
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
            // The path every event of this chunk carries gets storage of its own per chunk:
            // one shared String would have its reference count moved by every event on every
            // stage's thread at once, a cache line bouncing between cores.
            f.pathValue = .string(String(decoding: Array(f.path.utf8), as: UTF8.self))
            f.splitter.feed(chunk) { line, end in
                handleLine(f, line, end: base + Int64(end), into: &events)
                if events.count >= batchSize {
                    emit(&events, f, context, bytes: bytes); bytes = 0
                }
            }
            if n < Self.chunkSize { break }
        }
        if any { f.lastDataAt = Clock.monotonic() }
        if f.splitter.truncated > 0 {
            context.metrics.increment("truncated_lines", by: f.splitter.truncated)
            f.splitter.clearTruncatedCount()
        }
        emit(&events, f, context, bytes: bytes)
        return any
    }

    /// One complete line ending at file offset `end`: an event, or part of a multiline record.
    func handleLine(_ f: TailedFile, _ line: ArraySlice<UInt8>, end: Int64, into events: inout [Event]) {
        guard let pattern = startPattern else {
            var e = Event(original: line)
            e.fields.append(Field(ECS.logFilePath, f.pathValue))
            events.append(consume e)
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

    func finishRecord(_ f: TailedFile, into events: inout [Event]) {
        guard f.recordLines > 0 else { return }
        var e = Event(original: ArraySlice(f.record))
        e.fields.append(Field(ECS.logFilePath, f.pathValue))
        events.append(consume e)
        f.lineEnd = f.recordEnd
        f.record = []
        f.recordLines = 0
    }

    func emit(_ events: inout [Event], _ f: TailedFile, _ context: SourceContext, bytes: Int) {
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

    /// Emits a held partial line (as a line ending at the bytes read so far) and a held
    /// multiline record: end of input, or `multiline_timeout` without new data.
    func flushHeld(_ f: TailedFile, _ context: SourceContext) {
        var events: [Event] = []
        if let line = f.splitter.flushPending() {
            handleLine(f, line, end: f.offset, into: &events)
        }
        finishRecord(f, into: &events)
        emit(&events, f, context, bytes: 0)
    }
}
