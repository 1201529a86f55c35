import SluiceCore

/// A streaming Sigma detection engine: single-event rules, correlations, first-seen and
/// baseline rules, over events in event-time order. One instance per detect stage; not
/// thread-safe (the runtime calls it from the stage's serial queue).
///
/// Guarantees (README "Rules", DESIGN.md "Streaming semantics" and "Alerts"):
/// - events are evaluated in event-time order (ties by a hash of their content), once event
///   time (the frontier) has passed them by `allowedLateness`; the alerts therefore depend
///   only on the events, not on batching or on their order within the lateness, and a
///   replay of a file gives the alerts the live run gave;
/// - an event behind the watermark is still evaluated (at once) and counted as late; a
///   timestamp more than `maxFuture` ahead of the wall clock is clamped and counted;
/// - alert ids are hashes of rule id, group and window start (and severity for an
///   escalation), so identical input gives identical ids;
/// - state is bounded (groups per rule, values per group, first-seen entries, buffered
///   events, evidence); every eviction is counted in `counters`.
public final class DetectionEngine {
    public let rules: RuleSet
    public let options: DetectOptions
    let matcher: RuleMatcher
    var buffer = ReorderBuffer()
    var evidence: EvidenceStore
    var states: [RuleState]
    var timers = TimerHeap()
    /// Largest event time seen; the watermark (events at or before it were released).
    var maxSeen: Int64 = Int64.min
    var watermark: Int64 = Int64.min
    /// Wall clock (ns) as last told by the runtime; 0 when unknown.
    public var wallClock: Int64 = 0
    var lastArrivalWall: Int64 = 0
    var pending: [Event] = []
    var counts = CounterTable()
    /// Bytes of the last snapshot: the next one reserves about that much at once instead of
    /// growing its buffer (and copying it) a doubling at a time.
    var lastSnapshotBytes = 0
    /// Changes whenever the state may have changed (`StatefulTransform.stateVersion`): with
    /// every batch, `finish` and restore, and with an `advance` unless it repeats the last
    /// one (the same frontier and watermark, no event since): releasing held events, closing
    /// windows and dropping expired groups up to a watermark already reached change nothing,
    /// so an idle engine's snapshot is not even read.
    public internal(set) var stateVersion: UInt64 = 0
    /// The frontier and watermark of the last `advance`, nil after anything else changed.
    var lastAdvance: (maxSeen: Int64, watermark: Int64)?
    let corr: [CorrelationInfo?]
    let single: [SingleInfo]
    /// For each rule: (consumer rule, escalation index) whose `after_rule` names it.
    var afterRuleWatchers: [[(rule: Int, escalation: Int, theirs: [FieldAccessor])]]
    private var matched: [Int] = []
    let scratchIndexForAlerts = FieldIndex()
    /// Stable hash of each field name, by key id (0: not computed yet).
    private var keyHashes: [UInt64] = []
    struct CaptureKey: Hashable { let regex: ObjectIdentifier; let hash: UInt64 }
    struct CaptureHit { let text: [UInt8]; let result: String? }
    private var captureMemo: [CaptureKey: CaptureHit] = [:]
    private var captureScratch: [UInt8] = []
    private var hashScratch: [UInt8] = []
    private var textScratch: [UInt8] = []
    private var textOut: [UInt8] = []
    /// `firstSeen`'s keys of the values new in the current event (nil: not new).
    var freshKeys: [UInt64?] = []
    /// `differs` escalations' fields, compiled once (one per escalation in the rule set).
    var differsAccessors: [String: FieldAccessor] = [:]
    let hasAlertRules: Bool

    enum Counter: String, CaseIterable {
        case events = "detect_events"
        case alerts = "detect_alerts"
        case lateEvents = "detect_late_events"
        case clampedTimestamps = "detect_clamped_timestamps"
        case missingTimestamps = "detect_missing_timestamps"
        case reorderOverflow = "detect_reorder_overflow_events"
        case groupEvictions = "detect_group_evictions"
        case valueEvictions = "detect_value_evictions"
        case firstSeenEvictions = "detect_first_seen_evictions"
        case suppressEvictions = "detect_suppress_evictions"
        case suppressedAlerts = "detect_suppressed_alerts"
        case evidenceLost = "detect_evidence_lost"
        case alertDepthLimited = "detect_alert_depth_limited"

