import SluiceCore
import XCTest
@testable import SluiceDetect

/// The `sluice:` keys the shipped rule pack needs: placeholder defaults, `extract`,
/// `also_logsources`, first-seen `each`/`entity_learning`/`or_when` with `suppress`,
/// `baseline_windows: active`, and percentiles over the buckets since learning began.
final class PackExtensionTests: XCTestCase {
    static let cloneRule = """
    title: clone
    name: any_clone
    logsource: {product: github, service: audit}
    detection:
        sel:
            action: git.clone
            programmatic_access_type|expand: '%access_types%'
        condition: sel
    sluice:
        placeholders:
            access_types: ['Personal access token (classic)']
    ---
    title: mass clone
    name: mass_clone
    level: medium
    correlation: {type: value_count, rules: [any_clone], group-by: [actor], timespan: 10m, condition: {field: repo, gte: 3}}
    sluice:
        coalesce: {actor: [user.name]}
        placeholders:
            allow_actors: []
            allow_cidrs: []
        allowlist:
            - user.name|expand: '%allow_actors%'
            - source.ip|expand|cidr: '%allow_cidrs%'
    """

    func clones(_ actor: String, _ n: Int, ip: String = "203.0.113.7", token: String = "Personal access token (classic)") -> [Event] {
        (0..<n).map { ET.clone("acme/r\($0)", actor: actor, at: ET.t0 + Int64($0) * ET.m, ip: ip, token: token) }
    }

    func testPlaceholderDefaultsAreUsedAndConfigurationOverridesThem() {
        // Defaults: classic PATs count, nothing allowlisted (an empty list matches nothing).
        XCTAssertEqual(ET.run(ET.engine(Self.cloneRule), clones("mallory", 3)).count, 1)
        XCTAssertEqual(ET.run(ET.engine(Self.cloneRule), clones("mallory", 3, token: "OAuth access token")).count, 0)
        // The configuration overrides a default, including with an empty list.
        var o = DetectOptions()
        o.placeholders = ["access_types": ["OAuth access token"], "allow_actors": ["release-bot"]]
        let rs = RuleSet.parse([(file: "r.yml", yaml: Self.cloneRule)], placeholders: o.placeholders)
        XCTAssertTrue(rs.skipped.isEmpty, "\(rs.skipped)")
        XCTAssertEqual(ET.run(DetectionEngine(rules: rs, options: o), clones("mallory", 3, token: "OAuth access token")).count, 1)
        XCTAssertEqual(ET.run(DetectionEngine(rules: rs, options: o), clones("release-bot", 3, token: "OAuth access token")).count, 0)
        let none = RuleSet.parse([(file: "r.yml", yaml: Self.cloneRule)], placeholders: ["access_types": []])
        XCTAssertEqual(ET.run(DetectionEngine(rules: none, options: DetectOptions()), clones("mallory", 3)).count, 0, "an empty list matches nothing")
    }

    /// An allowlist whose placeholders are all empty (the pack's default) can never hold: the
    /// rule keeps no allowlist to test per event. One configured value brings it back, the
    /// empty items folded out of it.
    func testAnAllowlistOfEmptyPlaceholdersIsNone() throws {
        let empty = RuleSet.parse([(file: "r.yml", yaml: Self.cloneRule)], placeholders: [:])
        XCTAssertNil(try XCTUnwrap(empty.rule(named: "mass_clone")).ext.allowlist)
        let one = RuleSet.parse([(file: "r.yml", yaml: Self.cloneRule)], placeholders: ["allow_actors": ["release-bot"]])
        let allow = try XCTUnwrap(try XCTUnwrap(one.rule(named: "mass_clone")).ext.allowlist)
        guard case .pred = allow else { return XCTFail("expected the one actor's predicate, got \(allow)") }
        XCTAssertEqual(ET.run(DetectionEngine(rules: one, options: DetectOptions()), clones("release-bot", 3)).count, 0)
        XCTAssertEqual(ET.run(DetectionEngine(rules: one, options: DetectOptions()), clones("mallory", 3)).count, 1)
    }

