import Foundation
import Logging
import SluiceCore
import SluiceTestSupport
import SluiceTestSupport
import XCTest
@testable import SluiceSink

/// Shared helpers for the sink tests: sample alerts and hostile values, and a minimal CEF
/// reader (independent of the encoder). Receivers, ports, processes and waits are in
/// SluiceTestSupport.
enum TestSupport {
    static let logger = Logger(label: "sluice.sink.tests")

    // MARK: sample data

    static let repoKey = FieldKey("github.repo")
    static let t0 = Timestamp.make(year: 2026, month: 11, day: 23, hour: 1, minute: 2, second: 3, nanos: 456_000_000)

    /// A GitHub audit `git.clone` event as the github-audit parser would normalize it.
    static func cloneEvent(repo: String, user: String = "mallory", ip: String = "203.0.113.7",
                           userAgent: String = "git/2.43.0", url: String? = nil, at t: Int64 = t0) -> Event {
        var e = Event(timestamp: t, original: ArraySlice(Array("{\"action\":\"git.clone\"}".utf8)))
        e.append(ECS.eventDataset, .string("github.audit"))
        e.append(ECS.eventAction, .string("git.clone"))
        e.append(ECS.eventCategory, .string("network"))
        e.append(ECS.userName, .string(user))
        e.append(ECS.sourceIP, .string(ip))
        e.append(ECS.userAgent, .string(userAgent))
        e.append(repoKey, .string(repo))
        if let url { e.append(ECS.urlFull, .string(url)) }
        return e
    }

    /// A mass-cloning alert over `repos`, attacker-chosen values included as given.
    static func cloneAlert(repos: [String], user: String = "mallory", ip: String = "203.0.113.7",
                           userAgent: String = "git/2.43.0", url: String? = nil, severity: Severity = .high,
                           id: String = "a-1") -> Event {
        let evidence = repos.prefix(3).map { cloneEvent(repo: $0, user: user, ip: ip, userAgent: userAgent, url: url) }
        let alert = Alert(id: id, ruleID: "sluice-github-mass-clone-pat",
                          ruleName: "Mass cloning of repositories with a personal access token",
                          description: "\(user) cloned \(repos.count) distinct repositories with a PAT within 10m",
                          severity: severity, tacticIDs: ["TA0010"], techniqueIDs: ["T1567.001"],
                          group: [Field(ECS.userName, .string(user))], count: repos.count,
                          firstSeen: t0 - 300_000_000_000, lastSeen: t0,
                          enrichment: [Field(FieldKey("threat.indicator.ip"), .string(ip))],
                          details: [Field(SinkKeys.repositories, .array(repos.map { .string($0) })),
                                    Field(SinkKeys.distinctRepos, .int(Int64(repos.count)))],
                          evidence: Array(evidence))
        var e = Event(timestamp: t0)
        e.alert = alert
        e.append(ECS.sourceIP, .string(ip))
        e.append(ECS.userAgent, .string(userAgent))
        if let url { e.append(ECS.urlFull, .string(url)) }
        return e
    }

    /// Hostile values: CEF and syslog metacharacters, control characters, invalid UTF-8
    /// (as a parser would hand it over: repaired to U+FFFD) and forged headers.
    static let hostileRepo = "acme/evil|repo=1\\x\r\nCEF:0|Forged|Vendor|1|100|Fake|10|src=6.6.6.6 suser=admin"
    static let hostileUser = "bob\\ = admin|root\n<13>1 2026-11-23T00:00:00Z forged sluice - - - CEF:0|X|Y|1|2|3|4|"
    static let hostileAgent = "Mozilla/5.0 \u{0}NUL\u{7}BEL\u{1B}[31m " + String(decoding: [0xC3, 0x28, 0xFF, 0xFE, 0x41], as: UTF8.self) + " act=allow"
    static let hostileURL = "https://github.com/acme/x?q=a=b&c=\\|d\r\n12 <13>1 - - - - - fake frame"

    /// What a CEF reader must get back for `s`: the documented substitution of control
    /// characters other than CR and LF by U+FFFD.
    static func cefExpected(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { ($0.value < 0x20 && $0 != "\r" && $0 != "\n") || $0.value == 0x7F ? "\u{FFFD}" : $0 }))
    }
}

/// A deliberately small CEF reader written from the ArcSight specification, independent of
/// `CEFEncoder`: header fields split at unescaped `|`, extension split at unescaped `=` whose
/// preceding word is the key.
struct CEFRecord {
    var header: [String] = []
    var ext: [String: String] = [:]

