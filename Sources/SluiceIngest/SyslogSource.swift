#if canImport(Glibc)
import Glibc
#endif
import Atomics
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SluiceCore

/// `syslog`: a SwiftNIO syslog listener. Each message becomes an event whose `original` is
/// the raw message (without framing), with `source.ip`/`source.port` of the peer (not for
/// Unix sockets) and the listener name in `observer.ingress.name` and `sluice.source`. The
/// syslog header is parsed later by the `syslog` parser.
///
/// Options: `mode` (`udp`, `tcp` default, `tls`, `unix_datagram`, `unix_stream`); `address`
/// (`host:port`, default `127.0.0.1:5140`; a socket path for Unix modes); `max_message_bytes`
/// (default 64KiB: longer messages are cut and counted as `syslog_truncated_messages`);
/// `max_connections` (default 256: established connections; more are refused and counted);
/// `max_connections_per_address` (default 32); `handshake_timeout` (default 10s: a TLS
/// handshake, or a plain connection's first bytes);
/// `idle_timeout` (default 10m, 0 = never); `batch_size` (default 1024: most messages per
/// batch a connection hands over); `receive_buffer_bytes` (SO_RCVBUF for datagram modes);
/// `permissions` (Unix socket mode, default `0660`); `tls: {cert_file, key_file, ca_file,
/// verify_client, min_version}` (a `ca_file` means clients are verified against it).
///
/// Guarantees: stream modes apply backpressure — a connection is read only when its
/// previous batch was accepted downstream, so a full pipeline fills the kernel window and
/// stalls the sender; the event loop never blocks; a connection holds at most `batch_size`
/// events and one read of bytes. No peer can hold the slots of others: connections count
/// against `max_connections` only once their TLS handshake completed (plain ones: once they
/// sent something), which must happen within `handshake_timeout`; when the slots of such
/// pending connections (as many as `max_connections`) are full, the oldest gives way to a
/// new one; one address holds at most
/// `max_connections_per_address` connections (pending or established), and connections
/// idle for `idle_timeout` are closed (`ConnectionLimiter`). Datagram modes cannot push
/// back: what arrives on UDP while downstream is full is dropped and counted
/// (`syslog_datagrams_dropped`); `unix_datagram` is read on the source thread and simply
/// stops reading (local senders wait). A broken frame closes only its connection. Repeated
/// warnings (refused connections, framing errors) are rate-limited with a count of what was
/// suppressed. On stop, the listener stops accepting, closes its connections, hands over
/// what they had received and only then stops its event loop. In TLS mode the certificates
/// are re-read on `ReloadRegistry.reloadAll()` (what `sluice run` does on SIGHUP).
public final class SyslogSource: Source, Sendable {
    public enum Mode: String, CaseIterable, Sendable {
        case udp, tcp, tls
        case unixDatagram = "unix_datagram"
        case unixStream = "unix_stream"
        var isUnix: Bool { self == .unixDatagram || self == .unixStream }
        var isStream: Bool { self == .tcp || self == .tls || self == .unixStream }
    }

    public let mode: Mode
    public let address: String
    public let maxMessageBytes: Int
    public let maxConnections: Int
    public let maxConnectionsPerAddress: Int
    public let handshakeTimeout: Double
    public let idleTimeout: Double
    public let batchSize: Int
    public let receiveBufferBytes: Int?
    public let permissions: mode_t
    public let tls: SyslogTLS?
    let limiter: ConnectionLimiter
    /// Open stream connections, to close them at stop (event-loop thread and stop only).
    private let channels = Locked<[ObjectIdentifier: any Channel]>([:])

    private let bound = BoundAddress()
    /// Set by `run` (read by `droppedDatagrams` from other threads).
    private let handoff = Locked<SyslogHandoff?>(nil)

    public init(mode: Mode = .tcp, address: String? = nil, maxMessageBytes: Int = 64 * 1024,
                maxConnections: Int = 256, maxConnectionsPerAddress: Int = 32, handshakeTimeout: Double = 10,
                idleTimeout: Double = 600, batchSize: Int = 1024, receiveBufferBytes: Int? = nil,
                permissions: mode_t = 0o660, tls: SyslogTLS? = nil) {
        self.mode = mode
        self.address = address ?? (mode.isUnix ? "/run/sluice/syslog.sock" : "127.0.0.1:5140")
        self.maxMessageBytes = maxMessageBytes; self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        self.handshakeTimeout = handshakeTimeout; self.idleTimeout = idleTimeout
        self.batchSize = max(1, batchSize)
        self.receiveBufferBytes = receiveBufferBytes; self.permissions = permissions; self.tls = tls
        limiter = ConnectionLimiter(maxEstablished: maxConnections, maxPending: maxConnections,
                                    maxPerAddress: maxConnectionsPerAddress)
    }

