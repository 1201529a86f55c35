import SluiceCore
import SluiceTestSupport
import XCTest
@testable import SluiceDetect
@testable import SluiceParse

/// Extension selections (`sluice: selections:` used by `when`/`or_when`, and `allowlist:`)
/// are compiled like rule conditions and run on the loaded event (`selectionHolds`); they
/// must give what walking the selection's expression gives (`evaluateStandalone`), on
/// events as the `github-audit` parser makes them, enriched as the enrichers enrich them.
final class SelectionCodeTests: XCTestCase {
    static let rules = """
    title: clone
    name: any_clone
    logsource: {product: github, service: audit}
    detection:
        sel:
            action: [git.clone, repo.download_zip, repo.access, repo.create]
        condition: sel
    ---
    title: mass clone
    name: mass_clone
    level: medium
    correlation: {type: value_count, rules: [any_clone], group-by: [actor], timespan: 10m, condition: {field: repo, gte: 3}}
    sluice:
        coalesce: {actor: [user.name]}
        placeholders:
            allow_actors: [ci-bot, release-manager]
            allow_tokens: [tok-Allowed-1]
            allow_cidrs: [10.20.0.0/16, 2001:db8:a::/48]
        allowlist:
            - user.name|expand: '%allow_actors%'
            - github.hashed_token|expand|cased: '%allow_tokens%'
            - source.ip|expand|cidr: '%allow_cidrs%'
        selections:
            app_actor:
                - user.name|endswith: '[bot]'
                - github.programmatic_access_type: GitHub App server-to-server token
            risky_address:
                threat.enrichments.category: [tor_exit, malicious, residential_proxy]
            exposed:
                - event.action: repo.access
                  visibility: public
                - event.action: [repo.transfer, migration.create]
            unnamed_repo:
                github.repo: null
            agent:
                user_agent.original|contains|all: [git/, linux]
        tiers:
            - {gte: 25, level: medium}
            - {when: app_actor, gte: 100, level: medium}
        escalate:
            - when: risky_address
              steps: 1
            - when: exposed
              steps: 1
            - when: unnamed_repo
              steps: 1
            - when: agent
              steps: 1
    """

    func testCompiledSelectionsAgreeWithTheTreeWalk() throws {
        let rs = DT.rules(Self.rules)
        let m = RuleMatcher(rules: rs)
        let corr = try XCTUnwrap(rs.rules.first { $0.name == "mass_clone" })
        XCTAssertEqual(corr.ext.whenSelections.count, 5)
        XCTAssertNotNil(corr.ext.allowlist)
        var rng = SplitMix(seed: 0x5e1ec7)
        var seen: [[Bool]: Int] = [:]
        for _ in 0..<400 {
            let e = try Self.event(&rng)
            var outcome: [Bool] = []
            for r in rs.rules {
                for i in -1..<r.ext.whenSelections.count {
                    let want: Bool
                    if i < 0 { want = r.ext.allowlist.map { m.evaluateStandalone($0, on: e) } ?? false }
                    else { want = m.evaluateStandalone(r.ext.whenSelections[i], on: e) }
                    m.load(e)
                    let got = m.selectionHolds(rule: r.index, i, on: e)
                    XCTAssertEqual(got, want, "\(r.name) selection \(i) on \(e.originalText)")
                    // Loaded once more, the per-event cache gives the same answer.
                    XCTAssertEqual(m.selectionHolds(rule: r.index, i, on: e), got)
                    if r.name == "mass_clone" { outcome.append(got) }
                }
            }
            seen[outcome, default: 0] += 1
        }
        // Every selection of the correlation held for some events and not for others.
        for k in 0..<6 {
            XCTAssertTrue(seen.keys.contains { $0[k] }, "selection \(k - 1) never held")
            XCTAssertTrue(seen.keys.contains { !$0[k] }, "selection \(k - 1) always held")
        }
    }

    /// A GitHub audit record with varied actors, addresses, tokens and actions, parsed by
    /// the `github-audit` parser, then enriched (threat intel's `threat.enrichments` objects,
    /// sometimes) as the pipeline would.
    static func event(_ rng: inout SplitMix) throws -> Event {
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        let actor = pick(["dev-7", "ci-bot", "dependabot[bot]", "release-manager", "Mallory", "renovate[bot]"])
        let ip = pick(["10.20.3.4", "10.21.0.9", "203.0.113.7", "2001:db8:a::5", "2001:db8:b::5", "198.51.100.23"])
        let token = pick(["tok-Allowed-1", "tok-allowed-1", "tok-9f8e", ""])
        let action = pick(["git.clone", "repo.download_zip", "repo.access", "repo.transfer", "migration.create", "repo.create"])
        let access = pick(["Personal access token (classic)", "GitHub App server-to-server token", "OAuth access token", ""])
        let ua = pick(["git/2.43.0 (linux)", "git/2.39.3 (Apple Git-145)", "curl/8.5.0 linux", "GitHub-Hookshot/abc"])
        var members = [
            #""@timestamp":1763863715000"#, #""action":"\#(action)""#, #""actor":"\#(actor)""#,
            #""actor_ip":"\#(ip)""#, #""user_agent":"\#(ua)""#, #""org":"acme""#,
            #""transport_protocol_name":"http""#,
        ]
        if rng.next() % 4 != 0 { members.append(#""repo":"acme/r\#(rng.next() % 50)""#) }
        if !token.isEmpty { members.append(#""hashed_token":"\#(token)""#) }
        if !access.isEmpty { members.append(#""programmatic_access_type":"\#(access)""#) }
        if rng.next() % 2 == 0 { members.append(#""visibility":"\#(pick(["public", "private", "internal"]))""#) }
        var e = try ParserHarness.one(GitHubAuditParser(), "{" + members.joined(separator: ",") + "}")
        switch rng.next() % 3 {
        case 0:
            let cats = (0..<Int(1 + rng.next() % 2)).map { _ in pick(["tor_exit", "malicious", "scanner", "residential_proxy", "vpn"]) }
            e.append(FieldKey("threat.enrichments"), .array(cats.map { .object([Field(FieldKey("category"), .string($0)), Field(FieldKey("feed"), .string("intel"))]) }))
        case 1:
            e.append(FieldKey("threat.enrichments"), .array([]))
        default:
            break
        }
        return e
    }
}