    init?(_ line: String) {
        let chars = Array(line)
        guard line.hasPrefix("CEF:") else { return nil }
        var i = 4
        var cur = ""
        while header.count < 7 {
            guard i < chars.count else { return nil }
            let c = chars[i]
            if c == "\\", i + 1 < chars.count, chars[i + 1] == "\\" || chars[i + 1] == "|" { cur.append(chars[i + 1]); i += 2; continue }
            if c == "|" { header.append(cur); cur = ""; i += 1; continue }
            cur.append(c); i += 1
        }
        let rest = Array(chars[i...])
        // Unescaped '=' positions.
        var eqs: [Int] = []
        var j = 0
        while j < rest.count {
            if rest[j] == "\\" { j += 2; continue }
            if rest[j] == "=" { eqs.append(j) }
            j += 1
        }
        var keys: [(String, Int, Int)] = []   // key, key start, value start
        for e in eqs {
            var k = e - 1
            while k >= 0 && rest[k] != " " { k -= 1 }
            keys.append((String(rest[(k + 1)..<e]), k + 1, e + 1))
        }
        for (n, (key, _, vstart)) in keys.enumerated() {
            let vend = n + 1 < keys.count ? keys[n + 1].1 - 1 : rest.count
            guard vend >= vstart else { return nil }
            var v = ""
            var p = vstart
            while p < vend {
                if rest[p] == "\\", p + 1 < vend {
                    switch rest[p + 1] {
                    case "n": v.append("\n")
                    case "r": v.append("\r")
                    default: v.append(rest[p + 1])
                    }
                    p += 2; continue
                }
                v.append(rest[p]); p += 1
            }
            guard ext[key] == nil else { return nil }   // a duplicated key means forged structure
            ext[key] = v
        }
    }
}

/// An independent CEF parser in Python 3 (regular expressions), run as a separate process:
/// prints one JSON object per input line: {"header": [...], "ext": {...}}.
enum PythonCEF {
    static let script = #"""
import sys, json, re
def unesc_header(s):
    return re.sub(r'\\([\\|])', r'\1', s)
def unesc_ext(s):
    return re.sub(r'\\(.)', lambda m: {'n': '\n', 'r': '\r'}.get(m.group(1), m.group(1)), s)
out = []
for raw in sys.stdin.buffer.read().split(b'\n'):
    if not raw:
        continue
    line = raw.decode('utf-8')            # must be valid UTF-8
    assert line.startswith('CEF:0|'), line
    fields, cur, i, s = [], '', 0, line[4:]
    while len(fields) < 7:
        c = s[i]
        if c == '\\' and s[i+1] in '\\|':
            cur += s[i+1]; i += 2; continue
        if c == '|':
            fields.append(cur); cur = ''; i += 1; continue
        cur += c; i += 1
    ext = s[i:]
    keys = list(re.finditer(r'(?:^| )([A-Za-z0-9_.\[\]]+)=', ext))
    # only '=' not escaped count: the regex key cannot contain '\', and an escaped '=' is '\='
    keys = [m for m in keys if not (m.start(1) > 0 and ext[m.start(1)-1] == '\\')]
    d = {}
    for n, m in enumerate(keys):
        end = keys[n+1].start() if n + 1 < len(keys) else len(ext)
        v = ext[m.end():end]
        assert m.group(1) not in d, 'duplicate key ' + m.group(1)
        d[m.group(1)] = unesc_ext(v)
    out.append({'header': fields, 'ext': d})
print(json.dumps(out))
"""#

    static func parse(_ lines: [String]) throws -> [(header: [String], ext: [String: String])] {
        let dir = tempDir("pycef")
        let path = dir + "/cef.py"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        guard let py = which("python3") ?? (FileManager.default.isExecutableFile(atPath: "/root/.pyenv/shims/python3") ? "/root/.pyenv/shims/python3" : nil) else {
            throw MissingTestDependency("python3 not installed")
        }
        let r = try runProcess(py, [path], stdin: Array((lines.joined(separator: "\n") + "\n").utf8))
        guard r.status == 0 else { throw NSError(domain: "pycef", code: Int(r.status), userInfo: [NSLocalizedDescriptionKey: r.err]) }
        let arr = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [[String: Any]]
        return arr.map { ($0["header"] as! [String], $0["ext"] as! [String: String]) }
    }
}