        /// Position in `CounterTable` (declaration order).
        var slot: Int {
            switch self {
            case .events: 0
            case .alerts: 1
            case .lateEvents: 2
            case .clampedTimestamps: 3
            case .missingTimestamps: 4
            case .reorderOverflow: 5
            case .groupEvictions: 6
            case .valueEvictions: 7
            case .firstSeenEvictions: 8
            case .suppressEvictions: 9
            case .suppressedAlerts: 10
            case .evidenceLost: 11
            case .alertDepthLimited: 12
            }
        }
    }

    /// The engine's counters in a fixed array by `Counter.slot`: bumped per event without
    /// hashing (a dictionary lookup per event showed in workload 3's profile).
    struct CounterTable {
        private var values = [Int](repeating: 0, count: Counter.allCases.count)
        subscript(_ c: Counter) -> Int? {
            get { values[c.slot] }
            set { values[c.slot] = newValue ?? 0 }
        }
        subscript(_ c: Counter, default d: Int) -> Int {
            get { values[c.slot] }
            set { values[c.slot] = newValue }
        }
    }

    public init(rules: RuleSet, options: DetectOptions = DetectOptions()) {
        self.rules = rules
        self.options = options
        matcher = RuleMatcher(rules: rules)
        evidence = EvidenceStore(capacity: options.evidenceBuffer, maxBytes: options.evidenceBufferBytes)
        states = rules.rules.map { r in
            RuleState(groups: options.maxGroupsPerRule, seen: options.maxFirstSeenEntries, escalations: r.ext.escalations.count)
        }
        corr = rules.rules.map { CorrelationInfo($0, rules) }
        single = rules.rules.map { SingleInfo($0) }
        var watchers: [[(rule: Int, escalation: Int, theirs: [FieldAccessor])]] = Array(repeating: [], count: rules.rules.count)
        for r in rules.rules {
            for (j, esc) in r.ext.escalations.enumerated() {
                if case .afterRule(let others, let same, _) = esc.trigger {
                    for other in others {
                        guard let o = rules.rule(named: other) else { continue }
                        watchers[o.index].append((r.index, j, same.map { FieldAccessor(name: $0.theirs, mapped: o.table[$0.theirs]) }))
                    }
                }
            }
        }
        afterRuleWatchers = watchers
        hasAlertRules = rules.rules.contains { $0.selector?.classes.contains(.sluiceAlert) ?? false }
    }

    // MARK: public API

    /// Takes events in any order. Alert events are appended to `output` as event time
    /// passes them (normalized events are not appended here).
    public func process(_ events: [Event], into output: inout [Event]) {
        for e in events { accept(e) }
        endBatch(into: &output)
    }

    /// The same as `process(_:into:)` for a batch handed over: each event is moved out of
    /// `events` (`drain`, which leaves it empty) into the reorder buffer, not copied.
    public func process(taking events: inout [Event], into output: inout [Event]) {
        events.drain { e in accept(consume e) }
        endBatch(into: &output)
    }

    /// One arriving event: evaluated at once when late, else held in the reorder buffer.
    private func accept(_ e: consuming Event) {
        bump(.events)
        var t = e.timestamp
        if t == 0 {
            bump(.missingTimestamps)
            t = maxSeen != Int64.min ? maxSeen : wallClock
        }
        if wallClock > 0, t > wallClock &+ options.maxFuture {
            bump(.clampedTimestamps)
            t = wallClock
        }
        if t <= watermark {
            bump(.lateEvents)
            evaluate(e, time: t, hash: nil)
        } else {
            // The content hash is computed only when needed (a tie in event time, or a
            // single-event alert's id): the same value, later or never.
            buffer.push(consume e, time: t, hash: nil) { self.contentHash($0) }
            if t > maxSeen { maxSeen = t }
        }
        lastArrivalWall = wallClock
    }