    func testConstantsFold() {
        let p = Expr.pred(0), q = Expr.pred(1)
        XCTAssertEqual(Expr.or([.const(false), p, .const(false)]).folded, p)
        XCTAssertEqual(Expr.or([.const(false), .const(false)]).folded, .const(false))
        XCTAssertEqual(Expr.or([p, .const(true)]).folded, .const(true))
        XCTAssertEqual(Expr.and([.const(true), p, q]).folded, .and([p, q]))
        XCTAssertEqual(Expr.and([p, .not(.const(true))]).folded, .const(false))
        XCTAssertEqual(Expr.and([.const(true)]).folded, .const(true))
        XCTAssertEqual(Expr.not(.or([.const(false), .not(p)])).folded, .not(.not(p)))
        XCTAssertEqual(Expr.or([.and([p, .const(false)]), q]).folded, q)
    }

    func testExpandAppliesBeforeCIDR() {
        let rs = RuleSet.parse([(file: "r.yml", yaml: Self.cloneRule)], placeholders: ["allow_cidrs": ["198.51.100.13/32", "10.20.0.0/16"]])
        XCTAssertTrue(rs.skipped.isEmpty, "\(rs.skipped)")
        XCTAssertEqual(ET.run(DetectionEngine(rules: rs, options: DetectOptions()), clones("ci", 3, ip: "10.20.3.4")).count, 0)
        XCTAssertEqual(ET.run(DetectionEngine(rules: rs, options: DetectOptions()), clones("ci", 3, ip: "198.51.100.13")).count, 0)
        XCTAssertEqual(ET.run(DetectionEngine(rules: rs, options: DetectOptions()), clones("ci", 3, ip: "198.51.100.14")).count, 1)
    }

    func testUnconfiguredPlaceholderSkipsTheRuleWithTheReason() {
        let rs = RuleSet.parse(yaml: "title: t\nname: t\nlogsource: {product: github}\ndetection: {s: {actor|expand: '%who%'}, condition: s}\n")
        XCTAssertEqual(rs.rules.count, 0)
        XCTAssertTrue(rs.skipped.first?.description.contains("placeholder %who% is not configured") ?? false, "\(rs.skipped)")
    }

    /// First-seen per token: each value on its own, only for tokens known for a day, scanner
    /// user agents whatever the history, one alert per token per period.
    static let originRule = """
    title: token origin
    name: token_new_origin
    level: low
    logsource: {product: github, service: audit}
    detection: {sel: {hashed_token|exists: true}, condition: sel}
    sluice:
        coalesce: {token: [github.hashed_token]}
        extract:
            client: {field: user_agent.original, regex: '^([^/\\s]+)'}
        selections:
            scanner: {user_agent.original|contains: trufflehog}
        first_seen:
            entity: [token]
            values: [source.ip, client]
            each: true
            entity_learning: 24h
            or_when: scanner
            learning: 1h
        suppress: {for: 2h, by: [token]}
    """

    func use(_ token: String, ip: String, ua: String, at t: Int64) -> Event {
        DT.flat([("event.dataset", DT.s("github.audit")), ("event.action", DT.s("git.fetch")), ("github.hashed_token", DT.s(token)),
                 ("source.ip", DT.s(ip)), ("user_agent.original", DT.s(ua))], timestamp: t, original: "\(token) \(ip) \(ua) \(t)")
    }

