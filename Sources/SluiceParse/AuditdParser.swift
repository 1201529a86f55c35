import SluiceCore

/// `auditd`: Linux audit records, from `audit.log` files (`type=SYSCALL msg=audit(…): …`,
/// optionally `node=… ` first and the `log_format=ENRICHED` part after 0x1D) or through
/// syslog/journald (any prefix before `type=`, numeric types such as `type=1300
/// audit(…):`; or journald's own audit form, `MESSAGE=SYSCALL arch=… …`, whose id the journald
/// source gives as `journald.custom.audit_id` and `journald.custom.source_realtime_timestamp`).
///
/// Records of one syscall event (SYSCALL, EXECVE, CWD, PATH, PROCTITLE, …, sharing one
/// `audit(seconds:serial)` id) are assembled and emitted as ONE event: when its EOE record
/// arrives; when records `assembly_timeout` (default 2s) of **event time** newer than it have
/// been seen (so a replay assembles exactly as the live run did); in a live run, when no record
/// came for `assembly_timeout` of wall-clock time; at end of input; or when it is the oldest of
/// more than `max_open_events` (default 4096) open events. All but the first are emitted with
/// `auditd.incomplete: true`, and evictions and timeouts are counted. The open events survive
/// restarts: the parse stage is stateful (`StatefulParser`), its snapshot holds each open
/// event's records, and a restore assembles them again. An event with an EXECVE record is a process start (`event.category:
/// process`, `event.type: start`). Records that are not part of a syscall event (USER_LOGIN,
/// USER_CMD, …) become one event each, with their values (and those inside `msg='…'`) under
/// `auditd.data.*`.
///
/// Bounds: at most 64 records, `max_event_bytes` (default 2 MiB) of record bytes, 4096
/// arguments and 256 KiB of argument bytes per event (the rest dropped, `auditd.truncated:
/// true`); all open events together hold at most `max_open_bytes` (default 64 MiB) of
/// record bytes — beyond it the oldest are emitted incomplete and counted as evicted;
/// records above 1 MiB fail with `too_long`. The assembly state lives in one value
/// (`AssemblyState`).
/// Failures: `empty_record`, `not_audit`, `missing_audit_id`, `too_long`.
/// Used on one thread (the parse stage's), as the `Parser` contract says.
public final class AuditdParser: StatefulParser {
    enum Keys {
        static let sequence = FieldKey("auditd.sequence")
        static let result = FieldKey("auditd.result")
        static let incomplete = FieldKey("auditd.incomplete")
        static let truncated = FieldKey("auditd.truncated")
        static let recordTypes = FieldKey("auditd.record_types")
        static let paths = FieldKey("auditd.paths")
        static let data = FieldKey("auditd.data")
        static let dataSyscall = FieldKey("auditd.data.syscall")
        static let dataKey = FieldKey("auditd.data.key")
        static let dataArch = FieldKey("auditd.data.arch")
        static let dataTTY = FieldKey("auditd.data.tty")
        static let dataSession = FieldKey("auditd.data.ses")
        static let dataExit = FieldKey("auditd.data.exit")
        static let argsCount = FieldKey("process.args_count")
        static let journalAuditID = FieldKey("journald.custom.audit_id")
        static let journalSourceTime = FieldKey("journald.custom.source_realtime_timestamp")
        static let processTitle = FieldKey("process.title")
        static let userAuditID = FieldKey("user.audit.id")
        static let userAuditName = FieldKey("user.audit.name")
        static let userEffectiveID = FieldKey("user.effective.id")
        static let userEffectiveName = FieldKey("user.effective.name")
        static let groupID = FieldKey("group.id")
        static let groupName = FieldKey("group.name")
        static let name = FieldKey("name")
        static let nametype = FieldKey("nametype")
        static let inode = FieldKey("inode")
        static let mode = FieldKey("mode")
    }

