#if canImport(Glibc)
import Glibc
#endif
import Atomics
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import SluiceCore

/// `syslog`: alerts and events to a syslog receiver (a SIEM's CEF collector, rsyslog,
/// syslog-ng) over UDP, TCP or TLS.
///
/// Options: `address` (`host:port`, required), `mode` (`tcp` default, `udp`, `tls`),
/// `encoding` (`cef` default, `json`, `ocsf`), `header` (`rfc5424` default, `rfc3164`),
/// `framing` (`octet_counting` default for TCP/TLS, or `newline`), `facility` (`local4`
/// default), `max_message_bytes` (64KiB; 8KiB for UDP), `timeout` (10s, connect and
/// write), `tls: {ca_file, cert_file, key_file, verify, verify_hostname, server_name}`,
/// `batch: {max_events, max_bytes, timeout}`, `buffer: {type: disk, max_bytes, when_full}`,
/// `retry: {initial_backoff, max_backoff}`.
///
/// Guarantees: TCP and TLS connections are made lazily, kept alive (SO_KEEPALIVE) and
/// remade after any error, with backoff; TLS verifies the server certificate against
/// `ca_file` (or the system roots) and its host name unless told otherwise. A write is
/// successful when the bytes reached the kernel; syslog has no application-level
/// acknowledgement, so events written just before a receiver dies can be lost (use an
/// HTTP sink with acknowledgements where that matters). UDP datagrams can be lost silently.
public enum SyslogSink {
    public enum Mode: String, CaseIterable, Sendable { case udp, tcp, tls }

    public static func make(_ o: ComponentOptions, _ ctx: BuildContext) throws -> Sink {
        let mode = o.choice("mode", default: Mode.tcp)
        let address = o.requiredString("address")
        let encoder = EncodingName.makeEncoder(o, default: .cef)
        var framing = SyslogFraming()
        framing.header = o.choice("header", default: SyslogFraming.Header.rfc5424)
        let fr = o.choice("framing", default: SyslogFraming.Framing.octet_counting)
        framing.framing = mode == .udp ? .none : fr
        if fr == .none && mode != .udp { o.fail("framing 'none' is only for UDP", at: "framing") }
        let fac = o.string("facility", default: "local4")
        if let f = SyslogFraming.facilities[fac] { framing.facility = f } else { o.fail("unknown facility '\(fac)'", at: "facility") }
        framing.maxMessageBytes = o.bytes("max_message_bytes", default: mode == .udp ? 8192 : 64 * 1024)
        let timeout = o.seconds("timeout", default: 10)
        var tls: TLSConfiguration?
        var serverName: String?
        if let t = o.nested("tls") {
            (tls, serverName) = TLSOptions.read(t)
            t.finish(); o.merge(t)
        }
        if mode == .tls && tls == nil { tls = TLSOptions.defaultClient() }
        let limits = BatchLimits.read(o, defaults: BatchLimits(maxEvents: 1000, maxBytes: 1 << 20, timeout: 0.2))
        let retry = RetryOptions.read(o)
        let buffer = BufferSettings.read(o, ctx)
        guard let (host, port) = HostPort.parse(address) else {
            if !address.isEmpty { o.fail("address must be host:port, got \"\(address)\"", at: "address") }
            return StdoutSink(encoder: encoder)   // config error reported; never started
        }
        let transport = try SyslogTransport(mode: mode, host: host, port: port, framing: framing,
                                            tls: mode == .tls ? tls : nil, serverName: serverName,
                                            timeout: timeout, logger: ctx.logger)
        return try DeliverySink(name: ctx.name, transport: transport, encoder: encoder, limits: limits, retry: retry,
                                buffer: buffer, dataDir: ctx.dataDir, logger: ctx.logger)
    }
}

/// Parses `host:port` and `[v6]:port`.
enum HostPort {
    static func parse(_ s: String) -> (String, Int)? {
        if s.hasPrefix("["), let close = s.firstIndex(of: "]") {
            let host = String(s[s.index(after: s.startIndex)..<close])
            let rest = s[s.index(after: close)...]
            guard rest.hasPrefix(":"), let p = Int(rest.dropFirst()), (1...65535).contains(p) else { return nil }
            return (host, p)
        }
        guard let colon = s.lastIndex(of: ":"), let p = Int(s[s.index(after: colon)...]), (1...65535).contains(p) else { return nil }
        let host = String(s[..<colon])
        return host.isEmpty ? nil : (host, p)
    }
}

