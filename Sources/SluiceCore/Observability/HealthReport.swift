/// `/health` as JSON: the pipeline's overall status and each component's state and figures.
///
/// Overall status: `unhealthy` (HTTP 503) when a sink has been `failing` for at least
/// `sinkFailureThreshold` seconds — the agent can no longer deliver and an orchestrator or
/// load balancer should know; `degraded` (HTTP 200) when any component is backing off,
/// blocked or failing for less than that; `ok` (HTTP 200) otherwise. Component names, types
/// and errors are escaped as JSON strings (they may hold operator or remote text).
public struct HealthReport: Sendable {
    public var sinkFailureThreshold: Double

    public init(sinkFailureThreshold: Double = 60) {
        self.sinkFailureThreshold = sinkFailureThreshold
    }

    public enum Overall: String, Sendable { case ok, degraded, unhealthy }

    public func overall(_ s: PipelineStatus) -> Overall {
        var degraded = false
        for c in s.components {
            if c.kind == "sink" && c.state == .failing && c.failingSeconds >= sinkFailureThreshold { return .unhealthy }
            if c.state == .backingOff || c.state == .blocked || c.state == .failing { degraded = true }
        }
        return degraded ? .degraded : .ok
    }

    /// HTTP status code and JSON body for `s`.
    public func render(_ s: PipelineStatus) -> (status: Int, body: [UInt8]) {
        let o = overall(s)
        var out: [UInt8] = []
        out.reserveCapacity(128 + s.components.count * 256)
        out += Array(#"{"status":"#.utf8)
        JSONWriter.appendQuoted(o.rawValue, to: &out)
        out += Array(#","uptime_seconds":"#.utf8)
        JSONWriter.appendInt(Int64(s.uptimeSeconds), to: &out)
        out += Array(#","alerts":"#.utf8)
        JSONWriter.appendInt(Int64(s.alerts), to: &out)
        out += Array(#","sink_failure_threshold_seconds":"#.utf8)
        JSONWriter.appendInt(Int64(sinkFailureThreshold), to: &out)
        out += Array(#","components":["#.utf8)
        for (i, c) in s.components.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += Array(#"{"name":"#.utf8); JSONWriter.appendQuoted(c.name, to: &out)
            out += Array(#","kind":"#.utf8); JSONWriter.appendQuoted(c.kind, to: &out)
            out += Array(#","type":"#.utf8); JSONWriter.appendQuoted(c.type, to: &out)
            out += Array(#","state":"#.utf8); JSONWriter.appendQuoted(c.state.rawValue, to: &out)
            for (k, v) in [("events_in", c.eventsIn), ("events_out", c.eventsOut), ("failed", c.failed), ("dropped", c.dropped),
                           ("queue_depth", c.queueDepth), ("queue_capacity", c.queueCapacity)] {
                out += Array(",\"\(k)\":".utf8); JSONWriter.appendInt(Int64(v), to: &out)
            }
            if c.state == .failing {
                out += Array(#","failing_seconds":"#.utf8); JSONWriter.appendInt(Int64(c.failingSeconds), to: &out)
            }
            if let e = c.lastError {
                out += Array(#","last_error":"#.utf8); JSONWriter.appendQuoted(String(e.prefix(500)), to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out += Array("]}\n".utf8)
        return (o == .unhealthy ? 503 : 200, out)
    }
}

extension HealthReport {
    /// Reads the components back from a `/health` JSON body (for `sluice top`); empty when
    /// the body is not such a document (an older agent answering `ok`).
    public static func parseComponents(_ body: [UInt8]) -> [ComponentStatus] {
        let interner = FieldKeyInterner()
        let value: FieldValue? = body.withUnsafeBufferPointer { buf in
            var s = JSONScanner(buf)
            return try? s.readValue(interner: interner)
        }
        guard case .object(let top)? = value,
              let comps = top.first(where: { $0.key.path == "components" }), case .array(let items) = comps.value else { return [] }
        var out: [ComponentStatus] = []
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
            out.append(ComponentStatus(name: str("name"), kind: str("kind"), type: str("type"),
                                       state: ComponentState(rawValue: str("state")) ?? .running,
                                       eventsIn: int("events_in"), eventsOut: int("events_out"), failed: int("failed"),
                                       dropped: int("dropped"), queueDepth: int("queue_depth"), queueCapacity: int("queue_capacity")))
        }
        return out
    }
}
