#if canImport(Glibc)
import Glibc
#endif
import CZlib
import Foundation
import Logging
import SluiceCore

/// What a full disk buffer does with new records.
public enum BufferFullPolicy: String, CaseIterable, Sendable {
    /// The writer waits until the drain frees space (backpressure reaches the sources).
    case block
    /// New records that do not fit are dropped and counted.
    case drop_newest
}

/// A sink's on-disk spool: append-only segment files of checksummed, length-prefixed
/// records under one directory (`<data_dir>/buffers/<sink>/`), read back in order.
///
/// Record layout: `u32 length | u32 CRC-32 | i64 enqueue time (ns) | payload`, little
/// endian, the CRC covering time and payload. Segments are `<20-digit id>.seg`; the read
/// position (segment id, offset) is kept in `position` and rewritten after each delivered
/// batch.
///
/// Guarantees:
/// - `append` returns once the records are written and fsync'd: an acknowledged event
///   survives a crash of the process or the host.
/// - Records come out of `peek` in the order they were appended, across restarts.
///   Delivery is at least once: the position is written (not fsync'd) after delivery, so a
///   crash can replay the last delivered batch.
/// - Appending and reading agree on the record limit (`maxRecordBytes`, 16 MiB): `append`
///   refuses a larger record (`DeliverySink` sends it to dead letter, with its reason,
///   before acknowledging the batch), so every record written can be read back.
/// - A record whose length or CRC does not check (torn write, bit rot, truncation) skips
///   only itself: the reader resynchronizes on the next record whose header and CRC check
///   (a torn tail skips to the end of its segment); skipped records are counted and
///   logged, never a crash.
/// - `max_bytes` bounds the undelivered bytes; disk use may exceed it by the delivered
///   head of the oldest segment (at most one segment, `max_bytes / 8`).
/// Thread safety: one writer thread and one reader thread; state is under one lock.
public final class DiskBuffer: @unchecked Sendable {
    // SAFETY (@unchecked Sendable): the segment table, offsets, counts, descriptors and
    // `closed` are read and written only inside `lock.withLock` / `lock.wait` (the init
    // runs before the buffer is shared); the reader-side block cache (`readFD`,
    // `readFDSegment`, `block`, `blockStart`) is touched only by the one reader thread
    // (`peek` and what it calls), as documented above; everything else is `let`.
    public static let headerSize = 16
    public static let maxRecordBytes = 16 << 20

    public let directory: String
    public let maxBytes: Int
    public let segmentBytes: Int
    let whenFull: BufferFullPolicy
    let logger: Logger
    let stats: SinkStats?

    /// Guards the mutable state below (a plain mutex); its condition wakes
    /// writers waiting for room, the reader waiting for data and `waitUntilDrained`.
    private let lock = Locked()
    private struct Segment { let id: UInt64; var size: Int }
    private var segments: [Segment] = []      // oldest first; the last is the write segment
    private var readOffset = 0
    private var writeFD: Int32 = -1
    private var positionFD: Int32 = -1
    private var events = 0
    private var closed = false
    private var peeked: (id: UInt64, end: Int, count: Int)?
    private var oldestTime: Int64 = 0
    // Reader-side block cache (reader thread only).
    private var readFD: Int32 = -1
    private var readFDSegment: UInt64 = 0
    private var block: [UInt8] = []
    private var blockStart = 0

