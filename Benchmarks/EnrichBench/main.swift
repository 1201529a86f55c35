// sluice-enrich-bench: enrichment throughput with big feeds loaded (issue 11 targets: at most
// 1 µs per checked field per event on one core with 1,000,000 indicators; load under 3 s;
// under 150 MiB resident; 100,000 assets).
//
//   sluice-enrich-bench gen DIR [INDICATORS] [ASSETS]   write the feed and inventory files
//   sluice-enrich-bench run DIR [EVENTS]                load them, enrich EVENTS events
//
// `gen` writes deterministic files (CSV, as big feeds and inventories are) and a list of
// values known to be in them; `run` (a separate process, so its resident memory is the
// loaded sets' and not the generator's) loads them with the real loaders and runs the real
// transforms over batches of 1,024 realistic proxy and DNS events on this thread.
import Foundation
import Logging
import SluiceCore
import SluiceEnrich

let args = CommandLine.arguments
guard args.count >= 3, args[1] == "gen" || args[1] == "run" else {
    print("usage: sluice-enrich-bench gen DIR [INDICATORS] [ASSETS] | run DIR [EVENTS]")
    exit(2)
}
let mode = args[1]
let dir = args[2]
let indicatorCount = mode == "gen" && args.count > 3 ? Int(args[3]) ?? 1_000_000 : 1_000_000
let assetCount = mode == "gen" && args.count > 4 ? Int(args[4]) ?? 100_000 : 100_000
let eventCount = mode == "run" && args.count > 3 ? Int(args[3]) ?? 400_000 : 400_000
/// `run DIR EVENTS STAGES`: a comma list of intel, context, repo (default all).
let stages = Set((mode == "run" && args.count > 4 ? args[4] : "intel,context,repo").split(separator: ",").map(String.init))

