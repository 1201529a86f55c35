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
        var w = ObjectWriter(&out)
        w.int("class_uid", 2004, &out)
        w.string("class_name", "Detection Finding", &out)
        w.int("category_uid", 2, &out)
        w.string("category_name", "Findings", &out)
        w.int("activity_id", 1, &out)
        w.string("activity_name", "Create", &out)
        w.int("type_uid", 200401, &out)
        w.string("type_name", "Detection Finding: Create", &out)
        let time = event.timestamp != 0 ? event.timestamp : a.lastSeen
        w.int("time", time / 1_000_000, &out)
        w.int("severity_id", Self.severityID(a.severity), &out)
        w.string("severity", Self.severityName(a.severity), &out)
        w.int("status_id", 1, &out)
        w.string("status", "New", &out)
        w.string("message", a.description.isEmpty ? a.ruleName : a.description, &out)
        w.int("count", Int64(a.count), &out)
        w.key("finding_info", &out)
        var fi = ObjectWriter(&out)
        fi.string("uid", a.id, &out)
        fi.string("title", a.ruleName, &out)
        if !a.description.isEmpty { fi.string("desc", a.description, &out) }
        fi.key("types", &out); out.append(contentsOf: "[\"Sigma rule\"]".utf8)
        if a.firstSeen != 0 { fi.int("first_seen_time", a.firstSeen / 1_000_000, &out) }
        if a.lastSeen != 0 { fi.int("last_seen_time", a.lastSeen / 1_000_000, &out) }
        if let esc = a.escalates {   // the finding this one supersedes (same rule and group)
            fi.key("related_events", &out); out.append(UInt8(ascii: "["))
            var re = ObjectWriter(&out); re.string("uid", esc, &out); re.close(&out)
            out.append(UInt8(ascii: "]"))
        }
        fi.key("analytic", &out)
        var an = ObjectWriter(&out)
        an.string("name", a.ruleName, &out); an.string("uid", a.ruleID, &out); an.int("type_id", 1, &out); an.string("type", "Rule", &out)
        an.close(&out)
        fi.close(&out)
        w.key("metadata", &out)
        Self.appendMetadata(&out, withVersion: true)
        // ATT&CK: pair each technique with the first tactic (Sluice rules carry one tactic).
        if !a.techniqueIDs.isEmpty || !a.tacticIDs.isEmpty {
            w.key("attacks", &out); out.append(UInt8(ascii: "["))
            let techniques = a.techniqueIDs.isEmpty ? [""] : a.techniqueIDs
            for (i, t) in techniques.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                var at = ObjectWriter(&out)
                if let tac = a.tacticIDs.first {
                    at.key("tactic", &out); var o = ObjectWriter(&out); o.string("uid", tac, &out); o.close(&out)
                }
                if !t.isEmpty {
                    at.key("technique", &out); var o = ObjectWriter(&out); o.string("uid", t, &out); o.close(&out)
                }
                at.string("version", "15", &out)
                at.close(&out)
            }
            out.append(UInt8(ascii: "]"))
        }
        // Observables: group-by values and enrichment values with an OCSF type.
        var firstObs = true
        for f in a.group + a.enrichment {
            guard let t = FieldText.text(f.value) else { continue }
            if firstObs { w.key("observables", &out); out.append(UInt8(ascii: "[")); firstObs = false } else { out.append(UInt8(ascii: ",")) }
            let (id, name) = Self.observableType(f.key.path)
            var ow = ObjectWriter(&out)
            ow.string("name", f.key.path, &out); ow.int("type_id", id, &out); ow.string("type", name, &out); ow.string("value", t, &out)
            ow.close(&out)
        }
        if !firstObs { out.append(UInt8(ascii: "]")) }
        if !a.enrichment.isEmpty {
            w.key("enrichments", &out); out.append(UInt8(ascii: "["))
            for (i, f) in a.enrichment.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                var ow = ObjectWriter(&out)
                ow.string("name", f.key.path, &out)
                ow.string("value", FieldText.text(f.value) ?? "", &out)
                ow.key("data", &out); JSONWriter.appendValue(.object([f]), to: &out)
                ow.close(&out)
            }
            out.append(UInt8(ascii: "]"))
        }
        if !a.evidence.isEmpty {
            w.key("evidences", &out); out.append(UInt8(ascii: "["))
            for (i, e) in a.evidence.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                encodeEvidence(e, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        var unmapped: [Field] = a.details
        if !a.group.isEmpty { unmapped.append(Field(SinkKeys.group, .object(a.group))) }
        if !unmapped.isEmpty { w.key("unmapped", &out); JSONWriter.appendValue(.object(unmapped), to: &out) }
        w.close(&out)
    }

    static func appendMetadata(_ out: inout [UInt8], withVersion: Bool) {
        var md = ObjectWriter(&out)
        md.string("version", schemaVersion, &out)
        md.key("product", &out)
        var pr = ObjectWriter(&out)
        pr.string("name", SluiceProduct.name, &out); pr.string("vendor_name", SluiceProduct.vendor, &out)
        if withVersion { pr.string("version", SluiceProduct.version, &out) }
        pr.close(&out)
        md.close(&out)
    }

    func encodeEvidence(_ e: Event, into out: inout [UInt8]) {
        var w = ObjectWriter(&out)
        let v = AlertView(e)
        if let user = v.text(ECS.userName) {
            w.key("actor", &out); var a = ObjectWriter(&out)
            a.key("user", &out); var u = ObjectWriter(&out); u.string("name", user, &out); u.close(&out)
            a.close(&out)
        }
        func endpoint(_ name: String, _ ip: FieldKey, _ port: FieldKey, _ host: FieldKey) {
            let ipv = v.text(ip), hv = v.text(host), pv = v.value(port)?.intValue
            guard ipv != nil || hv != nil || pv != nil else { return }
            w.key(name, &out); var o = ObjectWriter(&out)
            if let ipv { o.string("ip", ipv, &out) }
            if let pv { o.int("port", pv, &out) }
            if let hv { o.string("hostname", hv, &out) }
            o.close(&out)
        }
        endpoint("src_endpoint", ECS.sourceIP, ECS.sourcePort, ECS.hostName)
        endpoint("dst_endpoint", ECS.destinationIP, ECS.destinationPort, ECS.destinationDomain)
        if let url = v.text(ECS.urlFull) ?? v.text(ECS.urlOriginal) {
            w.key("url", &out); var o = ObjectWriter(&out); o.string("url_string", url, &out); o.close(&out)
        }
        w.key("data", &out)
        ecs.encode(e, into: &out)
        w.close(&out)
    }

    func encodeBaseEvent(_ event: Event, into out: inout [UInt8]) {
        var w = ObjectWriter(&out)
        w.int("class_uid", 0, &out); w.string("class_name", "Base Event", &out)
        w.int("category_uid", 0, &out); w.int("activity_id", 0, &out); w.int("type_uid", 0, &out)
        w.int("time", event.timestamp / 1_000_000, &out)
        var sev: Int64 = 0
        if let s = event[ECS.eventSeverity]?.intValue { sev = max(0, min(6, s)) }
        w.int("severity_id", sev, &out)
        if let m = event.string(ECS.message) { w.string("message", m, &out) }
        w.key("metadata", &out)
        Self.appendMetadata(&out, withVersion: false)
        w.key("unmapped", &out)
        ecs.encode(event, into: &out)
        w.close(&out)
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

/// Writes a JSON object member by member into a caller's buffer (commas handled).
struct ObjectWriter {
    var first = true
    init(_ out: inout [UInt8]) { out.append(UInt8(ascii: "{")) }

    mutating func key(_ k: String, _ out: inout [UInt8]) {
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        JSONWriter.appendQuoted(k, to: &out)
        out.append(UInt8(ascii: ":"))
    }
    mutating func string(_ k: String, _ v: String, _ out: inout [UInt8]) { key(k, &out); JSONWriter.appendQuoted(v, to: &out) }
    mutating func int(_ k: String, _ v: Int64, _ out: inout [UInt8]) { key(k, &out); JSONWriter.appendInt(v, to: &out) }
    func close(_ out: inout [UInt8]) { out.append(UInt8(ascii: "}")) }
}
