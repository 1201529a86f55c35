import SluiceCore

/// Snapshot and restore of a `DetectionEngine`'s state (format version 1).
///
/// Layout: magic `SLDT`, version, clocks and counters, the evidence events still referenced
/// by some group, the reorder buffer, pending window-end timers, then per rule (by rule
/// id, so a rule set that changed keeps the state of the rules that stayed): learning
/// start, groups in LRU order, suppression, first-seen and after_rule tables.
///
/// Guarantees: `restore(snapshot())` on an engine with the same rules continues exactly
/// as the original would (same alerts, same ids); state of rules no longer loaded is
/// dropped; a corrupt or foreign snapshot throws `SnapshotError` and leaves the engine as
/// it was.
extension DetectionEngine {
    static let magic: [UInt8] = Array("SLDT".utf8)
    static let formatVersion: UInt64 = 1

    /// The whole state, encoded (tests, a reload's hand-over); `snapshot(to:)` writes the same
    /// bytes in chunks.
    public func snapshot() throws -> [UInt8] {
        var w = ByteWriter()
        try snapshot(&w, to: nil)
        return w.bytes
    }

    /// Streams the state to `output`: the buffer is written out whenever it passes
    /// `output.chunkBytes` between two items (an evidence event, a held event, a group, a table
    /// entry), so the snapshot costs about one chunk of memory, not its whole size (49 MB after
    /// a million audit events with the shipped pack).
    public func snapshot(to output: SnapshotOutput) throws {
        var w = ByteWriter()
        try snapshot(&w, to: output)
        try output.write(w.bytes)
    }

    private func snapshot(_ w: inout ByteWriter, to output: SnapshotOutput?) throws {
        let estimate = max(64 + activeGroups * 48, lastSnapshotBytes + lastSnapshotBytes / 8)
        w.bytes.reserveCapacity(output.map { min(estimate, 2 * $0.chunkBytes) } ?? estimate)
        w.bytes.append(contentsOf: Self.magic)
        w.varint(Self.formatVersion)
        w.int(maxSeen); w.int(watermark); w.int(lastArrivalWall)
        w.varint(UInt64(Counter.allCases.count))
        for c in Counter.allCases { w.string(c.rawValue); w.int(Int64(counts[c] ?? 0)) }
        // Evidence still referenced.
        var refs = Set<UInt64>()
        for st in states {
            for slot in st.groups.slotsInOrder() { withGroup(st, slot) { for e in $0.entries { refs.insert(e.seq) } } }
        }
        let live = refs.sorted().filter { evidence.contains($0) }
        w.varint(evidence.nextSeq)
        w.varint(UInt64(live.count))
        for s in live { w.varint(s); evidence.write(s, to: &w); try w.spill(to: output) }
        // Reorder buffer.
        let held = buffer.ordered(hasher: { self.contentHash($0) })
        w.varint(UInt64(held.count))
        for (e, t, h) in held { w.int(t); w.u64(h); w.event(e); try w.spill(to: output) }
        // Timers.
        w.varint(UInt64(timers.items.count))
        for it in timers.items { w.int(it.time); w.string(rules.rules[Int(it.rule)].id); w.u64(it.key) }
        // Per rule.
        w.varint(UInt64(rules.rules.count))
        for (i, r) in rules.rules.enumerated() {
            let st = states[i]
            w.string(r.id)
            w.int(st.learningStart)
            let slots = st.groups.slotsInOrder()
            w.varint(UInt64(slots.count))
            // Groups are read in place (`withGroup`): a copy of each would retain its arrays.
            for s in slots { w.u64(st.groups.keys[s]); withGroup(st, s) { Self.write($0, &w) }; try w.spill(to: output) }
            let tables = [st.suppress, st.seen] + st.afterRule
            w.varint(UInt64(tables.count))
            for table in tables {
                let ts = table.slotsInOrder()
                w.varint(UInt64(ts.count))
                for s in ts { w.u64(table.keys[s]); w.int(table[s]); try w.spill(to: output) }
            }
        }
        lastSnapshotBytes = (output?.written ?? 0) + w.bytes.count
    }

    static func write(_ g: GroupState, _ w: inout ByteWriter) {
        w.varint(UInt64(g.entries.count))
        var prev: Int64 = 0
        for e in g.entries { w.int(e.time &- prev); prev = e.time; w.u64(e.key); w.varint(e.seq) }
        w.double(g.sum); w.int(g.episodeStart); w.int(Int64(g.severity)); w.int(Int64(g.openSeverity))
        w.int(g.lastTime); w.int(g.windowStart); w.varint(UInt64(g.whenBits))
        w.varint(UInt64(g.escalated.count)); for x in g.escalated { w.int(x) }
        w.varint(UInt64(g.history.count)); for h in g.history { w.int(h.bucket); w.double(h.value) }
        w.int(g.bucket); w.double(g.bucketSum); w.double(g.bucketSum2); w.int(g.suppressUntil)
    }

