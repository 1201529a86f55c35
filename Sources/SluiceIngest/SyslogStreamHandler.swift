import Logging
import NIOCore
import SluiceCore

/// One syslog stream connection (TCP, TLS after decryption, Unix stream).
///
/// Reads only on demand (the channel has `autoRead` off): each read burst's messages become
/// one batch handed to `SyslogHandoff`, and the next read is requested only once that batch
/// was accepted downstream. A framing error closes this connection (logged with the
/// reason, counted as `syslog_framing_errors`); the listener keeps running.
final class SyslogStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let handoff: SyslogHandoff
    private var framer: SyslogStreamFramer
    private var pending: [Event] = []
    private var pendingBytes = 0
    private var ip: FieldValue?
    private var port: FieldValue?
    private let onClose: () -> Void
    private var failed = false

    init(handoff: SyslogHandoff, maxMessageBytes: Int, onClose: @escaping () -> Void) {
        self.handoff = handoff
        framer = SyslogStreamFramer(maxMessageBytes: maxMessageBytes)
        self.onClose = onClose
    }

    func channelActive(context: ChannelHandlerContext) {
        if let remote = context.channel.remoteAddress, let addr = remote.ipAddress {
            ip = .string(addr)
            if let p = remote.port { port = .int(Int64(p)) }
        }
        context.fireChannelActive()
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var buf = unwrapInboundIn(data)
        let before = framer.truncated
        do {
            try framer.feed(&buf) { bytes in
                pendingBytes += bytes.count
                pending.append(handoff.event(bytes, ip: ip, port: port))
            }
        } catch {
            failed = true
            handoff.context.logger.warning("closing syslog connection from \(peerText): \(error)")
            handoff.context.metrics.increment("syslog_framing_errors")
            flush(context: context, resume: false)
            context.close(promise: nil)
            return
        }
        if framer.truncated > before {
            handoff.context.metrics.increment("syslog_truncated_messages", by: framer.truncated - before)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
        guard !failed else { return }
        if pending.isEmpty { context.read(); return }
        flush(context: context, resume: true)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !failed {
            framer.finish { bytes in
                pendingBytes += bytes.count
                pending.append(handoff.event(bytes, ip: ip, port: port))
            }
        }
        flush(context: context, resume: false)
        onClose()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        handoff.context.logger.info("syslog connection from \(peerText) failed: \(error)")
        context.close(promise: nil)
    }

    private var peerText: String {
        if case .string(let s)? = ip { return s }
        return "local peer"
    }

    private func flush(context: ChannelHandlerContext, resume: Bool) {
        guard !pending.isEmpty else { return }
        let events = pending, bytes = pendingBytes
        pending = []; pendingBytes = 0
        let channel = context.channel
        handoff.hand(events, bytes: bytes) {
            if resume { channel.read() }
        }
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