    func testFirstSeenEachValueEntityLearningOrWhenAndSuppress() {
        let day = 24 * ET.h
        var ev: [Event] = []
        for d in 0..<3 { ev.append(use("tok-a", ip: "198.51.100.12", ua: "git/2.39.5 (Apple Git-154)", at: ET.t0 + Int64(d) * day)) }
        // Known address, new client: alert naming only the client.
        ev.append(use("tok-a", ip: "198.51.100.12", ua: "go-git/5.x", at: ET.t0 + 3 * day))
        // Within 2 hours, another new client: suppressed.
        ev.append(use("tok-a", ip: "198.51.100.12", ua: "python-requests/2.32.3", at: ET.t0 + 3 * day + ET.h))
        // Later, a new address with a known client: alert naming the address.
        ev.append(use("tok-a", ip: "192.0.2.23", ua: "git/2.39.5 (Apple Git-154)", at: ET.t0 + 3 * day + 5 * ET.h))
        // A token first seen 10 hours ago: no history to differ from.
        ev.append(use("tok-b", ip: "198.51.100.12", ua: "git/2.43.0", at: ET.t0 + 3 * day - 10 * ET.h))
        ev.append(use("tok-b", ip: "192.0.2.99", ua: "curl/8.5.0", at: ET.t0 + 3 * day))
        // A scanner's user agent alerts at once, even for a token never seen.
        ev.append(use("tok-c", ip: "198.51.100.12", ua: "trufflehog/3.90.6", at: ET.t0 + 3 * day + 2 * ET.h))
        let e = ET.engine(Self.originRule)
        let alerts = ET.run(e, ev)
        let got = alerts.map { a in a.alert!.group.map { "\($0.key.path)=\($0.value.text ?? "")" }.joined(separator: ",") }
        XCTAssertEqual(got, ["token=tok-a,client=go-git", "token=tok-c,source.ip=198.51.100.12,client=trufflehog", "token=tok-a,source.ip=192.0.2.23"])
        XCTAssertEqual(e.counter("detect_suppressed_alerts"), 1)
        XCTAssertEqual(alerts[1].alert?.details.first { $0.key.path == "matched" }?.value.text, "scanner")
    }

    func testAlsoLogsourcesSeesDNSAndProxyEventsInOneFirstSeenTable() {
        let rule = """
        title: repo domain first seen
        name: repo_domain_first_seen
        level: low
        logsource: {category: dns}
        detection: {sel: {sluice.repo_service.name|exists: true}, condition: sel}
        sluice:
            also_logsources: [{category: proxy}]
            coalesce: {domain: [dns.question.name, url.domain, destination.domain]}
            first_seen: {entity: [host.name], values: [domain], learning: 1h}
        """
        func dns(_ name: String, _ t: Int64) -> Event {
            DT.flat([("event.dataset", DT.s("bind.query")), ("host.name", DT.s("fin-report-01")), ("dns.question.name", DT.s(name)),
                     ("sluice.repo_service.name", DT.s("github"))], timestamp: t)
        }
        func proxy(_ domain: String, _ t: Int64) -> Event {
            DT.flat([("event.dataset", DT.s("squid.access")), ("event.category", DT.list("network", "web")), ("host.name", DT.s("fin-report-01")),
                     ("destination.domain", DT.s(domain)), ("sluice.repo_service.name", DT.s("github"))], timestamp: t)
        }
        let alerts = ET.run(ET.engine(rule), [dns("github.com", ET.t0), dns("api.github.com", ET.t0 + 2 * ET.h), proxy("api.github.com", ET.t0 + 2 * ET.h + ET.s),
                                              proxy("uploads.github.com", ET.t0 + 3 * ET.h)])
        XCTAssertEqual(alerts.map { $0.alert!.group.last!.value.text! }, ["api.github.com", "uploads.github.com"],
                       "a domain seen in DNS is known to the proxy side, and the proxy side alerts too")
        XCTAssertEqual(ET.run(ET.engine(rule.replacingOccurrences(of: "    also_logsources: [{category: proxy}]\n", with: "")),
                              [dns("github.com", ET.t0), proxy("uploads.github.com", ET.t0 + 3 * ET.h)]).count, 0, "without it, proxy events are not seen")
        let bad = RuleSet.parse(yaml: rule.replacingOccurrences(of: "{category: proxy}", with: "{category: firewall}"))
        XCTAssertTrue(bad.skipped.first?.description.contains("logsource not mapped") ?? false, "\(bad.skipped)")
    }

