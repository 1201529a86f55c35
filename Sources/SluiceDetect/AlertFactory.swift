import SluiceCore

/// Field keys of alert events (what `product: sluice, service: alert` rules see).
enum AlertKeys {
    static let severity = FieldKey("severity")
    static let family = FieldKey("sluice.family")
    static let relatedUser = FieldKey("related.user")
    static let relatedHosts = FieldKey("related.hosts")
    static let relatedIP = FieldKey("related.ip")
    static let escalates = FieldKey("escalates")
    static let threatEnrichments = FieldKey("threat.enrichments")
    static let userPaths = [FieldPath("user.name"), FieldPath("sluice.identity.name"), FieldPath("github.actor"), FieldPath("related.user")]
    static let hostPaths = [FieldPath("host.name"), FieldPath("host.hostname"), FieldPath("related.hosts")]
    static let ipPaths = [FieldPath("source.ip"), FieldPath("destination.ip"), FieldPath("client.ip"), FieldPath("related.ip")]
    static let enrichmentPath = FieldPath("threat.enrichments")
}

extension DetectionEngine {
    // MARK: single-event rules

    func escalationSteps(_ rule: CompiledRule, _ ctx: Ctx) -> (Int, [String]) {
        var steps = 0
        var why: [String] = []
        for (j, esc) in rule.ext.escalations.enumerated() {
            switch esc.trigger {
            case .selection(let i):
                if selectionHolds(rule, i, ctx) {
                    steps += esc.steps; why.append(rule.ext.whenNames[i].isEmpty ? "selection" : rule.ext.whenNames[i])
                }
            case .afterRule(let other, _, let within):
                if afterRuleHit(rule, j, ctx, ctx.time, within) { steps += esc.steps; why.append("after \(other.joined(separator: "|"))") }
            case .differs: break
            }
        }
        return (steps, why)
    }

    func raised(_ s: Severity, _ steps: Int) -> Severity {
        Severity(rawValue: min(Severity.critical.rawValue, s.rawValue + steps)) ?? .critical
    }

    /// One alert per matching event (unless suppressed).
    func singleAlert(_ rule: CompiledRule, _ ctx: inout Ctx) {
        var group: [Field] = []
        if let period = rule.ext.suppressFor, suppressed(rule, period, ctx, key: Self.key([]), group: &group) { return }
        let (steps, why) = escalationSteps(rule, ctx)
        if ctx.hash == nil { ctx.hash = contentHash(ctx.event) }
        let ch = ctx.hash!
        let id = StableHash.hex128 { h in h.combine(rule.id); h.combine(ch); h.combine(ctx.time) }
        let a = makeAlert(rule, id: id, severity: raised(rule.severity, steps), group: group, count: 1,
                          first: ctx.time, last: ctx.time, details: [], evidence: [ctx.event], escalations: why, escalates: nil)
        emit(a, rule: rule, depth: ctx.depth)
    }