    public static func make(_ o: ComponentOptions, _ ctx: BuildContext) throws -> SyslogSource {
        let mode = o.choice("mode", default: Mode.tcp)
        let address = o.string("address")
        if let a = address, !mode.isUnix, parseHostPort(a) == nil {
            o.fail("address must be host:port (e.g. 127.0.0.1:5140 or [::1]:5140), got \"\(a)\"", at: "address")
        }
        var perms: mode_t = 0o660
        if let p = o.string("permissions") {
            if let v = mode_t(p, radix: 8), v <= 0o777 { perms = v } else { o.fail("permissions must be octal like 0660, got \"\(p)\"", at: "permissions") }
        }
        var tls: SyslogTLS?
        if let t = o.nested("tls") {
            tls = SyslogTLS.read(t)
            t.finish(); o.merge(t)
            if mode != .tls { o.fail("'tls' is only used with mode: tls", at: "tls") }
        } else if mode == .tls {
            o.fail("mode tls needs a 'tls' mapping with cert_file and key_file", at: "mode")
        }
        let rcvbuf = o.has("receive_buffer_bytes") ? o.bytes("receive_buffer_bytes", default: 0) : nil
        return SyslogSource(mode: mode, address: address,
                            maxMessageBytes: o.bytes("max_message_bytes", default: 64 * 1024),
                            maxConnections: o.int("max_connections", default: 256, range: 1...100_000),
                            maxConnectionsPerAddress: o.int("max_connections_per_address", default: 32, range: 1...100_000),
                            handshakeTimeout: o.seconds("handshake_timeout", default: 10),
                            idleTimeout: o.seconds("idle_timeout", default: 600),
                            batchSize: o.int("batch_size", default: 1024, range: 1...1_000_000),
                            receiveBufferBytes: rcvbuf, permissions: perms, tls: tls)
    }

    private func track(_ id: ObjectIdentifier, _ ch: Channel) {
        channels.withLock { $0[id] = ch }
    }

    private func channel(_ id: ObjectIdentifier) -> Channel? {
        channels.withLock { $0[id] }
    }

    private func untrack(_ id: ObjectIdentifier) {
        channels.withLock { $0[id] = nil }
    }

    /// Established and pending stream connections, and the addresses they come from.
    public var connectionCounts: (established: Int, pending: Int, addresses: Int) { limiter.counts }

    static func parseHostPort(_ s: String) -> (String, Int)? {
        var host: Substring, portText: Substring
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return nil }
            host = s[s.index(after: s.startIndex)..<close]
            let rest = s[s.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = s.lastIndex(of: ":") else { return nil }
            host = s[..<colon]; portText = s[s.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port), !host.isEmpty else { return nil }
        return (String(host), port)
    }

    /// The bound address once listening (port 0 resolves to the real port); waits up to `timeout`.
    public func waitUntilBound(timeout: Double = 10) throws -> SocketAddress? {
        try bound.wait(timeout: timeout)
    }

    /// Datagrams dropped because downstream was full (also counted as a metric).
    public var droppedDatagrams: Int { handoff.withLock { $0 }?.droppedDatagrams.load(ordering: .relaxed) ?? 0 }

