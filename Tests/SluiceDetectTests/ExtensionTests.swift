import SluiceCore
import XCTest
@testable import SluiceDetect

/// The `sluice:` extension keys.
final class ExtensionTests: XCTestCase {
    func testSingleEventAlertsPerEventAndSuppress() {
        let rule = """
        title: Repository made public
        name: github_repo_exposure
        id: 5f1e9c7a-8b3d-4c2e-a1f0-000000000001
        level: high
        tags: [attack.exfiltration, attack.t1567.001]
        logsource: {product: github, service: audit}
        detection:
            sel: {action: repo.access, github.visibility: public}
            condition: sel
        """
        func ev(_ repo: String, _ t: Int64) -> Event {
            DT.flat([("event.dataset", DT.s("github.audit")), ("event.action", DT.s("repo.access")), ("github.visibility", DT.s("public")),
                     ("github.repo", DT.s(repo)), ("user.name", DT.s("eve"))], timestamp: t, original: "\(repo) \(t)")
        }
        let events = [ev("acme/a", ET.t0), ev("acme/b", ET.t0 + ET.m), ev("acme/a", ET.t0 + 2 * ET.m)]
        let alerts = ET.run(ET.engine(rule), events)
        XCTAssertEqual(alerts.count, 3, "one alert per matching event")
        XCTAssertEqual(Set(alerts.map { $0.alert!.id }).count, 3)
        XCTAssertEqual(alerts[0].alert!.evidence.count, 1)
        let suppressed = rule + "\nsluice:\n    suppress: {for: 1h, by: [repo]}\n"
        let e = ET.engine(suppressed)
        XCTAssertEqual(ET.run(e, events).map { $0.alert!.group.first?.value }, [.string("acme/a"), .string("acme/b")])
        XCTAssertEqual(e.counter("detect_suppressed_alerts"), 1)
    }

    func testAllowlistByValueAndCIDR() {
        let rules = ET.cloneRules + """

        ---
        title: allow
        name: allowlisted_clone
        logsource: {product: github, service: audit}
        detection: {s: {action: git.clone}, condition: s}
        sluice:
            allowlist:
                - user.name: [ci-bot, release-bot]
                - source.ip|cidr: 10.20.0.0/16
        """
        let e = ET.engine(rules)
        let allowed = ET.engine(rules).rules.rule(named: "allowlisted_clone")!
        _ = allowed
        let m = RuleMatcher(rules: e.rules)
        func hits(_ ev: Event) -> Bool { var out: [Int] = []; m.match(ev, into: &out); return out.contains { e.rules.rules[$0].name == "allowlisted_clone" } }
        XCTAssertTrue(hits(ET.clone("a/1", actor: "alice", at: ET.t0)))
        XCTAssertFalse(hits(ET.clone("a/1", actor: "ci-bot", at: ET.t0)))
        XCTAssertFalse(hits(ET.clone("a/1", actor: "alice", at: ET.t0, ip: "10.20.3.4")))
    }

    func testFirstSeenAfterLearning() {
        let rule = """
        title: Code-repository domain first seen for a host
        name: repo_domain_first_seen
        level: low
        logsource: {category: dns}
        detection:
            sel: {query|endswith: [github.com, gitlab.com, bitbucket.org]}
            condition: sel
        sluice:
            family: network
            first_seen: {entity: [host.name], values: [dns.question.name], learning: 72h}
        """
        func q(_ host: String, _ name: String, _ t: Int64) -> Event {
            DT.flat([("event.dataset", DT.s("bind.query")), ("host.name", DT.s(host)), ("dns.question.name", DT.s(name))], timestamp: t)
        }
        var events: [Event] = []
        for d in 0..<3 { events.append(q("dev-1", "github.com", ET.t0 + Int64(d) * 24 * ET.h)); events.append(q("build-07", "gitlab.com", ET.t0 + Int64(d) * 24 * ET.h + ET.h)) }
        events.append(q("dev-1", "api.github.com", ET.t0 + 10 * ET.h))          // new, but still learning
        events.append(q("dev-1", "github.com", ET.t0 + 80 * ET.h))              // known
        events.append(q("build-07", "api.github.com", ET.t0 + 81 * ET.h))       // new after learning → alert
        events.append(q("build-07", "api.github.com", ET.t0 + 82 * ET.h))       // now known
        let alerts = ET.run(ET.engine(rule), events)
        XCTAssertEqual(alerts.count, 1)
        XCTAssertEqual(alerts.first?.alert?.group, [Field(FieldKey("host.name"), .string("build-07")), Field(FieldKey("dns.question.name"), .string("api.github.com"))])
        XCTAssertEqual(alerts.first?.string(FieldKey("sluice.family")), "network")
    }

