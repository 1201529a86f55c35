import SluiceCore

/// The recent events that rules matched, by sequence number, for alert evidence: group
/// state keeps sequence numbers (8 bytes) instead of events.
///
/// Guarantees: bounded to `capacity` events (a ring) and to about `maxBytes` of memory (the
/// oldest are dropped first; one event larger than the whole budget is still kept, alone);
/// `event(seq)` returns the event stored under `seq` or nil when it has been dropped since
/// (counted by the caller). Events are kept packed (`EventCodec.pack`: keys by id, a dropped
/// original reduced to the text its spans read) in chunks of memory that are allocated and
/// freed whole, about 0.6 KB a GitHub audit event instead of 1.5–2 KB as `Event`s: nothing
/// refers to the read buffer an event was sliced from, storing one allocates nothing once
/// its chunk exists, and dropping the oldest frees a chunk, not every field of every event.
/// An event that carries an alert (rules over alerts) is kept as it is.
struct EvidenceStore {
    /// Where an event lies: its sequence number (a ring slot is reused), its chunk (counted
    /// from the first chunk ever made) and its bytes there.
    private struct Slot {
        var seq: UInt64 = 0
        var chunk = 0
        var offset: Int32 = 0
        var length: Int32 = -1   // -1: kept whole, in `whole`
    }
    private var slots: [Slot]
    /// One allocation of packed events, written through a pointer and freed whole.
    private final class Chunk {
        let base: UnsafeMutablePointer<UInt8>
        let capacity: Int
        var count = 0
        init(capacity: Int) {
            base = .allocate(capacity: capacity)
            self.capacity = capacity
        }
        deinit { base.deallocate() }
        var free: Int { capacity - count }
    }
    /// The chunks still held, oldest first; `chunks[i]` is chunk number `firstChunk + i`.
    private var chunks: [Chunk] = []
    /// The last sequence number stored in each held chunk.
    private var chunkLast: [UInt64] = []
    private var firstChunk = 0
    /// Events kept as they are (those carrying an alert), with their sizes.
    private var whole: [UInt64: (event: Event, size: Int)] = [:]
    /// Their sequence numbers in order, from `wholeHead` on.
    private var wholeOrder: [UInt64] = []
    private var wholeHead = 0
    private(set) var nextSeq: UInt64 = 1
    /// No event below this sequence number is kept.
    private var oldest: UInt64 = 1
    /// Bytes held: the chunks' capacities and the estimated size of events kept whole.
    private(set) var bytes = 0
    let maxBytes: Int
    /// Bytes a chunk is made with (an event larger than that gets a chunk of its own size).
    let chunkBytes: Int

    init(capacity: Int, maxBytes: Int = Int.max) {
        slots = Array(repeating: Slot(), count: max(1, capacity))
        self.maxBytes = maxBytes
        chunkBytes = min(1 << 20, max(4096, maxBytes / 16))
    }

    var capacity: Int { slots.count }

    /// Stores `e` under the next sequence number.
    mutating func add(_ e: Event) -> UInt64 {
        let s = nextSeq
        nextSeq += 1
        store(e, seq: s)
        return s
    }

    func event(_ seq: UInt64) -> Event? {
        switch kept(seq) {
        case .whole(let e)?: return e
        case .packed(let bytes)?:
            var r = BinaryReader(Array(bytes))
            return try? EventCodec.unpack(&r)
        case nil: return nil
        }
    }

    /// Whether the event stored under `seq` is still kept (what `event(seq) != nil` says,
    /// without unpacking it).
    func contains(_ seq: UInt64) -> Bool { kept(seq) != nil }

    /// Writes the event stored under `seq` (which `contains`) into a snapshot as
    /// `ByteWriter.event` writes `event(seq)`; a packed one is written from its bytes where
    /// they lie, not unpacked.
    func write(_ seq: UInt64, to w: inout ByteWriter) {
        if case .packed(let bytes)? = kept(seq), w.packedEvent(bytes) { return }
        w.event(event(seq) ?? Event())
    }

    /// How the event stored under `seq` is kept: whole, or packed (its bytes in a chunk this
    /// store holds, valid until the store changes); nil once it has been dropped.
    private enum Kept {
        case whole(Event)
        case packed(UnsafeBufferPointer<UInt8>)
    }

