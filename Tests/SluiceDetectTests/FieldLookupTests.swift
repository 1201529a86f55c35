import SluiceCore
import SluiceParse
import XCTest
@testable import SluiceDetect

/// DESIGN.md "Field names" and "Which events a rule sees".
final class FieldLookupTests: XCTestCase {
    let clone = DT.flat([("event.dataset", DT.s("github.audit")), ("event.action", DT.s("git.clone")), ("user.name", DT.s("mallory")),
                         ("source.ip", DT.s("185.220.101.4")), ("github.repo", DT.s("acme/payments")),
                         ("github.programmatic_access_type", DT.s("Personal access token (classic)"))])

    func testGitHubTableOwnFieldAndVendorNamespace() {
        let ls = "product: github\n    service: audit"
        XCTAssertTrue(DT.hits("sel:\n    action: git.clone\n    actor: mallory\n    actor_ip: 185.220.101.4\n    repo: acme/payments\ncondition: sel", clone, logsource: ls))
        XCTAssertTrue(DT.hits("sel:\n    programmatic_access_type|startswith: 'Personal access token'\ncondition: sel", clone, logsource: ls), "vendor namespace github.F")
        XCTAssertTrue(DT.hits("sel:\n    event.action: git.clone\ncondition: sel", clone, logsource: ls), "own field")
    }

    func testLogsourceSelectsEvents() {
        let github = DT.rules("title: g\nlogsource: {product: github, service: audit}\ndetection:\n  s:\n    action: git.clone\n  condition: s\n")
        let proc = DT.rules("title: p\nlogsource: {category: process_creation}\ndetection:\n  s:\n    event.action: git.clone\n  condition: s\n")
        XCTAssertEqual(DT.matches(github, clone), ["g"])
        XCTAssertEqual(DT.matches(proc, clone), [], "a process_creation rule does not see audit events")
        let proxy = DT.flat([("event.dataset", DT.s("squid.access")), ("event.category", DT.list("network", "web")),
                             ("url.full", DT.s("https://codeload.github.com/acme/api/zip/refs/heads/main")), ("url.domain", DT.s("codeload.github.com"))])
        let pr = DT.rules("title: x\nlogsource: {category: proxy}\ndetection:\n  s:\n    cs-host: codeload.github.com\n    c-uri|contains: '/zip/'\n  condition: s\n")
        XCTAssertEqual(DT.matches(pr, proxy), ["x"])
        XCTAssertEqual(DT.matches(pr, clone), [])
        let unmapped = RuleSet.parse(yaml: "title: w\nid: w-1\nlogsource: {product: windows, category: process_creation}\ndetection:\n  s:\n    Image: x\n  condition: s\n")
        XCTAssertEqual(unmapped.rules.count, 0)
        XCTAssertTrue(unmapped.skipped[0].reason.description.hasPrefix("logsource not mapped"), "\(unmapped.skipped)")
    }

    func testDNSAndZeek() {
        let zeek = DT.flat([("event.dataset", DT.s("zeek.dns")), ("dns.question.name", DT.s("api.github.com")),
                            ("dns.question.type", DT.s("A")), ("zeek.dns.trans_id", .int(7))])
        let z = DT.rules("title: z\nlogsource: {product: zeek, service: dns}\ndetection:\n  s:\n    query|endswith: github.com\n    qtype_name: A\n  condition: s\n")
        let d = DT.rules("title: d\nlogsource: {category: dns}\ndetection:\n  s:\n    query: API.GITHUB.COM\n  condition: s\n")
        XCTAssertEqual(DT.matches(z, zeek), ["z"])
        XCTAssertEqual(DT.matches(d, zeek), ["d"])
    }

