import SluiceCore

/// What the engine precomputes for a correlation rule: per referenced rule, how to read its
/// group-by fields (aliases and `coalesce` applied, through that rule's field table) and
/// the value field. A class: the engine reads it per event without copying its arrays.
final class CorrelationInfo {
    let spec: CorrelationSpec
    /// [referenced slot][group-by field] → accessors tried in order.
    let group: [[[FieldAccessor]]]
    /// [referenced slot] → accessors of the value field.
    let value: [[FieldAccessor]]
    /// `sluice.suppress.by` accessors per slot (nil: the group).
    let windowEnd: Bool

    init?(_ r: CompiledRule, _ rs: RuleSet) {
        guard let spec = r.correlation else { return nil }
        self.spec = spec
        var group: [[[FieldAccessor]]] = []
        var value: [[FieldAccessor]] = []
        for ref in r.references {
            let other = rs.rules[ref]
            func accessors(_ name: String) -> [FieldAccessor] {
                var field = name
                if let a = spec.aliases[name] {
                    field = a[other.doc.name ?? ""] ?? a[other.id] ?? a[other.doc.title] ?? name
                }
                return r.ext.accessors(field, table: other.table)
            }
            group.append(spec.groupBy.map(accessors))
            value.append(spec.field.map(accessors) ?? [])
        }
        self.group = group
        self.value = value
        windowEnd = spec.condition.needsWindowEnd && (r.ext.tiers.isEmpty)
    }
}

/// What the engine precomputes for a single-event rule's extensions (a class, read per
/// event without copying).
final class SingleInfo {
    let suppressBy: [[FieldAccessor]]
    let entity: [[FieldAccessor]]
    let values: [[FieldAccessor]]
    let baselineValue: [FieldAccessor]
    let ratio: [FieldAccessor]
    /// Per escalation: `after_rule` fields of this rule's events.
    let mine: [[FieldAccessor]]
    /// The correlation's timespan, else the baseline's bucket, else 0.
    let span: Int64
    /// Whether a tier compares against a learned baseline.
    let hasBaselineTiers: Bool
    /// Per escalation: its trigger as plain values (read per event without copying the
    /// triggers' payloads).
    let escalationKinds: [EscalationKind]

    struct EscalationKind {
        enum Kind { case selection, afterRule, differs }
        var kind: Kind
        /// `selection`: index into `whenSelections`.
        var selection: Int
        /// `afterRule`: its `within`.
        var within: Int64
    }

    init(_ r: CompiledRule) {
        span = r.correlation?.timespan ?? r.ext.baseline?.bucket ?? 0
        hasBaselineTiers = r.ext.tiers.contains { $0.baselineFactor != nil }
        escalationKinds = r.ext.escalations.map { e in
            switch e.trigger {
            case .selection(let i): return EscalationKind(kind: .selection, selection: i, within: 0)
            case .afterRule(_, _, let within): return EscalationKind(kind: .afterRule, selection: 0, within: within)
            case .differs: return EscalationKind(kind: .differs, selection: 0, within: 0)
            }
        }
        func acc(_ n: String) -> [FieldAccessor] { r.ext.accessors(n, table: r.table) }
        suppressBy = (r.ext.suppressBy ?? []).map(acc)
        entity = (r.ext.firstSeen?.entity ?? r.ext.baseline?.entity ?? []).map(acc)
        values = (r.ext.firstSeen?.values ?? []).map(acc)
        baselineValue = r.ext.baseline.map { acc($0.value) } ?? []
        ratio = r.ext.baseline?.ratioField.map(acc) ?? []
        mine = r.ext.escalations.map { e in
            if case .afterRule(_, let same, _) = e.trigger { return same.flatMap { acc($0.mine) } }
            return []
        }
    }
}

extension DetectionEngine {
    // MARK: correlations

