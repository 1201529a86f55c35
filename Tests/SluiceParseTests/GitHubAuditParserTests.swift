import SluiceTestSupport
import XCTest
import SluiceCore
@testable import SluiceParse

final class GitHubAuditParserTests: XCTestCase {
    // A git.clone with a classic PAT, as in an enterprise audit-log export (Git events).
    static let patClone = #"{"@timestamp":1763863715123,"_document_id":"Xo8bT1wZQm3kDcS0cb9mYQ==","action":"git.clone","actor":"mallory","actor_id":8812345,"actor_ip":"203.0.113.45","actor_location":{"country_code":"NL"},"business":"acme-corp","business_id":3082,"external_identity_nameid":"mallory@acme.example","hashed_token":"j7TxdJbRhfNhkIOs67EXYceuX0EXL+du673X+6QYSow=","org":"acme","org_id":86825428,"programmatic_access_type":"Personal access token (classic)","repo":"acme/payments-service","repository":"acme/payments-service","repository_public":false,"token_id":1187262,"token_scopes":"repo,read:org","transport_protocol":1,"transport_protocol_name":"http","user":"","user_agent":"git/2.43.0","user_id":0}"#

    func testPATCloneMapping() throws {
        let p = GitHubAuditParser()
        let e = try ParserHarness.one(p, Self.patClone)
        XCTAssertEqual(e.timestamp, 1763863715123 * 1_000_000)
        XCTAssertEqual(e.s("event.action"), "git.clone")
        XCTAssertEqual(e.s("event.kind"), "event")
        XCTAssertEqual(e.s("event.module"), "github")
        XCTAssertEqual(e.s("event.dataset"), "github.audit")
        XCTAssertEqual(e[ECS.eventCategory], .array([.string("network")]))
        XCTAssertEqual(e.s("user.name"), "mallory")
        XCTAssertEqual(e[ECS.relatedUser], .array([.string("mallory")]))
        XCTAssertEqual(e.s("source.ip"), "203.0.113.45")
        XCTAssertEqual(e[ECS.relatedIP], .array([.string("203.0.113.45")]))
        XCTAssertEqual(e.s("source.geo.country_iso_code"), "NL")
        XCTAssertEqual(e.s("user_agent.original"), "git/2.43.0")
        XCTAssertEqual(e.s("github.org"), "acme")
        XCTAssertEqual(e.s("github.repo"), "acme/payments-service")
        XCTAssertEqual(e[GitHubKeys.repositoryPublic], .bool(false))
        XCTAssertEqual(e.s("github.programmatic_access_type"), "Personal access token (classic)")
        XCTAssertEqual(e.s("github.token_kind"), "pat_classic")
        XCTAssertEqual(e.s("github.hashed_token"), "j7TxdJbRhfNhkIOs67EXYceuX0EXL+du673X+6QYSow=")
        XCTAssertEqual(e.i("github.token_id"), 1187262)
        XCTAssertEqual(e.s("github.token_scopes"), "repo,read:org")
        XCTAssertEqual(e.s("github.transport_protocol_name"), "http")
        XCTAssertEqual(e.s("github.external_identity_nameid"), "mallory@acme.example")
        XCTAssertEqual(e.s("github.business"), "acme-corp")
        XCTAssertEqual(e.s("github._document_id"), "Xo8bT1wZQm3kDcS0cb9mYQ==")
        // Unknown members are kept under github.*; empty strings are left out.
        XCTAssertEqual(e.i("github.actor_id"), 8812345)
        XCTAssertEqual(e.i("github.transport_protocol"), 1)
        XCTAssertNil(e.value(at: "github.user"))
        // Mapped members are not duplicated verbatim.
        XCTAssertNil(e[FieldKey("github.actor")])
        XCTAssertNil(e[FieldKey("github.action")])
        // A key appears once.
        XCTAssertEqual(Set(e.fields.map { $0.key }).count, e.fields.count)
    }

