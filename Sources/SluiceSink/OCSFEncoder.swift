import SluiceCore

/// Open Cybersecurity Schema Framework (OCSF 1.1.0) JSON, one object per record.
///
/// Alerts become a Detection Finding (`class_uid` 2004, `category_uid` 2, `activity_id` 1
/// Create, `type_uid` 200401) with `finding_info` (uid, title, desc, types, first/last seen,
/// analytic = the rule), `severity_id` (1 informational, 2 low, 3 medium, 4 high,
/// 5 critical), `status_id` 1 (New), `time` (ms), `count`, `metadata` (product Sluice,
/// version 1.1.0), `observables` (group-by values and enrichment: user names, IPs, host
/// names, URLs), `evidences` (the sampled events: actor, endpoints, url, and the ECS event
/// as `data`), `attacks` (tactic/technique uids) and `enrichments`.
///
/// Non-alert events become an OCSF Base Event (`class_uid` 0) carrying the nested ECS event
/// under `unmapped`. Output is single-line JSON (strings escaped by `JSONWriter`).
public final class OCSFEncoder: EventEncoder {
    let ecs: EventJSONEncoder
    public static let schemaVersion = "1.1.0"

    public init(includeOriginal: Bool = true) { ecs = EventJSONEncoder(includeOriginal: includeOriginal) }

    public static func severityID(_ s: Severity) -> Int64 {
        switch s {
        case .informational: return 1
        case .low: return 2
        case .medium: return 3
        case .high: return 4
        case .critical: return 5
        }
    }

    static func severityName(_ s: Severity) -> String {
        switch s {
        case .informational: return "Informational"
        case .low: return "Low"
        case .medium: return "Medium"
        case .high: return "High"
        case .critical: return "Critical"
        }
    }

    public func encode(_ event: Event, into out: inout [UInt8]) {
        guard let a = event.alert else { encodeBaseEvent(event, into: &out); return }
        var w = ObjectWriter(out: out); out = []
        w.int("class_uid", 2004)
        w.string("class_name", "Detection Finding")
        w.int("category_uid", 2)
        w.string("category_name", "Findings")
        w.int("activity_id", 1)
        w.string("activity_name", "Create")
        w.int("type_uid", 200401)
        w.string("type_name", "Detection Finding: Create")
        let time = event.timestamp != 0 ? event.timestamp : a.lastSeen
        w.int("time", time / 1_000_000)
        w.int("severity_id", Self.severityID(a.severity))
        w.string("severity", Self.severityName(a.severity))
        w.int("status_id", 1)
        w.string("status", "New")
        w.string("message", a.description.isEmpty ? a.ruleName : a.description)
        w.int("count", Int64(a.count))
        w.key("finding_info")
        var fi = ObjectWriter(out: w.out); w.out = []
        fi.string("uid", a.id)
        fi.string("title", a.ruleName)
        if !a.description.isEmpty { fi.string("desc", a.description) }
        fi.key("types"); fi.out.append(UInt8(ascii: "[")); JSONWriter.appendQuoted("Sigma rule", to: &fi.out); fi.out.append(UInt8(ascii: "]"))
        if a.firstSeen != 0 { fi.int("first_seen_time", a.firstSeen / 1_000_000) }
        if a.lastSeen != 0 { fi.int("last_seen_time", a.lastSeen / 1_000_000) }
        fi.key("analytic")
        var an = ObjectWriter(out: fi.out); fi.out = []
        an.string("name", a.ruleName); an.string("uid", a.ruleID); an.int("type_id", 1); an.string("type", "Rule")
        fi.out = an.close()
        w.out = fi.close()
        w.key("metadata")
        var md = ObjectWriter(out: w.out); w.out = []
        md.string("version", Self.schemaVersion)
        md.key("product")
        var pr = ObjectWriter(out: md.out); md.out = []
        pr.string("name", SluiceProduct.name); pr.string("vendor_name", SluiceProduct.vendor); pr.string("version", SluiceProduct.version)
        md.out = pr.close()
        w.out = md.close()
        // ATT&CK: pair each technique with the first tactic (Sluice rules carry one tactic).
        if !a.techniqueIDs.isEmpty || !a.tacticIDs.isEmpty {
            w.key("attacks"); w.out.append(UInt8(ascii: "["))
            let techniques = a.techniqueIDs.isEmpty ? [""] : a.techniqueIDs
            for (i, t) in techniques.enumerated() {
                if i > 0 { w.out.append(UInt8(ascii: ",")) }
                var at = ObjectWriter(out: w.out); w.out = []
                if let tac = a.tacticIDs.first {
                    at.key("tactic"); var o = ObjectWriter(out: at.out); at.out = []; o.string("uid", tac); at.out = o.close()
                }
                if !t.isEmpty {
                    at.key("technique"); var o = ObjectWriter(out: at.out); at.out = []; o.string("uid", t); at.out = o.close()
                }
                at.string("version", "15")
                w.out = at.close()
            }
            w.out.append(UInt8(ascii: "]"))
        }
        // Observables: group-by values and enrichment values with an OCSF type.
        var obs: [(String, Int64, String, String)] = []
        for f in a.group + a.enrichment {
            guard let t = FieldText.text(f.value) else { continue }
            let (id, name) = Self.observableType(f.key.path)
            obs.append((f.key.path, id, name, t))
        }
        if !obs.isEmpty {
            w.key("observables"); w.out.append(UInt8(ascii: "["))
            for (i, o) in obs.enumerated() {
                if i > 0 { w.out.append(UInt8(ascii: ",")) }
                var ow = ObjectWriter(out: w.out); w.out = []
                ow.string("name", o.0); ow.int("type_id", o.1); ow.string("type", o.2); ow.string("value", o.3)
                w.out = ow.close()
            }
            w.out.append(UInt8(ascii: "]"))
        }
        if !a.enrichment.isEmpty {
            w.key("enrichments"); w.out.append(UInt8(ascii: "["))
            for (i, f) in a.enrichment.enumerated() {
                if i > 0 { w.out.append(UInt8(ascii: ",")) }
                var ow = ObjectWriter(out: w.out); w.out = []
                ow.string("name", f.key.path)
                ow.string("value", FieldText.text(f.value) ?? "")
                ow.key("data"); JSONWriter.appendValue(.object([f]), to: &ow.out)
                w.out = ow.close()
            }
            w.out.append(UInt8(ascii: "]"))
        }
        if !a.evidence.isEmpty {
            w.key("evidences"); w.out.append(UInt8(ascii: "["))
            for (i, e) in a.evidence.enumerated() {
                if i > 0 { w.out.append(UInt8(ascii: ",")) }
                w.out = encodeEvidence(e, into: w.out)
            }
            w.out.append(UInt8(ascii: "]"))
        }
        var unmapped: [Field] = a.details
        if !a.group.isEmpty { unmapped.append(Field(SinkKeys.group, .object(a.group))) }
        if !unmapped.isEmpty { w.key("unmapped"); JSONWriter.appendValue(.object(unmapped), to: &w.out) }
        out = w.close()
    }