    static let maxRecordBytes = 1 << 20
    static let maxRecordsPerEvent = 64
    static let maxArgs = 4096
    static let maxArgBytes = 256 * 1024
    static let maxOriginalBytes = 64 * 1024
    static let dataset: FieldValue = .string("auditd.log")
    static let processCategory: FieldValue = .array([.string("process")])
    static let startType: FieldValue = .array([.string("start")])
    static let authCategory: FieldValue = .array([.string("authentication")])

    let timeoutNanos: Int64
    let maxOpen: Int
    let maxEventBytes: Int
    let maxOpenBytes: Int
    let interner = FieldKeyInterner()

    /// Everything the parser keeps between records: the half-assembled events and their
    /// clocks and counters. Held in one value so it can be inspected, bounded and (later)
    /// snapshotted as a whole; nothing else in the parser changes between records.
    struct AssemblyState {
        /// Open (half-assembled) events by id, and their arrival order (lazy deletion).
        var open: [EventID: Pending] = [:]
        var order: [EventID] = []
        var orderHead = 0
        /// The newest record time seen (event time; Int64.min before any).
        var latest = Int64.min
        /// Record bytes held by all open events (each record counted at its length).
        var openBytes = 0
        /// Open events emitted early because `max_open_events` or `max_open_bytes` was reached.
        var evictedCount = 0
        /// Open events emitted because they timed out without an EOE record.
        var timedOutCount = 0

        /// Removes an open event, releasing its bytes.
        mutating func take(_ id: EventID) -> Pending? {
            guard let p = open.removeValue(forKey: id) else { return nil }
            openBytes -= p.bytes
            return p
        }
    }
    private var state = AssemblyState()

    /// Open events evicted (emitted incomplete) because `max_open_events` or `max_open_bytes`
    /// was reached.
    public var evictedCount: Int { state.evictedCount }
    /// Open events emitted because they timed out without an EOE record.
    public var timedOutCount: Int { state.timedOutCount }
    /// Record bytes held by the open events.
    public var openBytes: Int { state.openBytes }

    /// Exported by the parse transform as `sluice_auditd_evicted_events_total` and
    /// `sluice_auditd_timed_out_events_total`.
    public var counters: [(name: String, value: Int)] {
        [("auditd_evicted_events", state.evictedCount), ("auditd_timed_out_events", state.timedOutCount),
         ("field_names_refused", interner.refused)]
    }

    struct EventID: Hashable {
        var node: String
        var serial: UInt64
        var timestamp: Int64
    }

    final class Pending {
        var event: Event
        var id: EventID
        /// The records as they came (bytes and the event they came in), for snapshots: a
        /// restore parses them again. Bounded with the event (`max_event_bytes`).
        var inputs: [(record: [UInt8], event: Event)] = []
        var records = 0
        /// Record bytes this event holds (counted against `max_event_bytes`/`max_open_bytes`).
        var bytes = 0
        var types: [String] = []
        var syscall: [(key: String, value: String)] = []
        var hasSyscall = false
        var hasExecve = false
        var argc: Int?
        var args: [Int: [UInt8]] = [:]
        var argBytes = 0
        var truncated = false
        var cwd: String?
        var paths: [FieldValue] = []
        var proctitle: [UInt8]?
        var originalFull = false
        init(event: Event, id: EventID) { self.event = event; self.id = id }
    }

    public init(assemblyTimeout: Double = 2, maxOpenEvents: Int = 4096, maxEventBytes: Int = 2 << 20,
                maxOpenBytes: Int = 64 << 20) {
        self.timeoutNanos = Int64(assemblyTimeout * 1e9)
        self.maxOpen = max(1, maxOpenEvents)
        self.maxEventBytes = max(Self.maxRecordBytes, maxEventBytes)
        self.maxOpenBytes = max(self.maxEventBytes, maxOpenBytes)
    }