    static func read(_ r: inout ByteReader) throws -> GroupState {
        var g = GroupState()
        let n = try r.count()
        g.entries.reserveCapacity(n)
        var prev: Int64 = 0
        for _ in 0..<n {
            let t = prev &+ (try r.int()); prev = t
            g.entries.append(WindowEntry(time: t, key: try r.u64(), seq: try r.varint()))
        }
        g.sum = try r.double(); g.episodeStart = try r.int()
        g.severity = Int8(clamping: try r.int()); g.openSeverity = Int8(clamping: try r.int())
        g.lastTime = try r.int(); g.windowStart = try r.int(); g.whenBits = UInt32(truncatingIfNeeded: try r.varint())
        let ne = try r.count(64)
        for _ in 0..<ne { g.escalated.append(try r.int()) }
        let nh = try r.count()
        for _ in 0..<nh { g.history.append(HistoryBucket(bucket: try r.int(), value: try r.double())) }
        g.bucket = try r.int(); g.bucketSum = try r.double(); g.bucketSum2 = try r.double(); g.suppressUntil = try r.int()
        return g
    }

    /// Restores a snapshot; call before any event. On error the engine is unchanged.
    public func restore(_ bytes: [UInt8]) throws {
        var r = ByteReader(bytes)
        guard bytes.count >= 4, Array(bytes[0..<4]) == Self.magic else { throw SnapshotError("not a detection snapshot") }
        r.pos = 4
        let version = try r.varint()
        guard version == Self.formatVersion else { throw SnapshotError("unsupported snapshot version \(version)") }
        let ms = try r.int(), wm = try r.int(), law = try r.int()
        var newCounts = CounterTable()
        for _ in 0..<(try r.count(1000)) {
            let name = try r.string(), v = try r.int()
            if let c = Counter(rawValue: name) { newCounts[c] = Int(v) }
        }
        var ev = EvidenceStore(capacity: options.evidenceBuffer, maxBytes: options.evidenceBufferBytes)
        let next = try r.varint()
        for _ in 0..<(try r.count()) { let s = try r.varint(); ev.put(try r.event(), seq: s) }
        ev.setNext(next)
        var buf = ReorderBuffer()
        for _ in 0..<(try r.count()) { let t = try r.int(); let h = try r.u64(); buf.push(try r.event(), time: t, hash: h) { self.contentHash($0) } }
        var byID: [String: Int] = [:]
        for rule in rules.rules { byID[rule.id] = rule.index }
        var tm = TimerHeap()
        for _ in 0..<(try r.count()) {
            let t = try r.int(); let id = try r.string(); let k = try r.u64()
            if let i = byID[id] { tm.push(TimerHeap.Item(time: t, rule: Int32(i), key: k)) }
        }
        let newStates = rules.rules.map { RuleState(groups: options.maxGroupsPerRule, seen: options.maxFirstSeenEntries, escalations: $0.ext.escalations.count) }
        for _ in 0..<(try r.count()) {
            let id = try r.string()
            let target = byID[id].map { newStates[$0] }
            let ls = try r.int()
            target?.learningStart = ls
            let escalations = byID[id].map { rules.rules[$0].ext.escalations.count } ?? 0
            for _ in 0..<(try r.count()) {
                let k = try r.u64()
                var g = try Self.read(&r)
                if g.escalated.count != escalations { g.escalated = Array(repeating: 0, count: escalations) }
                target?.groups.insert(k, g)
            }
            var tables: [LRUTable<Int64>] = []
            // Tables: suppress, seen, then one per after_rule escalation.
            for i in 0..<(try r.count(1000)) {
                let n = try r.count()
                var t = LRUTable<Int64>(capacity: i == 1 ? options.maxFirstSeenEntries : options.maxGroupsPerRule)
                for _ in 0..<n { let k = try r.u64(); t.insert(k, try r.int()) }
                tables.append(t)
            }
            guard tables.count >= 2 else { throw SnapshotError("bad rule state") }
            if let target {
                target.suppress = tables[0]; target.seen = tables[1]
                for j in 0..<target.afterRule.count where 2 + j < tables.count { target.afterRule[j] = tables[2 + j] }
            }
        }
        // Commit.
        maxSeen = ms; watermark = wm; lastArrivalWall = law; counts = newCounts
        evidence = ev; buffer = buf; timers = tm; states = newStates
        changed()
    }

}
