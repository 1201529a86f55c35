import SluiceCore

/// ArcSight Common Event Format (CEF) version 0, one record per alert or event:
/// `CEF:0|Sluice|Sluice|<version>|<signature id>|<name>|<severity>|<extension>`.
///
/// Guarantees (what makes it safe for attacker-controlled values such as repository names
/// and user agents):
/// - header values escape `\` as `\\` and `|` as `\|`; CR, LF, tab and the Unicode line
///   breaks NEL (U+0085), LINE SEPARATOR (U+2028) and PARAGRAPH SEPARATOR (U+2029) become a
///   space; header values are cut (at a character boundary) to the ArcSight lengths: vendor
///   and product 63 bytes, version 31, signature id 1023, name 512;
/// - extension values escape `\` as `\\`, `=` as `\=`, CR as `\r` and LF, NEL, U+2028
///   and U+2029 as `\n` (many readers break lines at the Unicode ones too);
/// - every other control character (NUL, U+0001–U+001F, DEL) becomes U+FFFD, and the
///   output is always valid UTF-8 (input bytes are validated; invalid sequences become
///   U+FFFD), so a record never contains a raw line break, NUL or `|`/`=` that a reader
///   could take for structure: one event gives exactly one record;
/// - extension values are bounded (`msg` and `request` 1023 bytes, others 4000 bytes, per
///   the ArcSight field lengths); a shortened value ends with `...(truncated)`.
///
/// Severity: alerts map informational 1, low 3, medium 5, high 8, critical 10; events use
/// their numeric `event.severity` clamped to 0–10, or 1.
///
/// Mapped fields are read from dotted keys and from nested objects alike (`source.ip` or
/// `source: {ip: …}`, as a JSON parser keeps its input).
public final class CEFEncoder: EventEncoder {
    public static let truncationMarker = "...(truncated)"
    public static let maxMessageBytes = 1023
    public static let maxFieldBytes = 4000
    /// ArcSight header field lengths.
    public static let maxVendorBytes = 63
    public static let maxVersionBytes = 31
    public static let maxSignatureBytes = 1023
    public static let maxNameBytes = 512

    let deviceExternalID: String?
    let productVersion: String

    public init(deviceExternalID: String? = nil, productVersion: String = SluiceProduct.version) {
        self.deviceExternalID = deviceExternalID
        self.productVersion = productVersion
    }

    /// CEF severity number of an alert severity.
    public static func number(_ s: Severity) -> Int {
        switch s {
        case .informational: return 1
        case .low: return 3
        case .medium: return 5
        case .high: return 8
        case .critical: return 10
        }
    }

