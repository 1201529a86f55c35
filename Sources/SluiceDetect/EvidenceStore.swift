import SluiceCore

/// The recent events that rules matched, by sequence number, for alert evidence: group
/// state keeps sequence numbers (8 bytes) instead of events.
///
/// Guarantees: bounded to `capacity` events (a ring) and to about `maxBytes` of events (the
/// oldest are dropped first; one event larger than the whole budget is still kept, alone);
/// `event(seq)` returns the event stored under `seq` or nil when it has been dropped since
/// (counted by the caller). Each kept event owns its record: never a slice of the read buffer
/// it came from (a file source's chunk holds hundreds of records).
struct EvidenceStore {
    private var ring: [Event?]
    private var seqs: [UInt64]
    private var sizes: [Int]
    private(set) var nextSeq: UInt64 = 1
    /// No event below this sequence number is kept.
    private var oldest: UInt64 = 1
    /// Approximate bytes of the kept events (`size(of:)`).
    private(set) var bytes = 0
    let maxBytes: Int

    init(capacity: Int, maxBytes: Int = Int.max) {
        ring = Array(repeating: nil, count: max(1, capacity))
        seqs = Array(repeating: 0, count: max(1, capacity))
        sizes = Array(repeating: 0, count: max(1, capacity))
        self.maxBytes = maxBytes
    }

    var capacity: Int { ring.count }

    /// Stores `e` (its record copied out of any larger buffer) under the next sequence number.
    mutating func add(_ e: Event) -> UInt64 {
        let s = nextSeq
        nextSeq += 1
        store(e, seq: s)
        return s
    }

    func event(_ seq: UInt64) -> Event? {
        let i = slot(seq)
        return seqs[i] == seq ? ring[i] : nil
    }

    /// Restores an event under its old sequence number (snapshot restore, in increasing order).
    mutating func put(_ e: Event, seq: UInt64) {
        store(e, seq: seq)
        if seq >= nextSeq { nextSeq = seq + 1 }
    }

    mutating func setNext(_ s: UInt64) { nextSeq = max(nextSeq, s) }

    private func slot(_ seq: UInt64) -> Int { Int(seq % UInt64(ring.count)) }

    private mutating func store(_ e: Event, seq: UInt64) {
        var e = e
        e.compactOriginal()
        let i = slot(seq)
        if ring[i] != nil { bytes -= sizes[i] }
        let size = Self.size(of: e)
        ring[i] = e; seqs[i] = seq; sizes[i] = size
        bytes += size
        // Over the byte budget: drop the oldest (never the event just stored).
        while bytes > maxBytes && oldest < seq {
            let j = slot(oldest)
            if seqs[j] == oldest, ring[j] != nil {
                ring[j] = nil
                bytes -= sizes[j]
            }
            oldest += 1
        }
    }

    /// Approximate memory of an event. With a record (kept, or dropped but still read by its
    /// spans), twice the record's size plus a fixed cost per field (a parsed event's values
    /// come from its record), without reading the values; without one, the bytes of its
    /// strings are counted (arrays and objects through), which costs a pass over the fields.
    static func size(of e: Event) -> Int {
        var n = 64 + 48 * e.fields.count
        let record = e.spanStorage.count
        if record > 0 { return n + 2 * record }
        e.fields.withUnsafeFields { fields in
            for i in fields.indices { n += size(of: fields[i].value) }
        }
        return n
    }

    private static func size(of v: FieldValue) -> Int {
        switch v {
        case .string(let s): return s.utf8.count
        case .array(let items): return items.reduce(16) { $0 + 16 + size(of: $1) }
        case .object(let members): return members.reduce(16) { $0 + 32 + size(of: $1.value) }
        default: return 0
        }
    }
}
