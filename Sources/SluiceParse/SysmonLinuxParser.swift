import SluiceCore

/// `sysmon-linux`: Sysmon for Linux events, the `<Event>…</Event>` XML it writes to syslog
/// (anything before `<Event` — a syslog header such as `Nov 23 02:08:35 host1 sysmon: ` —
/// is skipped). Read with a small byte-level scanner for exactly this shape (elements,
/// attributes, text, the five predefined entities and numeric character references); no
/// Foundation XML.
///
/// Mapped: event 1 (process create), 5 (process terminate), 3 (network connect), 11 (file
/// create), 23 (file delete archived), 26 (file delete logged) to `process.*`,
/// `process.parent.*`, `user.name`, `host.name` (`Computer`), `source.*`, `destination.*`,
/// `network.transport`, `file.*`, `event.code`, `event.category`/`event.type`/`event.action`.
/// Every other `<Data Name="X">` is kept as `sysmon.X`. Event time: `UtcTime` (UTC), else
/// `TimeCreated/@SystemTime`.
/// Bounds: records above 256 KiB fail (`too_long`); at most 128 `Data` elements are read.
/// Failures: `empty_record`, `too_long`, `not_sysmon` (no `<Event`), `truncated` (no
/// `</Event>`), `invalid_xml`, `missing_field` (no `EventID`).
public final class SysmonLinuxParser: Parser {
    enum Keys {
        static let entityID = FieldKey("process.entity_id")
        static let parentEntityID = FieldKey("process.parent.entity_id")
        static let parentExecutable = FieldKey("process.parent.executable")
        static let parentName = FieldKey("process.parent.name")
        static let parentCommandLine = FieldKey("process.parent.command_line")
        static let parentUser = FieldKey("process.parent.user.name")
        static let hashSHA256 = FieldKey("process.hash.sha256")
        static let hashSHA1 = FieldKey("process.hash.sha1")
        static let hashMD5 = FieldKey("process.hash.md5")
        static let fileName = FieldKey("file.name")
        static let fileDirectory = FieldKey("file.directory")
        static let fileHashSHA256 = FieldKey("file.hash.sha256")
        static let transport = FieldKey("network.transport")
        static let direction = FieldKey("network.direction")
        static let eventCode = FieldKey("event.code")
        static let provider = FieldKey("event.provider")
        static let recordID = FieldKey("sysmon.record_id")
        static let sysmon = FieldKey("sysmon")
        static let sourcePortName = FieldKey("sysmon.SourcePortName")
    }

    static let maxRecordBytes = 256 * 1024
    static let maxData = 128
    static let dataset: FieldValue = .string("sysmon_linux")

    let interner = FieldKeyInterner()

    /// `field_names_refused`: `Data` names the registry refused (kept under
    /// `sluice.overflow_fields`).
    public var counters: [(name: String, value: Int)] { [("field_names_refused", interner.refused)] }
    private var scratch: [UInt8] = []

    public init() {}
    public convenience init(options o: ComponentOptions) { self.init() }

