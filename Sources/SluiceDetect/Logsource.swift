import SluiceCore

/// A rule's `logsource` as written.
public struct LogsourceSpec: Sendable, Hashable, CustomStringConvertible {
    public var category: String?
    public var product: String?
    public var service: String?
    public init(category: String? = nil, product: String? = nil, service: String? = nil) {
        self.category = category?.lowercased(); self.product = product?.lowercased(); self.service = service?.lowercased()
    }
    public var description: String {
        [category.map { "category: \($0)" }, product.map { "product: \($0)" }, service.map { "service: \($0)" }]
            .compactMap { $0 }.joined(separator: ", ")
    }
}

/// Which events a rule sees: every class bit in `classes` set on the event, and, for Linux
/// services, the syslog app name / process name (or the auth facility).
///
/// Guarantees: the DESIGN.md table ("Which events a rule sees") and nothing else; a
/// logsource outside it resolves to `nil` (the rule is skipped as `logsource not mapped`).
public struct LogsourceSelector: Sendable, Hashable {
    public var classes: EventClass
    /// Linux syslog service name to match (`log.syslog.appname` or `process.name`).
    public var service: String?
    /// `service: auth`: facility auth (4) or authpriv (10).
    public var authFacility: Bool
}

/// Event classes computed once per event (see `EventClassifier`).
public struct EventClass: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let processCreation = EventClass(rawValue: 1 << 0)
    public static let networkConnection = EventClass(rawValue: 1 << 1)
    public static let proxy = EventClass(rawValue: 1 << 2)
    public static let dns = EventClass(rawValue: 1 << 3)
    public static let zeekDNS = EventClass(rawValue: 1 << 4)
    public static let githubAudit = EventClass(rawValue: 1 << 5)
    public static let auditd = EventClass(rawValue: 1 << 6)
    public static let linux = EventClass(rawValue: 1 << 7)
    public static let syslog = EventClass(rawValue: 1 << 8)
    public static let sluiceAlert = EventClass(rawValue: 1 << 9)
    public static let zeek = EventClass(rawValue: 1 << 10)
    /// Any event at all (rules built by tests and extensions that name no logsource).
    public static let any = EventClass(rawValue: 1 << 31)
}

/// The logsource table and the field-name table of DESIGN.md.
public enum LogsourceMap {
    public static let processCreation: [String: String] = [
        "Image": "process.executable", "CommandLine": "process.command_line",
        "ParentImage": "process.parent.executable", "ParentCommandLine": "process.parent.command_line",
        "User": "user.name", "CurrentDirectory": "process.working_directory",
        "ProcessId": "process.pid", "ParentProcessId": "process.parent.pid", "LogonId": "user.id",
    ]
    public static let networkConnection: [String: String] = [
        "Image": "process.executable", "DestinationIp": "destination.ip", "DestinationPort": "destination.port",
        "DestinationHostname": "destination.domain", "SourceIp": "source.ip", "SourcePort": "source.port",
        "Initiated": "network.direction", "User": "user.name",
    ]
    public static let proxy: [String: String] = [
        "c-uri": "url.full", "c-uri-stem": "url.path", "c-uri-query": "url.query", "c-uri-extension": "url.extension",
        "c-useragent": "user_agent.original", "cs-host": "url.domain", "cs-method": "http.request.method",
        "cs-referrer": "http.request.referrer", "sc-status": "http.response.status_code", "src_ip": "source.ip",
        "dst_ip": "destination.ip", "cs-bytes": "source.bytes", "sc-bytes": "destination.bytes", "r-dns": "destination.domain",
    ]
    public static let dns: [String: String] = [
        "query": "dns.question.name", "record_type": "dns.question.type", "answer": "dns.answers.data",
        "src_ip": "source.ip", "dst_ip": "destination.ip",
    ]
    public static let zeekDNS: [String: String] = [
        "query": "dns.question.name", "qtype_name": "dns.question.type", "rcode_name": "dns.response_code",
        "answers": "dns.answers.data", "id.orig_h": "source.ip", "id.resp_h": "destination.ip",
    ]
    public static let githubAudit: [String: String] = [
        "action": "event.action", "actor": "user.name", "actor_ip": "source.ip", "repo": "github.repo", "org": "github.org",
    ]

