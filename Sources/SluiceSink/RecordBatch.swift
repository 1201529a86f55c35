import SluiceCore

/// Encoded output records (each already in its transport's wire form: a syslog frame, a
/// HEC envelope, a `_bulk` action and document) stored back to back in one buffer.
public struct RecordBatch: Sendable {
    public var bytes: [UInt8] = []
    /// End offset of each record in `bytes`.
    public var ends: [Int] = []

    public init() {}

    public var count: Int { ends.count }
    public var isEmpty: Bool { ends.isEmpty }

    public func record(_ i: Int) -> ArraySlice<UInt8> {
        bytes[(i == 0 ? 0 : ends[i - 1])..<ends[i]]
    }

    public mutating func append<C: Collection>(_ record: C) where C.Element == UInt8 {
        bytes.append(contentsOf: record)
        ends.append(bytes.count)
    }

    /// Marks the bytes appended since the previous record as one record.
    public mutating func endRecord() { ends.append(bytes.count) }

    public func subset(_ indices: [Int]) -> RecordBatch {
        var b = RecordBatch()
        for i in indices { b.append(record(i)) }
        return b
    }

    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true); ends.removeAll(keepingCapacity: true) }

    /// Splits into consecutive batches of at most `maxEvents` records and (unless a single
    /// record is larger) `maxBytes` bytes.
    public func chunks(maxEvents: Int, maxBytes: Int) -> [RecordBatch] {
        if count <= maxEvents && bytes.count <= maxBytes { return [self] }
        var out: [RecordBatch] = []
        var cur = RecordBatch()
        for i in 0..<count {
            let r = record(i)
            if !cur.isEmpty && (cur.count >= maxEvents || cur.bytes.count + r.count > maxBytes) {
                out.append(cur); cur = RecordBatch()
            }
            cur.append(r)
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }
}

/// What a transport did with a request.
public enum SendOutcome: Sendable, Equatable {
    /// Every record was delivered.
    case delivered
    /// Nothing (reliably) delivered; try again (connection error, timeout, 429, 5xx),
    /// after `after` seconds when the receiver said so (`Retry-After`).
    case retry(String, after: Double?)
    /// Every record was refused for good (a 4xx retrying cannot fix): dead letter.
    case rejected(String)
    /// Per-record results (e.g. an Elasticsearch `_bulk` 200 with `errors: true`): the
    /// indices to try again, and those refused for good with the receiver's reason.
    case partial(retry: [Int], rejected: [Int: String])
}

/// A way to deliver encoded records (syslog over UDP/TCP/TLS, HTTP). Used from one thread
/// at a time (the sink's queue, or its disk-buffer drain thread).
public protocol RecordTransport: AnyObject {
    /// Appends the wire form of one event (encoded by `encoder`) to `out`.
    func appendRecord(_ event: Event, encoder: EventEncoder, to out: inout [UInt8])
    /// Delivers the records, blocking until the receiver answered or the request failed.
    func send(_ records: RecordBatch) -> SendOutcome
    /// The sink is closing (called from another thread, while a `send` may run): a `send`
    /// that waits for the receiver beyond the request itself (HEC acknowledgements) returns
    /// promptly, with `.retry`.
    func stop()
    func close()
}

extension RecordTransport {
    public func stop() {}
}
