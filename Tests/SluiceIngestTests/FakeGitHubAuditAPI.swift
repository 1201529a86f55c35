import Foundation
import NIOHTTP1
import SluiceTestSupport
@testable import SluiceCore

/// A stand-in for GitHub's audit-log REST API on loopback, for the poller's tests: serves
/// `GET /orgs/{org}/audit-log` with `phrase=created:>=…`, `order=asc`, `per_page` and cursor
/// pagination through `Link: <…>; rel="next"` (`after=`), checks the bearer token, and plays
/// scripted failures first (server errors, primary and secondary rate limits).
final class FakeGitHubAuditAPI: @unchecked Sendable {
    // SAFETY: the mutable state (events, script, requests) is only touched behind `lock`;
    // `server` is set once in init, before any request can arrive.
    struct AuditEvent { var timestamp: Int64; var id: String; var json: String }
    struct Request { var uri: String; var authorization: String?; var apiVersion: String?; var time: Double }
    enum Scripted { case status(Int, [(String, String)], String) }

    let org: String
    let token: String
    private let lock = NSLock()
    private var events: [AuditEvent] = []
    private var script: [Scripted] = []
    private var _requests: [Request] = []
    private var server: TestHTTPServer!
    private(set) var port = 0

    init(org: String = "acme", token: String) throws {
        self.org = org
        self.token = token
        server = try TestHTTPServer { [weak self] req, _ in
            guard let self else { return .init(status: 503) }
            let (status, headers, body) = self.respond(uri: req.uri, headers: req.headers)
            return .init(status: status, headers: [("Content-Type", "application/json; charset=utf-8")] + headers, body: body)
        }
        port = server.port
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var requests: [Request] { lock.lock(); defer { lock.unlock() }; return _requests }

    /// Adds audit events shaped like GitHub's (`@timestamp` in ms, `_document_id`).
    func add(count: Int, startingAt ms: Int64, step: Int64 = 1000, prefix: String) {
        lock.lock(); defer { lock.unlock() }
        let actions = ["git.clone", "git.fetch", "repo.download_zip", "git.push", "org.update_member"]
        for i in 0..<count {
            let ts = ms + Int64(i) * step
            let id = "\(prefix)\(String(i, radix: 36))-\(String(ts, radix: 36))"
            let action = actions[i % actions.count]
            let json = #"{"@timestamp":\#(ts),"_document_id":"\#(id)","action":"\#(action)","actor":"dev\#(i % 7)","actor_id":\#(1000 + i % 7),"actor_ip":"203.0.113.\#(i % 250)","actor_location":{"country_code":"US"},"business":"acme-corp","org":"\#(org)","org_id":4242,"repo":"\#(org)/service-\#(i % 13)","repository_public":false,"user_agent":"git/2.43.0","operation_type":"access","created_at":\#(ts),"transport_protocol_name":"http","programmatic_access_type":"Personal access token (classic)","hashed_token":"q5sM1ZtB0c6s0kq6P8m2x3m3wq0Kf3H2o1nB2c3d4e=","token_id":\#(5000 + i % 3)}"#
            events.append(AuditEvent(timestamp: ts, id: id, json: json))
        }
        events.sort { ($0.timestamp, $0.id) < ($1.timestamp, $1.id) }
    }

    /// Responses given, in order, to the next requests before normal service.
    func fail(_ s: Scripted...) {
        lock.lock(); script.append(contentsOf: s); lock.unlock()
    }

    private func respond(uri: String, headers requestHeaders: HTTPHeaders) -> (Int, [(String, String)], String) {
        lock.lock(); defer { lock.unlock() }
        _requests.append(Request(uri: uri, authorization: requestHeaders.first(name: "authorization"),
                                 apiVersion: requestHeaders.first(name: "x-github-api-version"), time: Date().timeIntervalSince1970))
        let reset = String(Int(Date().timeIntervalSince1970) + 60)
        var rate = [("x-ratelimit-limit", "1750"), ("x-ratelimit-remaining", "1700"), ("x-ratelimit-reset", reset)]
        if !script.isEmpty, case .status(let code, let headers, let body) = script.removeFirst() {
            return (code, headers, body)
        }
        guard requestHeaders.first(name: "authorization") == "Bearer \(token)" else {
            return (401, rate, #"{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}"#)
        }
        let parts = uri.split(separator: "?", maxSplits: 1)
        guard parts.first.map(String.init) == "/orgs/\(org)/audit-log" else {
            return (404, rate, #"{"message":"Not Found"}"#)
        }
        var q: [String: String] = [:]
        for kv in (parts.count > 1 ? parts[1] : "").split(separator: "&") {
            let p = kv.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            q[p[0]] = p.count > 1 ? p[1] : ""
        }
        var since: Int64 = 0
        if let phrase = q["phrase"], let r = phrase.range(of: "created:>=") {
            let text = phrase[r.upperBound...].prefix { $0 != " " }
            guard let ns = Timestamp.parseRFC3339(String(text)) else { return (422, rate, #"{"message":"Validation Failed"}"#) }
            since = ns / 1_000_000
        }
        let perPage = min(100, Int(q["per_page"] ?? "30") ?? 30)
        let matching = events.filter { $0.timestamp >= since }
        let start = q["after"].flatMap { Int($0.dropFirst("cursor-".count)) } ?? 0
        let page = matching.dropFirst(start).prefix(perPage)
        var headers = rate
        if start + page.count < matching.count {
            var next = "\(baseURL)/orgs/\(org)/audit-log?"
            next += (parts.count > 1 ? parts[1] : "").split(separator: "&").filter { !$0.hasPrefix("after=") }.joined(separator: "&")
            next += "&after=cursor-\(start + page.count)"
            headers.append(("link", "<\(next)>; rel=\"next\", <\(baseURL)/orgs/\(org)/audit-log?before=x>; rel=\"prev\""))
        }
        rate = headers
        return (200, rate, "[" + page.map(\.json).joined(separator: ",") + "]")
    }
}