    /// First-seen rules: alert when (entity, values) is new after the learning period (with
    /// `each`, when any one value is new for the entity; with `entity_learning`, only for
    /// entities first seen that long before; `or_when` events alert whatever is new).
    func firstSeen(_ rule: CompiledRule, _ ctx: inout Ctx) {
        let info = single[rule.index]
        let spec = rule.ext.firstSeen!
        let v = view(ctx)
        // Keys are hashed from the values as they are read (`eh`: the entity's parts, what
        // `Self.key(ent, …)` starts with); the values are collected only for an alert.
        var eh = KeyHasher()
        guard add(info.entity, v, to: &eh) else { return }
        let st = states[rule.index]
        // The entity's own first sighting (kept only when `entity_learning` asks for it).
        var entitySince = ctx.time
        if spec.entityLearning != nil {
            var kh = eh
            kh.add("\u{2}")
            let ek = kh.value
            if let s = st.seen.slot(ek) { entitySince = st.seen[s]; st.seen.touch(s) }
            else if st.seen.insert(ek, ctx.time).evicted != nil { bump(.firstSeenEvictions) }
        }
        // Which values are new: the combination, or each value on its own. Their keys are
        // noted here (`freshKeys`: key per value, nil when not new); their text is read only
        // when an alert may follow (while learning, most values are new and none alerts).
        func learn(_ k: UInt64) -> Bool {
            if let s = st.seen.slot(k) { st.seen[s] = max(st.seen[s], ctx.time); st.seen.touch(s); return false }
            if st.seen.insert(k, ctx.time).evicted != nil { bump(.firstSeenEvictions) }
            return true
        }
        freshKeys.removeAll(keepingCapacity: true)
        var anyNew = false
        if spec.each {
            for (i, n) in spec.values.enumerated() {
                var kh = eh
                kh.add("\u{1}"); kh.add(n)
                freshKeys.append(nil)
                // Hashed from the bytes; the value becomes a String only for an alert.
                guard withFirstText(info.values[i], v, { kh.add(bytes: $0) }) else { continue }
                let k = kh.value
                if learn(k) { freshKeys[i] = k; anyNew = true }
            }
        } else {
            var kh = eh
            kh.add("\u{1}")
            if add(info.values, v, to: &kh) {
                let k = kh.value
                if learn(k) { freshKeys.append(k); anyNew = true }
            }
        }
        let forced = spec.orWhen.map { selectionHolds(rule, $0, ctx) } ?? false
        let learned = ctx.time &- st.learningStart >= learningPeriod(rule)
            && spec.entityLearning.map { ctx.time &- entitySince >= $0 } ?? true
        guard forced || (anyNew && learned) else { return }
        var fresh: [(name: String, value: String)] = []
        var firstKey: UInt64 = 0
        if spec.each {
            for (i, n) in spec.values.enumerated() where freshKeys[i] != nil {
                if let val = firstText(info.values[i], v) { if fresh.isEmpty { firstKey = freshKeys[i]! }; fresh.append((n, val)) }
            }
        } else if anyNew, let vals = values(info.values, v) {
            firstKey = freshKeys[0]!; fresh = zip(spec.values, vals).map { ($0, $1) }
        }
        guard forced || (!fresh.isEmpty && learned) else { return }
        guard let ent = values(info.entity, view(ctx)) else { return }
        var group: [Field] = []
        for (i, n) in spec.entity.enumerated() { group.append(Field(FieldKey(n), .string(ent[i]))) }
        var details: [Field] = []
        for (n, val) in fresh {
            group.append(Field(FieldKey(n), .string(val)))
            details.append(Field(FieldKey("first_seen_" + n), .string(val)))
        }
        if forced, let w = spec.orWhen {
            let name = rule.ext.whenNames[w]
            details.append(Field(FieldKey("matched"), .string(name.isEmpty ? "or_when" : name)))
        }
        details.append(Field(FieldKey("learning_since"), .string(Timestamp.rfc3339(st.learningStart))))
        if spec.entityLearning != nil { details.append(Field(FieldKey("entity_since"), .string(Timestamp.rfc3339(entitySince)))) }
        if let period = rule.ext.suppressFor, suppressed(rule, period, ctx, key: eh.value, group: &group) { return }
        let (steps, why) = escalationSteps(rule, ctx)
        let id = StableHash.hex128 { h in h.combine(rule.id); h.combine(firstKey != 0 ? firstKey : eh.value); h.combine(ctx.time) }
        let a = makeAlert(rule, id: id, severity: raised(rule.severity, steps), group: group, count: 1,
                          first: ctx.time, last: ctx.time, details: details, evidence: [ctx.event], escalations: why, escalates: nil)
        emit(a, rule: rule, depth: ctx.depth)
    }

    /// `suppress` of a single-event or first-seen rule: whether an alert for these `by`
    /// values (default: `key`) was given less than `period` ago; adds the `by` values to the
    /// group, and counts what it suppresses.
    func suppressed(_ rule: CompiledRule, _ period: Int64, _ ctx: Ctx, key: UInt64, group: inout [Field]) -> Bool {
        let info = single[rule.index]
        var k = key
        if !info.suppressBy.isEmpty {
            let v = view(ctx)
            var parts: [String] = []
            for (i, accs) in info.suppressBy.enumerated() {
                let s = firstText(accs, v) ?? ""
                parts.append(s)
                let name = rule.ext.suppressBy![i]
                if !s.isEmpty, !group.contains(where: { $0.key.path == name }) { group.append(Field(FieldKey(name), .string(s))) }
            }
            k = Self.key(parts)
        }
        let table = states[rule.index]
        if let s = table.suppress.slot(k) {
            if table.suppress[s] > ctx.time { bump(.suppressedAlerts); return true }
            table.suppress[s] = ctx.time &+ period; table.suppress.touch(s)
        } else if table.suppress.insert(k, ctx.time &+ period).evicted != nil {
            bump(.suppressEvictions)
        }
        return false
    }