    public convenience init(options o: ComponentOptions) {
        self.init(assemblyTimeout: o.seconds("assembly_timeout", default: 2),
                  maxOpenEvents: o.int("max_open_events", default: 4096, range: 1...1_000_000),
                  maxEventBytes: o.bytes("max_event_bytes", default: 2 << 20),
                  maxOpenBytes: o.bytes("max_open_bytes", default: 64 << 20))
    }

    /// Number of events currently being assembled.
    public var openCount: Int { state.open.count }

    public func parse(_ record: ArraySlice<UInt8>, event: consuming Event, into output: inout [Event]) throws {
        guard record.count <= Self.maxRecordBytes else {
            throw ParseFailure("too_long", "record of \(record.count) bytes exceeds \(Self.maxRecordBytes)")
        }
        try record.withUnsafeBufferPointer { b in
            guard b.contains(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) else {
                throw ParseFailure("empty_record", "empty line")
            }
            let r = try AuditRecord(b, journal: journalID(event))
            let node = r.node.map { ByteText.string(b, $0) } ?? ""
            let id = EventID(node: node, serial: r.serial, timestamp: r.timestamp)
            if r.timestamp > state.latest { state.latest = r.timestamp }
            if let pending = state.open[id] {
                if r.type == "EOE" {
                    _ = state.take(id)
                    output.append(finish(pending, complete: true))
                    return
                }
                keep(record, event, in: pending)
                add(r, b, event.original, to: pending)
                evictOverBytes(into: &output)
                return
            }
            guard AuditRecord.syscallParts.contains(r.type) else {
                output.append(standalone(r, b, node: node, event: event))
                return
            }
            if r.type == "EOE" { return }  // an EOE whose records were already emitted
            if state.open.count >= maxOpen { evictOldest(into: &output) }
            var e = copy event
            e.timestamp = r.timestamp
            let pending = Pending(event: e, id: id)
            keep(record, event, in: pending)
            state.open[id] = pending
            state.order.append(id)
            add(r, b, nil, to: pending)
            evictOverBytes(into: &output)
        }
    }

    /// The audit id journald keeps beside an audit message: `_AUDIT_ID` and
    /// `_SOURCE_REALTIME_TIMESTAMP` (µs), as the journald source names them
    /// (`journald.custom.audit_id`, `journald.custom.source_realtime_timestamp`); the event
    /// time when the latter is missing.
    private func journalID(_ event: Event) -> (serial: UInt64, timestamp: Int64)? {
        guard let v = event[Keys.journalAuditID], let serial = v.intValue, serial >= 0 else { return nil }
        var t = event.timestamp
        if let us = event[Keys.journalSourceTime]?.intValue, us > 0, us < 9_000_000_000_000_000 { t = us * 1000 }
        return (UInt64(serial), t)
    }

    public func tick(_ time: StageTime, into output: inout [Event]) {
        guard !state.open.isEmpty else { state.order.removeAll(); state.orderHead = 0; return }
        // Live and quiet for the timeout: nothing more is coming for the open events.
        let quiet = time.mode == .follow && time.idleSeconds * 1e9 >= Double(timeoutNanos)
        var i = state.orderHead
        while i < state.order.count {
            let id = state.order[i]
            if let p = state.open[id] {
                if time.final {
                    _ = state.take(id)
                    output.append(finish(p, complete: false))
                } else if quiet || (state.latest != Int64.min && state.latest - id.timestamp >= timeoutNanos) {
                    _ = state.take(id)
                    state.timedOutCount += 1
                    output.append(finish(p, complete: false))
                }
            }
            i += 1
        }
        compactOrder()
    }

    /// Keeps a record of an open event for snapshots (its bytes copied: the record may be a
    /// slice of a much larger read buffer).
    private func keep(_ record: ArraySlice<UInt8>, _ event: borrowing Event, in p: Pending) {
        var e = copy event
        let sameAsOriginal = e.original.elementsEqual(record)
        e.original = sameAsOriginal ? [] : ArraySlice(Array(e.original))
        p.inputs.append((Array(record), e))
    }

