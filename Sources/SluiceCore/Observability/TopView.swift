/// One sample of the Prometheus text exposition format (`name{label="v"} value`).
public struct PrometheusSample: Sendable, Equatable {
    public var name: String
    public var labels: [String: String]
    public var value: Double
}

/// Reads the Prometheus text format (what `/metrics` serves).
public enum PrometheusText {
    /// Samples in order; comments, blank and malformed lines are skipped.
    public static func parse(_ text: String) -> [PrometheusSample] {
        var out: [PrometheusSample] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = Array(raw.utf8)
            guard let first = line.first, first != UInt8(ascii: "#") else { continue }
            var i = 0
            while i < line.count && line[i] != UInt8(ascii: "{") && line[i] != UInt8(ascii: " ") { i += 1 }
            let name = String(decoding: line[0..<i], as: UTF8.self)
            var labels: [String: String] = [:]
            if i < line.count && line[i] == UInt8(ascii: "{") {
                i += 1
                var ok = false
                while i < line.count {
                    if line[i] == UInt8(ascii: "}") { i += 1; ok = true; break }
                    if line[i] == UInt8(ascii: ",") || line[i] == UInt8(ascii: " ") { i += 1; continue }
                    let ks = i
                    while i < line.count && line[i] != UInt8(ascii: "=") { i += 1 }
                    let key = String(decoding: line[ks..<i], as: UTF8.self)
                    i += 1
                    guard i < line.count, line[i] == UInt8(ascii: "\"") else { break }
                    i += 1
                    var value: [UInt8] = []
                    while i < line.count && line[i] != UInt8(ascii: "\"") {
                        if line[i] == UInt8(ascii: "\\"), i + 1 < line.count {
                            i += 1
                            value.append(line[i] == UInt8(ascii: "n") ? 0x0A : line[i])
                        } else {
                            value.append(line[i])
                        }
                        i += 1
                    }
                    i += 1
                    labels[key] = String(decoding: value, as: UTF8.self)
                }
                guard ok else { continue }
            }
            let rest = String(decoding: line[min(i, line.count)...], as: UTF8.self).split(separator: " ")
            guard let v = rest.first, let value = Double(v) else { continue }
            out.append(PrometheusSample(name: name, labels: labels, value: value))
        }
        return out
    }
}

/// What `sluice top` shows: per-component figures from `/metrics` (and states from `/health`),
/// rendered as a table with rates computed between two snapshots.
public struct TopSnapshot: Sendable {
    public struct Row: Sendable, Equatable {
        public var name: String
        public var kind: String = ""
        public var type: String = ""
        public var state: String = ""
        public var received: Double = 0
        public var sent: Double = 0
        public var failed: Double = 0
        public var dropped: Double = 0
        public var queueDepth: Double = 0
        public var queueCapacity: Double = 0
        public var alerts: Double = 0
    }
    public var rows: [Row]

    /// Builds rows from the `sluice_component_*` series, `sluice_alerts_total`, and optionally
    /// the `/health` JSON (states and queue capacities).
    public init(samples: [PrometheusSample], health: [HealthEntry] = []) {
        var byName: [String: Row] = [:]
        var order: [String] = []
        for s in samples {
            guard let name = s.labels["component"] else { continue }
            if byName[name] == nil { byName[name] = Row(name: name); order.append(name) }
            if let k = s.labels["kind"] { byName[name]!.kind = k }
            if let t = s.labels["type"], byName[name]!.type.isEmpty { byName[name]!.type = t }
            switch s.name {
            case "sluice_component_received_events_total": byName[name]!.received += s.value
            case "sluice_component_sent_events_total": byName[name]!.sent += s.value
            case "sluice_component_failed_events_total": byName[name]!.failed += s.value
            case "sluice_component_dropped_events_total": byName[name]!.dropped += s.value
            case "sluice_component_queue_depth_events": byName[name]!.queueDepth = s.value
            case "sluice_alerts_total": byName[name]!.alerts += s.value
            default: break
            }
        }
        for c in health {
            if byName[c.name] == nil { byName[c.name] = Row(name: c.name); order.append(c.name) }
            byName[c.name]!.state = c.health
            if byName[c.name]!.kind.isEmpty { byName[c.name]!.kind = c.kind }
            if byName[c.name]!.type.isEmpty { byName[c.name]!.type = c.type }
            byName[c.name]!.queueCapacity = Double(c.queueCapacity)
        }
        let rank = ["source": 0, "transform": 1, "sink": 2]
        rows = order.compactMap { byName[$0] }.sorted { (rank[$0.kind] ?? 3, $0.name) < (rank[$1.kind] ?? 3, $1.name) }
    }

    /// The table: one line per component with events/s in and out over `elapsed` seconds
    /// since `previous` (totals when there is no previous snapshot).
    public func render(previous: TopSnapshot?, elapsed: Double, title: String) -> String {
        let prev = Dictionary((previous?.rows ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        func rate(_ now: Double, _ before: Double?) -> String {
            guard let before, elapsed > 0 else { return Self.compact(now) }
            return Self.compact(max(0, now - before) / elapsed)
        }
        let header = ["COMPONENT", "KIND", "TYPE", "STATE", previous == nil ? "IN" : "IN/S", previous == nil ? "OUT" : "OUT/S",
                      "TOTAL OUT", "QUEUE", "FAILED", "DROPPED", "ALERTS"]
        var table: [[String]] = [header]
        for r in rows {
            let p = prev[r.name]
            let queue = r.queueCapacity > 0
                ? "\(Int(r.queueDepth)) (\(Int((r.queueDepth * 100 / r.queueCapacity).rounded()))%)"
                : (r.kind == "source" ? "-" : Self.compact(r.queueDepth))
            table.append([r.name, r.kind, r.type, r.state.isEmpty ? "-" : r.state,
                          rate(r.received, p?.received), rate(r.sent, p?.sent), Self.compact(r.sent), queue,
                          Self.compact(r.failed), Self.compact(r.dropped), Self.compact(r.alerts)])
        }
        var widths = [Int](repeating: 0, count: header.count)
        for row in table { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        var out = title + "\n\n"
        for (n, row) in table.enumerated() {
            var line = ""
            for (i, c) in row.enumerated() {
                let numeric = i >= 4
                let pad = String(repeating: " ", count: widths[i] - c.count)
                line += numeric ? pad + c : c + pad
                if i < row.count - 1 { line += "  " }
            }
            out += line + "\n"
            if n == 0 { out += String(repeating: "-", count: line.count) + "\n" }
        }
        if rows.isEmpty { out += "(no component metrics yet)\n" }
        return out
    }

    /// 950, 12.3k, 4.5M: short numbers for the table.
    public static func compact(_ v: Double) -> String {
        let a = abs(v)
        if a < 1000 { return a == a.rounded() ? String(Int(v)) : String(format1(v)) }
        if a < 1_000_000 { return format1(v / 1000) + "k" }
        if a < 1_000_000_000 { return format1(v / 1_000_000) + "M" }
        return format1(v / 1_000_000_000) + "G"
    }

    private static func format1(_ v: Double) -> String {
        let t = (v * 10).rounded() / 10
        return t == t.rounded() ? String(Int(t)) : String(t)
    }
}