/// Deterministic pseudo-random numbers (SplitMix64).
struct Rng {
    var s: UInt64
    mutating func next() -> UInt64 {
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

func rssKiB(_ key: String) -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in s.split(separator: "\n") where line.hasPrefix(key) {
        return Int(line.split(separator: " ").dropFirst().first { !$0.isEmpty }.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
    }
    return 0
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
/// CPU time of this thread, seconds: the figure that does not depend on what else runs on
/// the machine (wall time is printed too).
func cpu() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
func fmt(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

let words = ["cdn", "api", "static", "files", "mail", "login", "update", "edge", "img", "media", "dl", "sync", "app", "data", "cloud", "net"]
let tlds = ["com", "net", "org", "io", "example", "info", "biz", "co.uk", "de", "ru"]
func domain(_ r: inout Rng, _ i: Int) -> String {
    "\(words[r.int(words.count)])\(i).\(words[r.int(words.count)])-\(r.int(100_000)).\(tlds[r.int(tlds.count)])"
}
func ipv4(_ r: inout Rng) -> String { "\(r.int(223) + 1).\(r.int(256)).\(r.int(256)).\(r.int(256))" }

try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
var rng = Rng(s: 42)
var knownIPs: [String] = [], knownDomains: [String] = [], knownWild: [String] = []
var assetIPs: [String] = [], userNames: [String] = []

if mode == "gen" {
// MARK: feed: 70% IPv4 addresses, 5% IPv4 CIDRs (/16-/30), 3% IPv6, 15% domains, 5% *.domains, 2% URLs.
do {
    var csv = "indicator,category,feed,confidence,expires\n"
    csv.reserveCapacity(indicatorCount * 48)
    let cats = ["tor_exit", "malicious", "residential_proxy", "vpn", "hosting", "scanner"]
    for i in 0..<indicatorCount {
        let k = rng.int(100)
        let ind: String
        switch k {
        case 0..<70: ind = ipv4(&rng); if i % 1000 == 0 { knownIPs.append(ind) }
        case 70..<75: ind = "\(rng.int(223) + 1).\(rng.int(256)).\(rng.int(256)).0/\(16 + rng.int(15))"
        case 75..<78: ind = rng.int(2) == 0 ? "2001:db8:\(String(rng.int(65536), radix: 16))::\(String(rng.int(65536), radix: 16))" : "2001:db8:\(String(rng.int(65536), radix: 16))::/48"
        case 78..<93: ind = domain(&rng, i); if i % 500 == 0 { knownDomains.append(ind) }
        case 93..<98: let d = domain(&rng, i); ind = "*." + d; if i % 500 == 0 { knownWild.append(d) }
        default: ind = "https://\(domain(&rng, i))/\(words[rng.int(words.count)])/\(rng.int(1_000_000)).php"
        }
        let conf = rng.int(3) == 0 ? "" : String(rng.int(101))
        let exp = rng.int(4) == 0 ? "2027-0\(rng.int(9) + 1)-15" : ""
        csv += "\(ind),\(cats[rng.int(cats.count)]),feed-\(rng.int(12)),\(conf),\(exp)\n"
    }
    try csv.write(toFile: dir + "/intel.csv", atomically: false, encoding: .utf8)
}

// MARK: inventory: assets (10% by CIDR), identities, sanctioned namespaces.
do {
    var a = "name,ips,cidrs,role,owner,environment,repo_egress\n"
    let roles = ["dev_workstation", "ci_runner", "server", "admin_jump", "other"]
    for i in 0..<assetCount {
        let ip = "10.\(i >> 16 & 255).\(i >> 8 & 255).\(i & 255)"
        if i % 50 == 0 { assetIPs.append(ip) }
        let cidr = i % 10 == 0 ? "172.\(16 + (i / 10) >> 16 & 15).\((i / 10) >> 8 & 255).0/24" : ""
        a += "host-\(i),\(cidr.isEmpty ? ip : ""),\(cidr),\(roles[i % roles.count]),team-\(i % 40),production,\(i % 3 == 0)\n"
    }
    try a.write(toFile: dir + "/assets.csv", atomically: false, encoding: .utf8)
    var p = "name,aliases,department,developer,service_account\n"
    for i in 0..<(assetCount / 5) {
        p += "user\(i),user\(i)-acme;user\(i)@acme.example;ACME\\user\(i),dept-\(i % 20),\(i % 4 != 0),\(i % 50 == 0)\n"
        if i % 20 == 0 { userNames.append(i % 40 == 0 ? "user\(i)-acme" : "ACME\\user\(i)") }
    }
    try p.write(toFile: dir + "/identities.csv", atomically: false, encoding: .utf8)
    try "repositories:\n  sanctioned: [github.com/acme, github.com/acme-oss, gitlab.com/acme-group, git.acme.example]\n"
        .write(toFile: dir + "/repos.yaml", atomically: false, encoding: .utf8)
}
var known = ""
for (k, vs) in [("ip", knownIPs), ("domain", knownDomains), ("wild", knownWild), ("asset", assetIPs), ("user", userNames)] {
    for v in vs { known += "\(k)\t\(v)\n" }
}
try known.write(toFile: dir + "/known.tsv", atomically: false, encoding: .utf8)
print("wrote \(indicatorCount) indicators and \(assetCount) assets to \(dir)")
exit(0)
}

for line in try String(contentsOfFile: dir + "/known.tsv", encoding: .utf8).split(separator: "\n") {
    let p = line.split(separator: "\t", maxSplits: 1).map(String.init)
    guard p.count == 2 else { continue }
    switch p[0] {
    case "ip": knownIPs.append(p[1])
    case "domain": knownDomains.append(p[1])
    case "wild": knownWild.append(p[1])
    case "asset": assetIPs.append(p[1])
    default: userNames.append(p[1])
    }
}

var logger = Logger(label: "bench")
logger.logLevel = .error
print("| step | figure |")
print("|---|---:|")
let rss0 = rssKiB("VmRSS:")

// MARK: load
let intel = ThreatIntelEnricher(files: [IntelFile(path: dir + "/intel.csv")], logger: logger)
var t0 = now(), c0 = cpu()
if stages.contains("intel") {
    try intel.load()
    print("| threat_intel load: \(intel.lastReport.counts["indicators"] ?? 0) indicators, \(intel.lastReport.badLines) bad lines | \(fmt(cpu() - c0)) s CPU (\(fmt(now() - t0)) s wall) |")
}
let rssIntel = rssKiB("VmRSS:")
if stages.contains("intel") {
    print("| resident memory added by the loaded indicators | \(fmt(Double(rssIntel - rss0) / 1024, 1)) MiB |")
}

let context = ContextEnricher(files: [ContextFile(path: dir + "/assets.csv"), ContextFile(path: dir + "/identities.csv"), ContextFile(path: dir + "/repos.yaml")], logger: logger)
t0 = now(); c0 = cpu()
if stages.contains("context") {
    try context.load()
    print("| context load: \(context.lastReport.counts["assets"] ?? 0) assets, \(context.lastReport.counts["identities"] ?? 0) identities | \(fmt(cpu() - c0)) s CPU (\(fmt(now() - t0)) s wall) |")
    print("| resident memory added by the inventory | \(fmt(Double(rssKiB("VmRSS:") - rssIntel) / 1024, 1)) MiB |")
}
let repo = RepoServicesEnricher()

// MARK: events: 75% proxy, 25% DNS; about 5% hit an indicator.
var events: [Event] = []
events.reserveCapacity(4096)
let kSource = FieldKey("source.ip"), kDest = FieldKey("destination.ip"), kDomain = FieldKey("destination.domain")
let kURLDomain = FieldKey("url.domain"), kURL = FieldKey("url.full"), kUser = FieldKey("user.name")
let kQuestion = FieldKey("dns.question.name"), kAnswers = FieldKey("dns.answers"), kData = FieldKey("data")
let kCategory = FieldKey("event.category"), kMethod = FieldKey("http.request.method")
let repoURLs = ["https://github.com/acme/widgets.git/git-upload-pack", "https://codeload.github.com/evil-corp/dump/zip/refs/heads/main",
                "https://api.github.com/repos/acme/widgets/contents/a.txt", "https://gitlab.com/acme-group/app/-/archive/main/app.zip"]
var checkedFields = 0
for i in 0..<4096 {
    var e = Event(timestamp: 1_764_750_000_000_000_000 + Int64(i))
    let hit = rng.int(20) == 0
    let client = assetIPs[rng.int(assetIPs.count)]
    if i % 4 != 3 {
        let host = hit && !knownDomains.isEmpty ? knownDomains[rng.int(knownDomains.count)]
            : (rng.int(10) == 0 ? "github.com" : domain(&rng, 2_000_000 + i))
        let url = rng.int(10) == 0 ? repoURLs[rng.int(repoURLs.count)] : "https://\(host)/\(words[rng.int(words.count)])/\(rng.int(100_000))?q=\(rng.int(1000))"
        e[kCategory] = .array([.string("network"), .string("web")])
        e[kSource] = .string(client)
        e[kMethod] = .string(rng.int(5) == 0 ? "POST" : "GET")
        e[kURL] = .string(url)
        e[kURLDomain] = .string(host)
        e[kDomain] = .string(host)
        e[kDest] = .string(hit && rng.int(2) == 0 ? knownIPs[rng.int(knownIPs.count)] : ipv4(&rng))
        e[kUser] = .string(userNames[rng.int(userNames.count)])
        checkedFields += 5   // source.ip, destination.ip, destination.domain, url.domain, url.full
    } else {
        let q = hit && !knownWild.isEmpty ? "a.b." + knownWild[rng.int(knownWild.count)] : domain(&rng, 3_000_000 + i)
        e[kSource] = .string(client)
        e[kQuestion] = .string(q)
        e[kAnswers] = .array([.object([Field(kData, .string(ipv4(&rng)))]), .object([Field(kData, .string(ipv4(&rng)))])])
        checkedFields += 4   // source.ip, dns.question.name, two dns.answers.data
    }
    events.append(e)
}

@MainActor func bench(_ name: String, _ t: Transform, fields: Int?) {
    var out: [Event] = []
    var failures: [DeadLetter] = []
    out.reserveCapacity(1024)
    var done = 0
    var matched = 0
    // Warm up (first batch also swaps the loaded set in).
    t.process(Array(events[0..<1024]), into: &out, failures: &failures)
    let start = now(), startCPU = cpu()
    var k = 0
    while done < eventCount {
        out.removeAll(keepingCapacity: true)
        let lo = (k % 4) * 1024
        t.process(Array(events[lo..<(lo + 1024)]), into: &out, failures: &failures)
        for e in out where e.fields.count > events[lo].fields.count { matched += 1 }
        done += 1024; k += 1
    }
    let secs = cpu() - startCPU, wall = now() - start
    let perEvent = secs / Double(done) * 1e9
    var row = "| \(name): \(done) events, \(fmt(Double(done) / secs, 0)) events/s of CPU (\(fmt(Double(done) / wall, 0)) wall) | \(fmt(perEvent, 0)) ns/event"
    if let fields {
        let perField = perEvent / (Double(fields) / 4096.0)
        row += ", \(fmt(perField, 0)) ns per checked field"
    }
    print(row + " |")
    _ = matched
}

if stages.contains("intel") { bench("threat_intel", intel, fields: checkedFields) }
if stages.contains("context") { bench("context", context, fields: nil) }
if stages.contains("repo") { bench("repo_services", repo, fields: nil) }
print("| peak resident memory of the whole run (VmHWM) | \(String(format: "%.1f", Double(rssKiB("VmHWM:")) / 1024)) MiB |")
print("| resident memory at the end (VmRSS) | \(String(format: "%.1f", Double(rssKiB("VmRSS:")) / 1024)) MiB |")