    func testBaselineWindowsActiveLearnsPeriodicJobs() {
        let rule = """
        title: bulk clone
        name: bulk_clone
        level: medium
        correlation: {type: value_count, rules: [c], group-by: [user.name], timespan: 10m, condition: {field: repo, gte: 10}}
        sluice:
            baseline_windows: active
            tiers: [{gte: 10, baseline: 3, level: medium}]
        ---
        title: c
        name: c
        logsource: {product: github}
        detection: {s: {action: git.clone}, condition: s}
        """
        var ev: [Event] = []
        // A bot cloning 20 repositories every night (one 10-minute window a day).
        for night in 0..<3 {
            for i in 0..<20 { ev.append(ET.clone("acme/r\(i)", actor: "ci[bot]", at: ET.t0 + Int64(night) * 24 * ET.h + Int64(i) * 20 * ET.s)) }
        }
        func night4(_ n: Int) -> [Event] {
            (0..<n).map { ET.clone("acme/r\($0)", actor: "ci[bot]", at: ET.t0 + 72 * ET.h + ET.m + Int64($0) * 5 * ET.s) }
        }
        var o = DetectOptions(); o.learningPeriod = 48 * ET.h
        XCTAssertEqual(ET.run(ET.engine(rule, options: o), ev + night4(50)).count, 0, "50 < 3 x its p95 of 20 over the windows it was active")
        XCTAssertEqual(ET.run(ET.engine(rule, options: o), ev + night4(65)).map { $0.alert!.count }, [60])
        let all = rule.replacingOccurrences(of: "baseline_windows: active", with: "baseline_windows: all")
        XCTAssertEqual(ET.run(ET.engine(all, options: o), ev + night4(12)).map { $0.alert!.count }, [10, 10],
                       "over every window the p95 of a nightly job is 0: the third night (after learning) and the fourth alert")
    }

    func testBaselineFirstBucketsAreNotTakenForEmptyHistory() {
        // 168 buckets of history asked, only 24 known: the percentile is over those 24.
        let rule = """
        title: volume
        name: volume
        level: medium
        logsource: {category: proxy}
        detection: {s: {url.domain: github.com}, condition: s}
        sluice:
            baseline: {entity: [host.name], value: source.bytes, bucket: 1h, k: 3, floor: 1, history: 168, learning: 1h}
        """
        func up(_ bytes: Int64, _ t: Int64) -> Event {
            DT.flat([("event.category", DT.list("network", "web")), ("url.domain", DT.s("github.com")), ("host.name", DT.s("ci-1")),
                     ("source.bytes", .int(bytes))], timestamp: t)
        }
        // Busy 5 hours of the first 24: the p95 of those 24 buckets is 100 (of 168 buckets,
        // the 144 before the rule saw anything counted as empty, it would be 0).
        var ev: [Event] = []
        for hour in [2, 7, 11, 15, 20] { ev.append(up(100, ET.t0 + Int64(hour) * ET.h)) }
        ev.append(up(250, ET.t0 + 24 * ET.h))
        XCTAssertEqual(ET.run(ET.engine(rule), ev).count, 0, "250 < 3 x 100")
        ev.append(up(100, ET.t0 + 24 * ET.h + ET.m))
        XCTAssertEqual(ET.run(ET.engine(rule), ev).count, 1, "350 >= 3 x 100")
    }

    func testExtractAndUnknownKeysAreChecked() {
        let bad = RuleSet.parse(yaml: """
        title: t
        name: t
        logsource: {product: github}
        detection: {s: {action: git.clone}, condition: s}
        sluice:
            extract: {client: {field: user_agent.original, regex: '([', flags: i}}
        """)
        XCTAssertTrue(bad.skipped.first?.description.contains("unknown key 'flags'") ?? false, "\(bad.skipped)")
        let badRegex = RuleSet.parse(yaml: "title: t\nname: t\nlogsource: {product: github}\ndetection: {s: {action: x}, condition: s}\nsluice:\n    extract: {c: {field: f, regex: '(['}}\n")
        XCTAssertTrue(badRegex.skipped.first?.description.contains("invalid regular expression") ?? false, "\(badRegex.skipped)")
        let fs = RuleSet.parse(yaml: "title: t\nname: t\nlogsource: {product: github}\ndetection: {s: {action: x}, condition: s}\nsluice:\n    first_seen: {entity: [a], values: [b], every: true}\n")
        XCTAssertTrue(fs.skipped.first?.description.contains("unknown key 'every'") ?? false, "\(fs.skipped)")
    }
}
