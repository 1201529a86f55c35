import SluiceCore

/// Holds events until event time has passed them by the allowed lateness, then releases
/// them in event-time order (ties broken by a hash of their content, then arrival).
///
/// Guarantees: the released sequence depends only on the set of events released, not on
/// how they were split into batches or ordered within the lateness; bounded by a capacity
/// (past it, the oldest events are released early and counted by the caller). The content
/// hash is computed (by the caller's `hasher`) only for events whose time ties with
/// another's in a comparison, so the order is the same as if every event had been hashed.
///
/// Events that arrive later in time than every event of the current in-order run (most of a
/// file or a live stream) join that run, a queue released from its head without heap work;
/// the others go to a heap. A release takes the smaller of the two heads in the same order
/// (time, hash, arrival), so the sequence is the one a single heap gives.
struct ReorderBuffer {
    struct Item {
        let time: Int64
        /// Valid when `hashed`.
        var hash: UInt64
        var hashed: Bool
        let arrival: UInt64
        let slot: Int32
    }
    private var heap: [Item] = []
    /// The in-order run: strictly increasing times, released from `runHead`.
    private var run: [Item] = []
    private var runHead = 0
    private var events: [Event?] = []
    private var free: [Int32] = []
    private var arrivals: UInt64 = 0

    var count: Int { heap.count + run.count - runHead }
    var minTime: Int64? {
        guard runHead < run.count else { return heap.first?.time }
        guard let h = heap.first else { return run[runHead].time }
        return min(h.time, run[runHead].time)
    }

    /// Order of two hashed items (or items of different times).
    static func less(_ a: Item, _ b: Item) -> Bool {
        if a.time != b.time { return a.time < b.time }
        if a.hash != b.hash { return a.hash < b.hash }
        return a.arrival < b.arrival
    }

    @inline(__always)
    private mutating func less(_ i: Int, _ j: Int, _ hasher: (Event) -> UInt64) -> Bool {
        if heap[i].time != heap[j].time { return heap[i].time < heap[j].time }
        ensureHash(i, hasher); ensureHash(j, hasher)
        return Self.less(heap[i], heap[j])
    }

    private mutating func ensureHash(_ i: Int, _ hasher: (Event) -> UInt64) {
        Self.ensureHashed(&heap[i], events, hasher)
    }

    /// Computes `item`'s content hash (of its event in `events`) unless it has one.
    private static func ensureHashed(_ item: inout Item, _ events: [Event?], _ hasher: (Event) -> UInt64) {
        guard !item.hashed else { return }
        item.hash = hasher(events[Int(item.slot)]!)
        item.hashed = true
    }

    /// Whether the run's head is released before the heap's top (both present).
    private mutating func runHeadFirst(_ hasher: (Event) -> UInt64) -> Bool {
        let r = run[runHead].time, h = heap[0].time
        if r != h { return r < h }
        Self.ensureHashed(&heap[0], events, hasher)
        Self.ensureHashed(&run[runHead], events, hasher)
        return Self.less(run[runHead], heap[0])
    }

    /// Adds an event; `hash` when the caller already has it, else `hasher` computes it on a tie.
    mutating func push(_ e: consuming Event, time: Int64, hash: UInt64?, hasher: (Event) -> UInt64) {
        let slot: Int32
        if let f = free.popLast() { slot = f; events[Int(f)] = consume e } else { slot = Int32(events.count); events.append(consume e) }
        arrivals &+= 1
        let item = Item(time: time, hash: hash ?? 0, hashed: hash != nil, arrival: arrivals, slot: slot)
        // (`pop` empties the run when it releases its last item, so an empty run is `[]`.)
        if runHead == run.count || time > run[run.count - 1].time {
            run.append(item)
            return
        }
        heap.append(item)
        var i = heap.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard less(i, p, hasher) else { break }
            heap.swapAt(i, p); i = p
        }
    }

    /// Removes and returns the earliest event (with its hash when one was computed).
    mutating func pop(hasher: (Event) -> UInt64) -> (Event, Int64, UInt64?)? {
        if runHead < run.count, heap.isEmpty || runHeadFirst(hasher) {
            let top = run[runHead]
            runHead += 1
            if runHead == run.count { run.removeAll(keepingCapacity: true); runHead = 0 }
            else if runHead >= 4096, runHead * 2 >= run.count { run.removeFirst(runHead); runHead = 0 }
            return take(top)
        }
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            let n = heap.count
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < n, less(l, m, hasher) { m = l }
                if r < n, less(r, m, hasher) { m = r }
                if m == i { break }
                heap.swapAt(i, m); i = m
            }
        }
        return take(top)
    }

    private mutating func take(_ top: Item) -> (Event, Int64, UInt64?) {
        let e = events[Int(top.slot)].take()!   // moved out, not copied
        free.append(top.slot)
        return (e, top.time, top.hashed ? top.hash : nil)
    }

    /// Every held event in release order with its hash (for snapshots), leaving the buffer unchanged.
    func ordered(hasher: (Event) -> UInt64) -> [(Event, Int64, UInt64)] {
        var items = heap + run[runHead...]
        for k in items.indices { Self.ensureHashed(&items[k], events, hasher) }
        return items.sorted(by: Self.less).map { (events[Int($0.slot)]!, $0.time, $0.hash) }
    }
}
