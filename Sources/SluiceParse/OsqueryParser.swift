import SluiceCore

/// `osquery`: osquery result logs (the `filesystem` logger's `osqueryd.results.log`, one JSON
/// object per line) in all three shapes: event/differential (`"columns":{…}` with
/// `"action":"added"|"removed"`), snapshot (`"snapshot":[{…},…]`, `"action":"snapshot"`) and
/// batch (`"diffResults":{"added":[…],"removed":[…]}`). One event per row.
///
/// Rows of `process_events` and `processes` map to `process.*` (`pid`, `path`, `cmdline`,
/// `cwd`, `parent`, `uid`, `auid`, `name`), rows of `socket_events` to `process.*`,
/// `destination.*` (remote), `source.*` (local), `network.transport`/`network.type`; the
/// table is recognized by the query name (equal to, or ending in `_`/`/` + the table name)
/// or, failing that, by its columns. Unmapped columns, and all columns of other queries, go
/// under `osquery.columns.*`. `hostIdentifier` -> `host.name`; event time: the row's `time`,
/// else `unixTime`. Bounds: 16 MiB per record, 100,000 rows.
/// Failures: `empty_record`, `too_long`, `invalid_json`, `not_an_object`, `missing_field`
/// (no `name` or no rows), `too_many_rows`.
public final class OsqueryParser: Parser {
    enum Keys {
        static let queryName = FieldKey("osquery.query_name")
        static let action = FieldKey("osquery.action")
        static let counter = FieldKey("osquery.counter")
        static let epoch = FieldKey("osquery.epoch")
        static let decorations = FieldKey("osquery.decorations")
        static let columns = FieldKey("osquery.columns")
        static let userAuditID = FieldKey("user.audit.id")
        static let groupID = FieldKey("group.id")
        static let effectiveUserID = FieldKey("user.effective.id")
        static let transport = FieldKey("network.transport")
        static let networkType = FieldKey("network.type")
        // Relative column names (as the JSON scanner interns nested object members).
        static let pid = FieldKey("pid")
        static let path = FieldKey("path")
        static let cmdline = FieldKey("cmdline")
        static let cwd = FieldKey("cwd")
        static let uid = FieldKey("uid")
        static let auid = FieldKey("auid")
        static let euid = FieldKey("euid")
        static let gid = FieldKey("gid")
        static let parent = FieldKey("parent")
        static let name = FieldKey("name")
        static let time = FieldKey("time")
        static let remoteAddress = FieldKey("remote_address")
        static let remotePort = FieldKey("remote_port")
        static let localAddress = FieldKey("local_address")
        static let localPort = FieldKey("local_port")
        static let family = FieldKey("family")
        static let proto = FieldKey("protocol")
        static let actionColumn = FieldKey("action")
    }

    enum Table { case processEvents, socketEvents, processes, other }

    static let maxRecordBytes = 16 << 20
    static let maxRows = 100_000
    static let dataset: FieldValue = .string("osquery.result")

    let interner = FieldKeyInterner()

    /// `field_names_refused`: column names the registry refused (kept under
    /// `sluice.overflow_fields`).
    public var counters: [(name: String, value: Int)] { [("field_names_refused", interner.refused)] }

    public init() {}
    public convenience init(options o: ComponentOptions) { self.init() }