    private func kept(_ seq: UInt64) -> Kept? {
        guard seq >= oldest, seq < nextSeq else { return nil }
        let slot = slots[index(seq)]
        guard slot.seq == seq else { return nil }
        if slot.length < 0 { return whole[seq].map { .whole($0.event) } }
        let c = slot.chunk - firstChunk
        guard c >= 0, c < chunks.count else { return nil }
        return .packed(UnsafeBufferPointer(start: chunks[c].base + Int(slot.offset), count: Int(slot.length)))
    }

    /// Restores an event under its old sequence number (snapshot restore, in increasing order).
    mutating func put(_ e: Event, seq: UInt64) {
        store(e, seq: seq)
        if seq >= nextSeq { nextSeq = seq + 1 }
    }

    mutating func setNext(_ s: UInt64) { nextSeq = max(nextSeq, s) }

    private func index(_ seq: UInt64) -> Int { Int(seq % UInt64(slots.count)) }

    private mutating func store(_ e: Event, seq: UInt64) {
        let i = index(seq)
        if e.alert != nil {
            let size = Self.size(of: e)
            whole[seq] = (e, size)
            wholeOrder.append(seq)
            bytes += size
            slots[i] = Slot(seq: seq, chunk: 0, offset: 0, length: -1)
        } else {
            // Packed into the last chunk when the usual room is free there; otherwise (or
            // when the guess fell short, rare) into a new chunk with room for the most it
            // can take.
            var written: Int?
            if let last = chunks.last, last.free >= EventCodec.packedGuess(e) {
                written = EventCodec.pack(e, to: last.base + last.count, room: last.free)
            }
            if written == nil {
                let chunk = Chunk(capacity: max(chunkBytes, EventCodec.packedBound(e)))
                bytes += chunk.capacity
                chunks.append(chunk)
                chunkLast.append(seq)
                written = EventCodec.pack(e, to: chunk.base, room: chunk.capacity)
                precondition(written != nil, "packedBound is the most pack writes")
            }
            let c = chunks.count - 1
            let offset = chunks[c].count
            chunks[c].count += written!
            chunkLast[c] = seq
            slots[i] = Slot(seq: seq, chunk: firstChunk + c, offset: Int32(offset), length: Int32(written!))
        }
        trim(newest: seq)
    }

    /// Lets go of what the ring no longer holds (events `capacity` or more behind), then,
    /// while over the byte budget, of the oldest chunk or whole event (never what holds
    /// `newest`); everything below `oldest` counts as gone.
    private mutating func trim(newest: UInt64) {
        let ringStart = nextSeq > UInt64(slots.count) ? nextSeq - UInt64(slots.count) : 1
        if ringStart > oldest { oldest = ringStart }
        while true {
            // The oldest chunk may go unless it is the one being filled; a whole event unless
            // it is the newest.
            let chunkSeq: UInt64? = chunks.count > 1 ? chunkLast[0] : nil
            let wholeSeq: UInt64? = wholeHead < wholeOrder.count && wholeOrder[wholeHead] != newest ? wholeOrder[wholeHead] : nil
            let dropChunk: Bool
            if let c = chunkSeq, c < oldest { dropChunk = true }
            else if let w = wholeSeq, w < oldest { dropChunk = false }
            else if bytes > maxBytes, chunkSeq != nil || wholeSeq != nil {
                if let c = chunkSeq, let w = wholeSeq { dropChunk = c < w } else { dropChunk = chunkSeq != nil }
            } else { break }
            if dropChunk {
                oldest = max(oldest, chunkLast[0] + 1)
                bytes -= chunks[0].capacity
                chunks.removeFirst()
                chunkLast.removeFirst()
                firstChunk += 1
            } else {
                let w = wholeOrder[wholeHead]
                wholeHead += 1
                oldest = max(oldest, w + 1)
                if let gone = whole.removeValue(forKey: w) { bytes -= gone.size }
                if wholeHead > 64, wholeHead * 2 > wholeOrder.count {
                    wholeOrder.removeFirst(wholeHead)
                    wholeHead = 0
                }
            }
        }
    }

    /// Approximate memory of an event kept whole. With a record (kept, or dropped but still
    /// read by its spans), twice the record's size plus a fixed cost per field (a parsed
    /// event's values come from its record), without reading the values; without one, the
    /// bytes of its strings are counted (arrays and objects through), which costs a pass
    /// over the fields.
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