    public func encode(_ event: Event, into out: inout [UInt8]) {
        let view = AlertView(event)
        out.append(contentsOf: "CEF:0|".utf8)
        Self.appendHeader(SluiceProduct.vendor, limit: Self.maxVendorBytes, to: &out); out.append(0x7C)
        Self.appendHeader(SluiceProduct.name, limit: Self.maxVendorBytes, to: &out); out.append(0x7C)
        Self.appendHeader(productVersion, limit: Self.maxVersionBytes, to: &out); out.append(0x7C)
        var ext = ExtensionWriter()
        if let a = event.alert {
            Self.appendHeader(a.ruleID.isEmpty ? "sluice-alert" : a.ruleID, limit: Self.maxSignatureBytes, to: &out); out.append(0x7C)
            Self.appendHeader(a.ruleName.isEmpty ? a.ruleID : a.ruleName, limit: Self.maxNameBytes, to: &out); out.append(0x7C)
            JSONWriter.appendInt(Int64(Self.number(a.severity)), to: &out); out.append(0x7C)
            let rt = event.timestamp != 0 ? event.timestamp : a.lastSeen
            ext.int("rt", rt / 1_000_000)
            if a.firstSeen != 0 { ext.int("start", a.firstSeen / 1_000_000) }
            if a.lastSeen != 0 { ext.int("end", a.lastSeen / 1_000_000) }
            ext.int("cnt", Int64(a.count))
            ext.string("msg", a.description.isEmpty ? a.ruleName : a.description, limit: Self.maxMessageBytes)
            ext.string("externalId", a.id)
            ext.string("cat", view.text(ECS.eventCategory) ?? (a.tacticIDs.isEmpty ? "alert" : a.tacticIDs.joined(separator: ",")))
        } else {
            let sig = view.text(ECS.eventDataset) ?? "event"
            Self.appendHeader(sig, limit: Self.maxSignatureBytes, to: &out); out.append(0x7C)
            Self.appendHeader(view.text(ECS.eventAction) ?? sig, limit: Self.maxNameBytes, to: &out); out.append(0x7C)
            var sev: Int64 = 1
            if let s = view.value(ECS.eventSeverity)?.intValue { sev = max(0, min(10, s)) }
            JSONWriter.appendInt(sev, to: &out); out.append(0x7C)
            if event.timestamp != 0 { ext.int("rt", event.timestamp / 1_000_000) }
            ext.string("msg", view.text(ECS.message), limit: Self.maxMessageBytes)
            ext.string("externalId", view.text(ECS.eventID))
            ext.string("cat", view.text(ECS.eventCategory))
        }
        ext.string("act", view.text(ECS.eventAction))
        ext.ip("src", view.text(ECS.sourceIP))
        ext.ip("dst", view.text(ECS.destinationIP))
        ext.port("spt", view.value(ECS.sourcePort))
        ext.port("dpt", view.value(ECS.destinationPort))
        ext.string("suser", view.text(ECS.userName))
        ext.string("duser", view.text(SinkKeys.destinationUserName))
        ext.string("shost", view.text(ECS.sourceDomain) ?? view.text(ECS.hostName))
        ext.string("dhost", view.text(ECS.destinationDomain) ?? view.text(ECS.urlDomain))
        ext.string("request", view.text(ECS.urlFull) ?? view.text(ECS.urlOriginal), limit: Self.maxMessageBytes)
        ext.string("requestMethod", view.text(ECS.httpMethod))
        ext.string("requestClientApplication", view.text(ECS.userAgent))
        if let v = view.value(ECS.sourceBytes)?.intValue { ext.int("out", v) }
        if let v = view.value(ECS.destinationBytes)?.intValue { ext.int("in", v) }
        ext.string("deviceExternalId", deviceExternalID)
        ext.labelled("cs1", "repositories", view.text(SinkKeys.repositories) ?? view.text(SinkKeys.githubRepo))
        if let n = view.value(SinkKeys.distinctRepos)?.intValue { ext.labelledInt("cn1", "distinct_repos", n) }
        if let a = event.alert {
            ext.labelled("cs2", "attack_technique", a.techniqueIDs.isEmpty ? nil : a.techniqueIDs.joined(separator: ","))
            ext.labelled("cs3", "attack_tactic", a.tacticIDs.isEmpty ? nil : a.tacticIDs.joined(separator: ","))
            ext.labelled("cs4", "group", FieldText.pairs(a.group))
            ext.labelled("cs5", "enrichment", FieldText.pairs(a.enrichment))
            ext.labelled("flexString1", "escalates", a.escalates)
        }
        ext.labelled("cs6", "dataset", view.text(ECS.eventDataset))
        out.append(contentsOf: ext.bytes)
    }

    // MARK: escaping

    static let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// Appends a header value: `\` and `|` escaped, CR/LF/tab and NEL/U+2028/U+2029 as a
    /// space, other controls as U+FFFD; cut to `limit` bytes of input at a character boundary.
    static func appendHeader(_ s: String, limit: Int = Int.max, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { buf in
            var end = buf.count
            if end > limit {
                end = limit
                while end > 0 && buf[end] & 0xC0 == 0x80 { end -= 1 }
            }
            var i = 0
            while i < end {
                let b = buf[i]
                if let n = lineBreakLength(buf, i, end) { out.append(0x20); i += n; continue }
                switch b {
                case 0x5C: out.append(0x5C); out.append(0x5C)
                case 0x7C: out.append(0x5C); out.append(0x7C)
                case 0x0A, 0x0D, 0x09: out.append(0x20)
                case 0..<0x20, 0x7F: out.append(contentsOf: replacement)
                default: out.append(b)
                }
                i += 1
            }
        }
    }