    /// Verbatim text members, `user_agent`, `repo` and `programmatic_access_type` stay spans
    /// of the record (no `String` made); mapped members that are compared (`action`) are
    /// strings. Spans read the same after the original is dropped and once made strings.
    func testVerbatimTextStaysASpanOfTheRecord() throws {
        let p = GitHubAuditParser()
        var e = try ParserHarness.one(p, Self.patClone)
        func raw(_ name: String) -> FieldValue? { e.fields.first { $0.key == FieldKey(name) }?.value }
        for name in ["github.hashed_token", "github._document_id", "user_agent.original", "github.repo", "github.programmatic_access_type"] {
            guard case .span? = raw(name) else { return XCTFail("\(name) is \(String(describing: raw(name))), not a span") }
        }
        guard case .string("git.clone")? = raw("event.action") else { return XCTFail("event.action: \(String(describing: raw("event.action")))") }
        XCTAssertEqual(e.s("github.token_kind"), "pat_classic")
        e.dropOriginal()
        XCTAssertEqual(e.s("github.hashed_token"), "j7TxdJbRhfNhkIOs67EXYceuX0EXL+du673X+6QYSow=")
        let alone = e.selfContained()
        XCTAssertEqual(alone.fields.first { $0.key == FieldKey("github.repo") }?.value, .string("acme/payments-service"))
        XCTAssertEqual(alone.s("user_agent.original"), "git/2.43.0")

        // An escaped value is a string; the token kind is read from it all the same. A wording
        // GitHub does not write today goes through the keyword search over the span's bytes.
        let escaped = try ParserHarness.one(p, #"{"action":"git.clone","programmatic_access_type":"Personal access token \u0028classic)"}"#)
        XCTAssertEqual(escaped.s("github.programmatic_access_type"), "Personal access token (classic)")
        XCTAssertEqual(escaped.s("github.token_kind"), "pat_classic")
        let reworded = try ParserHarness.one(p, #"{"action":"git.clone","programmatic_access_type":"Fine grained Personal Access Token v2"}"#)
        XCTAssertEqual(reworded.s("github.token_kind"), "pat_fine_grained")
        // A record given apart from the event's original (no spans possible) reads the same.
        var out: [Event] = []
        try p.parse(ArraySlice(Array(Self.patClone.utf8)), event: Event(), into: &out)
        XCTAssertEqual(out.first?.fields.first { $0.key == GitHubKeys.hashedToken }?.value, .string("j7TxdJbRhfNhkIOs67EXYceuX0EXL+du673X+6QYSow="))
        XCTAssertEqual(out.first?.s("github.token_kind"), "pat_classic")
    }

    func testTokenKinds() {
        let cases: [(String?, String?, GitHubTokenKind)] = [
            ("Personal access token (classic)", "http", .pat_classic),
            ("Fine-grained personal access token", "http", .pat_fine_grained),
            ("OAuth access token", nil, .oauth),
            ("GitHub App server-to-server token", "http", .app_installation),
            ("GitHub App user-to-server token", "http", .app_user),
            ("SSH key", "ssh", .ssh_key),
            ("Deploy key", "ssh", .deploy_key),
            (nil, "ssh", .ssh_key),
            ("", "SSH", .ssh_key),
            (nil, "http", .none),
            (nil, nil, .none),
            ("Something new", nil, .other),
            // Wordings outside the exact list: case-folded keyword search.
            ("personal ACCESS token", nil, .pat_classic),
            ("FINE GRAINED token", "http", .pat_fine_grained),
            ("GitHub App installation token", nil, .app_installation),
            ("App User-To-Server token", nil, .app_user),
            ("oAuth app token", nil, .oauth),
            ("deploy_key", "ssh", .deploy_key),
            ("ssh certificate", "ssh", .ssh_key),
            ("ss", "ssh", .other),
            ("tok\u{e9}n", nil, .other),
        ]
        for (t, tr, want) in cases {
            XCTAssertEqual(GitHubTokenKind.classify(accessType: t, transport: tr), want, "\(t ?? "nil") / \(tr ?? "nil")")
        }
    }

    func testFineGrainedAndSSHCloneWithEmptyActorAndNoIP() throws {
        let p = GitHubAuditParser()
        let fg = try ParserHarness.one(p, #"{"@timestamp":1727172902114,"action":"git.clone","actor":"octocat","org":"acme","repository":"acme/infra","public_repo":true,"programmatic_access_type":"Fine-grained personal access token","token_id":33,"transport_protocol_name":"http"}"#)
        XCTAssertEqual(fg.s("github.token_kind"), "pat_fine_grained")
        XCTAssertEqual(fg.s("github.repo"), "acme/infra")
        XCTAssertEqual(fg[GitHubKeys.repositoryPublic], .bool(true))
        XCTAssertNil(fg[ECS.sourceIP])
        // SSH clone by a deploy key: empty actor, no actor_ip (IP display off).
        let ssh = try ParserHarness.one(p, #"{"@timestamp":1727172903000,"action":"git.clone","actor":"","org":"acme","repo":"acme/infra","transport_protocol_name":"ssh","transport_protocol":2}"#)
        XCTAssertEqual(ssh.s("github.token_kind"), "ssh_key")
        XCTAssertNil(ssh[ECS.userName])
        XCTAssertNil(ssh[ECS.relatedUser])
        XCTAssertNil(ssh[ECS.sourceIP])
        // Web UI action: no programmatic access.
        let web = try ParserHarness.one(p, #"{"@timestamp":1727172904000,"action":"repo.access","actor":"admin1","org":"acme","repo":"acme/infra","visibility":"public"}"#)
        XCTAssertEqual(web.s("github.token_kind"), "none")
        XCTAssertEqual(web.s("github.visibility"), "public")
        XCTAssertEqual(web[ECS.eventCategory], .array([.string("configuration")]))
    }

    func testCreatedAtEpochMillisAndRFC3339() throws {
        let p = GitHubAuditParser()
        let a = try ParserHarness.one(p, #"{"action":"org.update_member","actor":"root","created_at":1606929874512}"#)
        XCTAssertEqual(a.timestamp, 1606929874512 * 1_000_000)
        let b = try ParserHarness.one(p, #"{"action":"repo.create","actor":"root","created_at":"2026-11-23T02:08:35.250Z"}"#)
        XCTAssertEqual(b.timestamp, Timestamp.make(year: 2026, month: 11, day: 23, hour: 2, minute: 8, second: 35, nanos: 250_000_000))
        // @timestamp wins over created_at, whatever the order.
        let c = try ParserHarness.one(p, #"{"created_at":"2020-01-01T00:00:00Z","action":"repo.create","@timestamp":1606929874000}"#)
        XCTAssertEqual(c.timestamp, 1606929874000 * 1_000_000)
        // No time at all: the source's time stays.
        var base = Event(); base.timestamp = 42
        let out = try ParserHarness.run(p, #"{"action":"repo.create"}"#, base: base)
        XCTAssertEqual(out.first?.timestamp, 42)
    }

    func testArrayPageGivesOneEventPerElement() throws {
        let p = GitHubAuditParser()
        let page = "[\n" + Self.patClone + ",\n" + #"{"@timestamp":1763863716000,"action":"git.push","actor":"alice","repo":"acme/web","programmatic_access_type":"OAuth access token"}"# + "\n]"
        let out = try ParserHarness.run(p, page)
        XCTAssertEqual(out.count, 2)
        XCTAssertEqual(out[0].s("event.action"), "git.clone")
        XCTAssertEqual(out[1].s("event.action"), "git.push")
        XCTAssertEqual(out[1].s("github.token_kind"), "oauth")
        XCTAssertEqual(try ParserHarness.run(p, "[]").count, 0)
        ParseTest.fails(p, "[1,2]", reason: "not_an_object")
        ParseTest.fails(p, "[" + Self.patClone, reason: "invalid_json")
    }

    func testSplunkHECEnvelope() throws {
        let p = GitHubAuditParser()
        let hec = #"{"time":1763863715.5,"host":"github.com","source":"github-audit","sourcetype":"github:enterprise:audit","index":"main","event":{"action":"git.clone","actor":"mallory","repo":"acme/x","programmatic_access_type":"Personal access token (classic)","actor_ip":"198.51.100.7"}}"#
        let e = try ParserHarness.one(p, hec)
        XCTAssertEqual(e.s("event.action"), "git.clone")
        XCTAssertEqual(e.s("user.name"), "mallory")
        XCTAssertEqual(e.s("source.ip"), "198.51.100.7")
        XCTAssertEqual(e.timestamp, 1763863715_500_000_000)
        XCTAssertEqual(e.s("splunk.sourcetype"), "github:enterprise:audit")
        XCTAssertEqual(e.s("splunk.host"), "github.com")
        XCTAssertNil(e[FieldKey("github.time")])
        XCTAssertNil(e[FieldKey("github.event")])
        // Inner @timestamp wins over the envelope time.
        let e2 = try ParserHarness.one(p, #"{"event":{"@timestamp":1700000000000,"action":"git.fetch"},"time":1763863715}"#)
        XCTAssertEqual(e2.timestamp, 1700000000000 * 1_000_000)
        // A string `event` member of a real audit event is just a field.
        let wf = try ParserHarness.one(p, #"{"action":"workflows.completed_workflow_run","event":"push","host":"runner-7"}"#)
        XCTAssertEqual(wf.s("github.event"), "push")
        XCTAssertEqual(wf.s("github.host"), "runner-7")
    }

    func testExistingSourceFieldsAreKept() throws {
        let p = GitHubAuditParser()
        var base = Event()
        base[ECS.logFilePath] = .string("/var/log/gh.json")
        base[ECS.eventKind] = .string("whatever")
        let out = try ParserHarness.run(p, #"{"action":"git.clone","actor":"a","actor":"b"}"#, base: base)
        let e = try XCTUnwrap(out.first)
        XCTAssertEqual(e.s("log.file.path"), "/var/log/gh.json")
        XCTAssertEqual(e.s("event.kind"), "event")
        XCTAssertEqual(e.s("user.name"), "b")
        XCTAssertEqual(Set(e.fields.map { $0.key }).count, e.fields.count)
    }

    func testMalformedRecords() {
        let p = GitHubAuditParser()
        ParseTest.fails(p, "", reason: "empty_record")
        ParseTest.fails(p, "   \n", reason: "empty_record")
        ParseTest.fails(p, "\"git.clone\"", reason: "not_an_object")
        ParseTest.fails(p, String(Self.patClone.prefix(120)), reason: "invalid_json")
        ParseTest.fails(p, Self.patClone + "x", reason: "invalid_json")
        ParseTest.fails(p, #"{"actor":"a"}"#, reason: "missing_field")
        ParseTest.fails(p, #"{"action":17}"#, reason: "wrong_type")
        ParseTest.fails(p, #"{"action":"git.clone","actor":["a"]}"#, reason: "wrong_type")
        ParseTest.fails(p, #"{"action":"git.clone","actor_ip":1}"#, reason: "wrong_type")
        ParseTest.fails(p, #"{"action":"git.clone","@timestamp":{"x":1}}"#, reason: "wrong_type")
        ParseTest.fails(p, String(repeating: "[", count: 10_000), reason: "not_an_object")
        ParseTest.fails(p, #"{"a":"# + String(repeating: "[", count: 10_000), reason: "invalid_json")
        // Invalid UTF-8 in a value: repaired, not a crash.
        var bytes = Array(#"{"action":"git.clone","actor":"x"#.utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array(#""}"#.utf8)
        var out: [Event] = []
        XCTAssertNoThrow(try p.parse(ArraySlice(bytes), event: Event(), into: &out))
        XCTAssertEqual(out.first?.s("user.name"), "x\u{FFFD}\u{FFFD}")
        // An enormous line (8 MiB of one string value) is handled.
        let big = #"{"action":"git.clone","note":""# + String(repeating: "a", count: 8 << 20) + #""}"#
        XCTAssertEqual(try ParserHarness.run(p, big).count, 1)
    }

    /// The member-name prediction must never return the key of a different name.
    func testMemberOrderChangesBetweenRecords() throws {
        let p = GitHubAuditParser()
        let a = try ParserHarness.one(p, #"{"action":"git.clone","actor":"a1","org":"o1","abc":1}"#)
        let b = try ParserHarness.one(p, #"{"actor":"b1","action":"git.push","xyz":2,"org":"o2"}"#)
        let c = try ParserHarness.one(p, #"{"action":"git.fetch","actor":"c1","org":"o3","abd":3,"":4}"#)
        XCTAssertEqual(a.s("user.name"), "a1"); XCTAssertEqual(a.i("github.abc"), 1)
        XCTAssertEqual(b.s("user.name"), "b1"); XCTAssertEqual(b.s("event.action"), "git.push")
        XCTAssertEqual(b.i("github.xyz"), 2); XCTAssertNil(b[FieldKey("github.abc")]); XCTAssertEqual(b.s("github.org"), "o2")
        XCTAssertEqual(c.i("github.abd"), 3); XCTAssertNil(c[FieldKey("github.abc")]); XCTAssertEqual(c.s("github.org"), "o3")
        // Long names (beyond the prediction width) and many members (beyond its slots).
        let long = String(repeating: "k", count: 100)
        var members = (0..<100).map { "\"m\($0)\":\($0)" }
        members.append("\"\(long)\":7")
        let d = try ParserHarness.one(p, "{\"action\":\"x\"," + members.joined(separator: ",") + "}")
        XCTAssertEqual(d.i("github.m99"), 99)
        XCTAssertEqual(d.i("github." + long), 7)
        let e = try ParserHarness.one(p, "{\"action\":\"x\"," + members.reversed().joined(separator: ",") + "}")
        XCTAssertEqual(e.i("github.m0"), 0)
        XCTAssertEqual(e.i("github.m63"), 63)
    }

    func testRegisteredWithNoOptions() throws {
        let p = try ParseTest.make("github-audit")
        XCTAssertEqual(try ParserHarness.one(p, Self.patClone).s("github.repo"), "acme/payments-service")
    }
}

final class GitHubAuditParserHardeningTests: XCTestCase {
    /// A 36 KB API page became 1,000 events each holding the whole page as
    /// `event.original` (44 MB of output); each event keeps only its own element.
    func testArrayElementsKeepOnlyTheirOwnOriginal() throws {
        let elements = (0..<200).map { #"{"@timestamp":1763863715123,"action":"git.clone","actor":"user\#($0)","repo":"acme/r\#($0)"}"# }
        let page = "[" + elements.joined(separator: ", ") + "]"
        let out = try ParserHarness.run(GitHubAuditParser(), page)
        XCTAssertEqual(out.count, 200)
        for (i, e) in out.enumerated() {
            XCTAssertEqual(String(decoding: e.original, as: UTF8.self), elements[i])
        }
        var total = 0
        let enc = EventJSONEncoder()
        for e in out { var b: [UInt8] = []; enc.encode(e, into: &b); total += b.count }
        // Each element's original once: about 4 times the page (fields + original); with the
        // whole page per event it was 200 times.
        XCTAssertLessThan(total, page.utf8.count * 10, "output grows with the page, not with its square")
    }
}