    /// Feeds a match of rule `from` (an event, or an alert event) to correlation `c`.
    func correlate(_ c: Int, from: Int, _ ctx: inout Ctx) {
        let rule = rules.rules[c]
        guard let info = corr[c], let k = rule.references.firstIndex(of: from) else { return }
        let v = view(ctx)
        // The group key is hashed from the values as they are read; the values themselves are
        // collected again only when an alert is made (`decide`).
        guard let key = keyOf(info.group[k], v) else { return }
        if rule.ext.allowlist != nil, selectionHolds(rule, -1, ctx) { return }
        let kind = info.spec.kind
        let t = ctx.time
        let st = states[c]
        if st.learningStart == Int64.min { st.learningStart = t }
        // Value of this event (value_count / value_sum / value_avg).
        var entryKey: UInt64 = 0
        var amount: Double = 0
        switch kind {
        case .valueCount:
            var h = KeyHasher(raw: ())
            guard withFirstText(info.value[k], v, { h.add(bytes: $0) }) else { return }
            entryKey = h.value
        case .valueSum, .valueAvg:
            let v2 = v
            var num: Double?
            for a in info.value[k] {
                v2.forEach(a) { value, ev in num = ValueText.number(value, ev); return num != nil }
                if num != nil { break }
            }
            guard let n = num else { return }
            amount = n; entryKey = n.bitPattern
        case .temporal, .temporalOrdered:
            entryKey = UInt64(k)
        case .eventCount:
            break
        }
        var slot: Int
        if let s = st.groups.slot(key) {
            slot = s
            st.groups.touch(s)
        } else {
            var g = GroupState()
            g.escalated = Array(repeating: 0, count: rule.ext.escalations.count)
            let r = st.groups.insert(key, g)
            slot = r.slot
            if r.evicted != nil { bump(.groupEvictions) }
        }
        let sq = seq(&ctx)
        // Per-event extension tests.
        var whenHits: UInt32 = 0
        for i in rule.ext.whenSelections.indices where i < 32 {
            if selectionHolds(rule, i, ctx) { whenHits |= 1 << UInt32(i) }
        }
        var escalatedNow: [Int] = []
        let kinds = single[c].escalationKinds
        for j in kinds.indices {
            let k = kinds[j]
            switch k.kind {
            case .selection: if k.selection < 32, whenHits & (1 << UInt32(k.selection)) != 0 { escalatedNow.append(j) }
            case .afterRule: if afterRuleHit(rule, j, ctx, t, k.within) { escalatedNow.append(j) }
            case .differs: break
            }
        }
        let span = info.spec.timespan
        let limit = options.maxValuesPerGroup
        var evicted = 0
        let closeNow: Bool = {
            var done = false
            withGroup(st, slot) { g in
                if g.lastTime != 0, t &- g.lastTime > span, !info.windowEnd {
                    // The window emptied since the group's last event: a new episode.
                    g.entries.removeAll(); g.sum = 0; g.episodeStart = 0; g.severity = -1; g.whenBits = 0
                    for i in g.escalated.indices { g.escalated[i] = 0 }
                }
                g.lastTime = max(g.lastTime, t)
                g.whenBits |= whenHits
                for j in escalatedNow { g.escalated[j] = t }
                if info.windowEnd {
                    if g.windowStart == 0 {
                        g.windowStart = t
                        timers.push(TimerHeap.Item(time: t &+ span, rule: Int32(c), key: key))
                    }
                } else {
                    // Slide: drop entries at or before t - span.
                    var drop = 0
                    while drop < g.entries.count, g.entries[drop].time <= t &- span {
                        if kind == .valueSum || kind == .valueAvg { g.sum -= Double(bitPattern: g.entries[drop].key) }
                        drop += 1
                    }
                    if drop > 0 { g.entries.removeFirst(drop) }
                }
                if kind == .valueCount, let i = g.entries.firstIndex(where: { $0.key == entryKey }) {
                    g.entries.remove(at: i)
                }
                g.entries.append(WindowEntry(time: t, key: entryKey, seq: sq))
                if kind == .valueSum || kind == .valueAvg { g.sum += amount }
                if g.entries.count > limit {
                    let extra = g.entries.count - limit
                    if kind == .valueSum || kind == .valueAvg {
                        for e in g.entries.prefix(extra) { g.sum -= Double(bitPattern: e.key) }
                    }
                    g.entries.removeFirst(extra)
                    evicted += extra
                }
                done = info.windowEnd
            }
            return done
        }()
        if evicted > 0 { bump(.valueEvictions, evicted) }
        if closeNow { return }   // decided when the window ends
        decide(c, slot: slot, key: key, groupValues: { self.values(info.group[k], self.view(ctx)) ?? [] }, time: t, depth: ctx.depth)
    }