    /// Linux service names accepted with `product: linux` (matched against the syslog app
    /// name or process name); `auth` is the facility.
    static let knownLinuxServices: Set<String> = [
        "syslog", "auth", "sshd", "sudo", "cron", "crond", "su", "systemd", "kernel", "clamav", "vsftpd",
        "guacamole", "auditd", "sshd-session", "login", "passwd", "useradd", "usermod", "groupadd", "polkitd",
        "dbus", "named", "dnsmasq", "squid", "nginx", "apache2", "httpd", "postfix", "rsyslogd", "docker",
        "containerd", "kubelet", "gitlab", "git", "github-runner",
    ]

    /// Resolves a logsource to its selector and field table, or the reason it is not mapped.
    public static func resolve(_ ls: LogsourceSpec) -> Result<(LogsourceSelector, [String: String]), RuleIssue> {
        func sel(_ c: EventClass, service: String? = nil, auth: Bool = false) -> LogsourceSelector {
            LogsourceSelector(classes: c, service: service, authFacility: auth)
        }
        let notMapped = RuleIssue.logsourceNotMapped(ls.description)
        switch (ls.category, ls.product, ls.service) {
        case ("process_creation", nil, nil): return .success((sel(.processCreation), processCreation))
        case ("process_creation", "linux", nil): return .success((sel([.processCreation, .linux]), processCreation))
        case ("network_connection", nil, nil): return .success((sel(.networkConnection), networkConnection))
        case ("network_connection", "linux", nil): return .success((sel([.networkConnection, .linux]), networkConnection))
        case ("proxy", nil, nil): return .success((sel(.proxy), proxy))
        case ("dns", nil, nil): return .success((sel(.dns), dns))
        case ("dns", "zeek", nil), (nil, "zeek", "dns"), ("dns", "zeek", "dns"): return .success((sel(.zeekDNS), zeekDNS))
        case (nil, "zeek", nil): return .success((sel(.zeek), [:]))
        case (nil, "github", "audit"), (nil, "github", nil), ("application", "github", "audit"), ("application", "github", nil):
            return .success((sel(.githubAudit), githubAudit))
        case (nil, "linux", "auditd"): return .success((sel(.auditd), [:]))
        case (nil, "linux", nil): return .success((sel(.linux), [:]))
        case (nil, "linux", "auth"): return .success((sel(.syslog, auth: true), [:]))
        case (nil, "linux", "syslog"): return .success((sel(.syslog), [:]))
        case (nil, "linux", let s?) where knownLinuxServices.contains(s): return .success((sel(.syslog, service: s), [:]))
        case (nil, "sluice", "alert"), (nil, "sluice", "alerts"): return .success((sel(.sluiceAlert), [:]))
        default: return .failure(notMapped)
        }
    }
}

/// Computes an event's classes and vendor namespaces. One per engine (not thread-safe: it
/// caches dataset lookups).
final class EventClassifier {
    static let kind = ECS.eventKind
    static let category = ECS.eventCategory
    static let type = ECS.eventType
    static let dataset = ECS.eventDataset
    static let dnsName = ECS.dnsQuestionName
    static let appName = ECS.logSyslogAppName
    static let facility = ECS.logSyslogFacility
    static let journaldTransport = FieldKey("journald.transport")
    static let datasetPath = FieldPath("event.dataset")
    static let categoryPath = FieldPath("event.category")
    static let typePath = FieldPath("event.type")
    static let dnsPath = FieldPath("dns.question.name")
    static let appNamePath = FieldPath("log.syslog.appname")
    static let facilityPath = FieldPath("log.syslog.facility.code")
    static let processNamePath = FieldPath("process.name")

    /// The values at `p` (flat or nested), spans resolved.
    static func values(_ p: FieldPath, _ e: Event, _ index: FieldIndex) -> [FieldValue] {
        var out: [FieldValue] = []
        p.forEach(e, index) { v, e in out.append(e.resolved(v)); return false }
        return out
    }

