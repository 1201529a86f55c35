/// `/health` as JSON: the pipeline's overall status and each component's state and figures.
///
/// Overall status: `unhealthy` (HTTP 503) when a component `failed`, or a sink's last
/// `sinkFailureThreshold` deliveries in a row failed — the agent can no longer deliver and an
/// orchestrator or load balancer should know; `degraded` (HTTP 200) when any component is
/// backing off, blocked on backpressure, or has failed deliveries below the threshold; `ok`
/// (HTTP 200) otherwise. Each component shows `health`: `running`, `backing_off`, `blocked`,
/// `failing` (or its lifecycle state when it is not running). Names, types and errors are
/// escaped as JSON strings (they may hold operator or remote text).
public struct HealthReport: Sendable {
    public var sinkFailureThreshold: Int

    public init(sinkFailureThreshold: Int = 10) {
        self.sinkFailureThreshold = sinkFailureThreshold
    }

    public enum Overall: String, Sendable { case ok, degraded, unhealthy }

    /// One word for what a component is doing: `running`, `backing_off`, `blocked`,
    /// `failing`, or its lifecycle state (`starting`, `draining`, `stopped`, `failed`).
    public func health(_ c: ComponentStatus) -> String {
        if c.state == .failed { return "failed" }
        if c.kind == "sink" && c.consecutiveFailures >= sinkFailureThreshold { return "failing" }
        if c.state != .running { return c.state.rawValue }
        switch c.activity {
        case .backingOff: return "backing_off"
        case .blocked: return "blocked"
        case .idle, .active: return "running"
        }
    }

    public func overall(_ s: PipelineStatus) -> Overall {
        var degraded = false
        for c in s.components {
            switch health(c) {
            case "failed", "failing": return .unhealthy
            case "backing_off", "blocked": degraded = true
            default: if c.consecutiveFailures > 0 { degraded = true }
            }
        }
        return degraded ? .degraded : .ok
    }

    /// HTTP status code and JSON body for `s`.
    public func render(_ s: PipelineStatus) -> (status: Int, body: [UInt8]) {
        let o = overall(s)
        var out: [UInt8] = []
        out.reserveCapacity(128 + s.components.count * 256)
        func key(_ k: String) { out += Array(",\"\(k)\":".utf8) }
        out += Array(#"{"status":"#.utf8)
        JSONWriter.appendQuoted(o.rawValue, to: &out)
        key("uptime_seconds"); JSONWriter.appendInt(Int64(s.uptimeSeconds), to: &out)
        key("alerts"); JSONWriter.appendInt(Int64(s.alerts), to: &out)
        key("sink_failure_threshold"); JSONWriter.appendInt(Int64(sinkFailureThreshold), to: &out)
        out += Array(#","components":["#.utf8)
        for (i, c) in s.components.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += Array(#"{"name":"#.utf8); JSONWriter.appendQuoted(c.name, to: &out)
            key("kind"); JSONWriter.appendQuoted(c.kind, to: &out)
            key("type"); JSONWriter.appendQuoted(c.type, to: &out)
            key("health"); JSONWriter.appendQuoted(health(c), to: &out)
            key("state"); JSONWriter.appendQuoted(c.state.rawValue, to: &out)
            key("activity"); JSONWriter.appendQuoted(c.activity.rawValue, to: &out)
            for (k, v) in [("events_in", c.eventsIn), ("events_out", c.eventsOut), ("failed", c.failed), ("dropped", c.dropped),
                           ("queue_depth", c.queueDepth), ("queue_capacity", c.queueCapacity),
                           ("consecutive_failures", c.consecutiveFailures)] {
                key(k); JSONWriter.appendInt(Int64(v), to: &out)
            }
            if let e = c.lastError {
                key("last_error"); JSONWriter.appendQuoted(String(e.prefix(500)), to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out += Array("]}\n".utf8)
        return (o == .unhealthy ? 503 : 200, out)
    }
}

/// One component as `/health` reports it, read back by `sluice top`.
public struct HealthEntry: Sendable, Equatable {
    public var name: String
    public var kind: String
    public var type: String
    public var health: String
    public var queueDepth: Int
    public var queueCapacity: Int

    public init(name: String, kind: String, type: String, health: String, queueDepth: Int = 0, queueCapacity: Int = 0) {
        self.name = name; self.kind = kind; self.type = type; self.health = health
        self.queueDepth = queueDepth; self.queueCapacity = queueCapacity
    }
}

extension HealthReport {
    /// Reads the components back from a `/health` JSON body (for `sluice top`); empty when
    /// the body is not such a document (an agent answering plain `ok`).
    public static func parseComponents(_ body: [UInt8]) -> [HealthEntry] {
        let interner = FieldKeyInterner()
        let value: FieldValue? = body.withUnsafeBufferPointer { buf in
            var s = JSONScanner(buf)
            return try? s.readValue(interner: interner)
        }
        guard case .object(let top)? = value,
              let comps = top.first(where: { $0.key.path == "components" }), case .array(let items) = comps.value else { return [] }
        var out: [HealthEntry] = []
        for item in items {
            guard case .object(let members) = item else { continue }
            func str(_ k: String) -> String {
                if let m = members.first(where: { $0.key.path == k }), case .string(let v) = m.value { return v }
                return ""
            }
            func int(_ k: String) -> Int {
                if let m = members.first(where: { $0.key.path == k }), case .int(let v) = m.value { return Int(v) }
                return 0
            }
            out.append(HealthEntry(name: str("name"), kind: str("kind"), type: str("type"), health: str("health"),
                                   queueDepth: int("queue_depth"), queueCapacity: int("queue_capacity")))
        }
        return out
    }
}