    public func parse(_ record: ArraySlice<UInt8>, event: consuming Event, into output: inout [Event]) throws {
        try RecordCursor.parseLine(record, event: event, maxBytes: Self.maxRecordBytes, fields: 28, into: &output) { c, e, fresh in
            let b = c.bytes
            guard let start = c.find("<Event", from: 0) else { throw ParseFailure("not_sysmon", "no <Event> element") }
            guard c.find("</Event>", from: start) != nil else { throw ParseFailure("truncated", "no </Event>") }
            var eventID: Int64?
            var computer: String?
            var systemTime: Range<Int>?
            var recordID: Int64?
            var provider: String?
            var data: [(name: Range<Int>, value: Range<Int>)] = []
            var i = start
            while i < c.end {
                guard let lt = Self.next(b, UInt8(ascii: "<"), from: i, to: c.end) else { break }
                guard lt + 1 < c.end else { throw ParseFailure("invalid_xml", "'<' at the end") }
                let first = b[lt + 1]
                if first == UInt8(ascii: "/") || first == UInt8(ascii: "?") || first == UInt8(ascii: "!") {
                    guard let gt = Self.next(b, UInt8(ascii: ">"), from: lt, to: c.end) else { throw ParseFailure("invalid_xml", "unterminated tag") }
                    i = gt + 1
                    continue
                }
                var nameEnd = lt + 1
                while nameEnd < c.end, b[nameEnd] != 0x20, b[nameEnd] != UInt8(ascii: ">"), b[nameEnd] != UInt8(ascii: "/"),
                      b[nameEnd] != 0x09, b[nameEnd] != 0x0A { nameEnd += 1 }
                let name = (lt + 1)..<nameEnd
                // Find the tag's end, skipping quoted attribute values.
                var gt = nameEnd
                var quote: UInt8 = 0
                while gt < c.end {
                    let ch = b[gt]
                    if quote != 0 { if ch == quote { quote = 0 } }
                    else if ch == UInt8(ascii: "\"") || ch == UInt8(ascii: "'") { quote = ch }
                    else if ch == UInt8(ascii: ">") { break }
                    gt += 1
                }
                guard gt < c.end else { throw ParseFailure("invalid_xml", "unterminated tag") }
                let selfClosing = b[gt - 1] == UInt8(ascii: "/")
                let attrs = nameEnd..<(selfClosing ? gt - 1 : gt)
                var content = (gt + 1)..<(gt + 1)
                if !selfClosing {
                    let ce = Self.next(b, UInt8(ascii: "<"), from: gt + 1, to: c.end) ?? c.end
                    content = (gt + 1)..<ce
                }
                i = content.upperBound
                if ByteText.equals(b, name, "Data") {
                    guard data.count < Self.maxData, let n = Self.attribute(b, attrs, "Name") else { continue }
                    data.append((n, content))
                } else if ByteText.equals(b, name, "EventID") {
                    eventID = ByteText.uint(b, Self.trimmed(b, content))
                } else if ByteText.equals(b, name, "Computer") {
                    computer = decode(b, content)
                } else if ByteText.equals(b, name, "TimeCreated") {
                    systemTime = Self.attribute(b, attrs, "SystemTime")
                } else if ByteText.equals(b, name, "EventRecordID") {
                    recordID = ByteText.uint(b, Self.trimmed(b, content))
                } else if ByteText.equals(b, name, "Provider") {
                    provider = Self.attribute(b, attrs, "Name").map { decode(b, $0) }
                }
            }
            guard let id = eventID else { throw ParseFailure("missing_field", "no <EventID>") }

            e.put(ECS.eventDataset, Self.dataset, fresh: fresh)
            e.put(Keys.eventCode, .string(String(id)), fresh: fresh)
            if let provider { e.put(Keys.provider, provider, fresh: fresh) }
            if let computer { e.put(ECS.hostName, computer, fresh: fresh) }
            if let recordID { e.put(Keys.recordID, .int(recordID), fresh: fresh) }
            let (category, type, action): (String?, String?, String?)
            switch id {
            case 1: (category, type, action) = ("process", "start", "process-create")
            case 5: (category, type, action) = ("process", "end", "process-terminate")
            case 3: (category, type, action) = ("network", "connection", "network-connection")
            case 11: (category, type, action) = ("file", "creation", "file-create")
            case 23: (category, type, action) = ("file", "deletion", "file-delete")
            case 26: (category, type, action) = ("file", "deletion", "file-delete-detected")
            default: (category, type, action) = (nil, nil, nil)
            }
            if let category { e.put(ECS.eventCategory, .array([.string(category)]), fresh: fresh) }
            if let type { e.put(ECS.eventType, .array([.string(type)]), fresh: fresh) }
            if let action { e.put(ECS.eventAction, .string(action), fresh: fresh) }

            var haveTime = false
            let isFile = id == 11 || id == 23 || id == 26
            for (nameR, valueR) in data {
                let raw = Self.trimmed(b, valueR)
                if raw.isEmpty || ByteText.isDash(b, raw) { continue }
                let value = decode(b, raw)
                switch ByteText.string(b, nameR) {
                case "UtcTime":
                    if let t = ByteText.rfc3339(Array(value.utf8)) { e.timestamp = t; haveTime = true }
                case "ProcessGuid": e[Keys.entityID] = .string(value)
                case "ProcessId": if let n = Int64(value) { e[ECS.processPID] = .int(n) }
                case "Image":
                    e[ECS.processExecutable] = .string(value)
                    e[ECS.processName] = .string(Self.basename(value))
                case "CommandLine": e[ECS.processCommandLine] = .string(value)
                case "CurrentDirectory": e[ECS.processWorkingDirectory] = .string(value)
                case "User": e[ECS.userName] = .string(value)
                case "ParentProcessGuid": e[Keys.parentEntityID] = .string(value)
                case "ParentProcessId": if let n = Int64(value) { e[ECS.processParentPID] = .int(n) }
                case "ParentImage":
                    e[Keys.parentExecutable] = .string(value)
                    e[Keys.parentName] = .string(Self.basename(value))
                case "ParentCommandLine": e[Keys.parentCommandLine] = .string(value)
                case "ParentUser": e[Keys.parentUser] = .string(value)
                case "Hashes": putHashes(value, isFile: isFile, &e)
                case "Protocol": e[Keys.transport] = .string(value.lowercased())
                case "Initiated": e[Keys.direction] = .string(value == "true" ? "egress" : "ingress")
                case "SourceIp": e[ECS.sourceIP] = .string(value)
                case "SourceHostname": e[ECS.sourceDomain] = .string(value)
                case "SourcePort": if let n = Int64(value) { e[ECS.sourcePort] = .int(n) }
                case "DestinationIp": e[ECS.destinationIP] = .string(value)
                case "DestinationHostname": e[ECS.destinationDomain] = .string(value)
                case "DestinationPort": if let n = Int64(value) { e[ECS.destinationPort] = .int(n) }
                case "TargetFilename":
                    e[ECS.fileP] = .string(value)
                    e[Keys.fileName] = .string(Self.basename(value))
                    if let slash = value.lastIndex(of: "/"), slash != value.startIndex {
                        e[Keys.fileDirectory] = .string(String(value[..<slash]))
                    }
                case "RuleName": e[ECS.ruleName] = .string(value)
                default:
                    if let k = interner.key(UnsafeBufferPointer(rebasing: b[nameR]), under: Keys.sysmon) { e[k] = .string(value) }
                    else { OverflowFields.add([("sysmon." + String(decoding: UnsafeBufferPointer(rebasing: b[nameR]), as: UTF8.self), .string(value))], to: &e) }
                }
            }
            if !haveTime, let st = systemTime, let t = ByteText.rfc3339(Array(UnsafeBufferPointer(rebasing: b[st]))) { e.timestamp = t }
        }
    }

