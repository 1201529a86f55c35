import Foundation
import NIOCore
import NIOHTTP1
import SluiceCore

/// One HTTP connection of the `splunk_hec` source: routes, authenticates, reads the body
/// (bounded), splits it into events and answers in Splunk's JSON (`{"text":..,"code":..}`).
///
/// Runs on the connection's event loop only; the pipeline handoff happens on the source's
/// handoff queue and the answer is written back on the loop. A request refused before its
/// body was read (401, 413, 415, 400) closes the connection after the answer, so the rest of
/// the body is never read.
final class HECRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Endpoint { case event, raw, ack, health }

    private struct Request {
        var head: HTTPRequestHead
        var endpoint: Endpoint
        var gzip: Bool
        var channel: String?
        var body: ByteBuffer?
        var keepAlive: Bool
    }

    private let source: SplunkHECSource
    private let handoff: HECHandoff
    private var request: Request?
    /// Set once a request was refused before its end: the rest of its body is read and
    /// dropped (up to `maxDiscardBytes`, else the connection is cut), then the connection closes.
    private var discarding = false
    private var discarded = 0
    static let maxDiscardBytes = 64 << 20

    init(source: SplunkHECSource, handoff: HECHandoff) {
        self.source = source
        self.handoff = handoff
    }

    private var metrics: ComponentMetrics { handoff.context.metrics }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            discarding = false
            discarded = 0
            request = nil
            begin(context: context, head: head)
        case .body(var chunk):
            if discarding {
                discarded += chunk.readableBytes
                if discarded > Self.maxDiscardBytes { context.close(promise: nil) }
                return
            }
            guard var r = request else { return }
            let have = r.body?.readableBytes ?? 0
            if have + chunk.readableBytes > source.maxBodyBytes {
                metrics.increment("hec_requests_too_large")
                reject(context: context, status: .payloadTooLarge, code: 27,
                       text: "Content-Length of \(have + chunk.readableBytes) too large (maximum is \(source.maxBodyBytes))")
                return
            }
            if r.body == nil { r.body = chunk } else { r.body!.writeBuffer(&chunk) }
            request = r
        case .end:
            if discarding { context.close(promise: nil); return }
            guard let r = request else { return }
            request = nil
            finish(context: context, r)
        }
    }

    private func begin(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let (path, query) = Self.splitURI(head.uri)
        let endpoint: Endpoint
        switch path {
        case "/services/collector", "/services/collector/event", "/services/collector/event/1.0": endpoint = .event
        case "/services/collector/raw", "/services/collector/raw/1.0": endpoint = .raw
        case "/services/collector/ack": endpoint = .ack
        case "/services/collector/health", "/services/collector/health/1.0": endpoint = .health
        default:
            reject(context: context, status: .notFound, code: 404, text: "The requested URL was not found on this server.")
            return
        }
        if endpoint == .health {
            request = Request(head: head, endpoint: .health, gzip: false, channel: nil, body: nil, keepAlive: head.isKeepAlive)
            return
        }
        guard head.method == .POST else {
            reject(context: context, status: .methodNotAllowed, code: 6, text: "Invalid data format: use POST")
            return
        }
        // Authentication before anything of the body is read.
        guard let auth = head.headers.first(name: "authorization") else {
            metrics.increment("hec_requests_unauthorized")
            reject(context: context, status: .unauthorized, code: 2, text: "Token is required")
            return
        }
        guard let token = Self.token(fromAuthorization: auth), source.isValidToken(token) else {
            metrics.increment("hec_requests_unauthorized")
            handoff.context.logger.warning("splunk_hec: refused a request with an invalid token from \(context.channel.remoteAddress?.ipAddress ?? "?")")
            reject(context: context, status: .unauthorized, code: 4, text: "Invalid token")
            return
        }
        if let lengthText = head.headers.first(name: "content-length"), let length = Int(lengthText), length > source.maxBodyBytes {
            metrics.increment("hec_requests_too_large")
            reject(context: context, status: .payloadTooLarge, code: 27,
                   text: "Content-Length of \(length) too large (maximum is \(source.maxBodyBytes))")
            return
        }
        var gzip = false
        for enc in head.headers[canonicalForm: "content-encoding"] {
            switch enc.lowercased() {
            case "gzip", "x-gzip": gzip = true
            case "identity", "": break
            default:
                reject(context: context, status: .unsupportedMediaType, code: 6, text: "unsupported content encoding")
                return
            }
        }
        let channel = head.headers.first(name: "x-splunk-request-channel") ?? query["channel"]
        if source.acknowledgementsEnabled && endpoint != .health {
            guard let c = channel, !c.isEmpty else {
                reject(context: context, status: .badRequest, code: 10, text: "Data channel is missing")
                return
            }
            guard c.utf8.count <= 128, c.utf8.allSatisfy({ Self.isChannelByte($0) }) else {
                reject(context: context, status: .badRequest, code: 11, text: "Invalid data channel")
                return
            }
        } else if endpoint == .ack {
            reject(context: context, status: .badRequest, code: 14, text: "ACK is disabled")
            return
        }
        request = Request(head: head, endpoint: endpoint, gzip: gzip, channel: channel, body: nil, keepAlive: head.isKeepAlive)
        // A sender waiting for `100 Continue` (curl does for large bodies) may send the body now.
        if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
    }

    private func finish(context: ChannelHandlerContext, _ r: Request) {
        switch r.endpoint {
        case .health:
            if handoff.hasRoom {
                respond(context: context, status: .ok, json: #"{"text":"HEC is healthy","code":17}"#, keepAlive: r.keepAlive)
            } else {
                respond(context: context, status: .serviceUnavailable, json: #"{"text":"HEC is unhealthy, queues are full","code":18}"#,
                        keepAlive: r.keepAlive, retryAfter: source.retryAfterSeconds)
            }
        case .ack:
            var buf = r.body ?? ByteBuffer()
            let bytes = buf.readBytes(length: buf.readableBytes) ?? []
            guard let acks = source.acks, let channel = r.channel,
                  let ids = HECBody.ackIDs(bytes, limit: 100_000) else {
                respond(context: context, status: .badRequest, json: #"{"text":"Invalid data format","code":6}"#, keepAlive: r.keepAlive)
                return
            }
            metrics.increment("hec_ack_queries")
            var out = #"{"acks":{"#
            for (i, (id, ok)) in acks.query(channel: channel, ids: ids).enumerated() {
                if i > 0 { out += "," }
                out += "\"\(id)\":\(ok)"
            }
            out += "}}"
            respond(context: context, status: .ok, json: out, keepAlive: r.keepAlive)
        case .event, .raw:
            data(context: context, r)
        }
    }

    private func data(context: ChannelHandlerContext, _ r: Request) {
        var buf = r.body ?? ByteBuffer()
        let wireBytes = buf.readableBytes
        var body = buf.readBytes(length: wireBytes) ?? []
        if r.gzip {
            do { body = try Gzip.decompress(body[...], limit: source.maxBodyBytes) } catch Gzip.DecompressError.tooLarge {
                metrics.increment("hec_requests_too_large")
                respond(context: context, status: .payloadTooLarge,
                        json: #"{"text":"Decompressed body too large (maximum is \#(source.maxBodyBytes))","code":27}"#, keepAlive: false)
                return
            } catch {
                metrics.increment("hec_requests_invalid")
                respond(context: context, status: .badRequest, json: #"{"text":"Invalid data format","code":6}"#, keepAlive: r.keepAlive)
                return
            }
        }
        let records: [Range<Int>]
        var problem: HECBody.Problem?
        if r.endpoint == .event {
            (records, problem) = HECBody.splitEvents(body)
        } else {
            records = HECBody.splitRaw(body)
        }
        if let p = problem {
            metrics.increment("hec_requests_invalid")
            metrics.recordFailure(reason: p.code == 6 ? "invalid_json" : "missing_event")
        }
        if records.isEmpty {
            if let p = problem {
                respond(context: context, status: .badRequest, json: Self.problemJSON(p), keepAlive: r.keepAlive)
            } else {
                respond(context: context, status: .badRequest, json: #"{"text":"No data","code":5}"#, keepAlive: r.keepAlive)
            }
            return
        }
        guard handoff.reserve() else {
            metrics.increment("hec_requests_busy")
            respond(context: context, status: .serviceUnavailable, json: #"{"text":"Server is busy","code":9}"#,
                    keepAlive: r.keepAlive, retryAfter: source.retryAfterSeconds)
            return
        }
        var ackID: UInt64?
        var acks: [Acknowledgement] = []
        if problem == nil, let table = source.acks, let channel = r.channel {
            guard let (id, ack) = table.register(channel: channel) else {
                handoff.release()
                metrics.increment("hec_requests_busy")
                respond(context: context, status: .serviceUnavailable, json: #"{"text":"Server is busy","code":9}"#,
                        keepAlive: r.keepAlive, retryAfter: source.retryAfterSeconds)
                return
            }
            ackID = id
            acks = [ack]
        }
        var events: [Event] = []
        events.reserveCapacity(records.count)
        let name = handoff.name
        for range in records {
            var e = Event(original: body[range])
            e.append(ECS.sluiceSource, name)
            e.append(SyslogKeys.ingressName, name)
            events.append(e)
        }
        let keepAlive = r.keepAlive
        let json: String
        let status: HTTPResponseStatus
        if let p = problem {
            status = .badRequest
            json = Self.problemJSON(p)
        } else {
            status = .ok
            json = ackID.map { #"{"text":"Success","code":0,"ackId":\#($0)}"# } ?? #"{"text":"Success","code":0}"#
        }
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        handoff.hand(EventBatch(events: events, acks: acks), bytes: wireBytes) {
            loop.execute {
                let (handler, ctx) = bound.value
                handler.respond(context: ctx, status: status, json: json, keepAlive: keepAlive)
            }
        }
    }

    static func problemJSON(_ p: HECBody.Problem) -> String {
        #"{"text":"\#(p.text)","code":\#(p.code),"invalid-event-number":\#(p.eventNumber)}"#
    }

    /// Answers a request refused before its end; the connection closes once its end was read.
    private func reject(context: ChannelHandlerContext, status: HTTPResponseStatus, code: Int, text: String) {
        discarding = true
        request = nil
        respond(context: context, status: status, json: #"{"text":"\#(text)","code":\#(code)}"#, keepAlive: false, closeAfter: false)
    }

    private func respond(context: ChannelHandlerContext, status: HTTPResponseStatus, json: String, keepAlive: Bool,
                         retryAfter: Int? = nil, closeAfter: Bool = true) {
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=UTF-8")
        headers.add(name: "Content-Length", value: String(json.utf8.count))
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        if let r = retryAfter { headers.add(name: "Retry-After", value: String(r)) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        var buf = context.channel.allocator.buffer(capacity: json.utf8.count)
        buf.writeString(json)
        context.write(wrapOutboundOut(.body(.byteBuffer(buf))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive && closeAfter { done.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }

    /// The token of `Authorization: Splunk <token>` (the scheme is case-insensitive).
    static func token(fromAuthorization value: String) -> [UInt8]? {
        let bytes = Array(value.utf8)
        guard bytes.count > 7, bytes.count <= 4096 else { return nil }
        let scheme = String(decoding: bytes[0..<6], as: UTF8.self).lowercased()
        guard scheme == "splunk", bytes[6] == 0x20 else { return nil }
        var t = bytes[7...]
        while let f = t.first, f == 0x20 { t = t.dropFirst() }
        while let l = t.last, l == 0x20 { t = t.dropLast() }
        return t.isEmpty ? nil : Array(t)
    }

    static func isChannelByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
    }

    /// Path and decoded query parameters of a request URI.
    static func splitURI(_ uri: String) -> (path: String, query: [String: String]) {
        guard let q = uri.firstIndex(of: "?") else { return (uri, [:]) }
        var query: [String: String] = [:]
        for pair in uri[uri.index(after: q)...].split(separator: "&") where query.count < 32 {
            let kv = pair.split(separator: "=", maxSplits: 1)
            let k = String(kv[0]).removingPercentEncoding ?? String(kv[0])
            let v = kv.count > 1 ? (String(kv[1]).removingPercentEncoding ?? String(kv[1])) : ""
            query[k] = v
        }
        return (String(uri[..<q]), query)
    }
}