    /// After a batch: releases what event time passed by, bounds the buffer, hands out alerts.
    private func endBatch(into output: inout [Event]) {
        changed()
        release(upTo: maxSeen == Int64.min ? Int64.min : maxSeen &- options.allowedLateness)
        while buffer.count > options.maxBufferedEvents, let (e, t, h) = buffer.pop(hasher: { self.contentHash($0) }) {
            bump(.reorderOverflow)
            watermark = max(watermark, t)
            evaluate(e, time: t, hash: h)
        }
        output.append(contentsOf: pending)
        pending.removeAll(keepingCapacity: true)
    }

    /// The runtime's event-time frontier (largest event time its inputs have seen) and the
    /// wall clock (ns): releases events up to frontier − lateness and closes windows that
    /// ended. When no event arrived for longer than the lateness (wall clock), everything
    /// buffered is released, so a quiet live source does not hold alerts back.
    public func advance(frontier: Int64, wallClock: Int64, into output: inout [Event]) {
        if wallClock > 0 { self.wallClock = wallClock }
        if frontier > maxSeen && frontier != Int64.min { maxSeen = frontier }
        guard maxSeen != Int64.min else { return }
        var wm = maxSeen &- options.allowedLateness
        if wallClock > 0, lastArrivalWall > 0, wallClock &- lastArrivalWall > options.allowedLateness { wm = maxSeen }
        if let last = lastAdvance, last.maxSeen == maxSeen, last.watermark == wm { return }   // changes nothing
        changed()
        lastAdvance = (maxSeen, wm)
        release(upTo: wm)
        fireTimers(upTo: wm)
        collectGarbage(wm)
        output.append(contentsOf: pending)
        pending.removeAll(keepingCapacity: true)
    }

    /// End of input: releases every event and closes every window.
    public func finish(into output: inout [Event]) {
        changed()
        while let (e, t, h) = buffer.pop(hasher: { self.contentHash($0) }) {
            watermark = max(watermark, t)
            evaluate(e, time: t, hash: h)
        }
        fireTimers(upTo: Int64.max)
        output.append(contentsOf: pending)
        pending.removeAll(keepingCapacity: true)
    }

    /// Running totals by metric name (`detect_*`).
    public var counters: [(name: String, value: Int)] {
        Counter.allCases.map { ($0.rawValue, counts[$0] ?? 0) }
    }

    public func counter(_ name: String) -> Int { Counter(rawValue: name).flatMap { counts[$0] } ?? 0 }

    /// Events held in the reorder buffer.
    public var bufferedEvents: Int { buffer.count }

    /// Live group keys over all correlation and baseline rules.
    public var activeGroups: Int { states.reduce(0) { $0 + $1.groups.count } }

    // MARK: time

    func bump(_ c: Counter, _ n: Int = 1) { counts[c, default: 0] += n }

    /// Notes that the state may change (see `stateVersion`).
    func changed() {
        stateVersion &+= 1
        lastAdvance = nil
    }

    private func release(upTo wm: Int64) {
        guard wm > watermark else { return }
        while let m = buffer.minTime, m <= wm, let (e, t, h) = buffer.pop(hasher: { self.contentHash($0) }) {
            evaluate(e, time: t, hash: h)
        }
        watermark = wm
    }

    /// A hash of the record (or, without one, of its fields), for ordering ties. Stable
    /// across processes: field names are hashed by their text (cached per key).
    func contentHash(_ e: Event) -> UInt64 {
        var h = StableHash()
        h.combine(e.timestamp)
        if !e.original.isEmpty {
            h.combine(bytes: e.original)
        } else {
            for f in e.fields {
                let id = Int(f.key.id)
                if id >= keyHashes.count { keyHashes.append(contentsOf: repeatElement(0, count: id + 1 - keyHashes.count)) }
                var kh = keyHashes[id]
                if kh == 0 { kh = StableHash.of(f.key.path); keyHashes[id] = kh }
                h.combine(kh)
                _ = ValueText.with(f.value, e, &hashScratch) { h.combine(bytes: $0) }
            }
        }
        return h.value
    }

