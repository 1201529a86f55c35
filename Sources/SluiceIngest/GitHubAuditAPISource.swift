#if canImport(Glibc)
import Glibc
#endif
import AsyncHTTPClient
import DequeModule
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import SluiceCore

/// `github_audit_api`: polls GitHub's audit-log REST API (`GET /orgs/{org}/audit-log` or
/// `GET /enterprises/{enterprise}/audit-log`) and emits one event per audit entry, whose
/// `original` is the entry's JSON object (parse with `format: github-audit`).
///
/// Each poll asks for `include=all` (web and Git events), `order=asc`, `per_page` (default
/// 100), and `phrase` = the configured phrase plus `created:>=T` where T is the newest event
/// time seen minus `overlap`; it follows the `Link: <...>; rel="next"` cursor pages to the end,
/// then sleeps `poll_interval`.
///
/// Options: `org` or `enterprise` (one of them); `api_url` (default `https://api.github.com`;
/// GitHub Enterprise Server: `https://HOST/api/v3`; plain `http://` only to a loopback
/// address); `token_file` or `token_env` (a token with `read:audit_log`; the file is re-read
/// at every poll, so it can be rotated; the token is never logged); `phrase` (extra search
/// terms, e.g. `action:git.clone`); `include` (`all` default, `web`, `git`); `per_page`
/// (1–100, default 100); `poll_interval` (default 30s); `overlap` (default 5m: how far back
/// each poll looks again, for late-indexed events); `initial_lookback` (default 1h: where a
/// first start without checkpoint begins); `max_dedup_ids` (default 100000);
/// `max_backoff` (default 5m); `request_timeout` (default 30s); `ca_file` (extra CA for
/// GitHub Enterprise Server).
///
/// Guarantees: the checkpoint (newest delivered `@timestamp` and `_document_id`, plus the ids
/// delivered within `overlap` of it) advances only once every sink acknowledged the events,
/// so a restart resumes without loss; entries whose `_document_id` was already emitted (or
/// delivered before a restart) within the overlap window are skipped, so the overlap causes
/// no duplicates (the id set is bounded by `max_dedup_ids`, oldest forgotten first). Rate
/// limits are honoured: `x-ratelimit-remaining: 0` waits until `x-ratelimit-reset`; 403/429
/// answers wait `retry-after`, else until the reset, else at least a minute (secondary
/// limits); 5xx and network errors retry the same page with capped exponential backoff.
/// Pagination links are followed only to the configured API host. In pipelines with stateful
/// stages the same position (newest emitted entry and the ids emitted within `overlap` of it)
/// is committed with each epoch instead (`PositionedSource`).
public final class GitHubAuditAPISource: PositionedSource, @unchecked Sendable {
    // SAFETY (@unchecked Sendable): the configuration is `let` (`nowMillis` is set by tests
    // before `run`); the dedup state (`seenIDs`, `recent`, `seq`, `newestTimestamp`,
    // `lastEmitted`) is read and written only inside `stateLock.withLock`, because
    // `commitCheckpoints` (a runtime timer thread) and `barrierPosition` read it while the
    // read loop runs; `context` is set by `run` before the loop starts and before any
    // checkpoint can be committed; `backoffAttempt` belongs to the read loop's thread;
    // `tracker` (thread-safe) is replaced only while restoring, before the loop starts.
    public enum Include: String, CaseIterable, Sendable { case all, web, git }

    public let apiURL: String
    public let path: String
    public let tokenFile: String?
    public let tokenEnv: String?
    public let phrase: String
    public let include: Include
    public let perPage: Int
    public let pollInterval: Double
    public let overlapMillis: Int64
    public let initialLookback: Double
    public let maxDedupIDs: Int
    public let maxBackoff: Double
    public let requestTimeout: Double
    public let caFile: String?
    /// Wall clock in milliseconds (tests pin it).
    var nowMillis: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Position after a page: newest event time and id, and the emission sequence number.
    struct Position: Sendable { var timestamp: Int64; var documentID: String; var seq: UInt64 }
    /// What is saved in `<data_dir>/checkpoints/<name>.json`.
    struct Checkpoint: Codable {
        struct Recent: Codable { var t: Int64; var id: String }
        var timestamp_ms: Int64
        var document_id: String
        var recent: [Recent]
    }