    func testBaselineVolumeAboveFloorAndLearnedP95WithRatio() {
        let rule = """
        title: Upload volume to code repositories above the host's baseline
        name: repo_upload_volume
        level: medium
        logsource: {category: proxy}
        detection:
            sel: {cs-host|endswith: [github.com, githubusercontent.com]}
            condition: sel
        sluice:
            baseline:
                entity: [host.name]
                value: source.bytes
                bucket: 1h
                k: 3
                floor: 50MiB
                ratio: {field: destination.bytes, min: 5}
                learning: 72h
            tiers:
                - {gte: 50MiB, level: medium}
                - {gte: 500MiB, level: high}
        """
        func up(_ host: String, _ out: Int64, _ inBytes: Int64, _ t: Int64) -> Event {
            DT.flat([("event.category", DT.list("network", "web")), ("url.domain", DT.s("uploads.github.com")), ("host.name", DT.s(host)),
                     ("source.bytes", .int(out)), ("destination.bytes", .int(inBytes))], timestamp: t)
        }
        var events: [Event] = []
        // Three days: dev-1 uploads 40 MiB every hour (its p95 is 40 MiB); build-07 nothing.
        for hour in 0..<72 { events.append(up("dev-1", 40 << 20, 1 << 20, ET.t0 + Int64(hour) * ET.h + 5 * ET.m)) }
        // Day 4: dev-1 uploads 100 MiB (below 3 × 40), build-07 uploads 60 MiB then 600 MiB more.
        events.append(up("dev-1", 100 << 20, 1 << 20, ET.t0 + 73 * ET.h))
        events.append(up("build-07", 60 << 20, 1 << 20, ET.t0 + 74 * ET.h))
        events.append(up("build-07", 600 << 20, 1 << 20, ET.t0 + 74 * ET.h + 10 * ET.m))
        // Downloads are not uploads: high volume but in/out ratio below 5.
        events.append(up("build-08", 60 << 20, 60 << 20, ET.t0 + 75 * ET.h))
        let alerts = ET.run(ET.engine(rule), events)
        XCTAssertEqual(alerts.map { "\($0.alert!.group.first!.value.text!) \($0.alert!.severity.name)" }, ["build-07 medium", "build-07 high"])
        XCTAssertEqual(alerts[1].alert?.escalates, alerts[0].alert?.id)
    }

    func testFamilyChainOverAlertsFedBack() {
        let rules = ET.cloneRules + """

        ---
        title: Archive staging
        name: archive_staging
        level: low
        logsource: {category: process_creation}
        detection: {s: {Image|endswith: /tar, CommandLine|contains: ' -c'}, condition: s}
        sluice: {family: endpoint}
        ---
        title: Any family alert
        name: family_alert
        logsource: {product: sluice, service: alert}
        detection: {s: {sluice.family|exists: true}, condition: s}
        ---
        title: Exfiltration chain across families
        name: repo_exfil_chain
        correlation:
            type: value_count
            rules: [family_alert]
            group-by: [identity]
            timespan: 2h
            condition: {field: sluice.family, gte: 2}
        sluice:
            coalesce:
                identity: [sluice.identity.name, related.user]
            tiers:
                - {gte: 2, level: high}
                - {gte: 3, level: critical}
        """
        var events = (0..<10).map { ET.clone("acme/r\($0)", actor: "alice-acme", at: ET.t0 + Int64($0) * ET.s, extra: [("sluice.identity.name", DT.s("alice"))]) }
        events.append(DT.process("tar -czf /tmp/x.tgz src", image: "/usr/bin/tar", user: "alice", extra: [("sluice.identity.name", DT.s("alice"))]))
        events[events.count - 1].timestamp = ET.t0 + 30 * ET.m
        let alerts = ET.run(ET.engine(rules), events)
        XCTAssertEqual(alerts.map { $0.alert!.ruleName }, ["github_pat_mass_clone", "archive_staging", "repo_exfil_chain"])
        let chain = alerts[2].alert!
        XCTAssertEqual(chain.severity, .high)
        XCTAssertEqual(chain.group, [Field(FieldKey("identity"), .string("alice"))])
        XCTAssertEqual(chain.evidence.count, 2)
    }

