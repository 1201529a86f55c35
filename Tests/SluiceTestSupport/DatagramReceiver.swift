#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A datagram socket that returns what was sent to it: a Unix socket bound in a temporary
/// directory (`init(name:)`: stands in for systemd's `NOTIFY_SOCKET` and journald's native
/// socket) or UDP on 127.0.0.1 (`udp()`: a syslog receiver). One test thread reads it
/// (`receive`); the socket closes with the receiver.
public final class DatagramReceiver {
    /// The Unix socket's path ("" for UDP).
    public let path: String
    /// The UDP port (0 for a Unix socket).
    public let port: Int
    private let fd: Int32

    /// UDP on 127.0.0.1, on a port the kernel picks.
    public static func udp() throws -> DatagramReceiver {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0, Loopback.withSockaddr(Loopback.address(port: 0), { bind(fd, $0, $1) }) == 0 else {
            let e = errno
            if fd >= 0 { close(fd) }
            throw NSError(domain: "bind", code: Int(e))
        }
        var addr = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return DatagramReceiver(fd: fd, port: Int(UInt16(bigEndian: addr.sin_port)))
    }

    private init(fd: Int32, port: Int) {
        self.fd = fd
        self.port = port
        path = ""
    }

    public init(name: String) throws {
        port = 0
        path = tempDir("dgram") + "/" + name
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            close(fd)
            throw NSError(domain: "socket path too long: \(path)", code: Int(ENAMETOOLONG))
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { p in for (i, b) in bytes.enumerated() { p[i] = b } }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, rc == 0 else { throw NSError(domain: "bind", code: Int(errno)) }
    }

    deinit {
        close(fd)
        if !path.isEmpty { unlink(path) }
    }

    /// The next datagram, or nil after `timeout` seconds.
    public func receive(timeout: Double) -> [UInt8]? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(timeout * 1000)) > 0 else { return nil }
        var buf = [UInt8](repeating: 0, count: 256 * 1024)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n >= 0 ? Array(buf[0..<n]) : nil
    }

    /// Datagrams received until `quiet` seconds pass with nothing new, as text.
    public func receiveAll(quiet: Double) -> [String] {
        var out: [String] = []
        while let d = receive(timeout: quiet) { out.append(String(decoding: d, as: UTF8.self)) }
        return out
    }
}