    public init(directory: String, maxBytes: Int, whenFull: BufferFullPolicy = .block,
                segmentBytes: Int? = nil, logger: Logger, stats: SinkStats? = nil) throws {
        self.directory = directory
        self.maxBytes = max(maxBytes, 4096)
        self.segmentBytes = segmentBytes ?? min(64 << 20, max(self.maxBytes / 8, 4096))
        self.whenFull = whenFull
        self.logger = logger
        self.stats = stats
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var ids: [UInt64] = []
        for n in names where n.hasSuffix(".seg") {
            if let id = UInt64(n.dropLast(4)) { ids.append(id) }
        }
        ids.sort()
        for id in ids {
            var st = stat()
            if stat(path(id), &st) == 0 { segments.append(Segment(id: id, size: Int(st.st_size))) }
        }
        positionFD = open(directory + "/position", O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard positionFD >= 0 else { throw SinkError.permanent("\(directory)/position: \(String(cString: strerror(errno)))") }
        var pos = [UInt8](repeating: 0, count: 16)
        if pread(positionFD, &pos, 16, 0) == 16 {
            let seg = Self.load64(pos, 0), off = Int(Self.load64(pos, 8))
            if let i = segments.firstIndex(where: { $0.id == seg }) {
                for s in segments[..<i] { unlink(path(s.id)) }   // delivered before the restart
                segments.removeFirst(i)
                readOffset = min(off, segments[0].size)
            }
        }
        events = countEvents()
        let next = (segments.last?.id ?? 0) + 1
        try openWriteSegment(next)
        if events > 0 { logger.info("disk buffer \(directory): \(events) events waiting from a previous run") }
        publish()
    }

    deinit {
        if writeFD >= 0 { Glibc.close(writeFD) }
        if readFD >= 0 { Glibc.close(readFD) }
        if positionFD >= 0 { Glibc.close(positionFD) }
    }

    private func path(_ id: UInt64) -> String {
        var s = String(id)
        while s.count < 20 { s = "0" + s }
        return directory + "/" + s + ".seg"
    }

    private func openWriteSegment(_ id: UInt64) throws {
        if writeFD >= 0 { Glibc.close(writeFD) }
        writeFD = open(path(id), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard writeFD >= 0 else { throw SinkError.retryable("\(path(id)): \(String(cString: strerror(errno)))") }
        segments.append(Segment(id: id, size: 0))
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); Glibc.close(dfd) }
    }

    /// Undelivered bytes.
    public var bufferedBytes: Int { lock.withLock { unconsumed } }
    /// Undelivered records (an estimate after corruption was skipped).
    public var bufferedEvents: Int { lock.withLock { events } }

    /// Waits up to `timeout` seconds until no record is left undelivered (or the buffer is
    /// closed); returns whether the buffer is empty.
    @discardableResult
    public func waitUntilDrained(timeout: Double) -> Bool {
        lock.wait(timeout: timeout, until: { self.events == 0 || self.closed }) { _ in self.events == 0 }
    }
    private var unconsumed: Int { segments.reduce(0) { $0 + $1.size } - readOffset }

    /// Appends records durably (written and fsync'd). Blocks while full (`block`), or drops
    /// the records that do not fit and returns their number (`drop_newest`).
    @discardableResult
    public func append(_ records: RecordBatch, now: Int64 = Timestamp.now()) throws -> Int {
        guard !records.isEmpty else { return 0 }
        for i in 0..<records.count where records.record(i).count > Self.maxRecordBytes {
            throw SinkError.permanent("record of \(records.record(i).count) bytes exceeds the disk buffer's limit of \(Self.maxRecordBytes) bytes")
        }
        var buf: [UInt8] = []
        buf.reserveCapacity(records.bytes.count + records.count * Self.headerSize)
        var sizes: [Int] = []
        for i in 0..<records.count {
            let r = records.record(i)
            let start = buf.count
            Self.appendHeader(length: r.count, time: now, to: &buf)
            buf.append(contentsOf: r)
            let crc = buf.withUnsafeBufferPointer { p -> UInt32 in
                let body = UnsafeBufferPointer(rebasing: p[(start + 8)...])
                return UInt32(truncatingIfNeeded: crc32(0, body.baseAddress, UInt32(body.count)))
            }
            Self.store32(crc, &buf, start + 4)
            sizes.append(buf.count - start)
        }
        let need = buf.count
        let blocks = whenFull == .block
        return try lock.wait(until: { !blocks || self.closed || !(self.unconsumed > 0 && self.unconsumed + need > self.maxBytes) }) { _ in
            var take = sizes.count
            switch whenFull {
            case .block:
                break
            case .drop_newest:
                let room = maxBytes - unconsumed
                var total = 0
                take = 0
                for s in sizes {
                    if total + s > room && !(unconsumed == 0 && take == 0) { break }
                    total += s; take += 1
                }
                if take < sizes.count {
                    stats?.recordDropped(sizes.count - take)
                    buf.removeLast(buf.count - sizes[..<take].reduce(0, +))
                }
            }
            if closed { throw SinkError.retryable("disk buffer closed") }
            guard take > 0 else { return sizes.count }
            if segments[segments.count - 1].size >= segmentBytes {
                try openWriteSegment(segments[segments.count - 1].id + 1)
            }
            let before = segments[segments.count - 1].size
            do {
                try FileDescriptorWriter(fd: writeFD, label: directory).writeAll(buf)
                if fsync(writeFD) != 0 { throw SinkError.retryable("\(directory): fsync: \(String(cString: strerror(errno)))") }
            } catch {
                _ = ftruncate(writeFD, off_t(before))   // no torn record left behind
                throw error
            }
            segments[segments.count - 1].size += buf.count
            events += take
            if oldestTime == 0 { oldestTime = now }
            publish()
            lock.broadcast()
            return sizes.count - take
        }
    }

