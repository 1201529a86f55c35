#if canImport(Glibc)
import Glibc
#endif
import Atomics
import Dispatch
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SluiceCore

/// `splunk_hec`: a Splunk HTTP Event Collector endpoint, so that senders that speak HEC
/// (GitHub Enterprise Cloud's audit-log streaming, Splunk logging drivers, OpenTelemetry's
/// HEC exporter) can deliver to Sluice.
///
/// Endpoints: `POST /services/collector/event` (also `/services/collector` and
/// `.../event/1.0`): concatenated JSON envelopes, each becoming one event whose `original` is
/// the envelope (parse them with `format: github-audit`); `POST /services/collector/raw`: one
/// event per line; `POST /services/collector/ack`: indexer acknowledgement status;
/// `GET /services/collector/health`: 200 while the pipeline has room, 503 when it is full.
/// Bodies may be `Content-Encoding: gzip`.
///
/// Options: `address` (default `127.0.0.1:8088`, loopback); `tokens` (required: accepted
/// tokens, sent as `Authorization: Splunk <token>`); `max_body_bytes` (default 8MiB, before
/// and after decompression: larger requests get 413); `max_connections` (default 256);
/// `acknowledgements` (default false: with true, requests need a channel and get an
/// `ackId`); `max_ack_channels` (1000), `max_pending_acks_per_channel` (10000),
/// `ack_idle_timeout` (10m); `retry_after` (default 5s: the `Retry-After` of a 503);
/// `max_pending_requests` (default 4: requests accepted but not yet queued downstream);
/// `tls: {cert_file, key_file, ca_file, verify_client, min_version}` (TLS 1.2 minimum; a
/// configured `ca_file` means clients are verified; re-read on SIGHUP).
///
/// Guarantees: a request is answered 200 only once all its events are in the pipeline's
/// queue; when the pipeline is full it is answered 503 with `Retry-After` and nothing of it
/// is kept (the sender retries), so memory stays bounded by `max_connections` ×
/// `max_body_bytes`; the event loop never blocks. A wrong or missing token is answered 401
/// before the body is read, compared in constant time, and neither token nor body is logged.
/// With `acknowledgements`, an ack id answers true only after every sink acknowledged the
/// request's events.
public final class SplunkHECSource: Source, Sendable {
    public let address: String
    let tokens: [[UInt8]]
    public let maxBodyBytes: Int
    public let maxConnections: Int
    public let acknowledgementsEnabled: Bool
    public let retryAfterSeconds: Int
    public let maxPendingRequests: Int
    let acks: HECAcknowledgements?
    public let tls: SyslogTLS?

    private let bound = BoundAddress()
    private let connections = ManagedAtomic<Int>(0)

    public init(address: String = "127.0.0.1:8088", tokens: [String], maxBodyBytes: Int = 8 << 20,
                maxConnections: Int = 256, acknowledgements: Bool = false, maxAckChannels: Int = 1000,
                maxPendingAcksPerChannel: Int = 10_000, ackIdleTimeout: Double = 600,
                retryAfterSeconds: Int = 5, maxPendingRequests: Int = 4, tls: SyslogTLS? = nil) {
        self.address = address
        self.tokens = tokens.map { Array($0.utf8) }
        self.maxBodyBytes = maxBodyBytes
        self.maxConnections = maxConnections
        self.acknowledgementsEnabled = acknowledgements
        self.retryAfterSeconds = retryAfterSeconds
        self.maxPendingRequests = maxPendingRequests
        self.acks = acknowledgements ? HECAcknowledgements(maxChannels: maxAckChannels, maxPendingPerChannel: maxPendingAcksPerChannel,
                                                           idleTimeout: ackIdleTimeout) : nil
        self.tls = tls
    }

    public static func make(_ o: ComponentOptions, _ ctx: BuildContext) throws -> SplunkHECSource {
        let address = o.string("address", default: "127.0.0.1:8088")
        if SyslogSource.parseHostPort(address) == nil {
            o.fail("address must be host:port (e.g. 127.0.0.1:8088), got \"\(address)\"", at: "address")
        }
        let tokens = (o.stringList("tokens") ?? []).filter { !$0.isEmpty }
        if tokens.isEmpty { o.fail("'tokens' must list at least one HEC token (senders use 'Authorization: Splunk <token>')", at: "tokens") }
        var tls: SyslogTLS?
        if let t = o.nested("tls") {
            tls = SyslogTLS.read(t)   // a configured ca_file means clients are verified
            t.finish(); o.merge(t)
        }
        let retry = o.seconds("retry_after", default: 5)
        return SplunkHECSource(
            address: address, tokens: tokens,
            maxBodyBytes: max(1024, o.bytes("max_body_bytes", default: 8 << 20)),
            maxConnections: o.int("max_connections", default: 256, range: 1...100_000),
            acknowledgements: o.bool("acknowledgements", default: false),
            maxAckChannels: o.int("max_ack_channels", default: 1000, range: 1...1_000_000),
            maxPendingAcksPerChannel: o.int("max_pending_acks_per_channel", default: 10_000, range: 1...10_000_000),
            ackIdleTimeout: o.seconds("ack_idle_timeout", default: 600),
            retryAfterSeconds: max(1, Int(retry.rounded(.up))),
            maxPendingRequests: o.int("max_pending_requests", default: 4, range: 1...1024),
            tls: tls)
    }