    func withGroup(_ st: RuleState, _ slot: Int, _ body: (inout GroupState) -> Void) {
        body(&st.groups[slot])
    }

    /// The correlation's aggregate over the group's window.
    func aggregate(_ spec: CorrelationSpec, _ g: GroupState, refs: Int) -> Double {
        switch spec.kind {
        case .eventCount, .valueCount: return Double(g.entries.count)
        case .valueSum: return g.sum
        case .valueAvg: return g.entries.isEmpty ? 0 : g.sum / Double(g.entries.count)
        case .temporal:
            if refs <= 64 {   // rule slots as bits (no set per event)
                var bits: UInt64 = 0
                for e in g.entries where e.key < 64 { bits |= 1 << e.key }
                return Double(bits.nonzeroBitCount)
            }
            var seen = Set<UInt64>()
            for e in g.entries { seen.insert(e.key) }
            return Double(seen.count)
        case .temporalOrdered:
            var next: UInt64 = 0
            for e in g.entries where e.key == next { next += 1; if next == UInt64(refs) { break } }
            return Double(next)
        }
    }

    /// Decides alerting for a group after an update (sliding windows: at once).
    func decide(_ c: Int, slot: Int, key: UInt64, groupValues: () -> [String], time t: Int64, depth: Int) {
        let rule = rules.rules[c]
        let st = states[c]
        let info = corr[c]!
        var agg: Double = 0
        withGroup(st, slot) { agg = aggregate(info.spec, $0, refs: rule.references.count) }   // in place: no copy
        recordHistory(rule, st, slot, agg, t)
        // The group is read in place, and what is needed after it kept: a copy of the
        // `GroupState` retains and releases each of its arrays.
        var decided: Severity?
        var episodeStart: Int64 = 0, firstTime = t, groupSeverity: Int8 = -1, groupOpenSeverity: Int8 = -1
        withGroup(st, slot) { g in
            decided = self.severity(rule, agg: agg, group: g, time: t, entry: { self.entryHolds(info.spec, agg, refs: rule.references.count) })
            episodeStart = g.episodeStart
            firstTime = g.entries.first?.time ?? t
            groupSeverity = g.severity
            groupOpenSeverity = g.openSeverity
        }
        guard let sev = decided else {
            if episodeStart != 0 { withGroup(st, slot) { $0.episodeStart = 0; $0.severity = -1 } }
            return
        }
        if episodeStart == 0 {
            let start = firstTime
            var suppressed = false
            withGroup(st, slot) { gg in
                gg.episodeStart = start
                gg.severity = Int8(sev.rawValue)
                gg.openSeverity = Int8(sev.rawValue)
                if gg.suppressUntil > t { suppressed = true } else if let p = rule.ext.suppressFor { gg.suppressUntil = t &+ p }
            }
            if suppressed { bump(.suppressedAlerts); return }
            let a = correlationAlert(rule, st.groups[slot], key: key, groupValues: groupValues(), agg: agg, severity: sev, time: t, escalates: nil)
            emit(a, rule: rule, depth: depth)
        } else if Int8(sev.rawValue) > groupSeverity {
            let prev = Severity(rawValue: Int(groupSeverity)) ?? .informational
            withGroup(st, slot) { $0.severity = Int8(sev.rawValue) }
            let prevID = alertID(rule, key: key, start: episodeStart, severity: groupSeverity == groupOpenSeverity ? nil : prev)
            let a = correlationAlert(rule, st.groups[slot], key: key, groupValues: groupValues(), agg: agg, severity: sev, time: t, escalates: prevID)
            emit(a, rule: rule, depth: depth)
        }
    }

    /// An episode's first alert: hash of rule id, group and window start; an escalation
    /// adds its severity.
    func alertID(_ rule: CompiledRule, key: UInt64, start: Int64, severity: Severity?) -> String {
        StableHash.hex128 { h in
            h.combine(rule.id); h.combine(key); h.combine(start)
            if let s = severity { h.combine(Int64(s.rawValue)) }
        }
    }

    func entryHolds(_ spec: CorrelationSpec, _ agg: Double, refs: Int) -> Bool {
        switch spec.kind {
        case .temporal, .temporalOrdered:
            return spec.condition.isEmpty ? agg >= Double(refs) : spec.condition.holds(agg)
        default:
            return spec.condition.holds(agg)
        }
    }