    func testDottedNameFlatOrNestedAndArraysOfObjects() {
        let nested = DT.json(#"{"@timestamp":"2025-11-23T02:00:00Z","event":{"dataset":"github.audit","action":"git.clone"},"user":{"name":"mallory"},"source":{"ip":"185.220.101.4"},"threat":{"enrichments":[{"indicator":"185.220.101.0/24","feed":"tor","category":"vpn"},{"indicator":"185.220.101.4","feed":"dan.me.uk","category":"tor_exit","matched":{"field":"source.ip","atomic":"185.220.101.4"}}]}}"#)
        let ls = "product: github"
        XCTAssertTrue(DT.hits("sel:\n    actor: mallory\n    threat.enrichments.category: tor_exit\ncondition: sel", nested, logsource: ls))
        XCTAssertTrue(DT.hits("sel:\n    threat.enrichments.matched.field: source.ip\ncondition: sel", nested, logsource: ls))
        XCTAssertFalse(DT.hits("sel:\n    threat.enrichments.category: malicious\ncondition: sel", nested, logsource: ls))
        // The same with flat keys, and a flat dotted key inside the objects.
        let flat = DT.flat([("event.dataset", DT.s("github.audit")),
                            ("threat.enrichments", .array([.object([Field(FieldKey("category"), .string("tor_exit")),
                                                                    Field(FieldKey("matched.field"), .string("source.ip"))])]))])
        XCTAssertTrue(DT.hits("sel:\n    threat.enrichments.category: tor_exit\ncondition: sel", flat, logsource: ls))
        XCTAssertTrue(DT.hits("sel:\n    threat.enrichments.matched.field: source.ip\ncondition: sel", flat, logsource: ls))
        XCTAssertTrue(DT.hits("sel:\n    threat.enrichments.category|exists: true\ncondition: sel", flat, logsource: ls))
        XCTAssertTrue(DT.hits("sel:\n    threat.enrichments.feed|exists: false\ncondition: sel", flat, logsource: ls))
    }

    /// On an alert event, a name that is none of its fields is read from its evidence events
    /// (found there by a pass over each event's fields, no index): nested objects and flat
    /// dotted keys alike, values from any evidence event, absent when no event has it.
    func testAlertEventReadsItsEvidenceNestedOrFlat() {
        let nested = DT.json(#"{"@timestamp":"2025-11-23T02:00:00Z","event":{"dataset":"github.audit","action":"git.clone"},"source":{"ip":"185.220.101.4","geo":{"country_iso_code":"RU"}}}"#)
        let flat = DT.flat([("event.dataset", DT.s("github.audit")), ("user.name", DT.s("mallory")),
                            ("threat.enrichments", .array([.object([Field(FieldKey("category"), .string("tor_exit"))])]))])
        var alert = Event(timestamp: flat.timestamp)
        alert.alert = Alert(id: "a1", ruleID: "r1", ruleName: "github_pat_mass_clone", severity: .medium, count: 2,
                            firstSeen: flat.timestamp, lastSeen: flat.timestamp, evidence: [nested, flat])
        alert.append(ECS.eventKind, .string("alert"))
        let ls = "product: sluice\n    service: alert"
        XCTAssertTrue(DT.hits("sel:\n    source.geo.country_iso_code: RU\n    user.name: mallory\n    threat.enrichments.category: tor_exit\ncondition: sel", alert, logsource: ls))
        XCTAssertTrue(DT.hits("sel:\n    source.ip|cidr: 185.220.101.0/24\ncondition: sel", alert, logsource: ls))
        XCTAssertFalse(DT.hits("sel:\n    source.geo.country_iso_code: DE\ncondition: sel", alert, logsource: ls))
        XCTAssertFalse(DT.hits("sel:\n    host.name|exists: true\ncondition: sel", alert, logsource: ls))
        XCTAssertTrue(DT.hits("sel:\n    event.kind: alert\ncondition: sel", alert, logsource: ls), "the alert's own field")
    }

    /// `event.category` and `event.type` words are compared folding case, as text, spans of
    /// the record or lists of them; text outside ASCII is lowercased as Unicode (the Kelvin
    /// sign lowercases to `k`, so lengths alone do not decide). Every word of a list nested
    /// in an `event` object counts, not only the first.
    func testClassifierWordsFoldCase() throws {
        typealias W = EventClassifier.Words
        let e = DT.json(#"{"event":{"category":["Network","WEB"],"type":"Start"}}"#)
        let idx = FieldIndex()
        idx.load(e)
        let cats = try XCTUnwrap(EventClassifier.all(EventClassifier.category, EventClassifier.categoryPath, e, idx))
        XCTAssertEqual(EventClassifier.words(cats, e), [W.network, .web])
        XCTAssertEqual(EventClassifier.words(.string("START"), e), .start)
        XCTAssertEqual(EventClassifier.words(.string("Connection"), e), .connection)
        XCTAssertEqual(EventClassifier.words(.string("process"), e), .process)
        XCTAssertEqual(EventClassifier.words(.string("starts"), e), [])
        XCTAssertEqual(EventClassifier.words(.string("netw"), e), [])
        XCTAssertEqual(EventClassifier.words(.string("process\u{0}"), e), [], "a NUL byte is a byte")
        XCTAssertEqual(EventClassifier.words(.string("process and a long tail past sixteen bytes"), e), [])
        XCTAssertEqual(EventClassifier.words(.string("networ\u{212A}"), e), .network, "Kelvin sign: longer in UTF-8, lowercases to k")
        XCTAssertEqual(EventClassifier.words(.string("nétwork"), e), [])
        XCTAssertEqual(EventClassifier.words(.int(1), e), [])
        XCTAssertEqual(EventClassifier.words(.array([.string("x"), .array([.string("PROCESS")])]), e), .process)
        // The packed literals are the packing of each word.
        for (w, bit) in [("process", W.process), ("network", .network), ("web", .web), ("start", .start), ("connection", .connection)] {
            var t = w
            XCTAssertEqual(t.withUTF8 { EventClassifier.word($0) }, bit, w)
        }
        // A span of the record (the JSON parser's zero-copy strings).
        let span = DT.json(#"{"event.dataset":"x","event.category":"Process"}"#)
        idx.load(span)
        let v = try XCTUnwrap(EventClassifier.all(EventClassifier.category, EventClassifier.categoryPath, span, idx))
        guard case .span = v else { return XCTFail("expected a span of the record, got \(v)") }
        XCTAssertEqual(EventClassifier.words(v, span), .process)
        // End to end: a proxy rule sees a nested event whose second category word is `web`.
        let nestedProxy = DT.json(#"{"event":{"dataset":"squid.access","category":["network","web"]},"url":{"domain":"codeload.github.com"}}"#)
        let pr = DT.rules("title: x\nlogsource: {category: proxy}\ndetection:\n  s:\n    cs-host: codeload.github.com\n  condition: s\n")
        XCTAssertEqual(DT.matches(pr, nestedProxy), ["x"])
    }

    func testListFieldMatchesWhenAnyElementMatches() {
        let e = DT.process("x", extra: [("process.args", DT.list("git", "push", "https://github.com/evil/loot.git"))])
        XCTAssertTrue(DT.hits("sel:\n    process.args: push\ncondition: sel", e))
        XCTAssertTrue(DT.hits("sel:\n    process.args|startswith: 'https://github.com/'\ncondition: sel", e))
        XCTAssertFalse(DT.hits("sel:\n    process.args: pull\ncondition: sel", e))
        XCTAssertFalse(DT.hits("sel:\n    process.args: pull\ncondition: not sel and sel", e))
    }

    func testProcessCreationMappingOnSpanFields() throws {
        // auditd parser output (spans of the record) through the table.
        let line = #"type=EXECVE msg=audit(1763863200.123:4242): argc=3 a0="git" a1="push" a2="evil""#
        _ = line
        let e = DT.process("git push evil", image: "/usr/bin/git", user: "alice")
        XCTAssertTrue(DT.hits("sel:\n    Image|endswith: /git\n    CommandLine|contains|all: [push, evil]\n    User: alice\ncondition: sel", e))
    }

    func testLinuxServiceAndAuthFacility() {
        let sudo = DT.flat([("log.syslog.appname", DT.s("sudo")), ("log.syslog.facility.code", .int(10)),
                            ("message", DT.s("alice : user NOT in sudoers ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash"))])
        XCTAssertTrue(DT.hits("k:\n    - 'NOT in sudoers'\ncondition: k", sudo, logsource: "product: linux\n    service: sudo"))
        XCTAssertTrue(DT.hits("k:\n    - 'NOT in sudoers'\ncondition: k", sudo, logsource: "product: linux\n    service: auth"))
        XCTAssertTrue(DT.hits("k:\n    - 'NOT in sudoers'\ncondition: k", sudo, logsource: "product: linux"))
        XCTAssertFalse(DT.hits("k:\n    - 'NOT in sudoers'\ncondition: k", sudo, logsource: "product: linux\n    service: cron"))
    }

    /// A `json` event whose original a parse stage dropped keeps its values as spans of the
    /// hidden record: both of the matcher's modes (the per-field scan for contains/endswith and
    /// the direct test) must read them there, not in the now empty `original`.
    func testValuesOfADroppedOriginalAreMatched() throws {
        let line = #"{"@timestamp":1763863715000,"event.dataset":"github.audit","action":"git.clone","actor":"alice","repo":"acme/payments-api","programmatic_access_type":"Personal access token (classic)"}"#
        let parse = ParseTransform(format: "json", parser: JSONParser(), field: nil, dropOriginal: true)
        var out: [Event] = [], failures: [DeadLetter] = []
        parse.process([Event(original: Array(line.utf8)[...])], into: &out, failures: &failures)
        let e = try XCTUnwrap(out.first)
        XCTAssertTrue(e.original.isEmpty)
        XCTAssertTrue(e.hasSpans)
        let gh = "product: github\n    service: audit"
        XCTAssertTrue(DT.hits("s:\n    action: git.clone\n    actor: alice\ncondition: s", e, logsource: gh))
        XCTAssertTrue(DT.hits("s:\n    repo|endswith: /payments-api\n    programmatic_access_type|contains: access token\ncondition: s", e, logsource: gh))
        XCTAssertFalse(DT.hits("s:\n    repo|contains: ml-models\ncondition: s", e, logsource: gh))
    }
}
