import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import SluiceCore

/// `http`: alerts and events to an HTTP receiver with a preset for its protocol.
///
/// - `preset: splunk_hec` — POST `<endpoint>/services/collector/event`, header
///   `Authorization: Splunk <token>`, body: many `{"time":…,"host":…,"source":…,
///   "sourcetype":…,"index":…,"event":…}` objects back to back. With
///   `acknowledgements: true` (HEC indexer acknowledgement) every request carries
///   `X-Splunk-Request-Channel` and counts as delivered only once
///   `/services/collector/ack` reports its `ackId` indexed (else it is sent again after
///   `ack_timeout`).
/// - `preset: elasticsearch` (also OpenSearch) — POST `<endpoint>/_bulk`, NDJSON
///   `{"create":{"_index":…}}` + document per event; a 200 with `errors: true` is read item
///   by item: 429/5xx items are retried alone, other refused items go to dead letter with
///   the item's error, a 409 on `create` counts as delivered (a retried duplicate).
/// - `preset: webhook` — POST `<endpoint>`, a JSON array (`format: json_array`, default) or
///   NDJSON (`format: ndjson`) of encoded events.
///
/// Common options: `endpoint` (required), `token` / `token_file` (HEC token; Bearer token
/// for webhook; API key for Elasticsearch), `user`/`password` (basic auth), `headers`,
/// `encoding` (json default; `cef` strings for HEC and webhook), `compression: gzip`,
/// `timeout` (30s), `tls: {ca_file, cert_file, key_file, verify, verify_hostname, min_version}`,
/// `batch: {max_events, max_bytes, timeout}`, `buffer`, `retry`.
///
/// Redirects are never followed: a 3xx is a delivery failure, logged with its `Location`
/// and retried (the endpoint is the operator's to fix; nothing is dropped or counted
/// delivered). TLS 1.2 is the minimum (`tls.min_version` can raise it to 1.3).
/// Responses: 2xx delivered; connection errors, timeouts, 408, 429 and 5xx retried with
/// backoff (`Retry-After` honoured); 401 and 403 retried too (a token problem is the
/// operator's to fix; events are never dead-lettered for it; the error is logged); any
/// other 4xx sends the request's events to dead letter with the status and response body.
/// Secrets (token, password) are never logged.
public enum HTTPSink {
    public enum Preset: String, CaseIterable, Sendable { case splunk_hec, elasticsearch, webhook }
    public enum BodyFormat: String, CaseIterable, Sendable { case json_array, ndjson }
    public enum Compression: String, CaseIterable, Sendable { case none, gzip }
    public enum BulkAction: String, CaseIterable, Sendable { case create, index }