    /// The next records in order (at most `maxEvents`, about `maxBytes`), without removing
    /// them; waits up to `timeout` seconds for data. `commit()` removes them after delivery.
    public func peek(maxEvents: Int, maxBytes: Int, timeout: Double) -> RecordBatch? {
        let unread: (id: UInt64, limit: Int, start: Int)? =
            lock.wait(timeout: timeout, until: { self.closed || self.hasUnreadLocked() }) { ready in
                guard ready, !closed else { return nil }
                return (segments[0].id, segments[0].size, readOffset)
            }
        guard let (segID, limit, start) = unread else { return nil }

        var out = RecordBatch()
        var off = start
        var firstTime: Int64 = 0
        var corrupt: String?
        while off < limit && out.count < maxEvents && out.bytes.count < maxBytes {
            guard limit - off >= Self.headerSize, let h = read(segID, off, Self.headerSize, limit: limit) else { corrupt = "truncated record header"; break }
            let len = Int(Self.load32(h, h.startIndex))
            let crc = Self.load32(h, h.startIndex + 4)
            let time = Int64(bitPattern: Self.load64(Array(h), 8))
            guard len <= Self.maxRecordBytes, off + Self.headerSize + len <= limit,
                  let body = read(segID, off + 8, 8 + len, limit: limit) else { corrupt = "bad record length \(len)"; break }
            let sum = body.withUnsafeBufferPointer { UInt32(truncatingIfNeeded: crc32(0, $0.baseAddress, UInt32($0.count))) }
            guard sum == crc else { corrupt = "checksum mismatch"; break }
            if out.isEmpty { firstTime = time }
            out.append(body.dropFirst(8))
            off += Self.headerSize + len
        }
        if corrupt != nil, out.isEmpty {
            // Skip only the damaged record: resume at the next record that checks. (Good
            // records before the damage were returned by an earlier peek.)
            let next = resync(segID, after: off, limit: limit)
            return lock.withLock {
                stats?.recordCorrupted(1)
                let what = next < limit ? "skipped \(next - off) bytes to the next good record" : "skipped the rest of the segment (\(limit - off) bytes)"
                logger.error("disk buffer \(directory): \(corrupt!) in segment \(segID) at offset \(off); \(what)")
                if segments[0].id == segID {
                    readOffset = next
                    if readOffset >= segments[0].size && segments.count == 1 { try? openWriteSegment(segID + 1) }
                    savePosition()
                }
                peeked = nil
                events = countEvents()
                publish()
                lock.broadcast()
                return out
            }
        }
        return lock.withLock {
            peeked = out.isEmpty ? nil : (segID, off, out.count)
            if firstTime != 0 { oldestTime = firstTime; publish() }
            return out
        }
    }

    /// Whether a record is left to read in the oldest segment; drops segments read to
    /// their end, and zeroes the (estimated) count when nothing is left. Lock held.
    private func hasUnreadLocked() -> Bool {
        while readOffset >= segments[0].size && segments.count > 1 {
            unlink(path(segments[0].id))
            segments.removeFirst()
            readOffset = 0
            savePosition()
        }
        if readOffset < segments[0].size { return true }
        if events != 0 { events = 0; publish(); lock.broadcast() }
        return false
    }

    /// Removes the records returned by the last `peek` (they were delivered).
    public func commit() {
        lock.withLock {
            guard let p = peeked else { return }
            peeked = nil
            if segments[0].id == p.id { readOffset = p.end }
            events = max(0, events - p.count)
            if readOffset >= segments[0].size && segments.count > 1 {
                unlink(path(segments[0].id))
                segments.removeFirst()
                readOffset = 0
            }
            if events == 0 { oldestTime = 0 }
            savePosition()
            publish()
            lock.broadcast()
        }
    }

    /// Re-publishes the buffer gauges (the oldest record's age grows while nothing moves).
    public func refreshMetrics() {
        lock.withLock { publish() }
    }

    /// Wakes waiting writers and readers; later calls fail or return nil.
    public func close() {
        lock.withLock { closed = true }
        lock.broadcast()
    }

    private func savePosition() {
        var b = [UInt8](repeating: 0, count: 16)
        Self.store64(segments[0].id, &b, 0)
        Self.store64(UInt64(readOffset), &b, 8)
        _ = pwrite(positionFD, b, 16, 0)
    }