    private func putHashes(_ v: String, isFile: Bool, _ e: inout Event) {
        for part in v.split(separator: ",") {
            guard let eq = part.firstIndex(of: "=") else { continue }
            let alg = part[..<eq].uppercased()
            let hex = String(part[part.index(after: eq)...]).lowercased()
            switch alg {
            case "SHA256": e[isFile ? Keys.fileHashSHA256 : Keys.hashSHA256] = .string(hex)
            case "SHA1": if !isFile { e[Keys.hashSHA1] = .string(hex) }
            case "MD5": if !isFile { e[Keys.hashMD5] = .string(hex) }
            default: break
            }
        }
    }

    static func basename(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        let rest = path[path.index(after: slash)...]
        return rest.isEmpty ? path : String(rest)
    }

    @inline(__always)
    static func next(_ b: UnsafeBufferPointer<UInt8>, _ ch: UInt8, from: Int, to: Int) -> Int? {
        var i = from
        while i < to { if b[i] == ch { return i }; i += 1 }
        return nil
    }

    static func trimmed(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Range<Int> {
        var s = r.lowerBound, e = r.upperBound
        while s < e, b[s] == 0x20 || b[s] == 0x0A || b[s] == 0x0D || b[s] == 0x09 { s += 1 }
        while e > s, b[e - 1] == 0x20 || b[e - 1] == 0x0A || b[e - 1] == 0x0D || b[e - 1] == 0x09 { e -= 1 }
        return s..<e
    }

    /// The value range of attribute `name` (`name="…"` or `name='…'`) within `attrs`.
    static func attribute(_ b: UnsafeBufferPointer<UInt8>, _ attrs: Range<Int>, _ name: StaticString) -> Range<Int>? {
        var i = attrs.lowerBound
        let n = name.utf8CodeUnitCount
        while i < attrs.upperBound {
            while i < attrs.upperBound, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A { i += 1 }
            let ks = i
            while i < attrs.upperBound, b[i] != UInt8(ascii: "="), b[i] != 0x20 { i += 1 }
            let key = ks..<i
            while i < attrs.upperBound, b[i] == 0x20 { i += 1 }
            guard i < attrs.upperBound, b[i] == UInt8(ascii: "=") else { return nil }
            i += 1
            while i < attrs.upperBound, b[i] == 0x20 { i += 1 }
            guard i < attrs.upperBound, b[i] == UInt8(ascii: "\"") || b[i] == UInt8(ascii: "'") else { return nil }
            let q = b[i]
            let vs = i + 1
            var j = vs
            while j < attrs.upperBound, b[j] != q { j += 1 }
            guard j < attrs.upperBound else { return nil }
            if key.count == n, ByteText.equals(b, key, name) { return vs..<j }
            i = j + 1
        }
        return nil
    }

    /// Text with XML entities decoded (`&lt; &gt; &amp; &quot; &apos; &#N; &#xH;`); an
    /// unknown entity is kept as written.
    func decode(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        guard Self.next(b, UInt8(ascii: "&"), from: r.lowerBound, to: r.upperBound) != nil else { return ByteText.string(b, r) }
        scratch.removeAll(keepingCapacity: true)
        var i = r.lowerBound
        while i < r.upperBound {
            let ch = b[i]
            guard ch == UInt8(ascii: "&"), let semi = Self.next(b, UInt8(ascii: ";"), from: i + 1, to: min(r.upperBound, i + 12)) else {
                scratch.append(ch); i += 1; continue
            }
            let ent = (i + 1)..<semi
            var out: UInt32?
            if ByteText.equals(b, ent, "lt") { out = 0x3C }
            else if ByteText.equals(b, ent, "gt") { out = 0x3E }
            else if ByteText.equals(b, ent, "amp") { out = 0x26 }
            else if ByteText.equals(b, ent, "quot") { out = 0x22 }
            else if ByteText.equals(b, ent, "apos") { out = 0x27 }
            else if ent.count >= 2, b[ent.lowerBound] == UInt8(ascii: "#") {
                if b[ent.lowerBound + 1] == UInt8(ascii: "x") || b[ent.lowerBound + 1] == UInt8(ascii: "X") {
                    var v: UInt32 = 0
                    var ok = ent.count > 2
                    for k in (ent.lowerBound + 2)..<ent.upperBound {
                        guard let h = ByteText.hexValue(b[k]) else { ok = false; break }
                        v = v << 4 | UInt32(h)
                    }
                    if ok { out = v }
                } else if let v = ByteText.uint(b, (ent.lowerBound + 1)..<ent.upperBound), v < 0x110000 {
                    out = UInt32(v)
                }
            }
            if let cp = out {
                let scalar = Unicode.Scalar(cp) ?? "\u{FFFD}"
                scratch.append(contentsOf: UTF8.encode(scalar)!)
                i = semi + 1
            } else {
                scratch.append(ch); i += 1
            }
        }
        return String(decoding: scratch, as: UTF8.self)
    }
}
