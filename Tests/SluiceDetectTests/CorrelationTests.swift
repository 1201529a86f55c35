import SluiceCore
import XCTest
@testable import SluiceDetect

/// Correlation types, windows, tiers, escalation and the alert contract.
final class CorrelationTests: XCTestCase {
    func testValueCountTiersAndEscalationInPlace() throws {
        let e = ET.engine(ET.cloneRules)
        // 60 distinct repositories, one every 5 seconds (5 minutes in all).
        let events = (0..<60).map { ET.clone("acme/repo-\($0)", at: ET.t0 + Int64($0) * 5 * ET.s) }
        let alerts = ET.run(e, events)
        XCTAssertEqual(ET.severities(alerts), ["medium", "high", "critical"])
        let (a, b, c) = (alerts[0].alert!, alerts[1].alert!, alerts[2].alert!)
        XCTAssertEqual(a.count, 10); XCTAssertEqual(b.count, 25); XCTAssertEqual(c.count, 50)
        XCTAssertNil(a.escalates)
        XCTAssertEqual(b.escalates, a.id)
        XCTAssertEqual(c.escalates, b.id)
        XCTAssertEqual(Set([a.id, b.id, c.id]).count, 3)
        XCTAssertEqual(a.ruleName, "github_pat_mass_clone")
        XCTAssertEqual(a.ruleID, "9a0c0a52-1c57-4b8e-9d38-5f0f4a3b7c02")
        XCTAssertEqual(a.tacticIDs, ["TA0010", "TA0009"])
        XCTAssertEqual(a.techniqueIDs, ["T1567.001", "T1213.003"])
        XCTAssertEqual(a.group, [Field(FieldKey("actor"), .string("mallory"))])
        XCTAssertEqual(a.firstSeen, ET.t0)
        XCTAssertEqual(a.lastSeen, ET.t0 + 45 * ET.s)
        XCTAssertEqual(a.evidence.count, 10)
        XCTAssertEqual(c.evidence.count, 20, "evidence is bounded (evidence_limit 20)")
        XCTAssertEqual(a.evidence[0].string(FieldKey("github.repo")), "acme/repo-0", "evidence holds the events themselves")
        XCTAssertFalse(a.evidence[0].original.isEmpty)
        let repos = a.details.first { $0.key.path == "repositories" }?.value
        XCTAssertEqual(repos, .array((0..<10).map { .string("acme/repo-\($0)") }))
        XCTAssertEqual(alerts[0].string(FieldKey("sluice.family")), "github")
        XCTAssertEqual(alerts[0][FieldKey("related.user")], .array([.string("mallory")]))
        XCTAssertEqual(alerts[0][FieldKey("related.ip")], .array([.string("203.0.113.7")]))
        XCTAssertEqual(alerts[0].string(ECS.eventKind), "alert")
        XCTAssertEqual(e.counter("detect_alerts"), 3)
    }

    func testTorExitRaisesOneStepAndLowersTheEntryThreshold() {
        let tor: [(String, FieldValue)] = [("threat.enrichments", .array([.object([Field(FieldKey("indicator"), .string("185.220.101.4")),
                                                                                  Field(FieldKey("category"), .string("tor_exit")),
                                                                                  Field(FieldKey("feed"), .string("tor-exits"))])]))]
        let events = (0..<30).map { ET.clone("acme/r\($0)", at: ET.t0 + Int64($0) * ET.s, ip: "185.220.101.4", extra: tor) }
        let alerts = ET.run(ET.engine(ET.cloneRules), events)
        // ≥5 with intel → medium + 1 = high; ≥25 → high + 1 = critical.
        XCTAssertEqual(ET.severities(alerts), ["high", "critical"])
        XCTAssertEqual(alerts[0].alert!.count, 5)
        XCTAssertEqual(alerts[0].alert!.enrichment.first?.key.path, "threat.enrichments")
        XCTAssertTrue(alerts[0].alert!.enrichment.contains { $0.key.path == "escalated_by" })
    }