    /// Severity for an aggregate: the highest tier that applies (tier set chosen by the
    /// group's `when` selections; active escalations add their tiers), plus the steps of
    /// active escalations; without tiers, the rule's level when `entry` holds.
    func severity(_ rule: CompiledRule, agg: Double, group g: GroupState, time t: Int64, entry: () -> Bool) -> Severity? {
        let info = single[rule.index]
        let span = info.span
        var base: Severity? = nil
        let tiers = rule.ext.tiers
        if tiers.isEmpty {
            if entry() { base = rule.severity }
        } else {
            var chosenWhen: Int? = nil
            for tier in tiers { if let w = tier.when, w < 32, g.whenBits & (1 << UInt32(w)) != 0 { chosenWhen = w; break } }
            for tier in tiers where tier.when == chosenWhen && tierHolds(rule, tier, agg, g, t) {
                base = max(base ?? tier.level, tier.level)
            }
        }
        // Active escalations: their tiers (a maximum), then their steps (a sum), so the order
        // they are found in does not matter. A `differs` escalation without tiers (it reads
        // the group's evidence) is looked at last, and only when there is a severity to raise.
        var steps = 0
        let kinds = info.escalationKinds
        for j in kinds.indices {
            let esc = rule.ext.escalations[j]
            if kinds[j].kind == .differs {
                if esc.tiers.isEmpty { continue }
                guard case .differs(let field) = esc.trigger, differs(field, g) else { continue }
            } else if !(j < g.escalated.count && g.escalated[j] != 0 && t &- g.escalated[j] < max(span, 1)) {
                continue
            }
            for tier in esc.tiers where tierHolds(rule, tier, agg, g, t) { base = max(base ?? tier.level, tier.level) }
            steps += esc.steps
        }
        guard let b = base else { return nil }
        for j in kinds.indices where kinds[j].kind == .differs {
            let esc = rule.ext.escalations[j]
            if esc.tiers.isEmpty, case .differs(let field) = esc.trigger, differs(field, g) { steps += esc.steps }
        }
        return Severity(rawValue: min(Severity.critical.rawValue, b.rawValue + steps))
    }

    func tierHolds(_ rule: CompiledRule, _ tier: RuleExtensions.Tier, _ agg: Double, _ g: GroupState, _ t: Int64) -> Bool {
        guard tier.condition.holds(agg) else { return false }
        if let f = tier.baselineFactor {
            let st = states[rule.index]
            guard st.learningStart != Int64.min, t &- st.learningStart >= learningPeriod(rule) else { return false }
            let span = rule.correlation?.timespan ?? rule.ext.baseline?.bucket ?? 1
            let buckets = Int(min(512, max(2, learningPeriod(rule) / max(span, 1))))
            let p = Percentile.p95(g.history, current: t / max(span, 1), span: buckets, activeOnly: rule.ext.baselineActiveOnly)
            return agg >= f * p && agg > 0
        }
        return true
    }

    func learningPeriod(_ rule: CompiledRule) -> Int64 {
        rule.ext.firstSeen?.learning ?? rule.ext.baseline?.learning ?? options.learningPeriod
    }

    /// Correlations with baseline tiers remember the largest aggregate per window-sized bucket.
    /// Returns whether it changed the group.
    @discardableResult
    func recordHistory(_ rule: CompiledRule, _ st: RuleState, _ slot: Int, _ agg: Double, _ t: Int64) -> Bool {
        let info = single[rule.index]
        guard rule.isCorrelation, info.hasBaselineTiers else { return false }
        let b = t / max(info.span, 1)   // the correlation's timespan
        withGroup(st, slot) { g in
            if let last = g.history.last, last.bucket == b { g.history[g.history.count - 1].value = max(last.value, agg) }
            else { g.history.append(HistoryBucket(bucket: b, value: agg)) }
            if g.history.count > 512 { g.history.removeFirst(g.history.count - 512) }
        }
        return true
    }

