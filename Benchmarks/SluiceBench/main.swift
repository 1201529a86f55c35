import SluiceCore
import SluiceParse
import Yams
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// sluice-bench: per-parser throughput on generated realistic records.
//
//   sluice-bench [parse] [--records N] [--only NAME,...] [--repeat R]   time each parser (table on stdout)
//   sluice-bench --file PATH [--format FMT]                 time one parser on the lines of a file
//   sluice-bench generate NAME N [--seed S]               write N records of NAME, one per line
//
// Adding a format = one line in `benches` (and a generator in Generators.swift).

struct Bench {
    let name: String        // row label
    let format: String      // registered parser name
    let generator: String   // Generators.byName key
    let options: [String: String]
}

let benches: [Bench] = [
    Bench(name: "github-audit", format: "github-audit", generator: "github-audit", options: [:]),
    Bench(name: "syslog-5424", format: "syslog", generator: "syslog-5424", options: [:]),
    Bench(name: "syslog-3164", format: "syslog", generator: "syslog-3164", options: [:]),
    Bench(name: "cef", format: "cef", generator: "cef", options: [:]),
    Bench(name: "auto (mixed)", format: "auto", generator: "mixed", options: [:]),
    // Formats of the parsers-b branch (generators in Generators+ParsersB.swift).
    Bench(name: "squid", format: "squid", generator: "squid", options: [:]),
    Bench(name: "w3c-proxy", format: "w3c-proxy", generator: "w3c-proxy", options: [:]),
    Bench(name: "bind-query", format: "bind-query", generator: "bind-query", options: [:]),
    Bench(name: "dnsmasq", format: "dnsmasq", generator: "dnsmasq", options: [:]),
    Bench(name: "zeek-dns", format: "zeek-dns", generator: "zeek-dns", options: [:]),
    Bench(name: "auditd", format: "auditd", generator: "auditd", options: [:]),
    Bench(name: "sysmon-linux", format: "sysmon-linux", generator: "sysmon-linux", options: [:]),
    Bench(name: "osquery", format: "osquery", generator: "osquery", options: [:]),
]

func monotonic() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// CPU time of this thread: the throughput "on one core" even when the machine is shared.
func threadCPU() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func writeOut(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { b in
        var off = 0
        while off < b.count {
            let n = write(1, b.baseAddress! + off, b.count - off)
            if n <= 0 { exit(1) }
            off += n
        }
    }
}

var args = Array(CommandLine.arguments.dropFirst())
if args.first == "generate" {
    guard args.count >= 3, let gen = Generators.byName[args[1]], let n = Int(args[2]) else {
        FileHandleStderr.write("usage: sluice-bench generate {\(Generators.byName.keys.sorted().joined(separator: "|"))} N [--seed S]\n")
        exit(2)
    }
    var seed: UInt64 = 1
    if let i = args.firstIndex(of: "--seed"), i + 1 < args.count, let s = UInt64(args[i + 1]) { seed = s }
    var r = BenchRNG(seed: seed)
    var buf: [UInt8] = []
    buf.reserveCapacity(1 << 20)
    for i in 0..<n {
        gen(&r, i, &buf)
        buf.append(0x0A)
        if buf.count > (1 << 20) { writeOut(buf); buf.removeAll(keepingCapacity: true) }
    }
    writeOut(buf)
    exit(0)
}
if args.first == "parse" { args.removeFirst() }
var records = 1_000_000
var only: Set<String>?
if let i = args.firstIndex(of: "--records"), i + 1 < args.count, let n = Int(args[i + 1]) { records = n }
if let i = args.firstIndex(of: "--only"), i + 1 < args.count { only = Set(args[i + 1].split(separator: ",").map(String.init)) }
// `--repeat R` parses each generated chunk R times (a longer, generator-free run to profile).
var repeats = 1
if let i = args.firstIndex(of: "--repeat"), i + 1 < args.count, let n = Int(args[i + 1]), n > 0 { repeats = n }

/// Parses one chunk of records (`ends` are the end offsets of the records in `flat`) the way
/// the parse transform does: each record gets a fresh event holding it as `original`. A
/// function rather than top-level code, so that its locals are not globals.
@inline(never)
func parseChunk(_ parser: SluiceCore.Parser, _ flat: [UInt8], _ ends: [Int], into out: inout [Event],
                events: inout Int, failures: inout Int) {
    let slice = flat[...]
    var start = 0
    for end in ends {
        let rec = slice[start..<end]
        let event = Event(original: rec)
        do { try parser.parse(rec, event: consume event, into: &out) } catch { failures += 1 }
        if out.count >= 1000 { events += out.count; out.removeAll(keepingCapacity: true) }
        start = end
    }
}

enum FileHandleStderr {
    static func write(_ s: String) { var s = s; s.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) } }
}

let registry = ParseComponents.registry
let ctx = BuildContext(name: "bench", mode: .toEnd, dataDir: nil, logger: .init(label: "bench"), registry: registry)

func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
    let p = String(repeating: " ", count: max(0, n - s.count))
    return right ? p + s : s + p
}
func fmt(_ d: Double, _ digits: Int) -> String {
    var m = 1.0; for _ in 0..<digits { m *= 10 }
    let v = (d * m).rounded() / m
    var t = String(v)
    if let dot = t.firstIndex(of: ".") { let dec = t[t.index(after: dot)...].count; if dec < digits { t += String(repeating: "0", count: digits - dec) } }
    return t
}