    private func publish() {
        let age = oldestTime == 0 || events == 0 ? 0 : Double(Timestamp.now() - oldestTime) / 1e9
        stats?.recordBuffer(bytes: unconsumed, events: events, oldestAge: max(0, age))
    }

    // MARK: reading

    /// `count` bytes at `off` of segment `id` (reader thread only).
    private func read(_ id: UInt64, _ off: Int, _ count: Int, limit: Int) -> ArraySlice<UInt8>? {
        if readFD < 0 || readFDSegment != id {
            if readFD >= 0 { Glibc.close(readFD) }
            readFD = open(path(id), O_RDONLY | O_CLOEXEC)
            readFDSegment = id
            block = []; blockStart = 0
            if readFD < 0 { return nil }
        }
        if off >= blockStart && off + count <= blockStart + block.count {
            return block[(off - blockStart)..<(off - blockStart + count)]
        }
        let size = min(max(count, 1 << 20), limit - off)
        guard size >= count else { return nil }
        block = [UInt8](repeating: 0, count: size)
        let n = block.withUnsafeMutableBytes { pread(readFD, $0.baseAddress, size, off_t(off)) }
        if n < 0 { block = []; return nil }
        block.removeLast(size - n)
        blockStart = off
        guard n >= count else { return nil }
        return block[0..<count]
    }

    /// Whether a whole record that checks (length within bounds and the segment, CRC) starts
    /// at `off`.
    private func verifies(_ id: UInt64, _ off: Int, limit: Int) -> Bool {
        guard limit - off >= Self.headerSize, let h = read(id, off, Self.headerSize, limit: limit) else { return false }
        let len = Int(Self.load32(h, h.startIndex))
        guard len <= Self.maxRecordBytes, off + Self.headerSize + len <= limit,
              let body = read(id, off + 8, 8 + len, limit: limit) else { return false }
        let crc = Self.load32(h, h.startIndex + 4)
        return body.withUnsafeBufferPointer { UInt32(truncatingIfNeeded: crc32(0, $0.baseAddress, UInt32($0.count))) } == crc
    }

    /// The offset of the next record that checks after a damaged one at `off`: where the
    /// damaged record's own length says (when that one checks), else the first offset
    /// after it where a record checks; `limit` when there is none (a torn tail).
    private func resync(_ id: UInt64, after off: Int, limit: Int) -> Int {
        if limit - off >= Self.headerSize, let h = read(id, off, Self.headerSize, limit: limit) {
            let len = Int(Self.load32(h, h.startIndex))
            let next = off + Self.headerSize + len
            if len <= Self.maxRecordBytes, next <= limit, next == limit || verifies(id, next, limit: limit) { return next }
        }
        var p = off + 1
        while p + Self.headerSize <= limit {
            if verifies(id, p, limit: limit) { return p }
            p += 1
        }
        return limit
    }

    /// Records countable by their headers from `off` to `limit` in one segment.
    private func estimateRecords(_ id: UInt64, from off: Int, limit: Int) -> Int {
        let fd = open(path(id), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { Glibc.close(fd) }
        var n = 0, o = off
        var h = [UInt8](repeating: 0, count: 4)
        while o + Self.headerSize <= limit, pread(fd, &h, 4, off_t(o)) == 4 {
            let len = Int(Self.load32(h[...], 0))
            guard len <= Self.maxRecordBytes else { break }
            n += 1
            o += Self.headerSize + len
        }
        return n
    }

    private func countEvents() -> Int {
        var total = 0
        for (i, s) in segments.enumerated() {
            total += estimateRecords(s.id, from: i == 0 ? readOffset : 0, limit: s.size)
        }
        return total
    }

    // MARK: little-endian helpers

    static func appendHeader(length: Int, time: Int64, to b: inout [UInt8]) {
        let start = b.count
        b.append(contentsOf: repeatElement(0, count: headerSize))
        store32(UInt32(length), &b, start)
        store64(UInt64(bitPattern: time), &b, start + 8)
    }
    static func store32(_ v: UInt32, _ b: inout [UInt8], _ at: Int) {
        for k in 0..<4 { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
    }
    static func store64(_ v: UInt64, _ b: inout [UInt8], _ at: Int) {
        for k in 0..<8 { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
    }
    static func load32(_ b: ArraySlice<UInt8>, _ at: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(b[at + k]) << (8 * k) }
        return v
    }
    static func load64(_ b: [UInt8], _ at: Int) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(b[at + k]) << (8 * k) }
        return v
    }
}