    func encodeEvidence(_ e: Event, into buf: [UInt8]) -> [UInt8] {
        var w = ObjectWriter(out: buf)
        let v = AlertView(e)
        if let user = v.text(ECS.userName) {
            w.key("actor"); var a = ObjectWriter(out: w.out); w.out = []
            a.key("user"); var u = ObjectWriter(out: a.out); a.out = []; u.string("name", user); a.out = u.close()
            w.out = a.close()
        }
        func endpoint(_ name: String, _ ip: FieldKey, _ port: FieldKey, _ host: FieldKey) {
            let ipv = v.text(ip), hv = v.text(host), pv = v.value(port)?.intValue
            guard ipv != nil || hv != nil || pv != nil else { return }
            w.key(name); var o = ObjectWriter(out: w.out); w.out = []
            if let ipv { o.string("ip", ipv) }
            if let pv { o.int("port", pv) }
            if let hv { o.string("hostname", hv) }
            w.out = o.close()
        }
        endpoint("src_endpoint", ECS.sourceIP, ECS.sourcePort, ECS.hostName)
        endpoint("dst_endpoint", ECS.destinationIP, ECS.destinationPort, ECS.destinationDomain)
        if let url = v.text(ECS.urlFull) ?? v.text(ECS.urlOriginal) {
            w.key("url"); var o = ObjectWriter(out: w.out); w.out = []; o.string("url_string", url); w.out = o.close()
        }
        w.key("data")
        ecs.encode(e, into: &w.out)
        return w.close()
    }

    func encodeBaseEvent(_ event: Event, into out: inout [UInt8]) {
        var w = ObjectWriter(out: out); out = []
        w.int("class_uid", 0); w.string("class_name", "Base Event")
        w.int("category_uid", 0); w.int("activity_id", 0); w.int("type_uid", 0)
        w.int("time", event.timestamp / 1_000_000)
        var sev: Int64 = 0
        if let s = event[ECS.eventSeverity]?.intValue { sev = max(0, min(6, s)) }
        w.int("severity_id", sev)
        if let m = event.string(ECS.message) { w.string("message", m) }
        w.key("metadata")
        var md = ObjectWriter(out: w.out); w.out = []
        md.string("version", Self.schemaVersion)
        md.key("product")
        var pr = ObjectWriter(out: md.out); md.out = []
        pr.string("name", SluiceProduct.name); pr.string("vendor_name", SluiceProduct.vendor)
        md.out = pr.close()
        w.out = md.close()
        w.key("unmapped")
        ecs.encode(event, into: &w.out)
        out = w.close()
    }

    /// OCSF observable type for an ECS field name.
    static func observableType(_ path: String) -> (Int64, String) {
        if path.hasSuffix(".ip") || path == "ip" { return (2, "IP Address") }
        if path.hasSuffix("user.name") || path == "user" { return (4, "User Name") }
        if path.hasSuffix("host.name") || path.hasSuffix(".domain") || path.hasSuffix("hostname") { return (1, "Hostname") }
        if path.hasPrefix("url.") { return (6, "URL String") }
        if path.hasSuffix("user_agent.original") { return (16, "HTTP User-Agent") }
        if path.hasSuffix("process.name") { return (9, "Process Name") }
        if path.hasSuffix("file.path") || path.hasSuffix("file.name") { return (7, "File Name") }
        return (99, "Other")
    }
}

/// Appends a JSON object member by member (commas handled).
struct ObjectWriter {
    var out: [UInt8]
    var first = true
    init(out: [UInt8]) { self.out = out; self.out.append(UInt8(ascii: "{")) }

    mutating func key(_ k: String) {
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        JSONWriter.appendQuoted(k, to: &out)
        out.append(UInt8(ascii: ":"))
    }
    mutating func string(_ k: String, _ v: String) { key(k); JSONWriter.appendQuoted(v, to: &out) }
    mutating func int(_ k: String, _ v: Int64) { key(k); JSONWriter.appendInt(v, to: &out) }
    mutating func close() -> [UInt8] { out.append(UInt8(ascii: "}")); return out }
}