/// `retry: {initial_backoff, max_backoff}`.
enum RetryOptions {
    static func read(_ o: ComponentOptions) -> RetryPolicy {
        guard let r = o.nested("retry") else { return RetryPolicy() }
        let p = RetryPolicy(initial: r.seconds("initial_backoff", default: 0.2), max: r.seconds("max_backoff", default: 30))
        r.finish(); o.merge(r)
        return p
    }
}

/// `tls: {ca_file, cert_file, key_file, verify, verify_hostname, server_name, min_version}`
/// for clients. TLS 1.2 is the minimum unless `min_version: "1.3"` raises it; nothing lower
/// can be configured.
enum TLSOptions {
    /// A client configuration with Sluice's defaults: TLS 1.2 minimum, full verification.
    static func defaultClient() -> TLSConfiguration {
        var cfg = TLSConfiguration.makeClientConfiguration()
        cfg.minimumTLSVersion = .tlsv12
        return cfg
    }

    /// `min_version`: "1.2" (default) or "1.3".
    static func minimumVersion(_ t: ComponentOptions) -> TLSVersion {
        let v = t.string("min_version", default: "1.2")
        switch v {
        case "1.2", "TLSv1.2", "tls1.2": return .tlsv12
        case "1.3", "TLSv1.3", "tls1.3": return .tlsv13
        default:
            t.fail("min_version must be \"1.2\" or \"1.3\" (TLS below 1.2 is not offered), got \"\(v)\"", at: "min_version")
            return .tlsv12
        }
    }

    /// `cfg` with TLS 1.2 as its minimum unless it asks for 1.3: what every TLS client of
    /// Sluice uses, however its configuration was made.
    static func atLeast12(_ cfg: TLSConfiguration) -> TLSConfiguration {
        var c = cfg
        c.minimumTLSVersion = cfg.minimumTLSVersion == .tlsv13 ? .tlsv13 : .tlsv12
        return c
    }

    static func read(_ t: ComponentOptions) -> (TLSConfiguration, String?) {
        var cfg = defaultClient()
        cfg.minimumTLSVersion = minimumVersion(t)
        if let ca = t.string("ca_file") { cfg.trustRoots = .file(ca) }
        let verify = t.bool("verify", default: true)
        let verifyHost = t.bool("verify_hostname", default: true)
        cfg.certificateVerification = !verify ? .none : (verifyHost ? .fullVerification : .noHostnameVerification)
        let cert = t.string("cert_file"), key = t.string("key_file")
        if let cert {
            do { cfg.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) } }
            catch { t.fail("cannot read certificate \(cert): \(error)", at: "cert_file") }
            if key == nil { t.fail("cert_file needs key_file", at: "cert_file") }
        }
        if let key {
            do { cfg.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)) }
            catch { t.fail("cannot read private key \(key): \(error)", at: "key_file") }
        }
        return (cfg, t.string("server_name"))
    }
}

/// Syslog over UDP (one datagram per message, plain socket) or TCP/TLS (SwiftNIO, blocking
/// waits from the sink's own thread, never from an event loop).
public final class SyslogTransport: RecordTransport {
    let mode: SyslogSink.Mode
    let host: String
    let port: Int
    let framing: SyslogFraming
    let sslContext: NIOSSLContext?
    let serverName: String?
    let timeout: Double
    let logger: Logger
    let group = MultiThreadedEventLoopGroup.singleton
    private var channel: Channel?
    private var udpFD: Int32 = -1
    let truncated = ManagedAtomic<Int>(0)

    public init(mode: SyslogSink.Mode, host: String, port: Int, framing: SyslogFraming, tls: TLSConfiguration?,
         serverName: String?, timeout: Double, logger: Logger) throws {
        self.mode = mode; self.host = host; self.port = port; self.framing = framing
        self.serverName = serverName ?? (Self.isIPAddress(host) ? nil : host)
        self.timeout = timeout; self.logger = logger
        sslContext = try tls.map { try NIOSSLContext(configuration: TLSOptions.atLeast12($0)) }
    }

