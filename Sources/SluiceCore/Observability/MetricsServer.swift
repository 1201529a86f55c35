import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// The Prometheus registry behind swift-metrics for this process; bootstrap once at startup.
public enum SluiceMetrics {
    public static let registry = PrometheusCollectorRegistry()
    private static let bootstrapped = Locked(false)

    /// Installs the Prometheus backend for swift-metrics (idempotent).
    public static func bootstrap() {
        bootstrapped.withLock { done in
            guard !done else { return }
            done = true
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        }
    }
}

/// HTTP listener serving `GET /metrics` (Prometheus text format) and `GET /health`. Binds
/// loopback unless the configured address says otherwise.
///
/// `/health`: built with a status closure, a JSON document of every component's state and
/// figures (see `HealthReport`: 503 when a sink has failed past the threshold, else 200);
/// built with a plain `healthy` closure, `200 ok` / `503 unhealthy` as text.
public final class MetricsServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let listening = Locked<(channel: Channel?, port: Int?)>((nil, nil))
    private let health: @Sendable () -> (status: Int, body: [UInt8], json: Bool)
    /// The port listened on once `start` returned.
    public var boundPort: Int? { listening.withLock { $0.port } }

    public init(healthy: @escaping @Sendable () -> Bool) {
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.health = {
            let ok = healthy()
            return (ok ? 200 : 503, Array((ok ? "ok\n" : "unhealthy\n").utf8), false)
        }
    }

    /// `/health` as JSON from `status` (what the runtime reports), judged by `report`.
    public init(report: HealthReport = HealthReport(), status: @escaping @Sendable () -> PipelineStatus) {
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.health = {
            let r = report.render(status())
            return (r.status, r.body, true)
        }
    }

    /// Binds `host:port`. Throws if the address is invalid or in use.
    public func start(address: String) throws {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw SinkError.permanent("api address must be host:port, got \(address)")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let health = self.health
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(health: health))
                }
            }
        let ch = try bootstrap.bind(host: host.isEmpty ? "127.0.0.1" : host, port: port).wait()
        listening.withLock { $0 = (ch, ch.localAddress?.port) }
    }

    public func stop() {
        try? listening.withLock { $0.channel }?.close().wait()
        try? group.syncShutdownGracefully()
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        // SAFETY (@unchecked Sendable): a NIO handler confined to its channel's event loop:
        // `head` is touched only in `channelRead`, which NIO calls on that loop.
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let health: @Sendable () -> (status: Int, body: [UInt8], json: Bool)
        var head: HTTPRequestHead?
        init(health: @escaping @Sendable () -> (status: Int, body: [UInt8], json: Bool)) { self.health = health }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h): head = h
            case .body: break
            case .end:
                guard let h = head else { return }
                var status = HTTPResponseStatus.ok
                var body: [UInt8]
                var contentType = "text/plain; charset=utf-8"
                switch (h.method, h.uri.split(separator: "?").first.map(String.init) ?? h.uri) {
                case (.GET, "/metrics"):
                    body = SluiceMetrics.registry.emitToBuffer()
                    contentType = "text/plain; version=0.0.4; charset=utf-8"
                case (.GET, "/health"):
                    let h = health()
                    status = HTTPResponseStatus(statusCode: h.status)
                    body = h.body
                    if h.json { contentType = "application/json" }
                default:
                    status = .notFound
                    body = Array("not found: try /metrics or /health\n".utf8)
                }
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: contentType)
                headers.add(name: "Content-Length", value: String(body.count))
                headers.add(name: "Connection", value: "close")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: h.version, status: status, headers: headers))), promise: nil)
                var buf = context.channel.allocator.buffer(capacity: body.count)
                buf.writeBytes(body)
                context.write(wrapOutboundOut(.body(.byteBuffer(buf))), promise: nil)
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
                head = nil
            }
        }
    }
}