    // Read-loop state; `stateLock` guards what `commitCheckpoints` (a runtime timer thread)
    // and `barrierPosition` read.
    private let stateLock = Locked()
    private var tracker = AckTracker<Position>()
    private var seenIDs = Set<String>()
    private var recent = Deque<(seq: UInt64, t: Int64, id: String)>()
    private var seq: UInt64 = 0
    private var newestTimestamp: Int64 = 0
    private var lastEmitted: Position?
    private var context: SourceContext?
    /// Held while saving a checkpoint (a plain mutex): saves are serialized.
    private let saveLock = Locked()
    private var backoffAttempt = 0

    public init(apiURL: String = "https://api.github.com", org: String? = nil, enterprise: String? = nil,
                tokenFile: String? = nil, tokenEnv: String? = nil, phrase: String = "", include: Include = .all,
                perPage: Int = 100, pollInterval: Double = 30, overlap: Double = 300, initialLookback: Double = 3600,
                maxDedupIDs: Int = 100_000, maxBackoff: Double = 300, requestTimeout: Double = 30, caFile: String? = nil) {
        var base = apiURL
        while base.hasSuffix("/") { base.removeLast() }
        self.apiURL = base
        if let org { path = "/orgs/\(Self.pathSegment(org))/audit-log" } else { path = "/enterprises/\(Self.pathSegment(enterprise ?? ""))/audit-log" }
        self.tokenFile = tokenFile; self.tokenEnv = tokenEnv
        self.phrase = phrase; self.include = include; self.perPage = perPage
        self.pollInterval = pollInterval; self.overlapMillis = Int64(overlap * 1000)
        self.initialLookback = initialLookback; self.maxDedupIDs = maxDedupIDs
        self.maxBackoff = maxBackoff; self.requestTimeout = requestTimeout; self.caFile = caFile
    }

    public static func make(_ o: ComponentOptions, _ ctx: BuildContext) throws -> GitHubAuditAPISource {
        let org = o.string("org"), enterprise = o.string("enterprise")
        if (org == nil) == (enterprise == nil) { o.fail("set exactly one of 'org' or 'enterprise'") }
        let api = o.string("api_url", default: "https://api.github.com")
        if let u = URL(string: api), let scheme = u.scheme?.lowercased(), let host = u.host {
            if scheme == "http" && !Self.isLoopback(host) {
                o.fail("api_url must use https (the token would travel in clear text); http is allowed only to a loopback address", at: "api_url")
            } else if scheme != "http" && scheme != "https" {
                o.fail("api_url must be an https:// URL, got \"\(api)\"", at: "api_url")
            }
        } else {
            o.fail("api_url must be a URL like https://api.github.com or https://github.example.com/api/v3, got \"\(api)\"", at: "api_url")
        }
        let tokenFile = o.string("token_file"), tokenEnv = o.string("token_env")
        if (tokenFile == nil) == (tokenEnv == nil) { o.fail("set exactly one of 'token_file' or 'token_env' (a token with the read:audit_log scope)") }
        return GitHubAuditAPISource(
            apiURL: api, org: org, enterprise: enterprise, tokenFile: tokenFile, tokenEnv: tokenEnv,
            phrase: o.string("phrase", default: ""), include: o.choice("include", default: Include.all),
            perPage: o.int("per_page", default: 100, range: 1...100),
            pollInterval: max(1, o.seconds("poll_interval", default: 30)),
            overlap: o.seconds("overlap", default: 300), initialLookback: o.seconds("initial_lookback", default: 3600),
            maxDedupIDs: o.int("max_dedup_ids", default: 100_000, range: 100...10_000_000),
            maxBackoff: max(1, o.seconds("max_backoff", default: 300)),
            requestTimeout: max(1, o.seconds("request_timeout", default: 30)), caFile: o.string("ca_file"))
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
    }

    static func pathSegment(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? s
    }

    // MARK: running