    static func isIPAddress(_ s: String) -> Bool {
        s.contains(":") || s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }
    }

    public func appendRecord(_ event: Event, encoder: EventEncoder, to out: inout [UInt8]) {
        if framing.appendMessage(for: event, now: Timestamp.now(), to: &out, encode: { encoder.encode(event, into: &$0) }) {
            truncated.wrappingIncrement(ordering: .relaxed)
        }
    }

    /// How long a TLS server may take to refuse our certificate after the handshake.
    static let refusalGrace = TimeAmount.milliseconds(300)

    public func send(_ records: RecordBatch) -> SendOutcome {
        mode == .udp ? sendUDP(records) : sendStream(records)
    }

    private func connect() throws -> Channel {
        if let c = channel, c.isActive { return c }
        channel?.close(promise: nil)
        channel = nil
        let ssl = sslContext, name = serverName
        let handshake = group.any().makePromise(of: Void.self)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(Int64(timeout * 1000)))
            .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    if let ssl {
                        try ch.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: ssl, serverHostname: name))
                    }
                    try ch.pipeline.syncOperations.addHandler(DiscardInbound(handshake: handshake, tls: ssl != nil))
                }
            }
        let c: Channel
        do { c = try bootstrap.connect(host: host, port: port).wait() } catch { handshake.fail(error); throw error }
        if ssl != nil {
            // TLS 1.3: the server judges our certificate after we consider the handshake done
            // and, when it refuses it, just closes. Wait for the handshake, then for the
            // server to close within `refusalGrace` (no answer comes when it accepts), so a
            // refused client certificate is an error here rather than silent loss.
            let ms = Int64(timeout * 1000)
            let timer = c.eventLoop.scheduleTask(in: .milliseconds(ms)) { handshake.fail(ChannelError.connectTimeout(.milliseconds(ms))) }
            defer { timer.cancel() }
            do { try handshake.futureResult.wait() } catch { c.close(promise: nil); throw error }
            let settled = c.eventLoop.makePromise(of: Void.self)
            c.closeFuture.whenComplete { _ in settled.succeed(()) }
            let grace = c.eventLoop.scheduleTask(in: Self.refusalGrace) { settled.succeed(()) }
            try? settled.futureResult.wait()
            grace.cancel()
            guard c.isActive else { throw SinkError.retryable("TLS connection closed by \(host):\(port) right after the handshake (client certificate refused?)") }
        }
        channel = c
        logger.info("syslog sink connected to \(host):\(port) (\(mode.rawValue))")
        return c
    }

    private func sendStream(_ records: RecordBatch) -> SendOutcome {
        do {
            let c = try connect()
            var buf = c.allocator.buffer(capacity: records.bytes.count)
            buf.writeBytes(records.bytes)
            let write = c.writeAndFlush(buf)
            let timer = c.eventLoop.scheduleTask(in: .milliseconds(Int64(timeout * 1000))) { c.close(promise: nil) }
            defer { timer.cancel() }
            try write.wait()
            return .delivered
        } catch {
            channel?.close(promise: nil)
            channel = nil
            return .retry("\(host):\(port): \(error)", after: nil)
        }
    }

    private func sendUDP(_ records: RecordBatch) -> SendOutcome {
        if udpFD < 0 {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
            var res: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, String(port), &hints, &res) == 0, let ai = res else {
                return .retry("cannot resolve \(host)", after: nil)
            }
            defer { freeaddrinfo(res) }
            let fd = socket(ai.pointee.ai_family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0, Glibc.connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 else {
                if fd >= 0 { Glibc.close(fd) }
                return .retry("udp \(host):\(port): \(String(cString: strerror(errno)))", after: nil)
            }
            udpFD = fd
        }
        var failed: [Int] = []
        records.bytes.withUnsafeBytes { raw in
            for i in 0..<records.count {
                let start = i == 0 ? 0 : records.ends[i - 1]
                if Glibc.send(udpFD, raw.baseAddress! + start, records.ends[i] - start, 0) < 0 { failed.append(i) }
            }
        }
        if failed.isEmpty { return .delivered }
        let why = String(cString: strerror(errno))
        if failed.count == records.count { return .retry("udp \(host):\(port): \(why)", after: nil) }
        return .partial(retry: failed, rejected: [:])
    }

    public func close() {
        if let c = channel { try? c.close().wait() }
        channel = nil
        if udpFD >= 0 { Glibc.close(udpFD); udpFD = -1 }
    }
}

/// Syslog receivers send nothing back; read and drop whatever arrives so the connection's
/// state (and its closing) is noticed.
final class DiscardInbound: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let handshake: EventLoopPromise<Void>
    let tls: Bool
    init(handshake: EventLoopPromise<Void>, tls: Bool) { self.handshake = handshake; self.tls = tls }
    func channelActive(context: ChannelHandlerContext) {
        // Plain TCP has no handshake: usable once connected.
        if !tls { handshake.succeed(()) }
        context.fireChannelActive()
    }
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? TLSUserEvent, case .handshakeCompleted = e { handshake.succeed(()) }
        context.fireUserInboundEventTriggered(event)
    }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    func errorCaught(context: ChannelHandlerContext, error: Error) { handshake.fail(error); context.close(promise: nil) }
    func channelInactive(context: ChannelHandlerContext) {
        handshake.fail(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }
}