    /// Baseline rules: sum per entity per bucket against floor and k × learned p95.
    func baseline(_ rule: CompiledRule, _ ctx: inout Ctx) {
        let info = single[rule.index]
        let spec = rule.ext.baseline!
        let v = view(ctx)
        guard let key = keyOf(info.entity, v) else { return }
        func number(_ accs: [FieldAccessor]) -> Double {
            var n: Double? = nil
            for a in accs {
                v.forEach(a) { value, ev in n = ValueText.number(value, ev); return n != nil }
                if n != nil { break }
            }
            return n ?? 0
        }
        let amount = number(info.baselineValue)
        let amount2 = info.ratio.isEmpty ? 0 : number(info.ratio)
        let st = states[rule.index]
        let slot: Int
        if let s = st.groups.slot(key) { slot = s; st.groups.touch(s) } else {
            var g = GroupState(); g.escalated = Array(repeating: 0, count: rule.ext.escalations.count)
            let r = st.groups.insert(key, g); slot = r.slot
            if r.evicted != nil { bump(.groupEvictions) }
        }
        let b = Self.bucket(ctx.time, spec.bucket)
        let sq = seq(&ctx)
        let limit = options.evidenceLimit
        let (steps, why) = escalationSteps(rule, ctx)
        var g = GroupState()
        withGroup(st, slot) { g0 in
            if g0.bucket != b {
                if g0.bucket != Int64.min, g0.bucketSum > 0 { g0.history.append(HistoryBucket(bucket: g0.bucket, value: g0.bucketSum)) }
                g0.history.removeAll { $0.bucket < b - Int64(spec.history) }
                if g0.history.count > spec.history { g0.history.removeFirst(g0.history.count - spec.history) }
                g0.bucket = b; g0.bucketSum = 0; g0.bucketSum2 = 0; g0.severity = -1; g0.openSeverity = -1; g0.entries.removeAll()
            }
            g0.bucketSum += amount; g0.bucketSum2 += amount2
            g0.lastTime = max(g0.lastTime, ctx.time)
            g0.entries.append(WindowEntry(time: ctx.time, key: 0, seq: sq))
            if g0.entries.count > limit { g0.entries.removeFirst(g0.entries.count - limit) }
            for (j, esc) in rule.ext.escalations.enumerated() where steps > 0 {
                if case .differs = esc.trigger { continue }
                g0.escalated[j] = ctx.time
            }
            for i in rule.ext.whenSelections.indices where i < 32 && selectionHolds(rule, i, ctx) { g0.whenBits |= 1 << UInt32(i) }
            g = g0
        }
        guard ctx.time &- st.learningStart >= learningPeriod(rule) else { return }
        // Buckets before the rule began learning are not known to be empty: the percentile is
        // over the last `history` buckets since then.
        let known = Int(max(1, min(Int64(spec.history), b - Self.bucket(st.learningStart, spec.bucket))))
        let p95 = Percentile.p95(g.history, current: b, span: known, activeOnly: rule.ext.baselineActiveOnly)
        let threshold = max(spec.floor, spec.k * p95)
        let sum = g.bucketSum
        guard sum > 0, sum >= threshold else { return }
        if spec.ratioField != nil, g.bucketSum2 > 0, sum / g.bucketSum2 < spec.ratioMin { return }
        let base: Severity?
        if rule.ext.tiers.isEmpty { base = raised(rule.severity, steps) }
        else { base = severity(rule, agg: sum, group: g, time: ctx.time, entry: { true }) }
        guard let sev = base, Int8(sev.rawValue) > g.severity else { return }
        let start = b * spec.bucket
        let first = g.severity < 0
        let prevID: String? = first ? nil : alertID(rule, key: key, start: start, severity: g.severity == g.openSeverity ? nil : Severity(rawValue: Int(g.severity)))
        withGroup(st, slot) { $0.severity = Int8(sev.rawValue); if first { $0.openSeverity = Int8(sev.rawValue) } }
        let ent = values(info.entity, view(ctx)) ?? []
        var group: [Field] = []
        for (i, n) in spec.entity.enumerated() where i < ent.count { group.append(Field(FieldKey(n), .string(ent[i]))) }
        var details: [Field] = [
            Field(FieldKey("bucket_sum"), .double(sum)), Field(FieldKey("baseline_p95"), .double(p95)),
            Field(FieldKey("threshold"), .double(threshold)), Field(FieldKey("bucket_start"), .string(Timestamp.rfc3339(start))),
        ]
        if spec.ratioField != nil { details.append(Field(FieldKey("ratio"), .double(g.bucketSum2 > 0 ? sum / g.bucketSum2 : sum))) }
        let id = alertID(rule, key: key, start: start, severity: first ? nil : sev)
        let ev = g.entries.compactMap { e -> Event? in
            if let x = evidence.event(e.seq) { return x }
            bump(.evidenceLost); return nil
        }
        let a = makeAlert(rule, id: id, severity: sev, group: group, count: g.entries.count, first: g.entries.first?.time ?? ctx.time,
                          last: ctx.time, details: details, evidence: ev, escalations: why, escalates: prevID)
        emit(a, rule: rule, depth: ctx.depth)
    }