    /// The bound address once listening (port 0 resolves to the real port); waits up to `timeout`.
    public func waitUntilBound(timeout: Double = 10) throws -> SocketAddress? {
        try bound.wait(timeout: timeout)
    }

    /// Compares `candidate` with every configured token in time that depends only on the
    /// lengths involved, never on where the bytes differ.
    func isValidToken(_ candidate: [UInt8]) -> Bool {
        var anyMatch: UInt8 = 0
        for t in tokens {
            var diff = UInt(bitPattern: t.count ^ candidate.count)
            for i in 0..<max(t.count, candidate.count) {
                let a = i < t.count ? t[i] : 0
                let b = i < candidate.count ? candidate[i] : 0
                diff |= UInt(a ^ b)
            }
            anyMatch |= diff == 0 ? 1 : 0
        }
        return anyMatch != 0
    }

    public func run(_ context: SourceContext) throws {
        if context.mode == .toEnd {
            context.logger.warning("splunk_hec listener \(address) has no end of input; not started in replay")
            return
        }
        let handoff = HECHandoff(context: context, maxPending: maxPendingRequests)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var channel: Channel?
        var reloadToken: Int?
        defer {
            if let t = reloadToken { context.reloads.remove(t) }
            try? channel?.close().wait()
            try? group.syncShutdownGracefully()
            handoff.drain()
        }
        do {
            channel = try bind(group: group, handoff: handoff, context: context)
        } catch {
            bound.fail(error)
            throw error
        }
        bound.set(channel?.localAddress)
        let shown = channel?.localAddress.flatMap { a in a.ipAddress.map { "\($0):\(a.port ?? 0)" } } ?? address
        context.logger.info("splunk_hec listening on \(tls == nil ? "http" : "https")://\(shown)/services/collector")
        if let tls {
            // `sluice run` turns SIGHUP into a reload of the registered files: re-read the certificates.
            reloadToken = context.reloads.register(component: context.name, files: [tls.certFile, tls.keyFile] + (tls.caFile.map { [$0] } ?? [])) {
                do { try tls.reload(); context.logger.info("reloaded TLS certificates") } catch {
                    context.logger.error("TLS reload failed, keeping the previous certificates: \(error)")
                }
            }
        }
        while !context.isStopping { context.sleep(seconds: 1) }
    }

    private func bind(group: EventLoopGroup, handoff: HECHandoff, context: SourceContext) throws -> Channel {
        let tls = self.tls
        let maxConn = maxConnections
        let conns = connections
        let (host, port) = SyslogSource.parseHostPort(address) ?? ("127.0.0.1", 8088)
        let b = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] ch in
                ch.eventLoop.makeCompletedFuture {
                    if conns.wrappingIncrementThenLoad(ordering: .relaxed) > maxConn {
                        conns.wrappingDecrement(ordering: .relaxed)
                        context.metrics.increment("hec_connections_refused")
                        ch.close(promise: nil)
                        return
                    }
                    ch.closeFuture.whenComplete { _ in conns.wrappingDecrement(ordering: .relaxed) }
                    if let tls {
                        try ch.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.context))
                    }
                    try ch.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try ch.pipeline.syncOperations.addHandler(HECRequestHandler(source: self, handoff: handoff))
                }
            }
        return try b.bind(host: host, port: port).wait()
    }
}

/// Moves a request's events from the event loop to the pipeline without blocking the loop,
/// and refuses (so the request is answered 503) when downstream is full or
/// `maxPending` requests are already waiting to be queued.
final class HECHandoff: Sendable {
    let context: SourceContext
    let name: FieldValue
    let maxPending: Int
    private let queue: DispatchQueue
    private let pending = ManagedAtomic<Int>(0)

    init(context: SourceContext, maxPending: Int) {
        self.context = context
        self.maxPending = maxPending
        self.name = .string(context.name)
        queue = DispatchQueue(label: "sluice.hec.\(context.name).handoff")
    }

    /// True when a request can be taken now (reserves a slot; `hand` releases it).
    func reserve() -> Bool {
        guard context.downstreamHasRoom else { return false }
        if pending.wrappingIncrementThenLoad(ordering: .relaxed) > maxPending {
            pending.wrappingDecrement(ordering: .relaxed)
            return false
        }
        return true
    }

    /// Whether the pipeline can take a request now (for the health endpoint).
    var hasRoom: Bool { context.downstreamHasRoom && pending.load(ordering: .relaxed) < maxPending }

    /// Emits `batch` (waiting on a handoff thread if downstream fills meanwhile), then `done`.
    func hand(_ batch: EventBatch, bytes: Int, then done: @escaping @Sendable () -> Void) {
        let ctx = context
        queue.async { [pending] in
            ctx.metrics.recordIn(batch.count, bytes: bytes)
            ctx.emit(batch, bytes: bytes)
            pending.wrappingDecrement(ordering: .relaxed)
            done()
        }
    }

    /// Gives back a slot taken by `reserve` when the request is not handed after all.
    func release() { pending.wrappingDecrement(ordering: .relaxed) }

    func drain() { queue.sync {} }
}
