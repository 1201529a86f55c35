import Logging
import NIOCore
import NIOTLS
import SluiceCore

/// Limits of one stream connection (from the source's options).
struct StreamLimits: Sendable {
    var maxMessageBytes: Int
    /// Most messages handed over in one batch (`batch_size`).
    var batchSize: Int
    /// A TLS handshake not completed within this closes the connection (0: no limit).
    var handshakeTimeout: Double
    /// A connection that sends nothing this long while Sluice waits for data is closed
    /// (0: never). Time spent waiting for the pipeline (backpressure) does not count.
    var idleTimeout: Double
}

/// One syslog stream connection (TCP, TLS after decryption, Unix stream).
///
/// Reads only on demand (the channel has `autoRead` off) and hands messages to
/// `SyslogHandoff` in batches of at most `batchSize`; the next batch is framed, and the next
/// read requested, only once the previous batch was accepted downstream. So a connection
/// holds at most one batch of events plus one read and one partial message of bytes,
/// whatever its sender does: memory is bounded by connections × a small constant.
///
/// Slots: the connection arrives holding a pending slot of `ConnectionLimiter`; it becomes
/// established once its TLS handshake completes (plain TCP and Unix streams: once its first
/// bytes arrive) — or is closed when `max_connections` is reached then, or when that takes
/// longer than `handshakeTimeout`. A connection idle for `idleTimeout` while a read is outstanding
/// is closed. A framing error closes this connection (counted as `syslog_framing_errors`);
/// the listener keeps running. Repeated warnings are rate-limited (`RateLimitedLog`).
final class SyslogStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let handoff: SyslogHandoff
    private let limits: StreamLimits
    private let limiter: ConnectionLimiter
    private let log: RateLimitedLog
    private let tls: Bool
    private let onClose: @Sendable () -> Void
    private var framer: SyslogStreamFramer
    private var pending: [Event] = []
    private var pendingBytes = 0
    private var ip: FieldValue?
    private var port: FieldValue?
    private var address: String?
    private var failed = false
    private var established = false
    private var closed = false
    /// A batch is with the handoff: frame nothing more and request no read until it is back.
    private var waiting = false
    private var handshakeTimer: Scheduled<Void>?
    private var idleTimer: Scheduled<Void>?

    init(handoff: SyslogHandoff, limits: StreamLimits, limiter: ConnectionLimiter, log: RateLimitedLog,
         tls: Bool, address: String?, onClose: @escaping @Sendable () -> Void) {
        self.handoff = handoff
        self.limits = limits
        self.limiter = limiter
        self.log = log
        self.tls = tls
        self.address = address
        self.onClose = onClose
        framer = SyslogStreamFramer(maxMessageBytes: limits.maxMessageBytes)
    }

    func channelActive(context: ChannelHandlerContext) {
        if let remote = context.channel.remoteAddress, let addr = remote.ipAddress {
            ip = .string(addr)
            if let p = remote.port { port = .int(Int64(p)) }
        }
        context.fireChannelActive()
        // A TLS connection proves itself by its handshake, a plain one by its first bytes;
        // either must do so within handshake_timeout.
        if limits.handshakeTimeout > 0 {
            handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(limits.handshakeTimeout * 1000))) { [weak self] in
                guard let self, !self.established, !self.closed else { return }
                self.handoff.context.metrics.increment("syslog_handshake_timeouts")
                self.log.info(key: "handshake_timeout", "closing syslog connection from \(self.peerText): \(self.tls ? "no TLS handshake" : "nothing sent") within \(Self.seconds(self.limits.handshakeTimeout))")
                context.close(promise: nil)
            }
        }
        requestRead(context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? TLSUserEvent, case .handshakeCompleted = e { promote(context: context) }
        context.fireUserInboundEventTriggered(event)
    }

    /// Moves the connection to an established slot, or closes it when they are all taken.
    private func promote(context: ChannelHandlerContext) {
        guard !established, !closed else { return }
        handshakeTimer?.cancel()
        handshakeTimer = nil
        if let why = limiter.promote(ObjectIdentifier(context.channel)) {
            handoff.context.metrics.increment("syslog_connections_refused")
            log.warning(key: "refused_established", "refusing syslog connection from \(peerText): \(why)")
            failed = true
            context.close(promise: nil)
            return
        }
        established = true
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        idleTimer?.cancel()
        idleTimer = nil
        if !tls && !established { promote(context: context) }
        guard !failed else { return }
        var buf = unwrapInboundIn(data)
        frame(context: context, incoming: &buf)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
        guard !failed, !waiting else { return }
        if pending.isEmpty { requestRead(context: context); return }
        flush(context: context)
    }

    /// Frames buffered bytes (and `incoming`) into `pending` up to a batch; a full batch is
    /// handed over at once.
    private func frame(context: ChannelHandlerContext, incoming: inout ByteBuffer) {
        let before = framer.truncated
        do {
            // Keep every byte received (even while a batch is out); frame only when free.
            if incoming.readableBytes > 0 { _ = try framer.feed(&incoming, limit: 0) { _ in } }
            while !waiting {
                let room = limits.batchSize - pending.count
                _ = try framer.feed(&incoming, limit: room) { bytes in
                    pendingBytes += bytes.count
                    pending.append(handoff.event(bytes, ip: ip, port: port))
                }
                if pending.count < limits.batchSize { break }
                flush(context: context)
            }
        } catch {
            failed = true
            handoff.context.metrics.increment("syslog_framing_errors")
            log.warning(key: "framing", "closing syslog connection from \(peerText): \(error)")
            flushFinal()
            context.close(promise: nil)
            return
        }
        if framer.truncated > before {
            handoff.context.metrics.increment("syslog_truncated_messages", by: framer.truncated - before)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        handshakeTimer?.cancel()
        idleTimer?.cancel()
        limiter.release(ObjectIdentifier(context.channel), address, established: established)
        if !waiting { finishInput() }
        onClose()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        log.info(key: "connection_error", "syslog connection from \(peerText) failed: \(error)")
        context.close(promise: nil)
    }

    private var peerText: String {
        if case .string(let s)? = ip { return s }
        return "local peer"
    }

    private static func seconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s))s" : "\(s)s" }

    /// Asks for more bytes, with the idle timer running until they come.
    private func requestRead(context: ChannelHandlerContext) {
        guard !closed, !failed, !handoff.stopping.load(ordering: .relaxed) else { return }
        if limits.idleTimeout > 0 && idleTimer == nil {
            idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(limits.idleTimeout * 1000))) { [weak self] in
                guard let self, !self.closed, !self.waiting else { return }
                self.handoff.context.metrics.increment("syslog_idle_timeouts")
                self.log.info(key: "idle", "closing syslog connection from \(self.peerText): idle for \(Self.seconds(self.limits.idleTimeout))")
                context.close(promise: nil)
            }
        }
        context.read()
    }

    /// Hands `pending` over; once it is accepted downstream, continues on the event loop:
    /// frames what is buffered, then reads (or finishes a closed connection).
    private func flush(context: ChannelHandlerContext) {
        guard !pending.isEmpty else { return }
        let events = pending, bytes = pendingBytes
        pending = []; pendingBytes = 0
        pending.reserveCapacity(min(limits.batchSize, 64))
        waiting = true
        let loop = context.eventLoop
        let handoff = self.handoff
        // The handler and its context belong to the event loop: the continuation runs there.
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        handoff.hand(events, bytes: bytes) {
            loop.execute {
                let (handler, context) = bound.value
                handler.resume(context: context)
                handoff.finished()
            }
        }
    }

    private func resume(context: ChannelHandlerContext) {
        waiting = false
        if failed { return }
        var none = ByteBuffer()
        frame(context: context, incoming: &none)
        if waiting { return }
        if closed { finishInput(); return }
        // Complete messages framed from what was buffered go now, not with the next read:
        // the sender may have nothing more to say.
        if !pending.isEmpty { flush(context: context); return }
        requestRead(context: context)
    }

    /// The connection closed: frames what is buffered (a last message without its LF is
    /// still a message) and hands it over without resuming.
    private func finishInput() {
        if !failed {
            var none = ByteBuffer()
            while true {
                let n = (try? framer.feed(&none, limit: limits.batchSize - pending.count) { bytes in
                    pendingBytes += bytes.count
                    pending.append(handoff.event(bytes, ip: ip, port: port))
                }) ?? 0
                if pending.count >= limits.batchSize { flushFinal(); continue }
                if n == 0 { break }
            }
            framer.finish { bytes in
                pendingBytes += bytes.count
                pending.append(handoff.event(bytes, ip: ip, port: port))
            }
        }
        flushFinal()
    }

    /// Hands `pending` over with no continuation (the connection is done).
    private func flushFinal() {
        guard !pending.isEmpty else { return }
        let events = pending, bytes = pendingBytes
        pending = []; pendingBytes = 0
        let handoff = self.handoff
        handoff.hand(events, bytes: bytes) { handoff.finished() }
    }
}