    /// The bucket of time `t` (floor division, also for times before 1970).
    static func bucket(_ t: Int64, _ size: Int64) -> Int64 { t >= 0 ? t / size : (t - size + 1) / size }

    // MARK: correlation alerts

    func correlationAlert(_ rule: CompiledRule, _ g: GroupState, key: UInt64, groupValues gv: [String], agg: Double,
                          severity: Severity, time: Int64, escalates: String?) -> Event {
        let spec = rule.correlation!
        var group: [Field] = []
        for (i, n) in spec.groupBy.enumerated() where i < gv.count { group.append(Field(FieldKey(n), .string(gv[i]))) }
        let recent = g.entries.suffix(options.evidenceLimit)
        var ev: [Event] = []
        for e in recent {
            if let x = evidence.event(e.seq) { ev.append(x) } else { bump(.evidenceLost) }
        }
        var details: [Field] = []
        switch spec.kind {
        case .eventCount: details.append(Field(FieldKey("event_count"), .int(Int64(agg))))
        case .valueCount:
            let field = spec.field ?? ""
            var vals: [FieldValue] = []
            var seen = Set<String>()
            if let info = corr[rule.index] {
                for x in ev {
                    let v = view(x)
                    for accs in info.value { if let s = firstText(accs, v) { if seen.insert(s.lowercased()).inserted { vals.append(.string(s)) }; break } }
                }
            }
            details.append(Field(FieldKey("field"), .string(field)))
            details.append(Field(FieldKey("distinct_count"), .int(Int64(agg))))
            details.append(Field(FieldKey("values"), .array(vals)))
            if field == "repo" || field.hasSuffix(".repo") || field.hasSuffix("repository") {
                details.append(Field(FieldKey("repositories"), .array(vals)))
                details.append(Field(FieldKey("distinct_repos"), .int(Int64(agg))))
            }
        case .valueSum: details.append(Field(FieldKey("value_sum"), .double(agg)))
        case .valueAvg: details.append(Field(FieldKey("value_avg"), .double(agg)))
        case .temporal, .temporalOrdered:
            var names: [FieldValue] = []
            var seen = Set<UInt64>()
            for e in g.entries where seen.insert(e.key).inserted {
                let r = rule.references[Int(e.key)]
                names.append(.string(rules.rules[r].name))
            }
            details.append(Field(FieldKey("rules"), .array(names)))
        }
        details.append(Field(FieldKey("timespan_seconds"), .int(spec.timespan / 1_000_000_000)))
        var why: [String] = []
        for (j, esc) in rule.ext.escalations.enumerated() {
            switch esc.trigger {
            case .selection(let i): if j < g.escalated.count, g.escalated[j] != 0, time &- g.escalated[j] < spec.timespan { why.append(rule.ext.whenNames[i].isEmpty ? "selection" : rule.ext.whenNames[i]) }
            case .afterRule(let other, _, _): if j < g.escalated.count, g.escalated[j] != 0, time &- g.escalated[j] < spec.timespan { why.append("after \(other.joined(separator: "|"))") }
            case .differs(let f): if differs(f, g) { why.append("\(f) differs") }
            }
        }
        let id = alertID(rule, key: key, start: g.episodeStart != 0 ? g.episodeStart : (g.windowStart != 0 ? g.windowStart : g.entries.first?.time ?? time),
                         severity: escalates == nil ? nil : severity)
        return makeAlert(rule, id: id, severity: severity, group: group, count: Int(agg.rounded()),
                         first: g.entries.first?.time ?? time, last: time, details: details, evidence: ev, escalations: why, escalates: escalates)
    }