    public static func make(_ o: ComponentOptions, _ ctx: BuildContext) throws -> Sink {
        let preset = o.choice("preset", default: Preset.webhook)
        let endpoint = o.requiredString("endpoint")
        let encoding = o.choice("encoding", default: EncodingName.json)
        let encoder = EncodingName.makeEncoder(o)
        if preset == .elasticsearch && encoding == .cef { o.fail("elasticsearch needs JSON documents: use encoding json or ocsf", at: "encoding") }
        var token = o.string("token")
        if let tf = o.string("token_file") {
            if let t = try? String(contentsOfFile: tf, encoding: .utf8) { token = t.trimmingCharacters(in: .whitespacesAndNewlines) }
            else { o.fail("cannot read token_file \(tf)", at: "token_file") }
        }
        if preset == .splunk_hec && (token ?? "").isEmpty { o.fail("splunk_hec needs 'token' or 'token_file'") }
        let user = o.string("user"), password = o.string("password")
        var cfg = HTTPTransport.Config(preset: preset, url: endpoint)
        cfg.token = token
        if let user { cfg.basic = Data("\(user):\(password ?? "")".utf8).base64EncodedString() }
        cfg.headers = o.stringMap("headers") ?? []
        cfg.format = o.choice("format", default: BodyFormat.json_array)
        cfg.compression = o.choice("compression", default: Compression.none)
        cfg.timeout = o.seconds("timeout", default: 30)
        cfg.index = o.string("index")
        cfg.action = o.choice("action", default: BulkAction.create)
        cfg.sourcetype = o.string("sourcetype", default: "sluice")
        cfg.source = o.string("source", default: "sluice")
        cfg.host = o.string("host", default: HostName.current)
        cfg.acknowledgements = o.bool("acknowledgements", default: false)
        cfg.ackTimeout = o.seconds("ack_timeout", default: 60)
        cfg.ackInterval = o.seconds("ack_interval", default: 1)
        var tls = TLSOptions.defaultClient()   // TLS 1.2 minimum even without a `tls` block
        if let t = o.nested("tls") { tls = TLSOptions.read(t).0; t.finish(); o.merge(t) }
        cfg.tls = tls
        switch preset {
        case .splunk_hec:
            if !endpoint.contains("/services/collector") { cfg.url = trimSlash(endpoint) + "/services/collector/event" }
        case .elasticsearch:
            if !endpoint.hasSuffix("_bulk") { cfg.url = trimSlash(endpoint) + "/_bulk" }
            if cfg.index == nil { cfg.index = "sluice-events" }
        case .webhook: break
        }
        let limits = BatchLimits.read(o, defaults: BatchLimits(maxEvents: 500, maxBytes: 4 << 20, timeout: 1))
        let retry = RetryOptions.read(o)
        let buffer = BufferSettings.read(o, ctx)
        let transport = HTTPTransport(cfg, logger: ctx.logger)
        return try DeliverySink(name: ctx.name, transport: transport, encoder: encoder, limits: limits, retry: retry,
                                buffer: buffer, dataDir: ctx.dataDir, logger: ctx.logger)
    }

    static func trimSlash(_ s: String) -> String { s.hasSuffix("/") ? String(s.dropLast()) : s }
}

/// HTTP delivery with async-http-client; blocking waits from the sink's own thread.
public final class HTTPTransport: RecordTransport {
    public struct Config: Sendable {
        public var preset: HTTPSink.Preset
        public var url: String
        public var token: String?
        public var basic: String?
        public var headers: [(String, String)] = []
        public var format: HTTPSink.BodyFormat = .json_array
        public var compression: HTTPSink.Compression = .none
        public var timeout: Double = 30
        public var index: String?
        public var action: HTTPSink.BulkAction = .create
        public var sourcetype = "sluice"
        public var source = "sluice"
        public var host = HostName.current
        public var acknowledgements = false
        public var ackTimeout: Double = 60
        public var ackInterval: Double = 1
        public var tls: TLSConfiguration?
        public init(preset: HTTPSink.Preset, url: String) { self.preset = preset; self.url = url }
    }

    let cfg: Config
    let logger: Logger
    let redirectLog: RateLimitedLog
    /// The client and the requests on the wire. The client is created on first use: building
    /// the sink (as `sluice validate` does) starts no event loop and needs no shutdown. Once
    /// `close` has begun no request starts and no client is made again (a client dropped
    /// without shutdown is a fatal error in async-http-client).
    private struct ClientState: @unchecked Sendable {
        // SAFETY (@unchecked Sendable): HTTPClient is thread-safe; the state lives in `Locked`.
        var client: HTTPClient?
        var inFlight = 0
        var closed = false
    }
    private let clientState = Locked(uncheckedState: ClientState())
    /// Set by `stop`: an acknowledgement wait ends (and the batch is retried).
    private let stopped = Locked(false)
    /// How long `close` waits for requests on the wire to be answered before it shuts the
    /// client down anyway (which cancels them).
    static let closeGrace: Double = 5

    /// Thrown by `post` once the sink is closing: the batch stays unacknowledged.
    struct Closed: Error, CustomStringConvertible {
        var description: String { "sink closing" }
    }

