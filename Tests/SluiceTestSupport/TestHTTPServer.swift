import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A scripted HTTP/1.1 server on 127.0.0.1 (SwiftNIO) standing in for Splunk HEC,
/// Elasticsearch `_bulk`, webhooks and REST APIs: each request is recorded and answered by
/// `respond` (given the request and its index, from 0), optionally after a delay (a slow
/// receiver). Closed by `stop()` or when the server is released.
public final class TestHTTPServer: Sendable {
    public struct Request: Sendable {
        public let method: String
        public let uri: String
        public let headers: HTTPHeaders
        public let body: [UInt8]
        public let at: Date
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: String
        /// Seconds to wait before answering.
        public var delay: Double
        public init(status: Int = 200, headers: [(String, String)] = [("Content-Type", "application/json")], body: String = "", delay: Double = 0) {
            self.status = status; self.headers = headers; self.body = body; self.delay = delay
        }
    }

    /// What the connections share: the requests so far and the script.
    private final class Log: Sendable {
        let requests = Guarded<[Request]>([])
        let respond: @Sendable (Request, Int) -> Response
        init(_ respond: @escaping @Sendable (Request, Int) -> Response) { self.respond = respond }

        func answer(_ r: Request) -> Response {
            let n = requests.withLock { $0.append(r); return $0.count - 1 }
            return respond(r, n)
        }
    }

    private let log: Log
    private let channel: Channel
    public var port: Int { channel.localAddress?.port ?? 0 }
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// With `tls` (certificate and key PEM files) the server speaks HTTPS.
    public init(tls: (cert: String, key: String)? = nil, respond: @escaping @Sendable (Request, Int) -> Response) throws {
        let log = Log(respond)
        self.log = log
        let ssl = try tls.map { t in
            try NIOSSLContext(configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(t.cert).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: t.key, format: .pem))))
        }
        channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    if let ssl { try ch.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: ssl)) }
                    try ch.pipeline.syncOperations.configureHTTPServerPipeline()
                    try ch.pipeline.syncOperations.addHandler(Handler(log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    deinit { channel.close(promise: nil) }

    /// The requests received so far, in order.
    public var requests: [Request] { log.requests.value }

    public func stop() { try? channel.close().wait() }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let log: Log
        var head: HTTPRequestHead?
        var body: [UInt8] = []
        init(log: Log) { self.log = log }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch Self.unwrapInboundIn(data) {
            case .head(let h): head = h; body = []
            case .body(var b): body += b.readBytes(length: b.readableBytes) ?? []
            case .end:
                guard let h = head else { return }
                head = nil
                let resp = log.answer(Request(method: "\(h.method)", uri: h.uri, headers: h.headers, body: body, at: Date()))
                if resp.delay > 0 {
                    context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(resp.delay * 1000))) {
                        Self.send(resp, version: h.version, context: context)
                    }
                } else {
                    Self.send(resp, version: h.version, context: context)
                }
            }
        }

        static func send(_ resp: Response, version: HTTPVersion, context: ChannelHandlerContext) {
            var headers = HTTPHeaders(resp.headers)
            headers.add(name: "Content-Length", value: String(resp.body.utf8.count))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: resp.status), headers: headers))), promise: nil)
            var buf = context.channel.allocator.buffer(capacity: resp.body.utf8.count)
            buf.writeString(resp.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buf))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
