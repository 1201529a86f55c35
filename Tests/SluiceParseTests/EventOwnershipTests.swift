import XCTest
import SluiceCore
@testable import SluiceParse

/// Parsers append to the event they build without a uniqueness check per field
/// (`FieldList.appendAssumingUnique`, after reserving room). These tests hand every parser an
/// event whose field storage is shared with a copy the caller keeps, with and without fields
/// already in it: the parser must leave the caller's copy exactly as it was. (Debug builds
/// also assert uniqueness on every such append.)
final class EventOwnershipTests: XCTestCase {
    static var extra: [(String, Parser, String)] { [
        ("github-audit", GitHubAuditParser(), #"{"@timestamp":1763863715000,"action":"git.clone","actor":"dev-7","actor_ip":"10.0.0.5","repo":"acme/api","programmatic_access_type":"Personal access token (classic)","transport_protocol_name":"http"}"#),
        ("json", JSONParser(), #"{"time":"2026-11-23T02:08:35Z","user":"alice","n":3}"#),
        ("auto syslog+audit", AutoParser(), #"<14>1 2026-11-23T02:08:35Z gh-proxy github-audit - - - {"@timestamp":1763863715000,"action":"git.clone","actor":"dev-7","repo":"acme/api"}"#),
        ("auditd standalone", AuditdParser(), "type=USER_LOGIN msg=audit(1763863715.123:4242): pid=1234 uid=0 auid=1000 ses=3 msg='op=login id=1000 exe=\"/usr/sbin/sshd\" hostname=10.0.0.5 addr=10.0.0.5 terminal=sshd res=success'"),
        ("osquery", OsqueryParser(), #"{"name":"pack_it_processes","hostIdentifier":"ws-17","unixTime":1763863715,"action":"added","columns":{"pid":"4242","path":"/usr/bin/git","cmdline":"git clone https://github.com/acme/api","uid":"1000","parent":"1200"}}"#),
    ] }

    func testParsersDoNotWriteIntoStorageTheCallerShares() throws {
        let fileKey = ECS.logFilePath
        let w3c = try PB.make("w3c-proxy", "fields: date time time-taken c-ip cs-username sc-status cs-method cs-host cs-uri-path sc-bytes cs-bytes")
        let configured: [(String, Parser, String)] = [
            ("w3c-proxy", w3c, "2026-11-23 02:08:35 41 10.0.0.5 alice 200 POST github.com /acme/api.git/git-receive-pack 4521 52133000"),
            ("zeek-dns json", ZeekDNSParser(), #"{"ts":1763863715.123,"uid":"C1x","id.orig_h":"10.0.0.5","id.orig_p":53211,"id.resp_h":"10.0.0.1","id.resp_p":53,"proto":"udp","query":"github.com","qtype_name":"A","rcode_name":"NOERROR","answers":["140.82.112.3"]}"#),
        ]
        for (name, parser, line) in ZeroCopyFieldTests.samples + Self.extra + configured {
            let bytes = Array(line.utf8)
            for withField in [false, true] {
                var shared = Event(original: bytes[...])
                shared.fields.reserveCapacity(8)  // storage allocated, room to spare
                if withField { shared.append(fileKey, .string("/var/log/in.log")) }
                let keep = shared
                var out: [Event] = []
                try parser.parse(shared.original, event: shared, into: &out)
                parser.tick(now: Int64.max / 2, final: true, into: &out)
                XCTAssertFalse(out.isEmpty, name)
                XCTAssertEqual(keep.fields.count, withField ? 1 : 0, "\(name): the caller's event changed")
                XCTAssertGreaterThanOrEqual(out[0].fields.count, 3, name)
                if withField { XCTAssertEqual(out[0].string(fileKey), "/var/log/in.log", name) }
            }
        }
    }
}