/// Datagram listener (UDP, Unix datagram): one message per datagram.
final class SyslogDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let handoff: SyslogHandoff
    private let maxMessageBytes: Int
    private let unix: Bool
    private var pending: [Event] = []
    private var pendingBytes = 0
    private var truncated = 0
    // Peer values repeat (one sender, many datagrams): reuse the last ones.
    private var lastPeer: SocketAddress?
    private var lastIP: FieldValue?
    private var lastPort: FieldValue?

    init(handoff: SyslogHandoff, maxMessageBytes: Int, unix: Bool) {
        self.handoff = handoff; self.maxMessageBytes = maxMessageBytes; self.unix = unix
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var envelope = unwrapInboundIn(data)
        var n = envelope.data.readableBytes
        // Trailing LF / NUL are transport padding, not message bytes.
        while n > 0, let b = envelope.data.getInteger(at: envelope.data.readerIndex + n - 1, as: UInt8.self),
              b == 0x0A || b == 0x00 || b == 0x0D { n -= 1 }
        if n == 0 { return }
        if n > maxMessageBytes { n = maxMessageBytes; truncated += 1 }
        let bytes = envelope.data.readBytes(length: n)!
        if !unix, lastPeer != envelope.remoteAddress {
            lastPeer = envelope.remoteAddress
            lastIP = envelope.remoteAddress.ipAddress.map { .string($0) }
            lastPort = envelope.remoteAddress.port.map { .int(Int64($0)) }
        }
        pendingBytes += bytes.count
        pending.append(handoff.event(bytes, ip: unix ? nil : lastIP, port: unix ? nil : lastPort))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
        if truncated > 0 { handoff.context.metrics.increment("syslog_truncated_messages", by: truncated); truncated = 0 }
        guard !pending.isEmpty else { return }
        handoff.offer(pending, bytes: pendingBytes)
        pending = []; pendingBytes = 0
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        handoff.context.logger.warning("syslog datagram error: \(error)")
    }
}