    /// The keys and paths `classify` reads, held by the instance: a static is checked for its
    /// one-time initialization on every read (fifteen checks an event).
    private let keys = Keys()
    private struct Keys {
        let dataset = EventClassifier.dataset, category = EventClassifier.category, type = EventClassifier.type
        let dnsName = EventClassifier.dnsName, appName = EventClassifier.appName, facility = EventClassifier.facility
        let journaldTransport = EventClassifier.journaldTransport
        let datasetPath = EventClassifier.datasetPath, categoryPath = EventClassifier.categoryPath, typePath = EventClassifier.typePath
        let dnsPath = EventClassifier.dnsPath, appNamePath = EventClassifier.appNamePath, facilityPath = EventClassifier.facilityPath
    }

    /// Per dataset text: classes and namespace index (bounded cache).
    private var datasetCache: [String: (EventClass, Int)] = [:]
    /// Vendor namespaces ("github", "zeek", "auditd", …); index 0 is "no namespace".
    private(set) var namespaces: [[String]] = [[]]
    private var namespaceIndex: [String: Int] = [:]

    func classify(_ e: Event, index: FieldIndex) -> (EventClass, Int) {
        if e.alert != nil { return ([.sluiceAlert, .any], 0) }
        var c: EventClass = .any
        var ns = 0
        if let v = Self.first(keys.dataset, keys.datasetPath, e, index) {
            let ds: String?
            switch v {
            case .string(let s): ds = s
            case .span(let sp): ds = e.text(sp)
            default: ds = nil
            }
            if let ds {
                let (dc, n) = datasetInfo(ds)
                c.formUnion(dc); ns = n
            }
        }
        if let cats = Self.all(keys.category, keys.categoryPath, e, index) {
            let cw = Self.words(cats, e)
            if cw.contains(.web) { c.insert(.proxy) }
            if !cw.isDisjoint(with: [.process, .network]), let t = Self.all(keys.type, keys.typePath, e, index) {
                let tw = Self.words(t, e)
                if cw.contains(.process), tw.contains(.start) { c.insert(.processCreation) }
                if cw.contains(.network), !tw.isDisjoint(with: [.connection, .start]) { c.insert(.networkConnection) }
            }
        }
        if Self.first(keys.dnsName, keys.dnsPath, e, index) != nil { c.insert(.dns) }
        if index.slot(keys.journaldTransport) != nil || Self.first(keys.appName, keys.appNamePath, e, index) != nil
            || Self.first(keys.facility, keys.facilityPath, e, index) != nil {
            c.insert(.syslog); c.insert(.linux)
        }
        return (c, ns)
    }

    /// The value of a flat key, else the first value found nested (`json` format events).
    @inline(__always)
    static func first(_ k: FieldKey, _ p: FieldPath, _ e: Event, _ index: FieldIndex) -> FieldValue? {
        value(k, p, e, index, firstOnly: true)
    }

    /// The value of a flat key, else every value found nested (a list when there are
    /// several: `event.category: [network, web]` inside an `event` object is both).
    static func all(_ k: FieldKey, _ p: FieldPath, _ e: Event, _ index: FieldIndex) -> FieldValue? {
        value(k, p, e, index, firstOnly: false)
    }

    /// `first` (`firstOnly`) or `all`: the nested lookup runs only when a top-level key the
    /// path could be nested under is there.
    @inline(__always)
    private static func value(_ k: FieldKey, _ p: FieldPath, _ e: Event, _ index: FieldIndex, firstOnly: Bool) -> FieldValue? {
        if let i = index.slot(k) { return e.fields[i].value }
        var nested = false
        for s in p.splits.dropFirst() where index.slot(s.top) != nil { nested = true; break }
        guard nested else { return nil }
        var out: [FieldValue] = []
        p.forEach(e, index) { v, _ in out.append(v); return firstOnly }
        return out.count > 1 ? .array(out) : out.first
    }

    /// The `event.category` and `event.type` words the classes are made of.
    struct Words: OptionSet {
        let rawValue: UInt8
        static let process = Words(rawValue: 1), network = Words(rawValue: 2), web = Words(rawValue: 4)
        static let start = Words(rawValue: 8), connection = Words(rawValue: 16)
    }