    public func parse(_ record: ArraySlice<UInt8>, event: consuming Event, into output: inout [Event]) throws {
        guard record.count <= Self.maxRecordBytes else {
            throw ParseFailure("too_long", "record of \(record.count) bytes exceeds \(Self.maxRecordBytes)")
        }
        var name: String?
        var host: String?
        var unixTime: Int64?
        var action: String?
        var counter: FieldValue?
        var epoch: FieldValue?
        var decorations: FieldValue?
        var rows: [(action: String?, columns: [Field])] = []
        func addRows(_ v: FieldValue, action: String?) throws {
            guard case .array(let items) = v else { return }
            for item in items {
                guard case .object(let cols) = item else { continue }
                guard rows.count < Self.maxRows else { throw ParseFailure("too_many_rows", "more than \(Self.maxRows) rows") }
                rows.append((action, cols))
            }
        }
        try record.withUnsafeBufferPointer { b in
            var s = JSONScanner(b)
            guard let first = s.peek() else { throw ParseFailure("empty_record", "empty line") }
            guard first == UInt8(ascii: "{") else { throw ParseFailure("not_an_object", "expected a JSON object") }
            do {
                try s.readObject { (s, key) in
                    let k = key
                    func eq(_ lit: StaticString) -> Bool { ByteText.equals(k, 0..<k.count, lit) }
                    if eq("name") { name = try s.readValue(interner: self.interner).text }
                    else if eq("hostIdentifier") { host = try s.readValue(interner: self.interner).text }
                    else if eq("unixTime") { unixTime = try s.readValue(interner: self.interner).intValue }
                    else if eq("action") { action = try s.readValue(interner: self.interner).text }
                    else if eq("counter") { counter = try s.readValue(interner: self.interner) }
                    else if eq("epoch") { epoch = try s.readValue(interner: self.interner) }
                    else if eq("decorations") { decorations = try s.readValue(interner: self.interner) }
                    else if eq("columns") {
                        if case .object(let cols) = try s.readValue(interner: self.interner) { rows.append((nil, cols)) }
                    } else if eq("snapshot") {
                        try addRows(try s.readValue(interner: self.interner), action: "snapshot")
                    } else if eq("diffResults") {
                        if case .object(let parts) = try s.readValue(interner: self.interner) {
                            for p in parts {
                                let a = p.key.path
                                try addRows(p.value, action: a == "added" || a == "removed" ? a : nil)
                            }
                        }
                    } else { try s.skipValue() }
                }
                s.skipWhitespace()
                guard s.atEnd else { throw s.error("unexpected data after the object") }
            } catch let err as JSONError {
                throw ParseFailure("invalid_json", err.description)
            }
        }
        guard let name else { throw ParseFailure("missing_field", "no \"name\"") }
        guard !rows.isEmpty else {
            if action != nil { return }  // an empty snapshot or diff: no rows, no event
            throw ParseFailure("missing_field", "no \"columns\", \"snapshot\" or \"diffResults\"")
        }
        let nameTable = Self.table(named: name)
        for row in rows {
            var e = copy event
            let fresh = e.fields.isEmpty
            e.fields.reserveCapacity(e.fields.count + 20)
            if let t = unixTime, t > 0, t < 9_000_000_000 { e.timestamp = t * 1_000_000_000 }
            e.put(ECS.eventDataset, Self.dataset, fresh: fresh)
            e.put(Keys.queryName, .string(name), fresh: fresh)
            let rowAction = row.action ?? action
            if let a = rowAction { e.put(Keys.action, .string(a), fresh: fresh) }
            if let host { e.put(ECS.hostName, host, fresh: fresh) }
            if let counter { e.put(Keys.counter, counter, fresh: fresh) }
            if let epoch { e.put(Keys.epoch, epoch, fresh: fresh) }
            if let decorations, case .object(let d) = decorations, !d.isEmpty { e.put(Keys.decorations, decorations, fresh: fresh) }
            let table = nameTable != .other ? nameTable : Self.table(columns: row.columns)
            map(row.columns, table: table, action: rowAction, &e)
            output.append(consume e)
        }
    }

    static func table(named name: String) -> Table {
        func matches(_ t: String) -> Bool { name == t || name.hasSuffix("_" + t) || name.hasSuffix("/" + t) }
        if matches("process_events") { return .processEvents }
        if matches("socket_events") { return .socketEvents }
        if matches("processes") { return .processes }
        return .other
    }

    static func table(columns: [Field]) -> Table {
        func has(_ k: FieldKey) -> Bool { columns.contains { $0.key == k } }
        if has(Keys.remoteAddress), has(Keys.pid) { return .socketEvents }
        if has(Keys.pid), has(Keys.path), has(Keys.cmdline) { return has(Keys.time) ? .processEvents : .processes }
        return .other
    }

