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
/// `max_connections` (default 256; more are refused and counted); `receive_buffer_bytes`
/// (SO_RCVBUF for datagram modes); `permissions` (Unix socket mode, default `0660`);
/// `tls: {cert_file, key_file, ca_file, verify_client}`.
///
/// Guarantees: stream modes apply backpressure — a connection is read only when its
/// previous batch was accepted downstream, so a full pipeline fills the kernel window and
/// stalls the sender; the event loop never blocks. Datagram modes cannot push back: what
/// arrives on UDP while downstream is full is dropped and counted (`syslog_datagrams_dropped`);
/// `unix_datagram` is read on the source thread and simply stops reading (local senders wait).
/// A broken frame closes only its connection. In TLS mode the certificates are re-read on
/// `ReloadRegistry.reloadAll()` (what `sluice run` does on SIGHUP).
public final class SyslogSource: Source {
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
    public let receiveBufferBytes: Int?
    public let permissions: mode_t
    public let tls: SyslogTLS?

    private let boundLock = NSCondition()
    private var _bound: SocketAddress?
    private var _bindError: Error?
    private let connections = ManagedAtomic<Int>(0)
    private var handoff: SyslogHandoff?

    public init(mode: Mode = .tcp, address: String? = nil, maxMessageBytes: Int = 64 * 1024,
                maxConnections: Int = 256, receiveBufferBytes: Int? = nil, permissions: mode_t = 0o660,
                tls: SyslogTLS? = nil) {
        self.mode = mode
        self.address = address ?? (mode.isUnix ? "/run/sluice/syslog.sock" : "127.0.0.1:5140")
        self.maxMessageBytes = maxMessageBytes; self.maxConnections = maxConnections
        self.receiveBufferBytes = receiveBufferBytes; self.permissions = permissions; self.tls = tls
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
            let cert = t.requiredString("cert_file"), key = t.requiredString("key_file")
            let ca = t.string("ca_file")
            let verify = t.bool("verify_client", default: false)
            if verify && ca == nil { t.fail("verify_client needs ca_file", at: "verify_client") }
            t.finish(); o.merge(t)
            if mode != .tls { o.fail("'tls' is only used with mode: tls", at: "tls") }
            if !cert.isEmpty && !key.isEmpty {
                do { tls = try SyslogTLS(certFile: cert, keyFile: key, caFile: ca, verifyClient: verify) } catch {
                    o.fail("cannot load TLS certificate/key: \(error)", at: "tls")
                }
            }
        } else if mode == .tls {
            o.fail("mode tls needs a 'tls' mapping with cert_file and key_file", at: "mode")
        }
        let rcvbuf = o.has("receive_buffer_bytes") ? o.bytes("receive_buffer_bytes", default: 0) : nil
        return SyslogSource(mode: mode, address: address,
                            maxMessageBytes: o.bytes("max_message_bytes", default: 64 * 1024),
                            maxConnections: o.int("max_connections", default: 256, range: 1...100_000),
                            receiveBufferBytes: rcvbuf, permissions: perms, tls: tls)
    }

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
        let deadline = Date().addingTimeInterval(timeout)
        boundLock.lock(); defer { boundLock.unlock() }
        while _bound == nil && _bindError == nil {
            if !boundLock.wait(until: deadline) { break }
        }
        if let e = _bindError { throw e }
        return _bound
    }

    /// Datagrams dropped because downstream was full (also counted as a metric).
    public var droppedDatagrams: Int { handoff?.droppedDatagrams.load(ordering: .relaxed) ?? 0 }

    public func run(_ context: SourceContext) throws {
        if context.mode == .toEnd {
            context.logger.warning("syslog listener \(address) has no end of input; not started in replay")
            return
        }
        let handoff = SyslogHandoff(context: context)
        self.handoff = handoff
        if mode == .unixDatagram {
            do {
                try SyslogUnixDatagramReceiver.run(path: address, permissions: permissions, maxMessageBytes: maxMessageBytes,
                                                   receiveBufferBytes: receiveBufferBytes, context: context, handoff: handoff) {
                    boundLock.lock(); _bound = try? SocketAddress(unixDomainSocketPath: address); boundLock.broadcast(); boundLock.unlock()
                    context.logger.info("syslog unix_datagram listening on \(address)")
                }
            } catch {
                boundLock.lock(); _bindError = error; boundLock.broadcast(); boundLock.unlock()
                throw error
            }
            return
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var channel: Channel?
        var reloadToken: Int?
        defer {
            if let t = reloadToken { context.reloads.remove(t) }
            try? channel?.close().wait()
            try? group.syncShutdownGracefully()
            handoff.drain()
            if mode.isUnix { unlink(address) }
        }
        do {
            channel = try bind(group: group, handoff: handoff, context: context)
        } catch {
            boundLock.lock(); _bindError = error; boundLock.broadcast(); boundLock.unlock()
            throw error
        }
        if mode.isUnix { chmod(address, permissions) }
        boundLock.lock(); _bound = channel?.localAddress; boundLock.broadcast(); boundLock.unlock()
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

    private func bind(group: EventLoopGroup, handoff: SyslogHandoff, context: SourceContext) throws -> Channel {
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
            let maxConn = maxConnections
            let conns = connections
            let b = ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.backlog, value: 256)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(ChannelOptions.autoRead, value: false)
                .childChannelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture {
                        if conns.wrappingIncrementThenLoad(ordering: .relaxed) > maxConn {
                            conns.wrappingDecrement(ordering: .relaxed)
                            context.logger.warning("refusing syslog connection: max_connections (\(maxConn)) reached")
                            context.metrics.increment("syslog_connections_refused")
                            ch.close(promise: nil)
                            return
                        }
                        if let tls {
                            try ch.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.context))
                        }
                        try ch.pipeline.syncOperations.addHandler(
                            SyslogStreamHandler(handoff: handoff, maxMessageBytes: maxBytes) {
                                conns.wrappingDecrement(ordering: .relaxed)
                            })
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