    /// The words a value (text or list of texts) is, without regard to case: text is read
    /// where it lies (a span in the record, a string's own bytes) in one pass for all the
    /// words, folding ASCII case; only text holding other bytes is lowercased as Unicode.
    static func words(_ v: FieldValue, _ e: Event) -> Words {
        switch v {
        case .string(var s):
            return s.withUTF8 { word($0) } ?? word(s.lowercased())
        case .span(let sp):
            return e.withBytes(sp) { word($0) } ?? word(e.text(sp).lowercased())
        case .array(let items):
            var w: Words = []
            for it in items { w.formUnion(words(it, e)) }
            return w
        default: return []
        }
    }

    /// The word `a` is with ASCII letters lowercased; nil when `a` holds a byte of 0x80 or
    /// more (Unicode lowercasing can change its length: the Kelvin sign becomes `k`).
    @inline(__always)
    static func word(_ a: UnsafeBufferPointer<UInt8>) -> Words? {
        var folded: UInt128 = 0   // up to 16 bytes, ASCII case folded, byte i at bits 8i
        var shift: UInt128 = 0
        for c in a {
            if c >= 0x80 { return nil }
            if shift < 128 { folded |= UInt128(c &- 0x41 < 26 ? c | 0x20 : c) << shift }
            shift &+= 8
        }
        // The length too: a NUL byte packs as nothing (`process\0` is not `process`).
        switch (a.count, folded) {
        case (7, Self.foldedProcess): return .process
        case (7, Self.foldedNetwork): return .network
        case (3, Self.foldedWeb): return .web
        case (5, Self.foldedStart): return .start
        case (10, Self.foldedConnection): return .connection
        default: return []
        }
    }

    /// The word a lowercased text is.
    static func word(_ lowered: String) -> Words {
        var t = lowered
        return t.withUTF8 { b in word(b) } ?? []
    }

    /// The words as `word(_:)` packs them (byte i at bits 8i): literals, so matching reads
    /// no global (FieldLookupTests checks them against the packing of each word).
    static let foldedProcess: UInt128 = 0x737365636f7270, foldedNetwork: UInt128 = 0x6b726f7774656e
    static let foldedWeb: UInt128 = 0x626577, foldedStart: UInt128 = 0x7472617473
    static let foldedConnection: UInt128 = 0x6e6f697463656e6e6f63

    private func datasetInfo(_ ds: String) -> (EventClass, Int) {
        // A stream has few datasets: the last few are compared before hashing.
        for r in recentDatasets where r.name == ds { return (r.classes, r.ns) }
        let info = datasetInfoHashed(ds)
        if recentDatasets.count >= 4 { recentDatasets.removeFirst() }
        recentDatasets.append((ds, info.0, info.1))
        return info
    }

    private var recentDatasets: [(name: String, classes: EventClass, ns: Int)] = []

    private func datasetInfoHashed(_ ds: String) -> (EventClass, Int) {
        if let hit = datasetCache[ds] { return hit }
        var c: EventClass = []
        switch ds {
        case "github.audit": c = .githubAudit
        case "zeek.dns": c = [.zeekDNS, .zeek]
        case "auditd.log": c = [.auditd, .linux]
        case "sysmon_linux", "osquery.result": c = .linux
        default: if ds.hasPrefix("zeek.") { c = .zeek }
        }
        let head = String(ds.split(separator: ".", maxSplits: 1).first ?? "")
        var ns = 0
        if !head.isEmpty {
            if let n = namespaceIndex[head] { ns = n } else if namespaces.count < 256 {
                ns = namespaces.count
                namespaces.append(head == "auditd" ? ["auditd", "auditd.data"] : [head])
                namespaceIndex[head] = ns
            }
        }
        if datasetCache.count < 4096 { datasetCache[ds] = (c, ns) }
        return (c, ns)
    }

    /// Whether the selector's service condition holds for the event.
    static func serviceMatches(_ sel: LogsourceSelector, _ e: Event, _ index: FieldIndex) -> Bool {
        if sel.authFacility {
            guard let f = values(facilityPath, e, index).first?.intValue else { return false }
            return f == 4 || f == 10
        }
        guard let s = sel.service else { return true }
        for p in [appNamePath, processNamePath] {
            if let t = values(p, e, index).first?.stringValue, t.lowercased() == s { return true }
        }
        return false
    }
}
