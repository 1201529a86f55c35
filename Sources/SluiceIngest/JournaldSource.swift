#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SluiceCore

/// The saved position of a journald source: the cursor of the last acknowledged entry.
public struct JournaldCheckpoint: Codable, Sendable, Equatable {
    public var cursor: String
    public init(cursor: String) { self.cursor = cursor }
}

/// Field keys produced by the journald source.
public enum JournaldKeys {
    public static let unit = FieldKey("journald.unit")
    public static let bootID = FieldKey("journald.host.boot_id")
    public static let cursor = FieldKey("journald.cursor")
    public static let transport = FieldKey("journald.transport")
}

/// `journald`: reads the systemd journal through libsystemd's sd-journal API (never by
/// running `journalctl`), follows it with `sd_journal_wait` (inotify, no busy waiting), and
/// checkpoints the cursor of the last entry every sink acknowledged.
///
/// Options:
/// - `directory` (a directory of journal files, e.g. what `systemd-journal-remote` writes) or
///   `files` (explicit journal files); neither: the local system journal.
/// - `matches`: a list of `FIELD=value` strings (one group: matches on different fields are
///   AND-ed, on the same field OR-ed, as sd_journal_add_match does), or a list of lists
///   (outer list OR-ed with sd_journal_add_disjunction, inner lists as one group each).
/// - `since`: `cursor` (default: resume after the checkpoint, else from the oldest entry),
///   `head` (oldest entry when no checkpoint), `tail` (only new entries when no checkpoint).
///   A checkpoint always wins when present.
/// - `include_fields` / `exclude_fields`: journal field names kept / dropped.
/// - `batch_size` (entries per batch, default 512), `wait_timeout` (default 250ms: how long
///   one `sd_journal_wait` may block before a stop request is checked).
///
/// Guarantees: entries are emitted in journal order; the checkpoint never passes an entry
/// that was not acknowledged; on restart the checkpointed entry itself is skipped (it was
/// delivered). A checkpointed cursor that no longer exists (its file was vacuumed or rotated
/// away) resumes at the oldest entry at or after the cursor's time, logs a warning and
/// counts `journal_cursor_lost` — never a silent jump to the tail. Values that are not valid
/// UTF-8 are repaired with U+FFFD in fields; `event.original` keeps MESSAGE's exact bytes.
public final class JournaldSource: PositionedSource {
    public enum Since: String, CaseIterable, Sendable { case cursor, head, tail }

    let location: SystemdJournal.Location
    let matchGroups: [[String]]
    let since: Since
    let includeFields: Set<String>?
    let excludeFields: Set<String>
    let batchSize: Int
    let waitTimeout: Double
    static let maxCustomKeys = 1024

    private let tracker = AckTracker<String>()
    /// The cursor of the last entry emitted (or resumed after); read at epoch barriers on the
    /// source's own thread.
    private var emittedCursor: String?
    private var context: SourceContext?
    private var customKeys: [String: FieldKey] = [:]
    private let cursorLost = Locked(0)
    /// How many times a checkpointed cursor was not found (also the `journal_cursor_lost` counter).
    public var cursorLostCount: Int { cursorLost.withLock { $0 } }

    public init(location: SystemdJournal.Location = .local, matchGroups: [[String]] = [], since: Since = .cursor,
                includeFields: Set<String>? = nil, excludeFields: Set<String> = [], batchSize: Int = 512,
                waitTimeout: Double = 0.25) {
        self.location = location; self.matchGroups = matchGroups; self.since = since
        self.includeFields = includeFields; self.excludeFields = excludeFields
        self.batchSize = batchSize; self.waitTimeout = waitTimeout
    }