    // MARK: evaluation

    /// The context of one evaluated event (or alert event fed back).
    struct Ctx {
        let event: Event
        let time: Int64
        /// The event's content hash, when computed (see `contentHash`; nil: not yet).
        var hash: UInt64?
        let depth: Int
        var seq: UInt64 = 0
        /// The matcher's load count when it loaded this event (0: not loaded).
        var loaded: UInt64 = 0
    }

    func evaluate(_ e: Event, time: Int64, hash: UInt64?) {
        fireTimers(upTo: time - 1)
        matched.removeAll(keepingCapacity: true)
        matcher.match(e, into: &matched)
        guard !matched.isEmpty else { return }
        var ctx = Ctx(event: e, time: time, hash: hash, depth: 0)
        ctx.loaded = matcher.loads
        let list = matched
        for r in list { handle(r, &ctx) }
    }

    func seq(_ ctx: inout Ctx) -> UInt64 {
        if ctx.seq == 0 { ctx.seq = evidence.add(ctx.event) }
        return ctx.seq
    }

    /// A single-event rule matched.
    func handle(_ r: Int, _ ctx: inout Ctx) {
        let rule = rules.rules[r]
        let st = states[r]
        if st.learningStart == Int64.min { st.learningStart = ctx.time }
        if rule.ext.firstSeen != nil { firstSeen(rule, &ctx); return }
        if rule.ext.baseline != nil { baseline(rule, &ctx); return }
        if rule.generates { singleAlert(rule, &ctx) }
        for c in rule.consumers { correlate(c, from: r, &ctx) }
    }

    /// Emits an alert event: output (if the rule generates), other rules' `after_rule`
    /// tables, consuming correlations, and rules over alerts (`product: sluice`).
    func emit(_ alertEvent: Event, rule: CompiledRule, depth: Int) {
        var ctx = Ctx(event: alertEvent, time: alertEvent.timestamp, hash: StableHash.of(alertEvent.alert?.id ?? ""), depth: depth + 1)
        if rule.generates {
            bump(.alerts)
            pending.append(alertEvent)
            recordAfterRule(rule, alertEvent)
        }
        for c in rule.consumers { correlate(c, from: rule.index, &ctx) }
        guard rule.generates, hasAlertRules else { return }
        guard depth < options.maxAlertDepth else { bump(.alertDepthLimited); return }
        var hits: [Int] = []
        matcher.match(alertEvent, into: &hits)
        ctx.loaded = matcher.loads
        for h in hits where rules.rules[h].id != rule.id { handle(h, &ctx) }
    }

    // MARK: field values on arbitrary events

    /// A view of the context's event, reusing the matcher's index when it still holds it.
    func view(_ ctx: Ctx) -> EventView {
        if ctx.loaded != 0 && ctx.loaded == matcher.loads {
            return EventView(event: ctx.event, index: matcher.index, namespaces: matcher.currentNamespaces, vendor: matcher.vendor, nsIndex: matcher.currentNS)
        }
        return view(ctx.event)
    }

    /// A view of `e` for field lookups (loads the matcher's index for it).
    func view(_ e: Event) -> EventView {
        matcher.load(e)
        return EventView(event: e, index: matcher.index, namespaces: matcher.currentNamespaces, vendor: matcher.vendor, nsIndex: matcher.currentNS)
    }

    /// The first non-empty scalar of the first accessor that yields one (for an accessor
    /// with a `capture`, the captured part of its first value that has one).
    func firstText(_ accs: [FieldAccessor], _ v: EventView) -> String? {
        for a in accs { if let s = firstText(a, v) { return s } }
        return nil
    }