    /// The client for one request, counted as on the wire until `release`.
    private func lease() throws -> HTTPClient {
        try clientState.withLock { st in
            if st.closed { throw Closed() }
            st.inFlight += 1
            if let c = st.client { return c }
            // A refused TLS handshake surfaces only when the connect timeout ends (the pool keeps
            // trying until then), so it follows `timeout` when that is shorter than 10 s.
            let connectMS = Int64(min(10, cfg.timeout) * 1000)
            var c = HTTPClient.Configuration(tlsConfiguration: TLSOptions.atLeast12(cfg.tls ?? TLSOptions.defaultClient()),
                                             timeout: .init(connect: .milliseconds(connectMS), read: .milliseconds(Int64(cfg.timeout * 1000))))
            c.decompression = .disabled
            // Never follow redirects: a 302 would turn the POST into a GET without body and the
            // batch would count as delivered. A 3xx is a delivery failure (see `classify`).
            c.redirectConfiguration = .disallow
            let made = HTTPClient(eventLoopGroupProvider: .singleton, configuration: c)
            st.client = made
            return made
        }
    }

    private func release() {
        clientState.withLock { $0.inFlight -= 1 }
        clientState.broadcast()
    }

    let channel = UUID().uuidString
    private var actionLine: [UInt8] = []
    private let interner = FieldKeyInterner()
    private var scratch: [UInt8] = []

    public init(_ cfg: Config, logger: Logger) {
        self.cfg = cfg; self.logger = logger
        redirectLog = RateLimitedLog(logger: logger, interval: 30)
        if cfg.preset == .elasticsearch {
            var l: [UInt8] = []
            l.append(contentsOf: "{\"\(cfg.action.rawValue)\":{\"_index\":".utf8)
            JSONWriter.appendQuoted(cfg.index ?? "sluice-events", to: &l)
            l.append(contentsOf: "}}\n".utf8)
            actionLine = l
        }
    }

    public func appendRecord(_ event: Event, encoder: EventEncoder, to out: inout [UInt8]) {
        switch cfg.preset {
        case .splunk_hec:
            out.append(contentsOf: "{\"time\":".utf8)
            let t = event.timestamp != 0 ? event.timestamp : (event.alert?.lastSeen ?? Timestamp.now())
            JSONWriter.appendInt(t / 1_000_000_000, to: &out)
            out.append(UInt8(ascii: "."))
            let ms = (t / 1_000_000) % 1000
            if ms < 100 { out.append(UInt8(ascii: "0")) }
            if ms < 10 { out.append(UInt8(ascii: "0")) }
            JSONWriter.appendInt(ms, to: &out)
            out.append(contentsOf: ",\"host\":".utf8); JSONWriter.appendQuoted(cfg.host, to: &out)
            out.append(contentsOf: ",\"source\":".utf8); JSONWriter.appendQuoted(cfg.source, to: &out)
            out.append(contentsOf: ",\"sourcetype\":".utf8); JSONWriter.appendQuoted(cfg.sourcetype, to: &out)
            if let i = cfg.index { out.append(contentsOf: ",\"index\":".utf8); JSONWriter.appendQuoted(i, to: &out) }
            out.append(contentsOf: ",\"event\":".utf8)
            appendDocument(event, encoder, to: &out)
            out.append(contentsOf: "}\n".utf8)
        case .elasticsearch:
            out.append(contentsOf: actionLine)
            encoder.encode(event, into: &out)
            out.append(0x0A)
        case .webhook:
            appendDocument(event, encoder, to: &out)
        }
    }

    /// The encoded event as a JSON value: JSON encoders' objects as they are, CEF as a string.
    private func appendDocument(_ event: Event, _ encoder: EventEncoder, to out: inout [UInt8]) {
        scratch.removeAll(keepingCapacity: true)
        encoder.encode(event, into: &scratch)
        if scratch.first == UInt8(ascii: "{") { out.append(contentsOf: scratch) }
        else { JSONWriter.appendQuotedBytes(scratch[...], to: &out) }
    }

    func body(_ records: RecordBatch) -> [UInt8] {
        guard cfg.preset == .webhook else { return records.bytes }
        var b: [UInt8] = []
        b.reserveCapacity(records.bytes.count + records.count + 2)
        if cfg.format == .json_array { b.append(UInt8(ascii: "[")) }
        for i in 0..<records.count {
            if i > 0 && cfg.format == .json_array { b.append(UInt8(ascii: ",")) }
            b.append(contentsOf: records.record(i))
            if cfg.format == .ndjson { b.append(0x0A) }
        }
        if cfg.format == .json_array { b.append(UInt8(ascii: "]")) }
        return b
    }

    struct Reply { let status: Int; let headers: HTTPHeaders; let body: [UInt8] }