    public var holdsState: Bool { true }

    /// The open events' records, in arrival order, and the counters.
    public func snapshot(into w: inout BinaryWriter) {
        w.uvarint(1)  // format version
        w.uvarint(UInt64(state.evictedCount)); w.uvarint(UInt64(state.timedOutCount))
        let live = state.order[state.orderHead...].compactMap { state.open[$0] }
        w.uvarint(UInt64(live.count))
        for p in live {
            w.uvarint(UInt64(p.inputs.count))
            for (record, event) in p.inputs {
                w.data(record)
                EventCodec.encode(event, into: &w)
            }
        }
    }

    /// Assembles the snapshot's open events again by parsing their records in order.
    public func restore(from r: inout BinaryReader) throws {
        guard try r.uvarint() == 1 else { throw ParseFailure("unknown_snapshot", "auditd snapshot of another format version") }
        state = AssemblyState()
        state.evictedCount = Int(try r.uvarint()); state.timedOutCount = Int(try r.uvarint())
        var discarded: [Event] = []
        for _ in 0..<(try r.uvarint()) {
            for _ in 0..<(try r.uvarint()) {
                let record = try r.data()
                var event = try EventCodec.decode(&r)
                if event.original.isEmpty { event.original = record }
                try? parse(record, event: event, into: &discarded)
            }
        }
    }

    private func evictOldest(into output: inout [Event]) {
        while state.orderHead < state.order.count {
            let id = state.order[state.orderHead]
            state.orderHead += 1
            if let p = state.take(id) {
                state.evictedCount += 1
                output.append(finish(p, complete: false))
                break
            }
        }
        compactOrder()
    }

    /// Emits the oldest open events (incomplete) while the open events hold more than
    /// `max_open_bytes`.
    private func evictOverBytes(into output: inout [Event]) {
        while state.openBytes > maxOpenBytes, !state.open.isEmpty { evictOldest(into: &output) }
    }

    /// Drops order entries of events no longer open, keeping the list proportional to `open`.
    private func compactOrder() {
        if state.open.isEmpty { state.order.removeAll(keepingCapacity: true); state.orderHead = 0; return }
        if state.orderHead > 1024 || state.order.count > 2 * state.open.count + 1024 {
            let open = state.open
            state.order = state.order[state.orderHead...].filter { open[$0] != nil }
            state.orderHead = 0
        }
    }

    // MARK: assembly

    private func add(_ r: AuditRecord, _ b: UnsafeBufferPointer<UInt8>, _ original: ArraySlice<UInt8>?, to p: Pending) {
        p.records += 1
        guard p.records <= Self.maxRecordsPerEvent else { p.truncated = true; return }
        // Bounded by bytes too: the first record always, then records while the event stays
        // within `max_event_bytes` (the rest dropped, `auditd.truncated: true`).
        guard p.records == 1 || p.bytes + b.count <= maxEventBytes else { p.truncated = true; return }
        p.bytes += b.count
        state.openBytes += b.count
        if !p.types.contains(r.type) { p.types.append(r.type) }
        if let original, !p.originalFull {
            if p.event.original.count + original.count + 1 <= Self.maxOriginalBytes {
                var joined = Array(p.event.original)
                joined.append(0x0A)
                joined.append(contentsOf: original)
                p.event.original = ArraySlice(joined)
            } else { p.originalFull = true }
        }
        switch r.type {
        case "SYSCALL":
            p.hasSyscall = true
            for pair in r.pairs {
                let k = ByteText.string(b, pair.key)
                let untrusted = k == "comm" || k == "exe"
                guard let v = AuditRecord.decoded(b, pair, hexAllowed: untrusted) else { continue }
                p.syscall.append((k, String(decoding: v, as: UTF8.self)))
            }
        case "EXECVE":
            p.hasExecve = true
            for pair in r.pairs { addArg(pair, b, p) }
        case "CWD":
            for pair in r.pairs where ByteText.equals(b, pair.key, "cwd") {
                if let v = AuditRecord.decoded(b, pair, hexAllowed: true) { p.cwd = String(decoding: v, as: UTF8.self) }
            }
        case "PATH":
            guard p.paths.count < 16 else { p.truncated = true; return }
            var members: [Field] = []
            for pair in r.pairs {
                let key: FieldKey
                let hex: Bool
                if ByteText.equals(b, pair.key, "name") { key = Keys.name; hex = true }
                else if ByteText.equals(b, pair.key, "nametype") { key = Keys.nametype; hex = false }
                else if ByteText.equals(b, pair.key, "inode") { key = Keys.inode; hex = false }
                else if ByteText.equals(b, pair.key, "mode") { key = Keys.mode; hex = false }
                else { continue }
                if let v = AuditRecord.decoded(b, pair, hexAllowed: hex) { members.append(Field(key, .string(String(decoding: v, as: UTF8.self)))) }
            }
            if !members.isEmpty { p.paths.append(.object(members)) }
        case "PROCTITLE":
            for pair in r.pairs where ByteText.equals(b, pair.key, "proctitle") {
                if var v = AuditRecord.decoded(b, pair, hexAllowed: true) {
                    if v.count > Self.maxArgBytes { v.removeSubrange(Self.maxArgBytes...) }
                    p.proctitle = v
                }
            }
        default:
            break
        }
    }