print("| format | records | MiB | CPU s | MiB/s (CPU) | records/s (CPU) | wall s | failures | events |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")

// `--file PATH [--format FMT]` (default json): the parser alone on the lines of a file, read
// in 64 MiB blocks and parsed a block of whole lines at a time; only parsing is timed. MiB
// counts the file's bytes (newlines included), so the figure compares with `wc -l` on it.
if let i = args.firstIndex(of: "--file"), i + 1 < args.count {
    let path = args[i + 1]
    var format = "json"
    if let j = args.firstIndex(of: "--format"), j + 1 < args.count { format = args[j + 1] }
    let opts = ComponentOptions(component: "bench", node: ConfigNode(node: .mapping([:]), file: "bench", environment: [:]))
    guard let parser = try? registry.makeParser(format: format, options: opts, context: ctx) else {
        FileHandleStderr.write("format \(format) not registered\n"); exit(2)
    }
    let fd = open(path, O_RDONLY)
    if fd < 0 { FileHandleStderr.write("cannot open \(path)\n"); exit(2) }
    var pending: [UInt8] = []          // bytes read and not parsed yet; starts at a line start
    var block = [UInt8](repeating: 0, count: 64 << 20)
    var totalBytes = 0, records = 0, events = 0, failures = 0
    var seconds = 0.0, wall = 0.0
    var out: [Event] = []
    out.reserveCapacity(1024)
    var eof = false
    while !eof {
        let n = block.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 { FileHandleStderr.write("cannot read \(path)\n"); exit(2) }
        if n == 0 { eof = true } else { pending.append(contentsOf: block[0..<n]) }
        // The whole lines read so far (at the end of the file, an unterminated last line too).
        let cut = eof ? pending.count : (pending.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0)
        if cut == 0 { continue }
        var flat: [UInt8] = []
        flat.reserveCapacity(cut)
        var ends: [Int] = []
        var lineStart = 0
        for k in 0..<cut where pending[k] == 0x0A {
            if k > lineStart { flat.append(contentsOf: pending[lineStart..<k]); ends.append(flat.count) }
            lineStart = k + 1
        }
        if lineStart < cut { flat.append(contentsOf: pending[lineStart..<cut]); ends.append(flat.count) }
        pending.removeFirst(cut)
        let t0 = threadCPU()
        let w0 = monotonic()
        parseChunk(parser, flat, ends, into: &out, events: &events, failures: &failures)
        if eof { parser.tick(StageTime(wallClock: Int64.max / 2, eventTime: Int64.max / 2, final: true), into: &out) }
        events += out.count
        out.removeAll(keepingCapacity: true)
        seconds += threadCPU() - t0
        wall += monotonic() - w0
        totalBytes += cut
        records += ends.count
    }
    close(fd)
    let mib = Double(totalBytes) / 1_048_576
    let name = path.split(separator: "/").last.map(String.init) ?? path
    print("| file:\(name) (\(format)) | \(records) | \(fmt(mib, 1)) | \(fmt(seconds, 3)) | \(fmt(mib / seconds, 1)) | \(Int(Double(records) / seconds)) | \(fmt(wall, 3)) | \(failures) | \(events) |")
    exit(0)
}

let chunk = 100_000
for b in benches {
    if let only, !only.contains(b.name), !only.contains(b.format) { continue }
    guard let gen = Generators.byName[b.generator] else { continue }
    let opts = ComponentOptions(component: "bench", node: ConfigNode(node: .mapping([:]), file: "bench", environment: [:]))
    guard let parser = try? registry.makeParser(format: b.format, options: opts, context: ctx) else {
        FileHandleStderr.write("format \(b.format) not registered; skipped\n"); continue
    }
    var r = BenchRNG(seed: 42)
    var totalBytes = 0, events = 0, failures = 0
    var seconds = 0.0
    var wall = 0.0
    var done = 0
    var out: [Event] = []
    out.reserveCapacity(1024)
    // Generate and parse in chunks (bounded memory); only parsing is timed.
    while done < records {
        let n = min(chunk, records - done)
        var flat: [UInt8] = []
        flat.reserveCapacity(n * 400)
        var ends: [Int] = []
        ends.reserveCapacity(n)
        for i in 0..<n { gen(&r, done + i, &flat); ends.append(flat.count) }
        let t0 = threadCPU()
        let w0 = monotonic()
        for _ in 0..<repeats { parseChunk(parser, flat, ends, into: &out, events: &events, failures: &failures) }
        if done + n >= records { parser.tick(StageTime(wallClock: 0, eventTime: Int64.max, final: true), into: &out) }
        events += out.count; out.removeAll(keepingCapacity: true)
        seconds += threadCPU() - t0
        wall += monotonic() - w0
        totalBytes += flat.count * repeats
        done += n
    }
    let mib = Double(totalBytes) / 1_048_576
    print("| \(b.name) | \(records * repeats) | \(fmt(mib, 1)) | \(fmt(seconds, 3)) | \(fmt(mib / seconds, 1)) | \(Int(Double(records * repeats) / seconds)) | \(fmt(wall, 3)) | \(failures) | \(events) |")
}