    public static func make(_ o: ComponentOptions, _ ctx: BuildContext) throws -> JournaldSource {
        var location = SystemdJournal.Location.local
        let dir = o.string("directory")
        let files = o.stringList("files")
        if dir != nil, files != nil { o.fail("use either 'directory' or 'files', not both", at: "files") }
        if let dir { location = .directory(dir) } else if let files, !files.isEmpty { location = .files(files) }
        var groups: [[String]] = []
        if let node = o.node("matches"), !node.isNull {
            if let items = node.items {
                var flat: [String] = []
                for item in items {
                    if let inner = item.items {
                        var g: [String] = []
                        for m in inner { if let s = try? m.scalarText() { g.append(s) } }
                        groups.append(g)
                    } else if let s = try? item.scalarText() {
                        flat.append(s)
                    }
                }
                if !flat.isEmpty {
                    if !groups.isEmpty { o.fail("'matches' must be a list of FIELD=value strings or a list of lists, not both", at: "matches") }
                    groups.append(flat)
                }
            } else if let s = try? node.scalarText() {
                groups = [[s]]
            }
            for g in groups {
                for m in g where !Self.validMatch(m) {
                    o.fail("match '\(m)' must look like FIELD=value with FIELD in upper case (e.g. _SYSTEMD_UNIT=sshd.service)", at: "matches")
                }
            }
        }
        let include = o.stringList("include_fields").map(Set.init)
        return JournaldSource(location: location, matchGroups: groups,
                              since: o.choice("since", default: Since.cursor),
                              includeFields: include, excludeFields: Set(o.stringList("exclude_fields") ?? []),
                              batchSize: o.int("batch_size", default: 512, range: 1...100_000),
                              waitTimeout: o.seconds("wait_timeout", default: 0.25))
    }

