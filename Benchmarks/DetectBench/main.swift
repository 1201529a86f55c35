import Foundation
import SluiceCore
import SluiceDetect

/// `sluice-detect-bench`: detection throughput with the pack plus 300 community-style rules
/// on a mixed stream (one core), memory with 1,000,000 active group keys, and snapshot /
/// restore time at that size. Figures go to BENCHMARKS.md.
///
///   sluice-detect-bench throughput [EVENTS] [--repeat N] [--pack DIR]
///     (--pack: the rule files of DIR, e.g. Pipelines/rules, instead of the built-in
///     issue-13-like bench pack; the 300 community-style rules are loaded either way)
///   sluice-detect-bench keys [KEYS]

func rssMiB() -> Double {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in s.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let kb = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        return kb / 1024
    }
    return 0
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

let args = CommandLine.arguments
let mode = args.count > 1 ? args[1] : "throughput"
let t0: Int64 = 1_763_856_000_000_000_000   // 2025-11-23T00:00:00Z

@inline(never)
func throughput(_ n: Int, repeats: Int, pack: String?) {
    var files: [(file: String, yaml: String)] = [(file: "pack.yml", yaml: BenchPack.yaml)]
    if let pack {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: pack)) ?? []).filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }.sorted()
        files = names.compactMap { name in (try? String(contentsOfFile: pack + "/" + name, encoding: .utf8)).map { (file: name, yaml: $0) } }
        print("pack: \(files.count) files from \(pack)")
    }
    let rules = RuleSet.parse(files + [(file: "community.yml", yaml: CommunityRules.generate())])
    for s in rules.skipped { print("skipped: \(s)") }
    print("rules: \(rules.rules.count) loaded (\(rules.rules.filter { $0.isCorrelation }.count) correlations), \(rules.skipped.count) skipped")
    let events = MixedStream.events(n, start: t0, span: 24 * 3_600_000_000_000)
    var best = Double.infinity
    var alerts = 0
    for _ in 0..<repeats {
        let engine = DetectionEngine(rules: rules)
        var out: [Event] = []
        let start = now()
        var i = 0
        while i < events.count {
            engine.process(Array(events[i..<min(i + 1024, events.count)]), into: &out)
            i += 1024
        }
        engine.finish(into: &out)
        let dt = now() - start
        best = min(best, dt)
        alerts = out.count
    }
    print(String(format: "throughput: %d events in %.3f s = %.0f events/s (best of %d), %d alerts, RSS %.1f MiB",
                 n, best, Double(n) / best, repeats, alerts, rssMiB()))
}

@inline(never)
func keys(_ n: Int) throws {
    // One value_count rule grouped by actor; n distinct actors inside one 10-minute window.
    let yaml = """
    title: clone
    name: clone
    logsource: {product: github, service: audit}
    detection: {s: {action: git.clone}, condition: s}
    ---
    title: many clones
    name: many
    correlation: {type: value_count, rules: [clone], group-by: [user.name], timespan: 1h, condition: {field: repo, gte: 10}}
    """
    let rules = RuleSet.parse(yaml: yaml)
    var o = DetectOptions()
    o.maxGroupsPerRule = n + 10
    let engine = DetectionEngine(rules: rules, options: o)
    let base = rssMiB()
    let ka = FieldKey("event.action"), ku = FieldKey("user.name"), kr = FieldKey("github.repo"), kd = FieldKey("event.dataset")
    var out: [Event] = []
    let start = now()
    var batch: [Event] = []
    batch.reserveCapacity(4096)
    for i in 0..<n {
        var e = Event(timestamp: t0 + Int64(i) * 1_000_000)   // 1 ms apart: 1M events in 1000 s
        e.append(kd, .string("github.audit")); e.append(ka, .string("git.clone"))
        e.append(ku, .string("actor-\(i)")); e.append(kr, .string("acme/repo-\(i % 50)"))
        batch.append(e)
        if batch.count == 4096 { engine.process(batch, into: &out); batch.removeAll(keepingCapacity: true) }
    }
    engine.process(batch, into: &out)
    engine.advance(frontier: t0 + Int64(n) * 1_000_000 + 200_000_000_000, wallClock: 0, into: &out)
    let fill = now() - start
    let rss = rssMiB()
    print(String(format: "keys: %d active groups (%d buffered) in %.2f s; RSS %.1f MiB (%.1f MiB before the engine filled)",
                 engine.activeGroups, engine.bufferedEvents, fill, rss, base))
    var s = now()
    let snap = try engine.snapshot()
    let snapTime = now() - s
    s = now()
    let restored = DetectionEngine(rules: rules, options: o)
    try restored.restore(snap)
    let restoreTime = now() - s
    print(String(format: "snapshot: %.1f MiB in %.2f s; restore %.2f s (%d groups)", Double(snap.count) / 1_048_576, snapTime, restoreTime, restored.activeGroups))
}

switch mode {
case "throughput":
    let n = args.count > 2 ? Int(args[2]) ?? 1_000_000 : 1_000_000
    let rep = args.firstIndex(of: "--repeat").flatMap { Int(args[$0 + 1]) } ?? 3
    throughput(n, repeats: rep, pack: args.firstIndex(of: "--pack").map { args[$0 + 1] })
case "keys":
    try keys(args.count > 2 ? Int(args[2]) ?? 1_000_000 : 1_000_000)
default:
    print("usage: sluice-detect-bench throughput [EVENTS] [--repeat N] [--pack DIR] | keys [KEYS]")
    exit(2)
}
