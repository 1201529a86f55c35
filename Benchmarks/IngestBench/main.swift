// sluice-ingest-bench: throughput of the file and syslog TCP sources, driven directly into a
// counting, acknowledging consumer (no parse/sink stages), in one process.
//
//   swift build -c release --product sluice-ingest-bench
//   .build/release/sluice-ingest-bench file  [lines]      (default 1,000,000)
//   .build/release/sluice-ingest-bench tcp   [messages]   (default 1,000,000; 4 connections)
//
// Prints one line: source, events, MiB, seconds, events/s, MiB/s, CPU seconds (user+sys of
// the whole process, including the TCP sender threads), peak RSS.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import SluiceCore
import SluiceIngest

func cpuSeconds() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
}
func peakRSSMiB() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_maxrss) / 1024
}

func line(_ i: Int) -> String {
    "<86>Nov 22 18:\(String(format: "%02d", (i / 60) % 60)):\(String(format: "%02d", i % 60)) bastion-01 sshd[\(4000 + i % 1000)]: Accepted publickey for alice from 203.0.113.\(i % 250) port \(40000 + i % 20000) ssh2: ED25519 SHA256:Jq7nXfQ\n"
}

/// Pops and acknowledges until `total` events arrived; returns the bytes of their originals.
func consume(_ queue: BoundedQueue, total: Int) -> Int {
    var n = 0, bytes = 0
    while n < total, let b = queue.pop(maxEvents: 8192, timeout: 60), b.count > 0 {
        n += b.count
        for e in b.events { bytes += e.original.count }
        b.acknowledge()
    }
    return bytes
}

func context(_ name: String, _ queue: BoundedQueue, mode: RunMode) -> SourceContext {
    var l = Logger(label: name); l.logLevel = .error
    return SourceContext(name: name, mode: mode, logger: l, metrics: ComponentMetrics(name: name, kind: "source", type: name),
                         checkpoints: nil, outputs: [queue])
}

func report(_ what: String, events: Int, bytes: Int, seconds: Double, cpu: Double) {
    let mib = Double(bytes) / 1_048_576
    print(what + String(format: ": %d events, %.1f MiB in %.2f s = %.0f events/s, %.1f MiB/s; CPU %.2f s; peak RSS %.1f MiB",
                        events, mib, seconds, Double(events) / seconds, mib / seconds, cpu, peakRSSMiB()))
}

let args = CommandLine.arguments
let mode = args.count > 1 ? args[1] : "file"
let count = args.count > 2 ? Int(args[2]) ?? 1_000_000 : 1_000_000

switch mode {
case "file":
    let dir = NSTemporaryDirectory() + "sluice-bench-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let path = dir + "/auth.log"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    var buf: [UInt8] = []
    for i in 0..<count {
        buf.append(contentsOf: line(i).utf8)
        if buf.count > 1 << 20 { _ = buf.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }; buf.removeAll(keepingCapacity: true) }
    }
    _ = buf.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    let queue = BoundedQueue(name: "bench", capacity: 65_536)
    let src = FileSource(include: [path])
    let ctx = context("file", queue, mode: .toEnd)
    let cpu0 = cpuSeconds(), t0 = Date()
    // The source runs on that thread (as the runtime runs it); this one only consumes.
    nonisolated(unsafe) let running = src
    Thread { try? running.run(ctx) }.start()
    let bytes = consume(queue, total: count)
    report("file", events: count, bytes: bytes, seconds: Date().timeIntervalSince(t0), cpu: cpuSeconds() - cpu0)
    try? FileManager.default.removeItem(atPath: dir)
case "tcp":
    let queue = BoundedQueue(name: "bench", capacity: 65_536)
    let src = SyslogSource(mode: .tcp, address: "127.0.0.1:0")
    let ctx = context("tcp", queue, mode: .follow)
    // The source runs on that thread (as the runtime runs it); this one only consumes.
    nonisolated(unsafe) let running = src
    Thread { try? running.run(ctx) }.start()
    guard let port = try src.waitUntilBound()?.port else { fatalError("not bound") }
    let connections = 4
    let per = count / connections
    // Pre-render each sender's payload so the measured CPU is mostly the listener's.
    let payloads: [[UInt8]] = (0..<connections).map { c in
        var b: [UInt8] = []
        for i in 0..<per { b.append(contentsOf: line(c * per + i).utf8) }
        return b
    }
    let cpu0 = cpuSeconds(), t0 = Date()
    for c in 0..<connections {
        Thread {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            payloads[c].withUnsafeBytes { raw in
                var off = 0
                while off < raw.count {
                    let n = write(fd, raw.baseAddress! + off, min(1 << 20, raw.count - off))
                    if n <= 0 { break }
                    off += n
                }
            }
            close(fd)
        }.start()
    }
    let bytes = consume(queue, total: per * connections)
    report("syslog tcp (\(connections) connections)", events: per * connections, bytes: bytes, seconds: Date().timeIntervalSince(t0), cpu: cpuSeconds() - cpu0)
    exit(0)
default:
    print("usage: sluice-ingest-bench file|tcp [count]")
    exit(2)
}