    func testAfterRuleEscalation() {
        let rules = ET.cloneRules.replacingOccurrences(of: "tiers: [{gte: 5, level: medium}]", with: """
        tiers: [{gte: 5, level: medium}]
                - after_rule: [github_token_new_origin, github_token_first_asn]
                  same: {github.hashed_token: github.hashed_token}
                  within: 2h
                  steps: 1
        """) + """

        ---
        title: Token used from a new ASN
        name: github_token_first_asn
        level: low
        logsource: {product: github, service: audit}
        detection: {s: {hashed_token|exists: true}, condition: s}
        sluice: {first_seen: {entity: [github.hashed_token], values: [source.as.number]}}
        ---
        title: Token used from a secret-scanner user agent
        name: github_token_new_origin
        level: low
        logsource: {product: github, service: audit}
        detection: {s: {user_agent.original|contains: trufflehog}, condition: s}
        """
        let scan = DT.flat([("event.dataset", DT.s("github.audit")), ("event.action", DT.s("repo.download_zip")),
                            ("github.hashed_token", DT.s("tok-9")), ("user_agent.original", DT.s("TruffleHog/3.63"))], timestamp: ET.t0)
        let clones = (0..<10).map { ET.clone("a/\($0)", at: ET.t0 + ET.m + Int64($0) * ET.s, hashed: "tok-9") }
        let alerts = ET.run(ET.engine(rules), [scan] + clones)
        XCTAssertEqual(alerts.map { "\($0.alert!.ruleName) \($0.alert!.severity.name)" }, ["github_token_new_origin low", "github_pat_mass_clone high"])
        // Another token: no escalation.
        let other = (0..<10).map { ET.clone("a/\($0)", at: ET.t0 + ET.m + Int64($0) * ET.s, hashed: "tok-1") }
        XCTAssertEqual(ET.severities(ET.run(ET.engine(rules), [scan] + other)), ["low", "medium"])
    }

    func testTierWhenSelectionsGiveBotsOtherThresholds() {
        let rules = """
        title: clone
        name: any_clone
        logsource: {product: github, service: audit}
        detection: {s: {action: git.clone}, condition: s}
        ---
        title: Bulk clone
        name: github_bulk_clone
        correlation: {type: value_count, rules: [any_clone], group-by: [user.name], timespan: 10m, condition: {field: repo, gte: 25}}
        sluice:
            selections:
                bot: {user.name|endswith: '[bot]'}
            tiers:
                - {gte: 25, level: medium}
                - {gte: 60, level: high}
                - {when: bot, gte: 100, level: medium}
        """
        let human = (0..<30).map { ET.clone("a/\($0)", actor: "dev", at: ET.t0 + Int64($0) * ET.s) }
        let bot30 = (0..<30).map { ET.clone("a/\($0)", actor: "ci[bot]", at: ET.t0 + Int64($0) * ET.s) }
        let bot120 = (0..<120).map { ET.clone("a/\($0)", actor: "ci[bot]", at: ET.t0 + Int64($0) * ET.s) }
        XCTAssertEqual(ET.severities(ET.run(ET.engine(rules), human)), ["medium"])
        XCTAssertEqual(ET.severities(ET.run(ET.engine(rules), bot30)), [])
        XCTAssertEqual(ET.severities(ET.run(ET.engine(rules), bot120)), ["medium"])
    }

    func testDiffersEscalatesTemporalCorrelation() {
        let rules = """
        title: token granted
        name: token_granted
        logsource: {product: github, service: audit}
        detection: {s: {action: personal_access_token.access_granted}, condition: s}
        ---
        title: clone
        name: private_clone
        logsource: {product: github, service: audit}
        detection: {s: {action: git.clone}, condition: s}
        ---
        title: token then clone
        name: github_token_then_bulk_clone
        level: high
        correlation: {type: temporal_ordered, rules: [token_granted, private_clone], group-by: [user.name], timespan: 30m}
        sluice:
            escalate:
                - differs: source.ip
                  steps: 1
        """
        func grant(_ ip: String) -> Event {
            DT.flat([("event.dataset", DT.s("github.audit")), ("event.action", DT.s("personal_access_token.access_granted")),
                     ("user.name", DT.s("mallory")), ("source.ip", DT.s(ip))], timestamp: ET.t0)
        }
        let clone = ET.clone("a/1", at: ET.t0 + 5 * ET.m, ip: "203.0.113.7")
        XCTAssertEqual(ET.severities(ET.run(ET.engine(rules), [grant("203.0.113.7"), clone])), ["high"])
        XCTAssertEqual(ET.severities(ET.run(ET.engine(rules), [grant("198.51.100.1"), clone])), ["critical"])
    }

    func testUnknownExtensionKeysAreErrors() {
        let rs = RuleSet.parse(yaml: "title: t\nlogsource: {category: proxy}\ndetection: {s: {c-uri: x}, condition: s}\nsluice: {tierz: []}\n")
        XCTAssertEqual(rs.rules.count, 0)
        XCTAssertTrue(rs.skipped.first?.reason.description.contains("unknown key 'tierz'") ?? false)
    }
}