    private func map(_ columns: [Field], table: Table, action: String?, _ e: inout Event) {
        func text(_ v: FieldValue) -> String? { v.text.flatMap { $0.isEmpty ? nil : $0 } }
        func int(_ v: FieldValue) -> Int64? { v.intValue }
        var path: String?
        var name: String?
        for f in columns {
            let v = f.value
            var mapped = true
            switch (table, f.key) {
            case (.other, _): mapped = false
            case (_, Keys.pid): if let n = int(v) { e[ECS.processPID] = .int(n) } else { mapped = false }
            case (_, Keys.path): path = text(v); if let p = path { e[ECS.processExecutable] = .string(p) }
            case (.processEvents, Keys.cmdline), (.processes, Keys.cmdline):
                if let t = text(v) { e[ECS.processCommandLine] = .string(t) }
            case (.processEvents, Keys.cwd), (.processes, Keys.cwd):
                if let t = text(v) { e[ECS.processWorkingDirectory] = .string(t) }
            case (.processEvents, Keys.parent), (.processes, Keys.parent):
                if let n = int(v) { e[ECS.processParentPID] = .int(n) } else { mapped = false }
            case (.processEvents, Keys.uid), (.processes, Keys.uid):
                if let t = text(v) { e[ECS.userID] = .string(t) }
            case (.processEvents, Keys.auid):
                if let t = text(v), t != "4294967295" { e[Keys.userAuditID] = .string(t) }
            case (.processEvents, Keys.euid), (.processes, Keys.euid):
                if let t = text(v) { e[Keys.effectiveUserID] = .string(t) }
            case (.processEvents, Keys.gid), (.processes, Keys.gid):
                if let t = text(v) { e[Keys.groupID] = .string(t) }
            case (.processes, Keys.name): name = text(v)
            case (.processEvents, Keys.time), (.socketEvents, Keys.time):
                if let t = int(v), t > 0, t < 9_000_000_000 { e.timestamp = t * 1_000_000_000 }
                mapped = false
            case (.socketEvents, Keys.remoteAddress): if let t = text(v) { e[ECS.destinationIP] = .string(t) }
            case (.socketEvents, Keys.remotePort): if let n = int(v) { e[ECS.destinationPort] = .int(n) }
            case (.socketEvents, Keys.localAddress): if let t = text(v) { e[ECS.sourceIP] = .string(t) }
            case (.socketEvents, Keys.localPort): if let n = int(v) { e[ECS.sourcePort] = .int(n) }
            case (.socketEvents, Keys.proto):
                switch int(v) { case 6: e[Keys.transport] = .string("tcp"); case 17: e[Keys.transport] = .string("udp"); default: mapped = false }
            case (.socketEvents, Keys.family):
                switch int(v) { case 2: e[Keys.networkType] = .string("ipv4"); case 10: e[Keys.networkType] = .string("ipv6"); default: mapped = false }
            case (.socketEvents, Keys.actionColumn): if let t = text(v) { e[ECS.eventAction] = .string(t) }
            default: mapped = false
            }
            if !mapped {
                var column = f.key.path
                if let k = column.withUTF8({ interner.key($0, under: Keys.columns) }) { e[k] = v }
                else { OverflowFields.add([("osquery.columns." + column, v)], to: &e) }
            }
        }
        if let n = name ?? path.map(SysmonLinuxParser.basename) { e[ECS.processName] = .string(n) }
        switch table {
        case .processEvents:
            e[ECS.eventCategory] = .array([.string("process")])
            e[ECS.eventType] = .array([.string(action == "removed" ? "end" : "start")])
        case .processes:
            e[ECS.eventCategory] = .array([.string("process")])
            e[ECS.eventType] = .array([.string(action == "removed" ? "end" : action == "added" ? "start" : "info")])
        case .socketEvents:
            e[ECS.eventCategory] = .array([.string("network")])
            e[ECS.eventType] = .array([.string(action == "removed" ? "end" : "connection")])
        case .other: break
        }
    }
}