    /// A `differs` escalation without tiers adds its step also when the severity comes only
    /// from another escalation's tiers (the engine looks at `differs` last, once a severity
    /// exists, so the order escalations are written in must not matter).
    func testDiffersStepAddsToASeverityFromAnotherEscalationsTiers() {
        let tor: [(String, FieldValue)] = [("threat.enrichments", .array([.object([Field(FieldKey("category"), .string("tor_exit"))])]))]
        let intel = "        - when: {threat.enrichments.category: [tor_exit, malicious, residential_proxy]}\n          steps: 1\n          tiers: [{gte: 5, level: medium}]"
        let differs = "        - differs: source.ip\n          steps: 1"
        for differsFirst in [false, true] {
            let rules = ET.cloneRules.replacingOccurrences(of: intel, with: differsFirst ? differs + "\n" + intel : intel + "\n" + differs)
            XCTAssertNotEqual(rules, ET.cloneRules)
            // Five repositories with intel: medium from the escalation's tier, +1 (intel).
            let sameIP = (0..<5).map { ET.clone("acme/r\($0)", at: ET.t0 + Int64($0) * ET.s, ip: "185.220.101.4", extra: tor) }
            XCTAssertEqual(ET.severities(ET.run(ET.engine(rules), sameIP)), ["high"], "differs first: \(differsFirst)")
            // From two addresses: +1 more (differs).
            let twoIPs = (0..<5).map { ET.clone("acme/r\($0)", at: ET.t0 + Int64($0) * ET.s, ip: $0 == 0 ? "185.220.101.5" : "185.220.101.4", extra: tor) }
            XCTAssertEqual(ET.severities(ET.run(ET.engine(rules), twoIPs)), ["critical"], "differs first: \(differsFirst)")
            // Without intel there is no severity to raise: nothing, whatever the addresses.
            let plain = (0..<5).map { ET.clone("acme/r\($0)", at: ET.t0 + Int64($0) * ET.s, ip: "198.51.100.\($0)") }
            XCTAssertEqual(ET.run(ET.engine(rules), plain).count, 0, "differs first: \(differsFirst)")
        }
    }

    func testBelowThresholdAndSlidingWindow() {
        // 9 distinct repositories: nothing. 12 spread over 2 hours: never 10 within 10 minutes.
        XCTAssertEqual(ET.run(ET.engine(ET.cloneRules), (0..<9).map { ET.clone("a/\($0)", at: ET.t0 + Int64($0) * ET.s) }).count, 0)
        let spread = (0..<12).map { ET.clone("a/\($0)", at: ET.t0 + Int64($0) * 10 * ET.m) }
        XCTAssertEqual(ET.run(ET.engine(ET.cloneRules), spread).count, 0)
        // The same repository 30 times is one distinct value.
        XCTAssertEqual(ET.run(ET.engine(ET.cloneRules), (0..<30).map { ET.clone("a/same", at: ET.t0 + Int64($0) * ET.s) }).count, 0)
        // Another credential type is not counted.
        XCTAssertEqual(ET.run(ET.engine(ET.cloneRules), (0..<30).map { ET.clone("a/\($0)", at: ET.t0 + Int64($0) * ET.s, token: "SSH key") }).count, 0)
        // Two actors each below the threshold are two groups.
        let two = (0..<16).map { ET.clone("a/\($0)", actor: $0 % 2 == 0 ? "alice" : "bob", at: ET.t0 + Int64($0) * ET.s) }
        XCTAssertEqual(ET.run(ET.engine(ET.cloneRules), two).count, 0)
    }

    func testOneAlertPerEpisodeAndNewEpisodeAfterTheWindowEmpties() {
        var events = (0..<15).map { ET.clone("a/\($0)", at: ET.t0 + Int64($0) * ET.s) }
        events += (0..<15).map { ET.clone("b/\($0)", at: ET.t0 + 2 * ET.h + Int64($0) * ET.s) }
        let alerts = ET.run(ET.engine(ET.cloneRules), events)
        XCTAssertEqual(ET.severities(alerts), ["medium", "medium"])
        XCTAssertNotEqual(alerts[0].alert!.id, alerts[1].alert!.id)
    }