    /// `argc=N`, `aN="…"` / `aN=HEX`, `aN_len=…`, `aN[k]=…` (chunks of one long argument).
    private func addArg(_ pair: AuditRecord.Pair, _ b: UnsafeBufferPointer<UInt8>, _ p: Pending) {
        let k = pair.key
        if ByteText.equals(b, k, "argc") {
            if let n = ByteText.uint(b, pair.value) { p.argc = Int(min(n, 1 << 30)) }
            return
        }
        guard k.count >= 2, b[k.lowerBound] == UInt8(ascii: "a") else { return }
        var i = k.lowerBound + 1
        var n = 0
        var digits = 0
        while i < k.upperBound, b[i] >= 48, b[i] <= 57, digits < 7 { n = n * 10 + Int(b[i] - 48); i += 1; digits += 1 }
        guard digits > 0 else { return }
        if i < k.upperBound {
            // `aN_len` is informational; `aN[k]` is a chunk, appended in arrival order.
            guard b[i] == UInt8(ascii: "[") else { return }
        }
        guard n < Self.maxArgs else { p.truncated = true; return }
        guard let v = AuditRecord.decoded(b, pair, hexAllowed: true) else {
            if p.args[n] == nil { p.args[n] = [] }
            return
        }
        guard p.argBytes + v.count <= Self.maxArgBytes else { p.truncated = true; return }
        p.argBytes += v.count
        p.args[n, default: []].append(contentsOf: v)
    }