    public func run(_ context: SourceContext) throws {
        self.context = context
        if context.mode == .toEnd {
            context.logger.warning("github_audit_api has no end of input; not started in replay")
            return
        }
        restoreCheckpoint(context)
        var config = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                              timeout: .init(connect: .seconds(Int64(requestTimeout)), read: .seconds(Int64(requestTimeout))))
        if let ca = caFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.minimumTLSVersion = .tlsv12
            tls.additionalTrustRoots = [.file(ca)]
            config.tlsConfiguration = tls
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        defer {
            // A connection handed back after its answer must reach the pool before shutdown.
            EventLoopDrain.runQueued(on: client.eventLoopGroup)
            try? client.syncShutdown()
        }
        context.logger.info("github_audit_api polling \(apiURL)\(path) every \(pollInterval)s")
        while !context.isStopping {
            pollOnce(client: client, context: context)
            saveCheckpoint()
            sleepInterruptible(pollInterval, context: context)
        }
    }

    /// The first page's URL: `created:>=` the newest event time seen minus the overlap.
    func firstPageURL() -> String {
        let since = max(0, newestTimestamp - overlapMillis)
        var terms = phrase.trimmingCharacters(in: .whitespaces)
        if !terms.isEmpty { terms += " " }
        terms += "created:>=" + Self.isoSeconds(millis: since)
        return "\(apiURL)\(path)?phrase=\(Self.queryEscape(terms))&include=\(include.rawValue)&order=asc&per_page=\(perPage)"
    }

    /// Reads every page of one poll; returns when the last page was read, on a hard error
    /// (after backing off), or when stopping.
    func pollOnce(client: HTTPClient, context: SourceContext) {
        var url = firstPageURL()
        var pages = 0
        while !context.isStopping {
            guard let token = readToken(context) else { backoff(context, reason: "no token", minimum: maxBackoff); return }
            let outcome = fetch(client: client, url: url, token: token, context: context)
            switch outcome {
            case .page(let body, let next, let remaining, let reset):
                backoffAttempt = 0
                pages += 1
                guard handlePage(body, context: context) else {
                    context.metrics.increment("github_api_invalid_responses")
                    backoff(context, reason: "the response is not a JSON array of audit events", minimum: 1)
                    continue
                }
                if let remaining, remaining <= 0, let reset { waitUntil(resetEpoch: reset, context: context) }
                guard let next else { return }
                guard next.hasPrefix(apiURL + "/") else {
                    context.logger.error("github_audit_api: ignoring a pagination link to another host")
                    return
                }
                url = next
            case .retry(let after, let reason):
                context.metrics.increment("github_api_retries")
                if let after { sleepInterruptible(after, context: context) } else { backoff(context, reason: reason, minimum: 1) }
            case .fatal(let reason):
                context.metrics.increment("github_api_errors")
                context.logger.error("github_audit_api: \(reason)")
                backoff(context, reason: reason, minimum: maxBackoff)
                return
            }
        }
    }

    enum Outcome {
        case page(body: [UInt8], next: String?, remaining: Int?, reset: Int64?)
        case retry(after: Double?, reason: String)
        case fatal(String)
    }

    func fetch(client: HTTPClient, url: String, token: String, context: SourceContext) -> Outcome {
        let request: HTTPClient.Request
        do {
            var headers = HTTPHeaders()
            headers.add(name: "Authorization", value: "Bearer \(token)")
            headers.add(name: "Accept", value: "application/vnd.github+json")
            headers.add(name: "X-GitHub-Api-Version", value: "2022-11-28")
            headers.add(name: "User-Agent", value: "sluice-github-audit-api")
            request = try HTTPClient.Request(url: url, method: .GET, headers: headers)
        } catch {
            return .fatal("invalid request URL: \(error)")
        }
        let response: HTTPClient.Response
        do {
            let acc = ResponseAccumulator(request: request, maxBodySize: 64 << 20)
            let future = client.execute(request: request, delegate: acc, deadline: .now() + .seconds(Int64(requestTimeout) + 5)).futureResult
            // Wait without blocking epoch barriers (placed between requests, from this thread).
            let result = Locked<Result<HTTPClient.Response, Error>?>(uncheckedState: nil)
            future.whenComplete { r in result.withLock { $0 = r }; result.broadcast() }
            while true {
                let r = result.wait(timeout: 0.2, until: { $0 != nil }) { s, _ in s }
                if let r { response = try r.get(); break }
                context.serviceBarriers()
            }
        } catch {
            context.metrics.increment("github_api_errors")
            return .retry(after: nil, reason: "request failed: \(error)")
        }
        context.metrics.increment("github_api_requests")
        let h = response.headers
        let remaining = h.first(name: "x-ratelimit-remaining").flatMap { Int($0) }
        let reset = h.first(name: "x-ratelimit-reset").flatMap { Int64($0) }
        let retryAfter = h.first(name: "retry-after").flatMap { Double($0) }
        var body = response.body ?? ByteBuffer()
        let bytes = body.readBytes(length: body.readableBytes) ?? []
        let code = response.status.code
        switch code {
        case 200:
            return .page(body: bytes, next: Self.nextLink(h["link"]), remaining: remaining, reset: reset)
        case 403, 429:
            let message = Self.message(bytes)
            if code == 429 || retryAfter != nil || remaining == 0 || message.lowercased().contains("rate limit") {
                context.metrics.increment("github_api_rate_limited")
                let wait: Double
                if let r = retryAfter { wait = r }
                else if remaining == 0, let reset { wait = max(1, Double(reset) - Double(nowMillis()) / 1000 + 1) }
                else { wait = max(60, min(maxBackoff, 60 * Double(1 << min(backoffAttempt, 4)))) }
                backoffAttempt += 1
                context.logger.warning("github_audit_api: rate limited (HTTP \(code)); waiting \(Int(wait))s")
                return .retry(after: wait, reason: "rate limited")
            }
            let scopes = h.first(name: "x-oauth-scopes").map { " (token scopes: \(Self.clean($0)))" } ?? ""
            return .fatal("HTTP 403 from \(path): \(message)\(scopes); the token needs the read:audit_log scope (or admin:org / admin:enterprise) and an owner's access")
        case 401:
            return .fatal("HTTP 401: the token was refused (\(Self.message(bytes))); check token_file/token_env")
        case 404:
            return .fatal("HTTP 404 for \(path): no such organization or enterprise, or the token cannot see its audit log")
        case 500...599:
            context.metrics.increment("github_api_errors")
            return .retry(after: retryAfter, reason: "HTTP \(code)")
        default:
            return .fatal("HTTP \(code) from \(path): \(Self.message(bytes))")
        }
    }

    /// Emits the new events of one page. False when the page is not a JSON array of objects.
    func handlePage(_ body: [UInt8], context: SourceContext) -> Bool {
        guard let entries = Self.splitEntries(body) else { return false }
        var events: [Event] = []
        events.reserveCapacity(entries.count)
        var last: Position?
        var skipped = 0
        let name = FieldValue.string(context.name)
        stateLock.withLock {
            for entry in entries {
                if let id = entry.documentID {
                    if seenIDs.contains(id) { skipped += 1; continue }
                    seq &+= 1
                    seenIDs.insert(id)
                    recent.append((seq, entry.timestamp, id))
                    last = Position(timestamp: entry.timestamp, documentID: id, seq: seq)
                }
                if entry.timestamp > newestTimestamp { newestTimestamp = entry.timestamp }
                var e = Event(original: body[entry.range])
                e.append(ECS.sluiceSource, name)
                events.append(e)
            }
            if let last { lastEmitted = last }
            evictRecent()
        }
        if skipped > 0 { context.metrics.increment("github_api_duplicates_skipped", by: skipped) }
        guard !events.isEmpty else { return true }
        context.metrics.recordIn(events.count, bytes: body.count)
        var acks: [Acknowledgement] = []
        if let last { acks = [tracker.register(last)] }
        context.emit(EventBatch(events: events, acks: acks), bytes: body.count)
        return true
    }

    /// Forgets ids older than the overlap window before the delivered position, and the oldest
    /// ids beyond `maxDedupIDs`. Called with `stateLock` held.
    private func evictRecent() {
        let floor = (tracker.committed?.timestamp ?? 0) - overlapMillis
        while let f = recent.first, f.t < floor || recent.count > maxDedupIDs {
            recent.removeFirst()
            seenIDs.remove(f.id)
        }
    }

    struct Entry { var range: Range<Int>; var documentID: String?; var timestamp: Int64 }

    /// The objects of a JSON array page with their `_document_id` and `@timestamp` (epoch
    /// ms; `created_at` when absent). Nil when the page is not an array of objects.
    static func splitEntries(_ body: [UInt8]) -> [Entry]? {
        body.withUnsafeBufferPointer { buf -> [Entry]? in
            var s = JSONScanner(buf)
            var out: [Entry] = []
            do {
                try s.expect(UInt8(ascii: "["))
                if s.peek() == UInt8(ascii: "]") { s.index += 1; return s.peek() == nil ? out : nil }
                while true {
                    guard s.peek() == UInt8(ascii: "{") else { return nil }
                    let start = s.index
                    var id: String?
                    var ts: Int64 = 0
                    var created: Int64 = 0
                    try s.readObject { (s, key) in
                        if key.elementsEqual("_document_id".utf8) {
                            if s.peek() == UInt8(ascii: "\"") { id = try s.readString() } else { try s.skipValue() }
                        } else if key.elementsEqual("@timestamp".utf8) {
                            if case .int(let v) = try s.readNumber() { ts = v }
                        } else if key.elementsEqual("created_at".utf8), s.peek() != UInt8(ascii: "\"") {
                            if case .int(let v) = try s.readNumber() { created = v }
                        } else {
                            try s.skipValue()
                        }
                    }
                    out.append(Entry(range: start..<s.index, documentID: id, timestamp: ts != 0 ? ts : created))
                    guard let c = s.peek() else { return nil }
                    s.index += 1
                    if c == UInt8(ascii: ",") { continue }
                    if c == UInt8(ascii: "]") { break }
                    return nil
                }
                return s.peek() == nil ? out : nil
            } catch { return nil }
        }
    }

    /// The `rel="next"` URL of a `Link` header.
    static func nextLink(_ values: [String]) -> String? {
        for value in values {
            var rest = Substring(value)
            while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
                let url = rest[rest.index(after: open)..<close]
                let afterURL = rest[rest.index(after: close)...]
                let paramsEnd = afterURL.firstIndex(of: "<") ?? afterURL.endIndex
                let params = afterURL[..<paramsEnd]
                if params.range(of: #"rel="next""#) != nil || params.range(of: "rel=next") != nil { return String(url) }
                rest = afterURL[paramsEnd...]
            }
        }
        return nil
    }

    /// GitHub's `message` of an error body, cut and cleaned for a log line.
    static func message(_ body: [UInt8]) -> String {
        let text: String = body.withUnsafeBufferPointer { buf in
            var s = JSONScanner(buf)
            var m = ""
            try? s.readObject { (s, key) in
                if key.elementsEqual("message".utf8), s.peek() == UInt8(ascii: "\"") { m = try s.readString() } else { try s.skipValue() }
            }
            return m
        }
        return clean(text.isEmpty ? "no message" : text)
    }

    /// Printable ASCII only, at most 200 characters (remote text going into a log line).
    static func clean(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.prefix(200).map { $0.value >= 0x20 && $0.value < 0x7F ? $0 : "?" }))
    }

    static func queryEscape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~"))) ?? s
    }

    /// `YYYY-MM-DDTHH:MM:SS+00:00` (GitHub's search date syntax), rounded down to the second.
    static func isoSeconds(millis: Int64) -> String {
        let secs = Int(millis / 1000)
        let days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400
        let rem = secs - days * 86400
        let (y, m, d) = Timestamp.civilFromDays(days)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(rem / 3600)):\(two(rem / 60 % 60)):\(two(rem % 60))+00:00"
    }

    private func readToken(_ context: SourceContext) -> String? {
        var raw: String?
        if let f = tokenFile {
            raw = try? String(contentsOfFile: f, encoding: .utf8)
            if raw == nil { context.logger.error("github_audit_api: cannot read token_file \(f)") }
        } else if let env = tokenEnv {
            raw = ProcessInfo.processInfo.environment[env]
            if raw == nil { context.logger.error("github_audit_api: environment variable \(env) is not set") }
        }
        let t = raw?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return t.isEmpty ? nil : t
    }

    private func backoff(_ context: SourceContext, reason: String, minimum: Double) {
        backoffAttempt += 1
        let delay = max(minimum, min(maxBackoff, Double(1 << min(backoffAttempt, 16)) * 0.5)) * Double.random(in: 0.8...1.0)
        context.logger.warning("github_audit_api: \(reason); retrying in \(Int(delay.rounded(.up)))s")
        sleepInterruptible(delay, context: context)
    }

    private func waitUntil(resetEpoch: Int64, context: SourceContext) {
        let wait = Double(resetEpoch) - Double(nowMillis()) / 1000 + 1
        guard wait > 0 else { return }
        context.metrics.increment("github_api_rate_limited")
        context.logger.info("github_audit_api: rate limit used up; waiting \(Int(wait))s for its reset")
        sleepInterruptible(min(wait, 3600), context: context)
    }

    /// Sleeps, waking every 0.2 s to place epoch barriers and save the checkpoint.
    private func sleepInterruptible(_ seconds: Double, context: SourceContext) {
        let end = Clock.monotonic() + seconds
        var lastSave = Clock.monotonic()
        while !context.isStopping {
            let left = end - Clock.monotonic()
            if left <= 0 { break }
            context.sleep(seconds: min(0.2, left))
            context.serviceBarriers()
            if Clock.monotonic() - lastSave >= 1 { saveCheckpoint(); lastSave = Clock.monotonic() }
        }
    }

    // MARK: checkpoints

    private func restoreCheckpoint(_ context: SourceContext) {
        var saved: Checkpoint?
        if context.usesEpochs {
            if let bytes = context.restoredPosition, !bytes.isEmpty {
                saved = try? JSONDecoder().decode(Checkpoint.self, from: Data(bytes))
                if saved == nil { context.logger.error("github_audit_api: unreadable committed position; starting without it") }
            }
        } else if let store = context.checkpoints {
            do { saved = try store.load(Checkpoint.self, for: context.name) } catch {
                context.logger.error("\(error); starting without checkpoint")
            }
        }
        stateLock.withLock {
            guard let cp = saved else {
                newestTimestamp = nowMillis() - Int64(initialLookback * 1000) + overlapMillis
                return
            }
            newestTimestamp = cp.timestamp_ms
            for r in cp.recent { seq &+= 1; recent.append((seq, r.t, r.id)); seenIDs.insert(r.id) }
            let pos = Position(timestamp: cp.timestamp_ms, documentID: cp.document_id, seq: seq)
            tracker = AckTracker(initial: pos)
            lastEmitted = pos
            context.logger.info("github_audit_api resuming after \(cp.document_id) (\(Self.isoSeconds(millis: cp.timestamp_ms)))")
        }
    }

    /// The ids emitted up to `pos` and within `overlap` of it, with `pos`. `stateLock` held.
    private func checkpoint(at pos: Position) -> Checkpoint {
        let floor = pos.timestamp - overlapMillis
        let ids = recent.filter { $0.seq <= pos.seq && $0.t >= floor }.map { Checkpoint.Recent(t: $0.t, id: $0.id) }
        return Checkpoint(timestamp_ms: pos.timestamp, document_id: pos.documentID, recent: ids)
    }

    private func saveCheckpoint() {
        saveLock.withLock {
            guard let context, let store = context.checkpoints, let pos = tracker.takeIfAdvanced() else { return }
            let cp = stateLock.withLock { checkpoint(at: pos) }
            do {
                try store.save(cp, for: context.name)
            } catch {
                context.logger.error("cannot save checkpoint: \(error)")
            }
        }
    }

    /// Thread-safe; the runtime calls it about once a second and at shutdown.
    public func commitCheckpoints() { saveCheckpoint() }

    /// Everything emitted so far (committed with an epoch once delivered): the same JSON as
    /// the checkpoint file.
    public func barrierPosition() -> [UInt8] {
        let cp: Checkpoint? = stateLock.withLock { lastEmitted.map { checkpoint(at: $0) } }
        guard let cp, let data = try? JSONEncoder().encode(cp) else { return [] }
        return [UInt8](data)
    }
}