    public func run(_ context: SourceContext) throws {
        if context.mode == .toEnd {
            context.logger.warning("syslog listener \(address) has no end of input; not started in replay")
            return
        }
        let handoff = SyslogHandoff(context: context)
        self.handoff.withLock { $0 = handoff }
        if mode == .unixDatagram {
            do {
                try SyslogUnixDatagramReceiver.run(path: address, permissions: permissions, maxMessageBytes: maxMessageBytes,
                                                   receiveBufferBytes: receiveBufferBytes, context: context, handoff: handoff) {
                    bound.set(try? SocketAddress(unixDomainSocketPath: address))
                    context.logger.info("syslog unix_datagram listening on \(address)")
                }
            } catch {
                bound.fail(error)
                throw error
            }
            return
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var channel: Channel?
        var reloadToken: Int?
        let log = RateLimitedLog(logger: context.logger, interval: 10)
        defer {
            if let t = reloadToken { context.reloads.remove(t) }
            // Stop in an order that never schedules work on a stopped event loop: stop
            // accepting, stop reading, close the connections (they hand over what they had
            // received), wait for those batches to be emitted (the runtime's shutdown timeout
            // bounds that: it closes the queues), and only then stop the loop.
            handoff.stopping.store(true, ordering: .relaxed)
            try? channel?.close().wait()
            let open = channels.withLock { Array($0.values) }
            for ch in open { ch.close(promise: nil) }
            for ch in open { _ = try? ch.closeFuture.wait() }
            handoff.waitIdle(timeout: 3600)
            try? group.syncShutdownGracefully()
            handoff.drain()
            log.flush { key in "syslog \(key)" }
            if mode.isUnix { unlink(address) }
        }
        do {
            channel = try bind(group: group, handoff: handoff, context: context, log: log)
        } catch {
            bound.fail(error)
            throw error
        }
        if mode.isUnix { chmod(address, permissions) }
        bound.set(channel?.localAddress)
        context.logger.info("syslog \(mode.rawValue) listening on \(channel?.localAddress?.description ?? address)")
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

    private func bind(group: EventLoopGroup, handoff: SyslogHandoff, context: SourceContext, log: RateLimitedLog) throws -> Channel {
        let maxBytes = maxMessageBytes
        switch mode {
        case .udp, .unixDatagram:
            let unix = mode == .unixDatagram
            var b = DatagramBootstrap(group: group)
                .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .channelOption(ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65536))
                .channelOption(ChannelOptions.maxMessagesPerRead, value: 64)
                .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture {
                        try ch.pipeline.syncOperations.addHandler(SyslogDatagramHandler(handoff: handoff, maxMessageBytes: maxBytes, unix: unix))
                    }
                }
            if let r = receiveBufferBytes {
                b = b.channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: SocketOptionValue(r))
            }
            if unix {
                return try b.bind(unixDomainSocketPath: address, cleanupExistingSocketFile: true).wait()
            }
            let (host, port) = Self.parseHostPort(address) ?? ("127.0.0.1", 5140)
            return try b.bind(host: host, port: port).wait()
        case .tcp, .tls, .unixStream:
            let tls = self.tls
            let limiter = self.limiter
            let limits = StreamLimits(maxMessageBytes: maxBytes, batchSize: batchSize,
                                      handshakeTimeout: handshakeTimeout, idleTimeout: idleTimeout)
            let b = ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.backlog, value: 256)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(ChannelOptions.autoRead, value: false)
                .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 1)
                .childChannelInitializer { [weak self] ch in
                    ch.eventLoop.makeCompletedFuture {
                        let peer = ch.remoteAddress?.ipAddress
                        if handoff.stopping.load(ordering: .relaxed) { ch.close(promise: nil); return }
                        let (refusal, evict) = limiter.admit(ObjectIdentifier(ch), peer)
                        if let why = refusal {
                            context.metrics.increment("syslog_connections_refused")
                            log.warning(key: "refused", "refusing syslog connection from \(peer ?? "local peer"): \(why)")
                            ch.close(promise: nil)
                            return
                        }
                        if let victim = evict, let old = self?.channel(victim) {
                            // The pending slots are full: the oldest connection that has not
                            // handshaken (or sent anything) gives its slot to this one.
                            context.metrics.increment("syslog_pending_evicted")
                            log.info(key: "pending_evicted", "closing syslog connection from \(old.remoteAddress?.ipAddress ?? "local peer"): still no handshake while new connections wait")
                            old.close(promise: nil)
                        }
                        if let tls {
                            try ch.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.context))
                        }
                        let id = ObjectIdentifier(ch)
                        self?.track(id, ch)
                        try ch.pipeline.syncOperations.addHandler(
                            SyslogStreamHandler(handoff: handoff, limits: limits, limiter: limiter, log: log,
                                                tls: tls != nil, address: peer) { [weak self] in self?.untrack(id) })
                    }
                }
            if mode == .unixStream {
                return try b.bind(unixDomainSocketPath: address, cleanupExistingSocketFile: true).wait()
            }
            let (host, port) = Self.parseHostPort(address) ?? ("127.0.0.1", 5140)
            return try b.bind(host: host, port: port).wait()
        }
    }
}
