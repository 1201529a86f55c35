import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A scripted HTTP/1.1 server on 127.0.0.1 (SwiftNIO) standing in for Splunk HEC,
/// Elasticsearch `_bulk` and webhooks: each request is recorded and answered by `respond`,
/// optionally after a delay (slow receiver).
final class TestHTTPServer: @unchecked Sendable {
    struct Request { let method: String; let uri: String; let headers: HTTPHeaders; let body: [UInt8]; let at: Date
        var text: String { String(decoding: body, as: UTF8.self) }
    }
    struct Response {
        var status: Int = 200
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        var body: String = ""
        var delay: Double = 0
    }

    private let lock = NSLock()
    private var _requests: [Request] = []
    let respond: @Sendable (Request, Int) -> Response
    private var channel: Channel!
    var port: Int { channel.localAddress!.port! }

    /// With `tls` (certificate and key PEM files) the server speaks HTTPS.
    init(tls: (cert: String, key: String)? = nil, respond: @escaping @Sendable (Request, Int) -> Response) throws {
        self.respond = respond
        let ssl = try tls.map { t in
            try NIOSSLContext(configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(t.cert).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: t.key, format: .pem))))
        }
        channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] ch in
                if let ssl {
                    do { try ch.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: ssl)) }
                    catch { return ch.eventLoop.makeFailedFuture(error) }
                }
                return ch.pipeline.configureHTTPServerPipeline().flatMap { ch.pipeline.addHandler(Handler(server: self)) }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    var requests: [Request] { lock.lock(); defer { lock.unlock() }; return _requests }

    func record(_ r: Request) -> Int {
        lock.lock(); defer { lock.unlock() }
        _requests.append(r)
        return _requests.count - 1
    }

    func stop() { try? channel.close().wait() }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let server: TestHTTPServer
        var head: HTTPRequestHead?
        var body: [UInt8] = []
        init(server: TestHTTPServer) { self.server = server }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h): head = h; body = []
            case .body(var b): body += b.readBytes(length: b.readableBytes) ?? []
            case .end:
                guard let h = head else { return }
                let req = Request(method: "\(h.method)", uri: h.uri, headers: h.headers, body: body, at: Date())
                let n = server.record(req)
                let resp = server.respond(req, n)
                let send = {
                    var headers = HTTPHeaders(resp.headers)
                    headers.add(name: "Content-Length", value: String(resp.body.utf8.count))
                    context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: h.version, status: HTTPResponseStatus(statusCode: resp.status), headers: headers))), promise: nil)
                    var buf = context.channel.allocator.buffer(capacity: resp.body.utf8.count)
                    buf.writeString(resp.body)
                    context.write(self.wrapOutboundOut(.body(.byteBuffer(buf))), promise: nil)
                    context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
                }
                if resp.delay > 0 {
                    context.eventLoop.scheduleTask(in: .milliseconds(Int64(resp.delay * 1000))) { send() }
                } else {
                    send()
                }
            }
        }
    }
}
