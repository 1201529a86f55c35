#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SluiceTestSupport
import XCTest
@testable import SluiceCore
@testable import SluiceIngest
@testable import SluiceParse

/// The HEC receiver on loopback, driven by curl (a real HTTP client) with real gzip bodies and
/// openssl certificates; the events are then parsed with the github-audit parser.
final class SplunkHECSourceTests: XCTestCase {
    static let token = "7d3bf1c6-24c3-4c4e-9a39-5f0b1f4c2e11"

    /// The first `n` lines of the bundled GitHub audit sample.
    static func auditLines(_ n: Int) throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("Pipelines/samples/github-audit.jsonl"), encoding: .utf8)
        return Array(text.split(separator: "\n").prefix(n).map(String.init))
    }

    /// HEC envelopes the way a streaming sender wraps audit events.
    static func envelopes(_ lines: [String]) -> String {
        lines.map { #"{"event":\#($0),"sourcetype":"github:enterprise:audit","source":"github-audit-stream","host":"github.com"}"# }
            .joined(separator: "\n")
    }

    func start(_ src: SplunkHECSource, capacity: Int = 100_000) throws -> (SourceHarness, Int) {
        let h = try SourceHarness(src, name: "github_hec", capacity: capacity)
        h.start()
        let addr = try XCTUnwrap(try src.waitUntilBound())
        return (h, addr.port ?? 0)
    }

    struct Reply { var status: Int; var body: String; var headers: String }

    /// POSTs with curl; `bodyFile` is sent as is (`--data-binary @file`).
    func curl(_ url: String, token: String? = token, bodyFile: String? = nil, body: String? = nil,
              headers: [String] = [], extra: [String] = [], method: String = "POST") throws -> Reply {
        var args = ["-sS", "-X", method, "-D", "-", "-o", "-", "-w", "\n%{http_code}", "--max-time", "20"]
        if let t = token { args += ["-H", "Authorization: Splunk \(t)"] }
        for h in headers { args += ["-H", h] }
        if let f = bodyFile { args += ["--data-binary", "@" + f] }
        var stdin: [UInt8]?
        if let b = body { args += ["--data-binary", "@-"]; stdin = Array(b.utf8) }
        args += extra + [url]
        let run = try runProcess("/usr/bin/curl", args, stdin: stdin)
        let (status, out) = (run.status, run.output)
        guard status == 0 else { throw MissingTestDependency("curl failed (\(status)): \(out)") }
        var lines = out.split(separator: "\n", omittingEmptySubsequences: false)
        let code = Int(lines.removeLast()) ?? 0
        let text = lines.joined(separator: "\n")
        let split = text.range(of: "\r\n\r\n")
        let head = split.map { String(text[..<$0.lowerBound]) } ?? ""
        let payload = split.map { String(text[$0.upperBound...]) } ?? text
        return Reply(status: code, body: payload, headers: head)
    }

    func parse(_ events: [Event]) throws -> [Event] {
        let parser = GitHubAuditParser()
        var out: [Event] = []
        for e in events { try parser.parse(e.original, event: e, into: &out) }
        return out
    }

    func testBatchedEnvelopesBecomeOneEventEachAndParseAsGitHubAudit() throws {
        let src = SplunkHECSource(address: "127.0.0.1:0", tokens: [Self.token])
        let (h, port) = try start(src)
        defer { h.stop() }
        let lines = try Self.auditLines(5)
        // Concatenated objects, with and without whitespace between them.
        let body = Self.envelopes(Array(lines[0..<2])) + Self.envelopes(Array(lines[2..<5])).replacingOccurrences(of: "\n", with: "")
        let r = try curl("http://127.0.0.1:\(port)/services/collector/event", body: body)
        XCTAssertEqual(r.status, 200, r.body)
        XCTAssertEqual(r.body, #"{"text":"Success","code":0}"#)
        let events = h.collect(5, timeout: 10)
        XCTAssertEqual(events.count, 5)
        XCTAssertTrue(events[0].text.hasPrefix(#"{"event":{"@timestamp":1763863200000"#), events[0].text)
        let parsed = try parse(events)
        XCTAssertEqual(parsed.map { $0.string(ECS.eventAction) }, ["git.clone", "repo.download_zip", "git.fetch"] + parsed[3...].map { $0.string(ECS.eventAction) })
        XCTAssertEqual(parsed[0].string(ECS.userName), "carol")
        XCTAssertEqual(parsed[0].string(GitHubKeys.splunkSourcetype), "github:enterprise:audit")
        XCTAssertEqual(parsed[0].timestamp, 1_763_863_200_000 * 1_000_000)
        XCTAssertEqual(parsed[0].string(ECS.sluiceSource), "github_hec")
        XCTAssertEqual(h.metrics.eventsIn, 5)
    }

    func testRawEndpointGzipBodyAndCurlCompressedUpload() throws {
        let src = SplunkHECSource(address: "127.0.0.1:0", tokens: ["other-token", Self.token])
        let (h, port) = try start(src)
        defer { h.stop() }
        let dir = tempDir("hec-gzip")
        let lines = try Self.auditLines(4)
        // /event with a gzip body made by gzip(1).
        try Self.envelopes(lines).write(toFile: dir + "/body.json", atomically: true, encoding: .utf8)
        let run = try runProcess("/bin/gzip", ["-k", "-9", dir + "/body.json"])
        let (gz, out) = (run.status, run.output)
        XCTAssertEqual(gz, 0, out)
        let r = try curl("http://127.0.0.1:\(port)/services/collector/event", bodyFile: dir + "/body.json.gz",
                         headers: ["Content-Encoding: gzip", "Content-Type: application/json"])
        XCTAssertEqual(r.status, 200, r.body)
        XCTAssertEqual(try parse(h.collect(4, timeout: 10)).count, 4)
        // A sender that waits for 100 Continue gets it (curl would otherwise wait a second).
        let expect = try curl("http://127.0.0.1:\(port)/services/collector/event", bodyFile: dir + "/body.json",
                              headers: ["Expect: 100-continue"], extra: ["--expect100-timeout", "30"])
        XCTAssertEqual(expect.status, 200, expect.body)
        XCTAssertEqual(h.collect(4, timeout: 10).count, 4)
        // /raw: one event per line (CRLF and blank lines tolerated).
        let raw = lines[0] + "\r\n\n" + lines[1] + "\n"
        let r2 = try curl("http://127.0.0.1:\(port)/services/collector/raw?channel=0aa3c7e4-5a8c-4a8b-9f00-7f4d1b2c3d4e", body: raw)
        XCTAssertEqual(r2.status, 200, r2.body)
        let rawEvents = h.collect(2, timeout: 10)
        XCTAssertEqual(rawEvents.map(\.text), [lines[0], lines[1]])
        XCTAssertEqual(try parse(rawEvents).map { $0.string(ECS.eventAction) }, ["git.clone", "repo.download_zip"])
        // A body that claims gzip but is not is refused as invalid data.
        let r3 = try curl("http://127.0.0.1:\(port)/services/collector/event", body: Self.envelopes([lines[0]]), headers: ["Content-Encoding: gzip"])
        XCTAssertEqual(r3.status, 400)
        XCTAssertTrue(h.drain(quiet: 0.3).isEmpty)
    }

    func testMissingOrWrongTokenIs401AndNothingIsEmitted() throws {
        let src = SplunkHECSource(address: "127.0.0.1:0", tokens: [Self.token])
        let (h, port) = try start(src)
        defer { h.stop() }
        let body = Self.envelopes(try Self.auditLines(1))
        let url = "http://127.0.0.1:\(port)/services/collector/event"
        let none = try curl(url, token: nil, body: body)
        XCTAssertEqual(none.status, 401)
        XCTAssertEqual(none.body, #"{"text":"Token is required","code":2}"#)
        let wrong = try curl(url, token: String(Self.token.dropLast()) + "2", body: body)
        XCTAssertEqual(wrong.status, 401)
        XCTAssertEqual(wrong.body, #"{"text":"Invalid token","code":4}"#)
        XCTAssertEqual(try curl(url, token: Self.token + "0", body: body).status, 401, "a longer token with the right prefix")
        XCTAssertEqual(try curl(url, token: "", body: body).status, 401)
        let basic = try curl(url, token: nil, body: body, headers: ["Authorization: Bearer \(Self.token)"])
        XCTAssertEqual(basic.status, 401, "only the Splunk scheme is accepted")
        XCTAssertTrue(h.drain(quiet: 0.3).isEmpty)
        XCTAssertEqual(h.metrics.counterTotals["hec_requests_unauthorized"], 5)
        XCTAssertEqual(try curl(url, body: body).status, 200)
        // Lower-case scheme, as some senders write it.
        XCTAssertEqual(try curl(url, token: nil, body: body, headers: ["Authorization: splunk \(Self.token)"]).status, 200)
        XCTAssertEqual(h.collect(2, timeout: 10).count, 2)
    }

    func testTokenComparisonChecksEveryByte() {
        let src = SplunkHECSource(tokens: ["abc", "s3cret-token"])
        XCTAssertTrue(src.isValidToken(Array("abc".utf8)))
        XCTAssertTrue(src.isValidToken(Array("s3cret-token".utf8)))
        XCTAssertFalse(src.isValidToken(Array("abd".utf8)))
        XCTAssertFalse(src.isValidToken(Array("ab".utf8)))
        XCTAssertFalse(src.isValidToken(Array("abc\u{0}".utf8)))
        XCTAssertFalse(src.isValidToken([]))
        XCTAssertEqual(HECRequestHandler.token(fromAuthorization: "Splunk  abc "), Array("abc".utf8))
        XCTAssertNil(HECRequestHandler.token(fromAuthorization: "Splunkabc"))
    }

    func testOversizeBodyIs413AndInvalidObjectsAreReportedLikeSplunk() throws {
        let src = SplunkHECSource(address: "127.0.0.1:0", tokens: [Self.token], maxBodyBytes: 4096)
        let (h, port) = try start(src)
        defer { h.stop() }
        let url = "http://127.0.0.1:\(port)/services/collector/event"
        let lines = try Self.auditLines(30)
        let big = Self.envelopes(lines)
        XCTAssertGreaterThan(big.utf8.count, 4096)
        let r = try curl(url, body: big)
        XCTAssertEqual(r.status, 413, r.body)
        // A gzip body under the limit that inflates past it is refused too.
        let dir = tempDir("hec-bomb")
        try String(repeating: #"{"event":"x"}"#, count: 2000).write(toFile: dir + "/bomb.json", atomically: true, encoding: .utf8)
        _ = try runProcess("/bin/gzip", ["-9", dir + "/bomb.json"])
        let bomb = try curl(url, bodyFile: dir + "/bomb.json.gz", headers: ["Content-Encoding: gzip"])
        XCTAssertEqual(bomb.status, 413, bomb.body)
        XCTAssertTrue(h.drain(quiet: 0.3).isEmpty)
        // The third object has no "event": the two before it are taken, Splunk-style.
        let body = Self.envelopes(Array(lines[0..<2])) + #"{"time":1763863200,"host":"x"}"# + Self.envelopes([lines[2]])
        let bad = try curl(url, body: body)
        XCTAssertEqual(bad.status, 400)
        XCTAssertEqual(bad.body, #"{"text":"Event field is required","code":12,"invalid-event-number":2}"#)
        XCTAssertEqual(h.collect(2, timeout: 10).count, 2)
        let broken = try curl(url, body: #"{"event":{"action":"git.clone"}}{"event": nope}"#)
        XCTAssertEqual(broken.body, #"{"text":"Invalid data format","code":6,"invalid-event-number":1}"#)
        XCTAssertEqual(h.collect(1, timeout: 10).count, 1)
        let blank = try curl(url, body: #"{"event":""}"#)
        XCTAssertEqual(blank.body, #"{"text":"Event field cannot be blank","code":13,"invalid-event-number":0}"#)
        let empty = try curl(url, body: "  \n")
        XCTAssertEqual(empty.body, #"{"text":"No data","code":5}"#)
        XCTAssertTrue(h.drain(quiet: 0.3).isEmpty)
    }

    func testFullPipelineAnswers503WithRetryAfterAndHealthReportsIt() throws {
        let src = SplunkHECSource(address: "127.0.0.1:0", tokens: [Self.token], retryAfterSeconds: 7)
        let (h, port) = try start(src, capacity: 3)
        defer { h.stop() }
        let base = "http://127.0.0.1:\(port)/services/collector"
        XCTAssertEqual(try curl(base + "/health", token: nil, method: "GET").body, #"{"text":"HEC is healthy","code":17}"#)
        let lines = try Self.auditLines(6)
        XCTAssertEqual(try curl(base + "/event", body: Self.envelopes(Array(lines[0..<3]))).status, 200)
        // The queue (capacity 3) is full and nobody reads it: the next request is refused whole.
        let busy = try curl(base + "/event", body: Self.envelopes(Array(lines[3..<6])))
        XCTAssertEqual(busy.status, 503)
        XCTAssertEqual(busy.body, #"{"text":"Server is busy","code":9}"#)
        XCTAssertTrue(busy.headers.lowercased().contains("retry-after: 7"), busy.headers)
        let health = try curl(base + "/health", token: nil, method: "GET")
        XCTAssertEqual(health.status, 503)
        XCTAssertEqual(health.body, #"{"text":"HEC is unhealthy, queues are full","code":18}"#)
        XCTAssertEqual(h.metrics.counterTotals["hec_requests_busy"], 1)
        // Once the pipeline reads, the sender's retry goes through.
        XCTAssertEqual(h.collect(3, timeout: 10).count, 3)
        XCTAssertEqual(try curl(base + "/event", body: Self.envelopes(Array(lines[3..<6]))).status, 200)
        let later = try parse(h.collect(3, timeout: 10))
        XCTAssertEqual(later.compactMap { $0.string(GitHubKeys.documentID) }.count, 3)
    }

    func testIndexerAcknowledgementsAnswerTrueOnlyAfterTheSinksAcknowledged() throws {
        let src = SplunkHECSource(address: "127.0.0.1:0", tokens: [Self.token], acknowledgements: true)
        let (h, port) = try start(src)
        defer { h.stop() }
        let base = "http://127.0.0.1:\(port)/services/collector"
        let channel = "X-Splunk-Request-Channel: 3c6bd2a5-8f3e-4b43-9b57-0d2a1e1f9c7a"
        let lines = try Self.auditLines(3)
        let noChannel = try curl(base + "/event", body: Self.envelopes([lines[0]]))
        XCTAssertEqual(noChannel.status, 400)
        XCTAssertEqual(noChannel.body, #"{"text":"Data channel is missing","code":10}"#)
        let r0 = try curl(base + "/event", body: Self.envelopes([lines[0]]), headers: [channel])
        XCTAssertEqual(r0.body, #"{"text":"Success","code":0,"ackId":0}"#)
        let r1 = try curl(base + "/event", body: Self.envelopes(Array(lines[1..<3])), headers: [channel])
        XCTAssertEqual(r1.body, #"{"text":"Success","code":0,"ackId":1}"#)
        // The pipeline has the events but no sink acknowledged them yet.
        let b0 = try XCTUnwrap(h.queue.pop(maxEvents: 1, timeout: 5))
        let b1 = try XCTUnwrap(h.queue.pop(maxEvents: 2, timeout: 5))
        XCTAssertEqual(b0.count + b1.count, 3)
        let query = #"{"acks":[0,1,2]}"#
        XCTAssertEqual(try curl(base + "/ack", body: query, headers: [channel]).body, #"{"acks":{"0":false,"1":false,"2":false}}"#)
        b1.acknowledge()
        XCTAssertEqual(try curl(base + "/ack", body: query, headers: [channel]).body, #"{"acks":{"0":false,"1":true,"2":false}}"#)
        b0.acknowledge()
        XCTAssertEqual(try curl(base + "/ack", body: query, headers: [channel]).body, #"{"acks":{"0":true,"1":false,"2":false}}"#,
                       "a true is reported once, then the id is forgotten")
        // Another channel has its own ids.
        let other = try curl(base + "/event", body: Self.envelopes([lines[0]]), headers: ["X-Splunk-Request-Channel: 11111111-2222-3333-4444-555555555555"])
        XCTAssertEqual(other.body, #"{"text":"Success","code":0,"ackId":0}"#)
        XCTAssertEqual(try curl(base + "/ack", body: "not json", headers: [channel]).status, 400)
    }

    func testAckEndpointWhenAcknowledgementsAreOffAndUnknownPaths() throws {
        let src = SplunkHECSource(address: "127.0.0.1:0", tokens: [Self.token])
        let (h, port) = try start(src)
        defer { h.stop() }
        let r = try curl("http://127.0.0.1:\(port)/services/collector/ack", body: #"{"acks":[0]}"#)
        XCTAssertEqual(r.body, #"{"text":"ACK is disabled","code":14}"#)
        XCTAssertEqual(try curl("http://127.0.0.1:\(port)/admin", body: "{}").status, 404)
    }

    func testTLSFromFilesWithTLS12Minimum() throws {
        let dir = tempDir("hec-tls")
        func openssl(_ args: [String]) throws {
            let run = try runProcess("/usr/bin/openssl", args)
            let (s, out) = (run.status, run.output)
            XCTAssertEqual(s, 0, out)
        }
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                     "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                     "-keyout", dir + "/hec.key", "-out", dir + "/hec.pem"])
        let opts = try options("""
            address: 127.0.0.1:0
            tokens: [\(Self.token)]
            tls: {cert_file: \(dir)/hec.pem, key_file: \(dir)/hec.key}
            """, type: "splunk_hec")
        let src = try SplunkHECSource.make(opts, buildContext())
        XCTAssertEqual(opts.finish().map(\.description), [])
        let (h, port) = try start(src)
        defer { h.stop() }
        let url = "https://localhost:\(port)/services/collector/event"
        let body = Self.envelopes(try Self.auditLines(1))
        let ok = try curl(url, body: body, extra: ["--cacert", dir + "/hec.pem", "--resolve", "localhost:\(port):127.0.0.1"])
        XCTAssertEqual(ok.status, 200, ok.body)
        XCTAssertEqual(h.collect(1, timeout: 10).count, 1)
        // TLS 1.1 is refused by the server (the client is allowed to offer it); TLS 1.2 is taken.
        func sClient(_ version: String) throws -> Int32 {
            try runProcess("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)", version, "-cipher", "DEFAULT:@SECLEVEL=0",
                                                "-CAfile", dir + "/hec.pem", "-verify_return_error"], stdin: [], timeout: 20).status
        }
        XCTAssertNotEqual(try sClient("-tls1_1"), 0)
        XCTAssertEqual(try sClient("-tls1_2"), 0)
    }

    func testConfigurationErrors() throws {
        let opts = try options("address: nowhere\nmax_body_bytes: 1MiB", type: "splunk_hec")
        _ = try SplunkHECSource.make(opts, buildContext())
        let issues = opts.finish().map(\.description).joined(separator: "\n")
        XCTAssertTrue(issues.contains("address must be host:port"), issues)
        XCTAssertTrue(issues.contains("'tokens' must list at least one HEC token"), issues)
        let good = try options("tokens: [a]\nacknowledgements: true\nretry_after: 2s", type: "splunk_hec")
        let src = try SplunkHECSource.make(good, buildContext())
        XCTAssertEqual(good.finish().count, 0)
        XCTAssertEqual(src.address, "127.0.0.1:8088", "loopback by default")
        XCTAssertTrue(src.acknowledgementsEnabled)
        XCTAssertEqual(src.retryAfterSeconds, 2)
    }

    func testBodySplittingAndAckIDs() {
        let (r, p) = HECBody.splitEvents(Array(#" {"event":{"a":1},"time":1} {"event":"line"}"#.utf8))
        XCTAssertEqual(r.count, 2)
        XCTAssertNil(p)
        XCTAssertEqual(HECBody.splitEvents(Array(#"[{"event":1}]"#.utf8)).problem?.code, 6)
        XCTAssertEqual(HECBody.splitEvents(Array(#"{"event":null}"#.utf8)).problem?.code, 13)
        XCTAssertEqual(HECBody.splitRaw(Array("a\r\n \n\nb".utf8)), [0..<1, 6..<7])
        XCTAssertEqual(HECBody.ackIDs(Array(#"{"acks":[3, 4]}"#.utf8), limit: 10), [3, 4])
        XCTAssertEqual(HECBody.ackIDs(Array(#"{"acks":[]}"#.utf8), limit: 10), [])
        XCTAssertNil(HECBody.ackIDs(Array(#"{"acks":[-1]}"#.utf8), limit: 10))
        XCTAssertNil(HECBody.ackIDs(Array(#"{"acks":[1]} x"#.utf8), limit: 10))
    }

    func testAckTableIsBounded() {
        let t = HECAcknowledgements(maxChannels: 2, maxPendingPerChannel: 2, idleTimeout: 60)
        let a = t.register(channel: "a", now: 0)!, b = t.register(channel: "a", now: 0)!
        XCTAssertNil(t.register(channel: "a", now: 0), "two ids in flight fill the channel")
        a.ack.release()
        let c = t.register(channel: "a", now: 1)
        XCTAssertNotNil(c, "the oldest delivered id is forgotten to make room")
        XCTAssertEqual(t.query(channel: "a", ids: [0, 1, 2], now: 1).map(\.1), [false, false, false])
        b.ack.release(); c!.ack.release()
        XCTAssertEqual(t.query(channel: "a", ids: [1, 2], now: 1).map(\.1), [true, true])
        XCTAssertNotNil(t.register(channel: "b", now: 1))
        XCTAssertNil(t.register(channel: "c", now: 1), "channel table full")
        XCTAssertNotNil(t.register(channel: "c", now: 100), "idle channels are removed")
    }
}