    func testCoalesceFallsBackToHashedToken() {
        let events = (0..<10).map { ET.clone("a/\($0)", actor: "", at: ET.t0 + Int64($0) * ET.s, hashed: "sha256:abc") }
        let alerts = ET.run(ET.engine(ET.cloneRules), events)
        XCTAssertEqual(alerts.first?.alert?.group, [Field(FieldKey("actor"), .string("sha256:abc"))])
    }

    static let sshRules = """
    title: Correlation - Multiple Failed Logins Followed by Successful Login
    id: b180ead8-d58f-40b2-ae54-c8940995b9b6
    status: experimental
    correlation:
        type: temporal_ordered
        rules:
            - multiple_failed_login
            - successful_login
        group-by:
            - User
        timespan: 10m
    level: high
    ---
    title: Multiple failed logons
    id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
    name: multiple_failed_login
    correlation:
        type: event_count
        rules:
            - failed_login
        group-by:
            - User
        timespan: 10m
        condition:
            gte: 10
    ---
    title: Single failed login
    id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
    name: failed_login
    logsource: {product: linux, service: sshd}
    detection:
        selection:
            - 'Failed password'
        condition: selection
    ---
    title: Successful login
    id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
    name: successful_login
    logsource: {product: linux, service: sshd}
    detection:
        selection:
            - 'Accepted password'
        condition: selection
    """

    func testSpecExampleFailedLoginsFollowedBySuccess() {
        // The specification's chained example (event_count inside temporal_ordered) on sshd logs.
        let rules = Self.sshRules.replacingOccurrences(of: "- User", with: "- user.name")
        var events = (0..<12).map { ET.ssh("failure", user: "root", at: ET.t0 + Int64($0) * 10 * ET.s) }
        events.append(ET.ssh("success", user: "root", at: ET.t0 + 3 * ET.m))
        let alerts = ET.run(ET.engine(rules), events)
        XCTAssertEqual(alerts.map { $0.alert!.ruleName }, ["Correlation - Multiple Failed Logins Followed by Successful Login"])
        XCTAssertEqual(alerts.first?.alert?.severity, .high)
        XCTAssertEqual(alerts.first?.alert?.evidence.count, 2, "the inner correlation's alert and the success")
        XCTAssertNotNil(alerts.first?.alert?.evidence.first?.alert, "the first evidence is the inner alert, with its own evidence")
        // Success first, failures after: not in order.
        var wrong = [ET.ssh("success", user: "root", at: ET.t0)]
        wrong += (0..<12).map { ET.ssh("failure", user: "root", at: ET.t0 + ET.s + Int64($0) * 10 * ET.s) }
        XCTAssertEqual(ET.run(ET.engine(rules), wrong).count, 0)
        // Unordered temporal accepts both orders.
        let unordered = rules.replacingOccurrences(of: "type: temporal_ordered", with: "type: temporal")
        XCTAssertEqual(ET.run(ET.engine(unordered), wrong).count, 1)
        // Another user's success does not join.
        var other = (0..<12).map { ET.ssh("failure", user: "root", at: ET.t0 + Int64($0) * 10 * ET.s) }
        other.append(ET.ssh("success", user: "alice", at: ET.t0 + 3 * ET.m))
        XCTAssertEqual(ET.run(ET.engine(rules), other).count, 0)
    }

    func testAliasesJoinGitHubLoginAndProxyUser() {
        let rules = """
        title: clone
        name: gh_clone
        logsource: {product: github, service: audit}
        detection: {s: {action: git.clone}, condition: s}
        ---
        title: upload
        name: proxy_upload
        logsource: {category: proxy}
        detection: {s: {cs-method: POST, cs-host|endswith: github.com}, condition: s}
        ---
        title: clone then upload by the same person
        name: clone_then_upload
        level: high
        correlation:
            type: temporal_ordered
            rules: [gh_clone, proxy_upload]
            group-by: [person]
            timespan: 30m
            aliases:
                person:
                    gh_clone: sluice.identity.name
                    proxy_upload: sluice.identity.name
        """
        let upload = DT.flat([("event.dataset", DT.s("squid.access")), ("event.category", DT.list("network", "web")),
                              ("http.request.method", DT.s("POST")), ("url.domain", DT.s("uploads.github.com")),
                              ("user.name", DT.s("alice")), ("sluice.identity.name", DT.s("alice"))], timestamp: ET.t0 + 5 * ET.m)
        let clone = ET.clone("acme/x", actor: "alice-acme", at: ET.t0, extra: [("sluice.identity.name", DT.s("alice"))])
        let alerts = ET.run(ET.engine(rules), [upload, clone])
        XCTAssertEqual(alerts.count, 1)
        XCTAssertEqual(alerts.first?.alert?.group, [Field(FieldKey("person"), .string("alice"))])
    }