    private func finish(_ p: Pending, complete: Bool) -> Event {
        var e = p.event
        let fresh = e.fields.isEmpty
        e.fields.reserveCapacity(e.fields.count + 28)
        e.put(ECS.eventDataset, Self.dataset, fresh: fresh)
        e.put(Keys.sequence, .int(Int64(p.id.serial & 0x7FFF_FFFF_FFFF_FFFF)), fresh: fresh)
        if !p.id.node.isEmpty { e.put(ECS.hostName, .string(p.id.node), fresh: fresh) }
        var arch: String?
        var syscallName: String?
        var comm: String?
        var exe: String?
        for (k, v) in p.syscall {
            switch k {
            case "arch": arch = v
            case "syscall": if syscallName == nil { syscallName = v }
            case "SYSCALL": syscallName = v   // enriched name wins
            case "success":
                let ok = v == "yes"
                e.put(Keys.result, .string(ok ? "success" : "fail"), fresh: fresh)
                e.put(ECS.eventOutcome, .string(ok ? "success" : "failure"), fresh: fresh)
            case "exit": if let n = Int64(v) { e.put(Keys.dataExit, .int(n), fresh: fresh) }
            case "pid": if let n = Int64(v) { e.put(ECS.processPID, .int(n), fresh: fresh) }
            case "ppid": if let n = Int64(v) { e.put(ECS.processParentPID, .int(n), fresh: fresh) }
            case "uid": e.put(ECS.userID, v, fresh: fresh)
            case "UID": e.put(ECS.userName, v, fresh: fresh)
            case "auid": if v != "4294967295" && v != "-1" { e.put(Keys.userAuditID, v, fresh: fresh) }
            case "AUID": if v != "unset" { e.put(Keys.userAuditName, v, fresh: fresh) }
            case "euid": e.put(Keys.userEffectiveID, v, fresh: fresh)
            case "EUID": e.put(Keys.userEffectiveName, v, fresh: fresh)
            case "gid": e.put(Keys.groupID, v, fresh: fresh)
            case "GID": e.put(Keys.groupName, v, fresh: fresh)
            case "tty": if v != "(none)" { e.put(Keys.dataTTY, v, fresh: fresh) }
            case "ses": if v != "4294967295" { e.put(Keys.dataSession, v, fresh: fresh) }
            case "comm": comm = v
            case "exe": exe = v
            case "key": e.put(Keys.dataKey, v, fresh: fresh)
            default: break
            }
        }
        if let arch { e.put(Keys.dataArch, .string(arch), fresh: fresh) }
        let syscall = syscallName.map { AuditSyscalls.name($0, arch: arch) }
        if let syscall { e.put(Keys.dataSyscall, .string(syscall), fresh: fresh) }
        // A process start: an EXECVE record, or an execve syscall whose EXECVE never came.
        if p.hasExecve || syscall == "execve" || syscall == "execveat" {
            e.put(ECS.eventCategory, Self.processCategory, fresh: fresh)
            e.put(ECS.eventType, Self.startType, fresh: fresh)
            e.put(ECS.eventAction, .string("executed"), fresh: fresh)
        } else {
            e.put(ECS.eventAction, .string(p.types.first?.lowercased() ?? "syscall"), fresh: fresh)
        }
        if let exe { e.put(ECS.processExecutable, .string(exe), fresh: fresh) }
        if let name = comm ?? exe.map({ String($0.split(separator: "/").last ?? Substring($0)) }) {
            e.put(ECS.processName, name, fresh: fresh)
        }
        if p.hasExecve {
            let count = p.argc ?? ((p.args.keys.max() ?? -1) + 1)
            var args: [FieldValue] = []
            var line: [UInt8] = []
            let stored = min(count, Self.maxArgs)
            args.reserveCapacity(stored)
            for i in 0..<max(stored, 0) {
                let a = p.args[i] ?? []
                if i > 0 { line.append(0x20) }
                line.append(contentsOf: a)
                args.append(.string(String(decoding: a, as: UTF8.self)))
            }
            e.put(ECS.processArgs, .array(args), fresh: fresh)
            e.put(Keys.argsCount, .int(Int64(count)), fresh: fresh)
            e.put(ECS.processCommandLine, .string(String(decoding: line, as: UTF8.self)), fresh: fresh)
        }
        if var t = p.proctitle {
            for i in t.indices where t[i] == 0 { t[i] = 0x20 }
            while t.last == 0x20 { t.removeLast() }
            let title = String(decoding: t, as: UTF8.self)
            e.put(Keys.processTitle, title, fresh: fresh)
            if !p.hasExecve { e.put(ECS.processCommandLine, title, fresh: fresh) }
        }
        if let cwd = p.cwd { e.put(ECS.processWorkingDirectory, cwd, fresh: fresh) }
        if !p.paths.isEmpty { e.put(Keys.paths, .array(p.paths), fresh: fresh) }
        e.put(Keys.recordTypes, .array(p.types.map { .string($0) }), fresh: fresh)
        if !complete { e.put(Keys.incomplete, .bool(true), fresh: fresh) }
        if p.truncated { e.put(Keys.truncated, .bool(true), fresh: fresh) }
        return e
    }

