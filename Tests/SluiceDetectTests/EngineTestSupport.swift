import Foundation
import SluiceCore
import XCTest
@testable import SluiceDetect

/// Running the engine over events and reading its alerts.
enum ET {
    static let t0: Int64 = 1_763_863_200_000_000_000   // 2025-11-23T02:00:00Z
    static let s: Int64 = 1_000_000_000
    static let m: Int64 = 60 * s
    static let h: Int64 = 60 * m

    static func engine(_ yaml: String, options: DetectOptions = DetectOptions(), file: StaticString = #filePath, line: UInt = #line) -> DetectionEngine {
        let rs = RuleSet.parse(yaml: yaml)
        for sk in rs.skipped { XCTFail("skipped: \(sk)", file: file, line: line) }
        return DetectionEngine(rules: rs, options: options)
    }

    /// Processes `events` in batches of `batch`, then finishes; returns the alert events.
    /// With `taking`, each batch is handed over (`process(taking:)`, events moved, not copied).
    static func run(_ e: DetectionEngine, _ events: [Event], batch: Int = 1000, taking: Bool = false) -> [Event] {
        var out: [Event] = []
        var i = 0
        while i < events.count {
            var b = Array(events[i..<min(events.count, i + batch)])
            if taking { e.process(taking: &b, into: &out) } else { e.process(b, into: &out) }
            i += batch
        }
        e.finish(into: &out)
        return out
    }

    static func clone(_ repo: String, actor: String = "mallory", at t: Int64, ip: String = "203.0.113.7",
                      token: String = "Personal access token (classic)", hashed: String = "tok-1", extra: [(String, FieldValue)] = []) -> Event {
        DT.flat([("event.dataset", DT.s("github.audit")), ("event.action", DT.s("git.clone")), ("user.name", DT.s(actor)),
                 ("source.ip", DT.s(ip)), ("github.repo", DT.s(repo)), ("github.programmatic_access_type", DT.s(token)),
                 ("github.hashed_token", DT.s(hashed)), ("github.repository_public", .bool(false))] + extra,
                timestamp: t, original: "{\"action\":\"git.clone\",\"repo\":\"\(repo)\",\"actor\":\"\(actor)\",\"ts\":\(t)}")
    }

    static func ssh(_ outcome: String, user: String, at t: Int64, host: String = "bastion") -> Event {
        let msg = outcome == "failure" ? "Failed password for \(user) from 198.51.100.9 port 4711 ssh2" : "Accepted password for \(user) from 198.51.100.9 port 4711 ssh2"
        return DT.flat([("log.syslog.appname", DT.s("sshd")), ("host.name", DT.s(host)), ("user.name", DT.s(user)), ("message", DT.s(msg))],
                       timestamp: t, original: "<38>1 - \(host) sshd - - - \(msg) \(t)")
    }

    static func severities(_ alerts: [Event]) -> [String] { alerts.map { $0.alert!.severity.name } }

    static let cloneRules = """
    title: Git clone with a personal access token
    name: github_pat_clone
    id: 9a0c0a52-1c57-4b8e-9d38-5f0f4a3b7c01
    logsource: {product: github, service: audit}
    detection:
        sel:
            action: git.clone
            programmatic_access_type:
                - Personal access token (classic)
                - Fine-grained personal access token
        condition: sel
    ---
    title: Mass cloning of repositories with a personal access token
    name: github_pat_mass_clone
    id: 9a0c0a52-1c57-4b8e-9d38-5f0f4a3b7c02
    description: Distinct repositories cloned with a PAT per actor in 10 minutes
    level: medium
    tags: [attack.exfiltration, attack.t1567.001, attack.collection, attack.t1213.003]
    correlation:
        type: value_count
        rules: [github_pat_clone]
        group-by: [actor]
        timespan: 10m
        condition: {field: repo, gte: 10}
    sluice:
        family: github
        coalesce:
            actor: [user.name, github.hashed_token]
        tiers:
            - {gte: 10, level: medium}
            - {gte: 25, level: high}
            - {gte: 50, level: critical}
        escalate:
            - when: {threat.enrichments.category: [tor_exit, malicious, residential_proxy]}
              steps: 1
              tiers: [{gte: 5, level: medium}]
    """
}