    // MARK: the alert event

    /// Builds the alert event: `Alert` with evidence, and the fields rules over alerts see
    /// (`event.kind`, `rule.*`, `severity`, `sluice.family`, `related.*`).
    func makeAlert(_ rule: CompiledRule, id: String, severity: Severity, group: [Field], count: Int, first: Int64, last: Int64,
                   details: [Field], evidence ev: [Event], escalations: [String], escalates: String?) -> Event {
        var users: [String] = [], hosts: [String] = [], ips: [String] = []
        var enrich: [FieldValue] = []
        var enrichKeys = Set<String>()
        func add(_ s: String, _ list: inout [String]) { if !s.isEmpty, list.count < 20, !list.contains(s) { list.append(s) } }
        for g in group {
            let p = g.key.path
            if let s = g.value.text {
                if p.hasSuffix("user.name") || p.hasSuffix("identity.name") || p == "actor" || p == "identity" { add(s, &users) }
                if p.hasSuffix("host.name") { add(s, &hosts) }
                if p.hasSuffix(".ip") { add(s, &ips) }
            }
        }
        let idx = scratchIndexForAlerts
        for e in ev {
            idx.load(e)
            for p in AlertKeys.userPaths { p.forEach(e, idx) { v, e in if let s = ValueText.string(v, e) { add(s, &users) }; return false } }
            for p in AlertKeys.hostPaths { p.forEach(e, idx) { v, e in if let s = ValueText.string(v, e) { add(s, &hosts) }; return false } }
            for p in AlertKeys.ipPaths { p.forEach(e, idx) { v, e in if let s = ValueText.string(v, e) { add(s, &ips) }; return false } }
            AlertKeys.enrichmentPath.forEach(e, idx) { v, e in
                let r = e.resolved(v)
                var scratch: [UInt8] = []
                JSONWriter.appendValue(r, to: &scratch)
                if enrichKeys.count < 20, enrichKeys.insert(String(decoding: scratch, as: UTF8.self)).inserted { enrich.append(r) }
                return false
            }
        }
        var enrichment: [Field] = []
        if !enrich.isEmpty { enrichment.append(Field(AlertKeys.threatEnrichments, .array(enrich))) }
        if !escalations.isEmpty { enrichment.append(Field(FieldKey("escalated_by"), .array(escalations.map { .string($0) }))) }
        let alert = Alert(id: id, ruleID: rule.id, ruleName: rule.name, description: rule.doc.description, severity: severity,
                          tacticIDs: rule.tacticIDs, techniqueIDs: rule.techniqueIDs, group: group, count: count,
                          firstSeen: first, lastSeen: last, enrichment: enrichment, details: details, evidence: ev, escalates: escalates)
        var e = Event(timestamp: last)
        e.alert = alert
        e.append(ECS.eventKind, .string("alert"))
        e.append(ECS.ruleID, .string(rule.id))
        e.append(ECS.ruleName, .string(rule.name))
        e.append(AlertKeys.severity, .string(severity.name))
        if let f = rule.ext.family { e.append(AlertKeys.family, .string(f)) }
        if !users.isEmpty { e.append(AlertKeys.relatedUser, .array(users.map { .string($0) })) }
        if !hosts.isEmpty { e.append(AlertKeys.relatedHosts, .array(hosts.map { .string($0) })) }
        if !ips.isEmpty { e.append(AlertKeys.relatedIP, .array(ips.map { .string($0) })) }
        return e
    }
}