    static func validMatch(_ m: String) -> Bool {
        guard let eq = m.firstIndex(of: "="), eq != m.startIndex else { return false }
        return m[..<eq].allSatisfy { ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_" }
    }

    public func run(_ context: SourceContext) throws {
        self.context = context
        let journal = try SystemdJournal(location)
        for (i, group) in matchGroups.enumerated() {
            if i > 0 { try journal.addDisjunction() }
            for m in group { try journal.addMatch(m) }
        }
        var saved: String?
        if let restored = context.restoredPosition {
            saved = restored.isEmpty ? nil : String(decoding: restored, as: UTF8.self)
        } else if let store = context.checkpoints {
            do { saved = try store.load(JournaldCheckpoint.self, for: context.name)?.cursor } catch {
                context.logger.error("\(error); starting without checkpoint")
            }
        }
        try position(journal, saved: saved, context)
        emittedCursor = saved

        var events: [Event] = []
        events.reserveCapacity(batchSize)
        var bytes = 0
        var lastCursor: String?
        func flush() {
            guard !events.isEmpty, let c = lastCursor else { return }
            let ack = tracker.register(c)
            emittedCursor = c
            context.metrics.recordIn(events.count, bytes: bytes)
            context.emit(EventBatch(events: events, acks: [ack]), bytes: bytes)
            events = []; events.reserveCapacity(batchSize); bytes = 0
        }
        while !context.isStopping {
            if try journal.next() {
                let (event, cursor) = makeEvent(journal)
                bytes += event.original.count
                events.append(event)
                lastCursor = cursor
                if events.count >= batchSize { flush() }
            } else {
                flush()
                if context.mode == .toEnd { break }
                context.serviceBarriers()
                _ = try journal.wait(micros: UInt64(waitTimeout * 1_000_000))
                continue
            }
        }
        flush()
    }

    /// Places the read pointer so the next `next()` returns the first entry to emit.
    private func position(_ journal: SystemdJournal, saved: String?, _ context: SourceContext) throws {
        if let cursor = saved {
            var found = false
            do {
                try journal.seek(cursor: cursor)
                if try journal.next(), journal.test(cursor: cursor) { found = true }
            } catch {
                context.logger.warning("cannot seek to checkpointed cursor: \(error)")
            }
            if found {
                context.logger.info("resuming after checkpointed cursor")
                return  // positioned at the delivered entry; the loop's next() skips it
            }
            cursorLost.withLock { $0 += 1 }
            context.metrics.increment("journal_cursor_lost")
            if let t = SystemdJournal.realtime(ofCursor: cursor) {
                context.logger.warning("checkpointed journal cursor no longer exists (vacuumed or rotated away); resuming at the oldest entry at or after its time (\(t)us)")
                try journal.seek(realtimeMicros: t)
            } else {
                context.logger.warning("checkpointed journal cursor no longer exists and has no timestamp; resuming at the oldest entry")
                try journal.seekHead()
            }
            return
        }
        switch since {
        case .head, .cursor:
            try journal.seekHead()
        case .tail:
            try journal.seekTail()
            _ = try journal.previous()  // at the last entry: the loop reads only newer ones
        }
    }

    private func makeEvent(_ journal: SystemdJournal) -> (Event, String) {
        var e = Event()
        e.fields.reserveCapacity(16)
        if let us = journal.realtimeMicros() { e.timestamp = Int64(us) &* 1000 }
        var comm: String?
        var ident: String?
        var severity: Int64?
        var facility: Int64?
        journal.forEachField { buf in
            guard let eq = buf.firstIndex(of: 0x3D) else { return }
            let name = String(decoding: UnsafeBufferPointer(rebasing: buf[0..<eq]), as: UTF8.self)
            let valueBuf = UnsafeBufferPointer(rebasing: buf[(eq + 1)...])
            if name == "MESSAGE" { e.original = ArraySlice(valueBuf) }
            if let inc = includeFields, !inc.contains(name) { return }
            if excludeFields.contains(name) { return }
            let value = Self.text(valueBuf)
            switch name {
            case "MESSAGE": e.append(ECS.message, .string(value))
            case "_HOSTNAME": e.append(ECS.hostName, .string(value))
            case "SYSLOG_IDENTIFIER": ident = value; e.append(ECS.logSyslogAppName, .string(value))
            case "_SYSTEMD_UNIT": e.append(JournaldKeys.unit, .string(value))
            case "_PID": if let v = Int64(value) { e.append(ECS.processPID, .int(v)) }
            case "_UID": e.append(ECS.userID, .string(value))
            case "_COMM": comm = value
            case "_EXE": e.append(ECS.processExecutable, .string(value))
            case "_CMDLINE": e.append(ECS.processCommandLine, .string(value))
            case "PRIORITY": severity = Int64(value)
            case "SYSLOG_FACILITY": facility = Int64(value)
            case "_BOOT_ID": e.append(JournaldKeys.bootID, .string(value))
            case "_TRANSPORT": e.append(JournaldKeys.transport, .string(value))
            default:
                if let key = customKey(name) { e[key] = .string(value) }
            }
        }
        if let name = comm ?? ident { e.append(ECS.processName, .string(name)) }
        if let s = severity {
            e.append(ECS.logSyslogSeverity, .int(s))
            if let f = facility {
                e.append(ECS.logSyslogFacility, .int(f))
                e.append(ECS.logSyslogPriority, .int(f * 8 + s))
            } else {
                e.append(ECS.logSyslogPriority, .int(s))
            }
        }
        let cursor = (try? journal.cursor()) ?? ""
        if !excludeFields.contains("__CURSOR") { e.append(JournaldKeys.cursor, .string(cursor)) }
        return (e, cursor)
    }

    /// The value as text: exact when valid UTF-8, otherwise repaired with U+FFFD.
    static func text(_ buf: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: buf, as: UTF8.self)
    }

    /// `journald.custom.<lowercased name>`, interned once per distinct name (bounded).
    private func customKey(_ name: String) -> FieldKey? {
        if let k = customKeys[name] { return k }
        guard customKeys.count < Self.maxCustomKeys else {
            context?.metrics.increment("journal_fields_dropped")
            return nil
        }
        var n = name
        while n.hasPrefix("_") { n.removeFirst() }
        let k = FieldKey("journald.custom." + n.lowercased())
        customKeys[name] = k
        return k
    }

    /// Held while saving (a plain mutex).
    private let saving = Locked()

    /// Serialized: the read loop and the shutdown commit may call it at the same time.
    private func saveCheckpoint() {
        saving.withLock {
            guard let context, let store = context.checkpoints, let c = tracker.takeIfAdvanced() else { return }
            do { try store.save(JournaldCheckpoint(cursor: c), for: context.name) } catch {
                context.logger.error("cannot save checkpoint: \(error)")
            }
        }
    }

    public func commitCheckpoints() { saveCheckpoint() }

    /// The cursor of the last entry emitted (empty before any): where a restart resumes.
    public func barrierPosition() -> [UInt8] { Array((emittedCursor ?? "").utf8) }
}
