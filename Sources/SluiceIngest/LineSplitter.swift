import SluiceCore

/// Splits a byte stream into newline-terminated records without copying: each record is an
/// `ArraySlice` of the chunk it was read into.
///
/// Guarantees: a record never includes its `\n` (nor a `\r` before it); a partial last line
/// is held until its newline arrives (`pending`); a line longer than `maxLineBytes` is cut at
/// that length and the rest of it discarded up to the next newline, counted in `truncated`,
/// so memory stays bounded and the remainder never becomes a bogus second record.
public struct LineSplitter {
    public let maxLineBytes: Int
    /// Bytes of an unfinished line carried to the next chunk.
    public private(set) var pending: [UInt8] = []
    private var discarding = false
    public private(set) var truncated = 0

    public init(maxLineBytes: Int) { self.maxLineBytes = maxLineBytes }

    /// Feeds `chunk` and calls `record` with each complete line and the number of chunk
    /// bytes consumed through the end of that line (for positions).
    public mutating func feed(_ chunk: [UInt8], _ record: (ArraySlice<UInt8>, Int) -> Void) {
        var start = 0
        let n = chunk.count
        chunk.withUnsafeBufferPointer { buf in
            let base = buf.baseAddress!
            while start < n {
                guard let nlPtr = memchr(base + start, 0x0A, n - start) else { break }
                let nl = UnsafePointer<UInt8>(nlPtr.assumingMemoryBound(to: UInt8.self)) - base
                var line: ArraySlice<UInt8>
                if discarding {
                    // `pending` holds the kept prefix of an over-long line; the rest is dropped.
                    line = ArraySlice(pending)
                    pending = []
                    discarding = false
                } else if pending.isEmpty {
                    line = chunk[start..<nl]
                } else {
                    pending.append(contentsOf: buf[start..<min(nl, start + max(0, maxLineBytes + 1 - pending.count))])
                    line = ArraySlice(pending)
                    pending = []
                }
                if line.count > maxLineBytes {
                    line = line.prefix(maxLineBytes)
                    truncated += 1
                }
                if let last = line.last, last == 0x0D { line = line.dropLast() }
                record(line, nl + 1)
                start = nl + 1
            }
        }
        if start < n && !discarding {
            let room = maxLineBytes - pending.count
            let take = min(room, n - start)
            if take > 0 { pending.append(contentsOf: chunk[start..<(start + take)]) }
            if n - start > room {
                discarding = true
                truncated += 1
            }
        }
    }

    /// Emits the held partial line (end of input, or a timeout).
    public mutating func flushPending() -> ArraySlice<UInt8>? {
        defer { pending = []; discarding = false }
        if pending.isEmpty { return nil }
        var line = ArraySlice(pending)
        if let last = line.last, last == 0x0D { line = line.dropLast() }
        return line
    }

    /// Resets the count of truncated lines (after reporting it).
    public mutating func clearTruncatedCount() { truncated = 0 }

    /// Drops held bytes (e.g. when the file was truncated).
    public mutating func reset() { pending = []; discarding = false }
}

#if canImport(Glibc)
import Glibc
#endif
