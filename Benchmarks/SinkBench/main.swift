// sluice-sink-bench: encoder and TCP syslog output throughput (release builds).
//   swift run -c release sluice-sink-bench [events]
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import SluiceCore
import SluiceSink

let n = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 200_000 : 200_000
let repoKey = FieldKey("github.repo")
let patKey = FieldKey("github.programmatic_access_type")
let t0 = Timestamp.make(year: 2026, month: 11, day: 23, hour: 1, minute: 2, second: 3)

func event(_ i: Int) -> Event {
    var e = Event(timestamp: t0 + Int64(i) * 1_000_000,
                  original: ArraySlice(Array("{\"action\":\"git.clone\",\"actor\":\"user\(i % 500)\",\"repo\":\"acme/repo-\(i % 3000)\"}".utf8)))
    e.append(ECS.eventKind, .string("event"))
    e.append(ECS.eventDataset, .string("github.audit"))
    e.append(ECS.eventAction, .string("git.clone"))
    e.append(ECS.eventCategory, .string("network"))
    e.append(ECS.userName, .string("user\(i % 500)"))
    e.append(ECS.sourceIP, .string("198.51.100.\(i % 250)"))
    e.append(ECS.userAgent, .string("git/2.43.0 (github-actions)"))
    e.append(repoKey, .string("acme/repo-\(i % 3000)"))
    e.append(patKey, .string("fine_grained_personal_access_token"))
    e.append(ECS.hostName, .string("gh-audit-stream"))
    return e
}

func alert(_ i: Int) -> Event {
    let repos = (0..<12).map { "acme/repo-\((i + $0) % 3000)" }
    let a = Alert(id: "alert-\(i)", ruleID: "sluice-github-mass-clone-pat",
                  ruleName: "Mass cloning of repositories with a personal access token",
                  description: "user\(i % 500) cloned 12 distinct repositories with a PAT within 10m",
                  severity: .high, tacticIDs: ["TA0010"], techniqueIDs: ["T1567.001"],
                  group: [Field(ECS.userName, .string("user\(i % 500)"))], count: 12,
                  firstSeen: t0, lastSeen: t0 + 300_000_000_000,
                  enrichment: [Field(FieldKey("threat.indicator.ip"), .string("198.51.100.7"))],
                  details: [Field(FieldKey("repositories"), .array(repos.map { .string($0) })), Field(FieldKey("distinct_repos"), .int(12))],
                  evidence: (0..<3).map { event(i + $0) })
    var e = Event(timestamp: t0 + 300_000_000_000)
    e.alert = a
    return e
}

func pad(_ s: String, _ n: Int, left: Bool) -> String {
    let p = String(repeating: " ", count: max(0, n - s.count))
    return left ? s + p : p + s
}
func row(_ a: String, _ b: String, _ c: String, _ d: String) -> String {
    pad(a, 22, left: true) + pad(b, 12, left: false) + pad(c, 10, left: false) + pad(d, 11, left: false)
}

func now() -> Double { var ts = timespec(); clock_gettime(CLOCK_MONOTONIC, &ts); return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9 }

let events = (0..<n).map(event)
let alerts = (0..<(n / 10)).map(alert)
print("sluice-sink-bench: \(n) events, \(alerts.count) alerts (3 evidence events each)")
print(row("case", "events/s", "MiB/s", "bytes/rec"))

func bench(_ name: String, _ enc: EventEncoder, _ input: [Event]) {
    var buf: [UInt8] = []
    buf.reserveCapacity(1 << 20)
    // warm-up
    for e in input.prefix(1000) { enc.encode(e, into: &buf); buf.removeAll(keepingCapacity: true) }
    var bytes = 0
    let start = now()
    for e in input {
        enc.encode(e, into: &buf)
        if buf.count > 1 << 20 { bytes += buf.count; buf.removeAll(keepingCapacity: true) }
    }
    bytes += buf.count
    let dt = now() - start
    print(row(name, String(format: "%.0f", Double(input.count) / dt), String(format: "%.1f", Double(bytes) / dt / 1048576), String(bytes / input.count)))
}

for (label, enc) in [("cef", CEFEncoder(deviceExternalID: "collector-01") as EventEncoder), ("json", JSONLineEncoder(includeOriginal: true)), ("ocsf", OCSFEncoder())] {
    bench("\(label) event", enc, events)
    bench("\(label) alert", enc, alerts)
}

// TCP syslog output to a local receiver that reads and discards (counts) bytes.
let listenFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
var addr = sockaddr_in()
addr.sin_family = sa_family_t(AF_INET)
addr.sin_addr.s_addr = inet_addr("127.0.0.1")
var len = socklen_t(MemoryLayout<sockaddr_in>.size)
_ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listenFD, $0, len) } }
_ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listenFD, $0, &len) } }
listen(listenFD, 4)
let port = Int(UInt16(bigEndian: addr.sin_port))
let receivedBytes = Locked(0)
Thread {
    let c = accept(listenFD, nil, nil)
    var b = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let r = read(c, &b, b.count)
        if r <= 0 { break }
        receivedBytes.withLock { $0 += r }
        receivedBytes.broadcast()
    }
}.start()

let logger = Logger(label: "bench")
let transport = try! SyslogTransport(mode: .tcp, host: "127.0.0.1", port: port, framing: SyslogFraming(), tls: nil,
                                     serverName: nil, timeout: 10, logger: logger)
let sink = try! DeliverySink(name: "bench", transport: transport, encoder: CEFEncoder(deviceExternalID: "collector-01"),
                             limits: BatchLimits(maxEvents: 1000, maxBytes: 1 << 20, timeout: 0.2), logger: logger)
var expected = 0
do {
    // Size of what will be sent.
    var tmp: [UInt8] = []
    let f = SyslogFraming()
    for e in events { _ = f.appendMessage(for: e, now: Timestamp.now(), to: &tmp) { CEFEncoder(deviceExternalID: "collector-01").encode(e, into: &$0) }; expected += tmp.count; tmp.removeAll(keepingCapacity: true) }
}
let start = now()
var i = 0
while i < events.count {
    let j = min(events.count, i + 1000)
    try! sink.write(EventBatch(events: Array(events[i..<j])))
    i = j
}
try! sink.flush()
let target = Double(expected) * 0.98
let got = receivedBytes.wait(until: { Double($0) >= target }) { n, _ in n }
let dt = now() - start
print(row("syslog tcp cef (e2e)", String(format: "%.0f", Double(events.count) / dt), String(format: "%.1f", Double(got) / dt / 1048576), String(got / events.count)))
sink.close()