    func testEventCountValueSumAndAvg() {
        let base = """
        title: upload
        name: proxy_out
        logsource: {category: proxy}
        detection: {s: {cs-host|endswith: github.com}, condition: s}
        ---
        title: agg
        name: agg
        correlation:
            type: TYPE
            rules: [proxy_out]
            group-by: [host.name]
            timespan: 1h
            condition: COND
        """
        func ev(_ bytes: Int64, _ i: Int64) -> Event {
            DT.flat([("event.category", DT.list("web")), ("url.domain", DT.s("uploads.github.com")), ("host.name", DT.s("build-07")),
                     ("source.bytes", .int(bytes))], timestamp: ET.t0 + i * ET.m)
        }
        let events = (0..<5).map { ev(100_000_000, Int64($0)) }
        func count(_ type: String, _ cond: String) -> Int {
            ET.run(ET.engine(base.replacingOccurrences(of: "TYPE", with: type).replacingOccurrences(of: "COND", with: cond)), events).count
        }
        XCTAssertEqual(count("event_count", "{gte: 5}"), 1)
        XCTAssertEqual(count("event_count", "{gt: 5}"), 0)
        XCTAssertEqual(count("value_sum", "{field: cs-bytes, gte: 500000000}"), 1)
        XCTAssertEqual(count("value_sum", "{field: cs-bytes, gt: 500000000}"), 0)
        XCTAssertEqual(count("value_avg", "{field: source.bytes, gte: 100000000}"), 1)
        XCTAssertEqual(count("value_avg", "{field: source.bytes, gt: 100000000}"), 0)
    }

    func testUpperBoundConditionsDecideAtWindowEnd() {
        let rules = """
        title: login
        name: ok_login
        logsource: {product: linux, service: sshd}
        detection: {s: ['Accepted password'], condition: s}
        ---
        title: few logins
        name: few
        correlation: {type: event_count, rules: [ok_login], group-by: [user.name], timespan: 10m, condition: {gte: 2, lte: 3}}
        """
        let three = (0..<3).map { ET.ssh("success", user: "alice", at: ET.t0 + Int64($0) * ET.m) }
        let five = (0..<5).map { ET.ssh("success", user: "bob", at: ET.t0 + Int64($0) * ET.m) }
        let alerts = ET.run(ET.engine(rules), three + five)
        XCTAssertEqual(alerts.map { $0.alert!.group.first?.value }, [.string("alice")], "2..3 within the window: alice only")
        XCTAssertEqual(alerts.first?.timestamp, ET.t0 + 10 * ET.m, "decided when the window ends")
    }

    func testGroupCapEvictsLeastRecentlyUsedAndCounts() {
        var o = DetectOptions()
        o.maxGroupsPerRule = 100
        let e = ET.engine(ET.cloneRules, options: o)
        let events = (0..<1000).map { ET.clone("a/x", actor: "user\($0)", at: ET.t0 + Int64($0) * ET.s) }
        _ = ET.run(e, events)
        XCTAssertEqual(e.counter("detect_group_evictions"), 900)
        XCTAssertLessThanOrEqual(e.activeGroups, 100)
    }

    func testBaseRuleReferencedByCorrelationDoesNotAlertUnlessGenerate() {
        let one = [ET.clone("a/1", at: ET.t0)]
        XCTAssertEqual(ET.run(ET.engine(ET.cloneRules), one).count, 0)
        let gen = ET.cloneRules.replacingOccurrences(of: "condition: {field: repo, gte: 10}", with: "condition: {field: repo, gte: 10}\n    generate: true")
        XCTAssertEqual(ET.run(ET.engine(gen), one).map { $0.alert!.ruleName }, ["github_pat_clone"])
    }
}
