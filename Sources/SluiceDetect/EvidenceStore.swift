import SluiceCore

/// The recent events that rules matched, by sequence number, for alert evidence: group
/// state keeps sequence numbers (8 bytes) instead of events.
///
/// Guarantees: bounded to `capacity` events (a ring); `event(seq)` returns the event
/// stored under `seq` or nil when it has been overwritten since (counted by the caller).
struct EvidenceStore {
    private var ring: [Event?]
    private var seqs: [UInt64]
    private(set) var nextSeq: UInt64 = 1

    init(capacity: Int) {
        ring = Array(repeating: nil, count: max(1, capacity))
        seqs = Array(repeating: 0, count: max(1, capacity))
    }

    var capacity: Int { ring.count }

    /// Stores `e` with its record copied out of any larger buffer it is a slice of (a file
    /// source's read chunk), so the ring holds what it counts: with sparse matches, each kept
    /// event otherwise kept a 256 KiB chunk alive.
    mutating func add(_ e: Event) -> UInt64 {
        let s = nextSeq
        nextSeq += 1
        let i = Int(s % UInt64(ring.count))
        var e = e
        e.compactOriginal()
        ring[i] = e; seqs[i] = s
        return s
    }

    func event(_ seq: UInt64) -> Event? {
        let i = Int(seq % UInt64(ring.count))
        return seqs[i] == seq ? ring[i] : nil
    }

    /// Restores an event under its old sequence number (snapshot restore).
    mutating func put(_ e: Event, seq: UInt64) {
        let i = Int(seq % UInt64(ring.count))
        ring[i] = e; seqs[i] = seq
        if seq >= nextSeq { nextSeq = seq + 1 }
    }

    mutating func setNext(_ s: UInt64) { nextSeq = max(nextSeq, s) }
}