    func post(_ url: String, _ body: [UInt8], contentType: String) throws -> Reply {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "User-Agent", value: "Sluice/\(SluiceProduct.version)")
        switch cfg.preset {
        case .splunk_hec:
            if let t = cfg.token { headers.add(name: "Authorization", value: "Splunk \(t)") }
            if cfg.acknowledgements { headers.add(name: "X-Splunk-Request-Channel", value: channel) }
        case .elasticsearch:
            if let b = cfg.basic { headers.add(name: "Authorization", value: "Basic \(b)") }
            else if let t = cfg.token { headers.add(name: "Authorization", value: "ApiKey \(t)") }
        case .webhook:
            if let b = cfg.basic { headers.add(name: "Authorization", value: "Basic \(b)") }
            else if let t = cfg.token { headers.add(name: "Authorization", value: "Bearer \(t)") }
        }
        for (k, v) in cfg.headers { headers.replaceOrAdd(name: k, value: v) }
        var payload = body
        if cfg.compression == .gzip, let z = Gzip.compress(body) {
            payload = z
            headers.add(name: "Content-Encoding", value: "gzip")
        }
        let req = try HTTPClient.Request(url: url, method: .POST, headers: headers, body: .bytes(payload))
        // `timeout` is the read timeout: the connection fails (and the request is retried) when
        // the receiver stays silent that long. The deadline is only a backstop against a
        // receiver that trickles bytes: it cancels the request from outside, which
        // async-http-client 1.37 can race with the connection's own release (a fatal
        // precondition in its pool), so it must not be the timeout that normally fires.
        let backstop = Int64((10 + 2 * cfg.timeout) * 1000)
        let client = try lease()
        defer { release() }
        let resp = try client.execute(request: req, deadline: .now() + .milliseconds(backstop)).wait()
        var bytes: [UInt8] = []
        if var b = resp.body { bytes = b.readBytes(length: min(b.readableBytes, 4 << 20)) ?? [] }
        return Reply(status: Int(resp.status.code), headers: resp.headers, body: bytes)
    }

    public func send(_ records: RecordBatch) -> SendOutcome {
        let reply: Reply
        do {
            let ct = cfg.preset == .elasticsearch ? "application/x-ndjson"
                : (cfg.preset == .webhook && cfg.format == .ndjson ? "application/x-ndjson" : "application/json")
            reply = try post(cfg.url, body(records), contentType: ct)
        } catch {
            return .retry("\(redacted(cfg.url)): \(error)", after: nil)
        }
        if let o = classify(reply) { return o }
        switch cfg.preset {
        case .splunk_hec where cfg.acknowledgements:
            return waitForAck(reply)
        case .elasticsearch:
            return bulkItems(reply, count: records.count)
        default:
            return .delivered
        }
    }

    /// The outcome of a non-2xx status (nil for 2xx).
    func classify(_ r: Reply) -> SendOutcome? {
        if (200..<300).contains(r.status) { return nil }
        let text = String(decoding: r.body.prefix(512), as: UTF8.self)
        let why = "HTTP \(r.status): \(text)"
        switch r.status {
        case 300...399:
            let location = r.headers.first(name: "Location").map { redacted($0) } ?? "(no Location header)"
            redirectLog.error(key: "redirect", "\(redacted(cfg.url)) answered HTTP \(r.status) redirecting to \(location); deliveries never follow redirects, so nothing was delivered: point 'endpoint' at the final URL. Retrying")
            return .retry("HTTP \(r.status) redirect to \(location) (not followed)", after: nil)
        case 408, 429, 500...599:
            return .retry(why, after: RetryPolicy.parseRetryAfter(r.headers.first(name: "Retry-After")))
        case 401, 403:
            logger.error("\(redacted(cfg.url)) refused the credentials (HTTP \(r.status)); retrying until they are fixed")
            return .retry(why, after: nil)
        default:
            return .rejected(why)
        }
    }

    // MARK: Splunk HEC acknowledgements

    private func waitForAck(_ r: Reply) -> SendOutcome {
        guard let v = parse(r.body), let id = member(v, "ackId")?.intValue else {
            return .retry("HEC acknowledgements enabled but no ackId in the response (is useACK on for this token?)", after: nil)
        }
        let ackURL = cfg.url.replacingOccurrences(of: "/services/collector/event", with: "/services/collector/ack")
        let deadline = Clock.monotonic() + cfg.ackTimeout
        var body: [UInt8] = Array("{\"acks\":[".utf8)
        JSONWriter.appendInt(id, to: &body)
        body.append(contentsOf: "]}".utf8)
        while Clock.monotonic() < deadline {
            // One query per `ack_interval`; `stop` ends the wait at once.
            if stopped.wait(timeout: cfg.ackInterval, until: { $0 }, then: { s, _ in s }) {
                return .retry("sink closing before HEC acknowledged ackId \(id)", after: nil)
            }
            guard let reply = try? post(ackURL, body, contentType: "application/json") else { continue }
            if let o = classify(reply) {
                if case .rejected = o { return .retry("HEC ack query refused: HTTP \(reply.status)", after: nil) }
                continue
            }
            if let v = parse(reply.body), let acks = member(v, "acks"), case .bool(true)? = member(acks, String(id)) {
                return .delivered
            }
        }
        return .retry("HEC did not acknowledge ackId \(id) within \(cfg.ackTimeout)s; sending again", after: nil)
    }

    // MARK: Elasticsearch _bulk

    private func bulkItems(_ r: Reply, count: Int) -> SendOutcome {
        guard let v = parse(r.body) else { return .retry("unreadable _bulk response", after: nil) }
        guard case .bool(true)? = member(v, "errors") else { return .delivered }
        guard case .array(let items)? = member(v, "items"), items.count == count else {
            return .retry("_bulk reported errors but its items do not match the request", after: nil)
        }
        var again: [Int] = []
        var rejected: [Int: String] = [:]
        for (i, item) in items.enumerated() {
            guard case .object(let ops) = item, let op = ops.first?.value,
                  let status = member(op, "status")?.intValue else { again.append(i); continue }
            switch status {
            case 200..<300: continue
            case 409 where cfg.action == .create: continue   // already indexed by an earlier attempt
            case 429, 500...599: again.append(i)
            default:
                var why = "HTTP \(status)"
                if let e = member(op, "error") {
                    if let t = member(e, "type")?.text { why += " \(t)" }
                    if let rs = member(e, "reason")?.text { why += ": \(rs)" }
                }
                rejected[i] = why
            }
        }
        if again.isEmpty && rejected.isEmpty { return .delivered }
        return .partial(retry: again, rejected: rejected)
    }

    // MARK: helpers

    func parse(_ bytes: [UInt8]) -> FieldValue? {
        bytes.withUnsafeBufferPointer { buf -> FieldValue? in
            var s = JSONScanner(buf)
            return try? s.readValue(interner: interner)
        }
    }

    func member(_ v: FieldValue, _ name: String) -> FieldValue? {
        guard case .object(let m) = v else { return nil }
        return m.first(where: { $0.key.path == name })?.value
    }

    /// The URL without userinfo or query (which may hold secrets), for logs.
    func redacted(_ url: String) -> String {
        var u = url
        if let q = u.firstIndex(of: "?") { u = String(u[..<q]) }
        if let at = u.firstIndex(of: "@"), let scheme = u.range(of: "://") { u = String(u[..<scheme.upperBound]) + String(u[u.index(after: at)...]) }
        return u
    }

    public func stop() {
        stopped.withLock { $0 = true }
        stopped.broadcast()
    }

    /// Refuses new requests, waits up to `closeGrace` for those on the wire to be answered
    /// (shutting the client down cancels them, and async-http-client 1.37 can race that
    /// cancellation with the connection's release, a fatal precondition in its pool), lets
    /// the client's event loops run what they already hold (`EventLoopDrain`), then
    /// shuts the client down.
    public func close() {
        clientState.withLock { $0.closed = true }
        let c = clientState.wait(timeout: Self.closeGrace, until: { $0.inFlight == 0 }) { st, _ in
            defer { st.client = nil }
            return st.client
        }
        guard let c else { return }
        EventLoopDrain.runQueued(on: c.eventLoopGroup)
        try? c.syncShutdown()
    }
}