    /// The length (2 or 3) of a NEL (C2 85), LINE SEPARATOR (E2 80 A8) or PARAGRAPH
    /// SEPARATOR (E2 80 A9) at `i`, or nil.
    @inline(__always)
    static func lineBreakLength(_ buf: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> Int? {
        let b = buf[i]
        if b == 0xC2, i + 1 < end, buf[i + 1] == 0x85 { return 2 }
        if b == 0xE2, i + 2 < end, buf[i + 1] == 0x80, buf[i + 2] == 0xA8 || buf[i + 2] == 0xA9 { return 3 }
        return nil
    }

    /// Appends an extension value (escaped), shortened to `limit` bytes of input.
    static func appendExtensionValue(_ s: String, limit: Int, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { appendExtensionBytes($0, limit: limit, to: &out) }
    }

    /// Appends arbitrary bytes as an extension value; invalid UTF-8 becomes U+FFFD.
    static func appendExtensionBytes(_ buf: UnsafeBufferPointer<UInt8>, limit: Int, to out: inout [UInt8]) {
        if !UTF8Validation.isValid(buf) {
            appendExtensionValue(String(decoding: buf, as: UTF8.self), limit: limit, to: &out)
            return
        }
        var end = buf.count
        var truncated = false
        if end > limit {
            end = max(0, limit - truncationMarker.utf8.count)
            while end > 0 && buf[end] & 0xC0 == 0x80 { end -= 1 }   // keep whole characters
            truncated = true
        }
        var i = 0
        while i < end {
            let b = buf[i]
            if b >= 0xC2, let n = lineBreakLength(buf, i, end) {
                out.append(0x5C); out.append(UInt8(ascii: "n")); i += n; continue
            }
            switch b {
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x3D: out.append(0x5C); out.append(0x3D)
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
            case 0..<0x20, 0x7F: out.append(contentsOf: replacement)
            default: out.append(b)
            }
            i += 1
        }
        if truncated { out.append(contentsOf: truncationMarker.utf8) }
    }

    /// Collects `key=value` pairs separated by single spaces.
    struct ExtensionWriter {
        var bytes: [UInt8] = []

        mutating func key(_ k: StaticString) {
            if !bytes.isEmpty { bytes.append(0x20) }
            bytes.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
            bytes.append(0x3D)
        }

        mutating func string(_ k: StaticString, _ v: String?, limit: Int = CEFEncoder.maxFieldBytes) {
            guard let v, !v.isEmpty else { return }
            key(k)
            CEFEncoder.appendExtensionValue(v, limit: limit, to: &bytes)
        }

        mutating func int(_ k: StaticString, _ v: Int64) {
            key(k)
            JSONWriter.appendInt(v, to: &bytes)
        }

        /// IP addresses only (hex digits, `.` and `:`); anything else is left out rather
        /// than sent in a typed address field.
        mutating func ip(_ k: StaticString, _ v: String?) {
            guard let v, !v.isEmpty, v.utf8.count <= 45,
                  v.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x3A) || $0 == 0x2E || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) })
            else { return }
            string(k, v)
        }

        mutating func port(_ k: StaticString, _ v: FieldValue?) {
            guard let p = v?.intValue, p >= 0, p <= 65535 else { return }
            int(k, p)
        }

        mutating func labelled(_ k: StaticString, _ label: StaticString, _ v: String?) {
            guard let v, !v.isEmpty else { return }
            if !bytes.isEmpty { bytes.append(0x20) }
            bytes.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
            bytes.append(contentsOf: "Label=".utf8)
            bytes.append(contentsOf: UnsafeBufferPointer(start: label.utf8Start, count: label.utf8CodeUnitCount))
            string(k, v)
        }

        mutating func labelledInt(_ k: StaticString, _ label: StaticString, _ v: Int64) {
            if !bytes.isEmpty { bytes.append(0x20) }
            bytes.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
            bytes.append(contentsOf: "Label=".utf8)
            bytes.append(contentsOf: UnsafeBufferPointer(start: label.utf8Start, count: label.utf8CodeUnitCount))
            int(k, v)
        }
    }
}