    // MARK: standalone records

    private func standalone(_ r: AuditRecord, _ b: UnsafeBufferPointer<UInt8>, node: String, event: Event) -> Event {
        var e = event
        let fresh = e.fields.isEmpty
        e.fields.reserveCapacity(e.fields.count + 16)
        e.timestamp = r.timestamp
        e.put(ECS.eventDataset, Self.dataset, fresh: fresh)
        e.put(ECS.eventAction, .string(r.type.lowercased()), fresh: fresh)
        e.put(Keys.sequence, .int(Int64(r.serial & 0x7FFF_FFFF_FFFF_FFFF)), fresh: fresh)
        if !node.isEmpty { e.put(ECS.hostName, .string(node), fresh: fresh) }
        switch r.type {
        case "USER_LOGIN", "USER_AUTH", "USER_ACCT", "LOGIN", "USER_LOGOUT", "USER_ERR":
            e.put(ECS.eventCategory, Self.authCategory, fresh: fresh)
        default: break
        }
        var pairs = r.pairs
        var dropped = r.droppedPairs
        // msg='op=… acct=… res=success' holds the user-space message's own pairs.
        if let m = pairs.firstIndex(where: { $0.quoted && ByteText.equals(b, $0.key, "msg") }) {
            let inner = pairs[m].value
            pairs.remove(at: m)
            AuditRecord.scanPairs(b, from: inner.lowerBound, to: inner.upperBound, into: &pairs, dropped: &dropped)
        }
        var seen = Set<FieldKey>()
        for pair in pairs {
            let keyText = UnsafeBufferPointer(rebasing: b[pair.key])
            guard let k = interner.key(keyText, under: Keys.data), !seen.contains(k) else { continue }
            seen.insert(k)
            let untrusted = ["comm", "exe", "cmd", "acct", "name", "cwd", "proctitle"].contains(ByteText.string(b, pair.key))
            guard let v = AuditRecord.decoded(b, pair, hexAllowed: untrusted) else { continue }
            let text = String(decoding: v, as: UTF8.self)
            e.put(k, .string(text), fresh: false)
            switch ByteText.string(b, pair.key) {
            case "pid": if let n = Int64(text) { e[ECS.processPID] = .int(n) }
            case "uid": e[ECS.userID] = .string(text)
            case "auid": if text != "4294967295" { e[Keys.userAuditID] = .string(text) }
            case "acct", "UID": if e[ECS.userName] == nil || ByteText.string(b, pair.key) == "UID" { e[ECS.userName] = .string(text) }
            case "exe": e[ECS.processExecutable] = .string(text)
            case "addr": if ByteText.isIP(text) { e[ECS.sourceIP] = .string(text) }
            case "res", "success":
                let ok = text == "success" || text == "yes"
                e[Keys.result] = .string(ok ? "success" : "fail")
                e[ECS.eventOutcome] = .string(ok ? "success" : "failure")
            default: break
            }
        }
        if dropped > 0 { e[Keys.truncated] = .bool(true) }
        return e
    }
}

/// Names of the exec-related syscall numbers, per audit architecture.
enum AuditSyscalls {
    static func name(_ s: String, arch: String?) -> String {
        guard let n = Int(s) else { return s }
        switch arch {
        case "c000003e":  // x86_64
            switch n { case 59: return "execve"; case 322: return "execveat"; case 42: return "connect"; case 2: return "open"; case 257: return "openat"; default: return s }
        case "c00000b7":  // aarch64
            switch n { case 221: return "execve"; case 281: return "execveat"; case 203: return "connect"; case 56: return "openat"; default: return s }
        case "40000003":  // i386
            switch n { case 11: return "execve"; case 358: return "execveat"; default: return s }
        default: return s
        }
    }
}