    /// The first non-empty scalar of one accessor (see `firstText(_:_:)` for lists).
    func firstText(_ a: FieldAccessor, _ v: EventView) -> String? {
        if let re = a.capture {
            var out: String?
            v.forEach(a) { value, ev in
                out = ValueText.with(value, ev, &captureScratch) { captured(re, $0) } ?? nil
                return out != nil
            }
            return out
        }
        let (found, value) = v.directValue(a)
        if found {
            switch value {
            case nil: return nil
            case .string(let s)?: return s.isEmpty ? nil : s
            case .array?: break
            case let x?: if let s = ValueText.string(x, v.event), !s.isEmpty { return s }; return nil
            }
        }
        var out: String?
        v.forEach(a) { value, ev in
            if let s = ValueText.string(value, ev), !s.isEmpty { out = s; return true }
            return false
        }
        return out
    }

    /// `firstText` without making a `String` of the value: calls `body` once with the bytes
    /// of the text `firstText(accs, v)` returns (a span's bytes where they lie); false when
    /// it would return nil. For group and first-seen keys, hashed as they are read.
    func withFirstText(_ accs: [FieldAccessor], _ v: EventView, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> Bool {
        for a in accs where withFirstText(a, v, body) { return true }
        return false
    }

    /// `withFirstText` of one accessor (`firstText(_:_:)` of one accessor, as bytes).
    func withFirstText(_ a: FieldAccessor, _ v: EventView, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> Bool {
        // A top-level scalar (the usual case): its bytes where they lie (for an `extract`,
        // the part captured from them).
        let r = v.directSlot(a)
        if r == TopKeyPlan.absent { return false }
        if r >= 0 {
            let direct: Bool? = v.event.fields.withUnsafeFields { f in
                let x = f.value(at: r)
                if case .array = x.pointee { return nil }
                if let re = a.capture {
                    guard var s = ValueText.with(x.pointee, v.event, &captureScratch, { captured(re, $0) }) ?? nil else { return false }
                    s.withUTF8(body)
                    return true
                }
                var hit = false
                _ = ValueText.with(x.pointee, v.event, &textScratch) { b in
                    if !b.isEmpty { body(b); hit = true }
                }
                return hit
            }
            if let d = direct { return d }
        }
        if a.capture != nil {
            guard var s = firstText(a, v) else { return false }
            s.withUTF8(body)
            return true
        }
        // As `firstText`: the last non-empty value the visit reports wins (an alert's
        // evidence is visited to the end), so the bytes are kept and handed over once.
        var done = false
        v.forEach(a) { value, ev in
            _ = ValueText.with(value, ev, &textScratch) { b in
                if !b.isEmpty { textOut.removeAll(keepingCapacity: true); textOut.append(contentsOf: b); done = true }
            }
            return done
        }
        if done { textOut.withUnsafeBufferPointer(body) }
        return done
    }

    /// `RegexTest.captured` of the UTF-8 text in `text`, remembered per (regex, text) in a
    /// bounded table (4,096 texts of at most 256 bytes): `extract` often reads fields with
    /// few distinct values (user agents), and NSRegularExpression costs microseconds per
    /// call. A hit makes no `String` of the text: the table is keyed by a hash of the bytes
    /// and holds the bytes to compare. The result is the same either way.
    func captured(_ re: RegexTest, _ text: UnsafeBufferPointer<UInt8>) -> String? {
        guard text.count <= 256 else { return re.captured(String(decoding: text, as: UTF8.self)) }
        var h = StableHash()
        h.combine(bytes: text)
        let k = CaptureKey(regex: ObjectIdentifier(re), hash: h.value)
        if let hit = captureMemo[k], hit.text.count == text.count, PatternTest.equal(text, 0, hit.text) { return hit.result }
        let r = re.captured(String(decoding: text, as: UTF8.self))
        if captureMemo.count >= 4096 { captureMemo.removeAll(keepingCapacity: true) }
        captureMemo[k] = CaptureHit(text: Array(text), result: r)
        return r
    }

    /// Values of several (coalesced) fields; nil when one has no value.
    func values(_ fields: [[FieldAccessor]], _ v: EventView) -> [String]? {
        var out: [String] = []
        out.reserveCapacity(fields.count)
        for f in fields {
            guard let s = firstText(f, v) else { return nil }
            out.append(s)
        }
        return out
    }

    /// `key(values(fields, v)!)` without collecting the values (nil when one has no value).
    func keyOf(_ fields: [[FieldAccessor]], _ v: EventView) -> UInt64? {
        var k = KeyHasher()
        guard add(fields, v, to: &k) else { return nil }
        return k.value
    }

    /// Adds the values of several (coalesced) fields to `k`; false when one has no value.
    func add(_ fields: [[FieldAccessor]], _ v: EventView, to k: inout KeyHasher) -> Bool {
        for f in fields {
            guard withFirstText(f, v, { k.add(bytes: $0) }) else { return false }
        }
        return true
    }

    static func key(_ parts: [String], salt: UInt64 = 0) -> UInt64 {
        var k = KeyHasher(salt: salt)
        for p in parts { k.add(p) }
        return k.value
    }

    /// `StableHash.of(s.lowercased())`, without allocating for ASCII text.
    static func lowercasedHash(_ s: String) -> UInt64 {
        var h = KeyHasher(raw: ())
        h.add(s)
        return h.value
    }

    /// `key(parts + more)` without building the joined list.
    static func key(_ parts: [String], _ more: String...) -> UInt64 {
        var k = KeyHasher()
        for p in parts { k.add(p) }
        for p in more { k.add(p) }
        return k.value
    }

    /// Whether `rule`'s `when` selection `i` (or, `i == -1`, its allowlist) holds for the
    /// context's event, without reloading it when the matcher still holds it.
    func selectionHolds(_ rule: CompiledRule, _ i: Int, _ ctx: Ctx) -> Bool {
        if ctx.loaded == 0 || ctx.loaded != matcher.loads { matcher.load(ctx.event) }
        return matcher.selectionHolds(rule: rule.index, i, on: ctx.event)
    }
}

/// `DetectionEngine.key(parts)` built one part at a time: the stable hash of the salt and
/// of each part lowercased, without allocating (ASCII text is folded while hashing; other
/// text goes through `lowercased()`, so the value is the same as before).
struct KeyHasher {
    private var h = StableHash()

    init(salt: UInt64 = 0) { h.combine(salt) }
    /// No salt: `value` is then `StableHash.of` the lowercased parts.
    init(raw: Void) {}

    mutating func add(_ s: String) {
        var s = s
        s.withUTF8 { add(bytes: $0) }
    }

    /// `add` of the UTF-8 text in `b` (the same value as adding it as a `String`).
    mutating func add(bytes b: UnsafeBufferPointer<UInt8>) {
        var ascii = true
        for c in b where c >= 0x80 { ascii = false; break }
        if ascii {
            var st = h.state
            for c in b { st = (st ^ UInt64(c &- 0x41 < 26 ? c | 0x20 : c)) &* 0x100_0000_01b3 }
            h.state = st
            h.combine(byte: 0xFF)
        } else {
            h.combine(String(decoding: b, as: UTF8.self).lowercased())
        }
    }

    var value: UInt64 { h.value }
}

/// A min-heap of window ends: (time, rule, group key).
struct TimerHeap {
    struct Item: Equatable { var time: Int64; var rule: Int32; var key: UInt64 }
    private(set) var items: [Item] = []

    var top: Item? { items.first }

    static func less(_ a: Item, _ b: Item) -> Bool {
        if a.time != b.time { return a.time < b.time }
        if a.rule != b.rule { return a.rule < b.rule }
        return a.key < b.key
    }

    mutating func push(_ it: Item) {
        items.append(it)
        var i = items.count - 1
        while i > 0 { let p = (i - 1) / 2; guard Self.less(items[i], items[p]) else { break }; items.swapAt(i, p); i = p }
    }

    mutating func pop() -> Item? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count, Self.less(items[l], items[m]) { m = l }
                if r < items.count, Self.less(items[r], items[m]) { m = r }
                if m == i { break }
                items.swapAt(i, m); i = m
            }
        }
        return top
    }
}
