import NIOCore

/// Splits a syslog byte stream (TCP, TLS, Unix stream) into messages per RFC 6587.
///
/// The framing is detected once per connection from its first byte: a digit means octet
/// counting (`LEN SP MSG`), anything else non-transparent framing (messages end with LF; a
/// CR before it is dropped). Guarantees: a message longer than `maxMessageBytes` is cut at
/// that length and the rest of it skipped (counted in `truncated`), never emitted as a
/// second message; memory held is bounded by about `maxMessageBytes` plus one read; an
/// invalid octet-count header throws `SyslogFramingError` (the caller closes the connection).
public struct SyslogStreamFramer {
    public enum Mode: Sendable { case unknown, octetCounting, newline }

    public let maxMessageBytes: Int
    public private(set) var mode: Mode = .unknown
    public private(set) var truncated = 0
    private var buffer: ByteBuffer
    private var discardingLine = false
    private var skipRemaining = 0

    public init(maxMessageBytes: Int, allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.maxMessageBytes = maxMessageBytes
        buffer = allocator.buffer(capacity: 0)
    }

    /// Bytes received and not yet framed into messages.
    public var bufferedBytes: Int { buffer.readableBytes }

    /// Appends `incoming` and calls `message` with each complete message.
    public mutating func feed(_ incoming: inout ByteBuffer, _ message: ([UInt8]) -> Void) throws {
        _ = try feed(&incoming, limit: Int.max, message)
    }

    /// Appends `incoming` (possibly empty, to continue with what is buffered) and calls
    /// `message` with complete messages, at most `limit` of them; the rest stays buffered
    /// for the next call. Returns the number of messages given.
    public mutating func feed(_ incoming: inout ByteBuffer, limit: Int, _ message: ([UInt8]) -> Void) throws -> Int {
        if buffer.readableBytes == 0 { buffer.clear() }
        if incoming.readableBytes > 0 { buffer.writeBuffer(&incoming) }
        defer { if buffer.readerIndex > 65536 { buffer.discardReadBytes() } }
        return try withoutActuallyEscaping(message) { message in try frame(limit: limit, message) }
    }

    private mutating func frame(limit: Int, _ message: @escaping ([UInt8]) -> Void) throws -> Int {
        var given = 0
        let counting: ([UInt8]) -> Void = { given += 1; message($0) }
        while buffer.readableBytes > 0 && given < limit {
            if skipRemaining > 0 {
                let n = min(skipRemaining, buffer.readableBytes)
                buffer.moveReaderIndex(forwardBy: n)
                skipRemaining -= n
                continue
            }
            if mode == .unknown {
                let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self)!
                mode = (first >= 0x30 && first <= 0x39) ? .octetCounting : .newline
            }
            if mode == .octetCounting {
                if !(try nextOctetFrame(counting)) { return given }
            } else {
                if !nextLine(counting) { return given }
            }
        }
        return given
    }

    /// End of stream: a last non-transparent message without its LF is still a message.
    public mutating func finish(_ message: ([UInt8]) -> Void) {
        if mode == .newline, !discardingLine, buffer.readableBytes > 0 {
            var bytes = buffer.readBytes(length: buffer.readableBytes)!
            if bytes.last == 0x0D { bytes.removeLast() }
            if !bytes.isEmpty { message(bytes) }
        }
        buffer.clear()
    }

    /// Returns false when more bytes are needed.
    private mutating func nextOctetFrame(_ message: ([UInt8]) -> Void) throws -> Bool {
        // Tolerate LF/CR between frames (some senders add them).
        while let b = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self), b == 0x0A || b == 0x0D {
            buffer.moveReaderIndex(forwardBy: 1)
        }
        let avail = buffer.readableBytes
        if avail == 0 { return false }
        var len = 0
        var digits = 0
        var i = buffer.readerIndex
        let end = buffer.writerIndex
        while i < end {
            let b = buffer.getInteger(at: i, as: UInt8.self)!
            if b == 0x20 { break }
            guard b >= 0x30 && b <= 0x39 else {
                throw SyslogFramingError("invalid octet count: unexpected byte 0x\(String(b, radix: 16)) in frame length")
            }
            digits += 1
            if digits > 9 { throw SyslogFramingError("invalid octet count: frame length has more than 9 digits") }
            len = len * 10 + Int(b - 0x30)
            i += 1
        }
        if i == end { return false }  // header incomplete
        if digits == 0 || len == 0 { throw SyslogFramingError("invalid octet count: frame length missing or zero") }
        let header = digits + 1
        let keep = min(len, maxMessageBytes)
        guard avail >= header + keep else { return false }
        buffer.moveReaderIndex(forwardBy: header)
        let bytes = buffer.readBytes(length: keep)!
        if len > keep { truncated += 1; skipRemaining = len - keep }
        message(bytes)
        return true
    }

    private mutating func nextLine(_ message: ([UInt8]) -> Void) -> Bool {
        let nl: Int? = buffer.withUnsafeReadableBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0,
                  let p = memchr(base, 0x0A, raw.count) else { return nil }
            return UnsafeRawPointer(p) - base
        }
        if let nl {
            if discardingLine {
                buffer.moveReaderIndex(forwardBy: nl + 1)
                discardingLine = false
                return true
            }
            // The message's length without the CR of its CRLF (one CR, the one before the
            // LF): a message of exactly the limit ending in CRLF is whole, not cut.
            var take = nl
            if take > 0, buffer.getInteger(at: buffer.readerIndex + nl - 1, as: UInt8.self) == 0x0D { take -= 1 }
            let cut = take > maxMessageBytes
            if cut { take = maxMessageBytes; truncated += 1 }
            var bytes = buffer.getBytes(at: buffer.readerIndex, length: take)!
            buffer.moveReaderIndex(forwardBy: nl + 1)
            if cut, bytes.last == 0x0D { bytes.removeLast() }
            if !bytes.isEmpty { message(bytes) }
            return true
        }
        if discardingLine {
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        } else if buffer.readableBytes > maxMessageBytes
                    && !(buffer.readableBytes == maxMessageBytes + 1
                         && buffer.getInteger(at: buffer.readerIndex + maxMessageBytes, as: UInt8.self) == 0x0D) {
            // Longer than the limit with no LF yet (a CR just past the limit may be the
            // start of the CRLF ending a message of exactly the limit: wait for the next byte).
            message(buffer.readBytes(length: maxMessageBytes)!)
            truncated += 1
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            discardingLine = true
        }
        return false
    }
}

/// A syslog stream that cannot be framed (the connection is closed with this reason).
public struct SyslogFramingError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

#if canImport(Glibc)
import Glibc
#endif
