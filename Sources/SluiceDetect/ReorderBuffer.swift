import SluiceCore

/// Holds events until event time has passed them by the allowed lateness, then releases
/// them in event-time order (ties broken by a hash of their content, then arrival).
///
/// Guarantees: the released sequence depends only on the set of events released, not on
/// how they were split into batches or ordered within the lateness; bounded by a capacity
/// (past it, the oldest events are released early and counted by the caller).
struct ReorderBuffer {
    struct Item {
        let time: Int64
        let hash: UInt64
        let arrival: UInt64
        let slot: Int32
    }
    private var heap: [Item] = []
    private var events: [Event?] = []
    private var free: [Int32] = []
    private var arrivals: UInt64 = 0

    var count: Int { heap.count }
    var minTime: Int64? { heap.first?.time }

    static func less(_ a: Item, _ b: Item) -> Bool {
        if a.time != b.time { return a.time < b.time }
        if a.hash != b.hash { return a.hash < b.hash }
        return a.arrival < b.arrival
    }

    mutating func push(_ e: Event, time: Int64, hash: UInt64) {
        let slot: Int32
        if let f = free.popLast() { slot = f; events[Int(f)] = e } else { slot = Int32(events.count); events.append(e) }
        arrivals &+= 1
        heap.append(Item(time: time, hash: hash, arrival: arrivals, slot: slot))
        var i = heap.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard Self.less(heap[i], heap[p]) else { break }
            heap.swapAt(i, p); i = p
        }
    }

    /// Removes and returns the earliest event.
    mutating func pop() -> (Event, Int64, UInt64)? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            let n = heap.count
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < n, Self.less(heap[l], heap[m]) { m = l }
                if r < n, Self.less(heap[r], heap[m]) { m = r }
                if m == i { break }
                heap.swapAt(i, m); i = m
            }
        }
        let e = events[Int(top.slot)]!
        events[Int(top.slot)] = nil
        free.append(top.slot)
        return (e, top.time, top.hash)
    }

    /// Every held event in release order (for snapshots), leaving the buffer unchanged.
    func ordered() -> [(Event, Int64, UInt64)] {
        heap.sorted(by: Self.less).map { (events[Int($0.slot)]!, $0.time, $0.hash) }
    }
}
