#if canImport(Glibc)
import Glibc
#endif
import SluiceCore

/// The `unix_datagram` listener (like `/dev/log`), on the source's own thread with plain
/// sockets: SwiftNIO cannot represent the unnamed addresses local senders use.
///
/// Guarantees: one message per datagram (trailing LF/NUL removed, cut at
/// `maxMessageBytes` and counted); reading stops while downstream is full (`emit` blocks),
/// so local senders are pushed back by the socket's queue instead of messages being lost
/// silently; a stale socket file at the path is replaced, any other file is an error.
enum SyslogUnixDatagramReceiver {
    static func run(path: String, permissions: mode_t, maxMessageBytes: Int, receiveBufferBytes: Int?,
                    context: SourceContext, handoff: SyslogHandoff, onBound: () -> Void) throws {
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFSOCK else {
                throw SyslogFramingError("\(path) exists and is not a socket; not replacing it")
            }
            unlink(path)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SyslogFramingError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd); unlink(path) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { throw SyslogFramingError("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, c) in bytes.enumerated() { raw[i] = c } }
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard r == 0 else { throw SyslogFramingError("bind \(path): \(String(cString: strerror(errno)))") }
        chmod(path, permissions)
        if var size = receiveBufferBytes.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        onBound()
        var buf = [UInt8](repeating: 0, count: 65536)
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while !context.isStopping {
            let p = poll(&pfd, 1, 250)
            if p <= 0 { continue }
            var events: [Event] = []
            var total = 0
            var truncated = 0
            while events.count < 1024 {
                let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if n < 0 { if errno == EINTR { continue }; break }
                var end = n
                while end > 0 && (buf[end - 1] == 0x0A || buf[end - 1] == 0x00 || buf[end - 1] == 0x0D) { end -= 1 }
                if end == 0 { continue }
                if end > maxMessageBytes { end = maxMessageBytes; truncated += 1 }
                total += end
                events.append(handoff.event(Array(buf[0..<end]), ip: nil, port: nil))
            }
            if truncated > 0 { context.metrics.increment("syslog_truncated_messages", by: truncated) }
            if !events.isEmpty {
                context.metrics.recordIn(events.count, bytes: total)
                context.emit(EventBatch(events: events), bytes: total)
            }
        }
    }
}