    /// `differs: field`: the group's evidence disagrees on the field.
    func differs(_ field: String, _ g: GroupState) -> Bool {
        let acc: FieldAccessor
        if let a = differsAccessors[field] { acc = a } else { acc = FieldAccessor(name: field, mapped: nil); differsAccessors[field] = acc }
        var seen = Set<String>()
        for e in g.entries {
            guard let ev = evidence.event(e.seq) else { continue }
            let v = view(ev)
            v.forEach(acc) { value, evt in
                if let s = ValueText.string(value, evt) { seen.insert(s.lowercased()) }
                return false
            }
            if seen.count > 1 { return true }
        }
        return false
    }

    /// Window ends (conditions with an upper bound): decide and forget the group.
    func fireTimers(upTo t: Int64) {
        while let top = timers.top, top.time <= t {
            _ = timers.pop()
            let c = Int(top.rule)
            let rule = rules.rules[c]
            let st = states[c]
            guard let slot = st.groups.slot(top.key) else { continue }
            let g = st.groups[slot]
            guard g.windowStart != 0, g.windowStart &+ rule.correlation!.timespan == top.time else { continue }
            let agg = aggregate(rule.correlation!, g, refs: rule.references.count)
            if let sev = severity(rule, agg: agg, group: g, time: top.time, entry: { self.entryHolds(rule.correlation!, agg, refs: rule.references.count) }) {
                // Group values from the latest evidence event.
                var gv: [String] = []
                if let last = g.entries.last, let ev = evidence.event(last.seq), let info = corr[c] {
                    let v = view(ev)
                    for accs in info.group { if let found = values(accs, v) { gv = found; break } }
                }
                let a = correlationAlert(rule, g, key: top.key, groupValues: gv, agg: agg, severity: sev, time: top.time, escalates: nil)
                emit(a, rule: rule, depth: 0)
            }
            st.groups.remove(slot)
        }
    }

    /// Drops groups whose window emptied (same result as keeping them: a later event would
    /// start a new episode). Groups that learn a baseline are kept (LRU only).
    func collectGarbage(_ wm: Int64) {
        for (i, rule) in rules.rules.enumerated() {
            guard let spec = rule.correlation, !(corr[i]?.windowEnd ?? false) else { continue }
            if rule.ext.tiers.contains(where: { $0.baselineFactor != nil }) { continue }
            let st = states[i]
            while let o = st.groups.oldest, st.groups[o].lastTime &+ spec.timespan < wm {
                st.groups.remove(o)
            }
        }
    }

    // MARK: after_rule escalations

    func recordAfterRule(_ rule: CompiledRule, _ alertEvent: Event) {
        let watchers = afterRuleWatchers[rule.index]
        guard !watchers.isEmpty else { return }
        let v = view(alertEvent)
        for w in watchers {
            var parts: [String] = []
            for a in w.theirs {
                guard let s = firstText(a, v) else { parts = []; break }
                parts.append(s)
            }
            guard !parts.isEmpty else { continue }
            let k = Self.key(parts)
            let table = states[w.rule]
            if let s = table.afterRule[w.escalation].slot(k) { table.afterRule[w.escalation][s] = alertEvent.timestamp; table.afterRule[w.escalation].touch(s) }
            else if table.afterRule[w.escalation].insert(k, alertEvent.timestamp).evicted != nil { bump(.suppressEvictions) }
        }
    }

    /// Whether the rule named by escalation `j`'s `after_rule` alerted for this event's
    /// `same:` values within `within` before `t` (the context's event, read through the
    /// matcher's index when it still holds it).
    func afterRuleHit(_ rule: CompiledRule, _ j: Int, _ ctx: Ctx, _ t: Int64, _ within: Int64) -> Bool {
        let table = states[rule.index].afterRule[j]
        if table.count == 0 { return false }   // no alert of the other rule yet: nothing can hit
        let accs = single[rule.index].mine.isEmpty ? [] : single[rule.index].mine[j]
        var mine = accs
        if mine.isEmpty, case .afterRule(_, let same, _) = rule.ext.escalations[j].trigger {
            mine = same.map { FieldAccessor(name: $0.mine, mapped: nil) }
        }
        let v = view(ctx)
        var h = KeyHasher()
        for a in mine {
            guard withFirstText(a, v, { h.add(bytes: $0) }) else { return false }
        }
        guard let s = table.slot(h.value) else { return false }
        let at = table[s]
        return at <= t && t &- at <= within
    }
}
