#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A Unix datagram socket bound in a temporary directory: stands in for systemd's
/// `NOTIFY_SOCKET` and journald's native socket in tests, and returns what was sent to it.
final class DatagramReceiver {
    let path: String
    private let fd: Int32

    init(name: String) throws {
        let dir = NSTemporaryDirectory() + "sluice-dgram-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        path = dir + "/" + name
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        precondition(bytes.count < 108, "socket path too long")
        withUnsafeMutableBytes(of: &addr.sun_path) { p in for (i, b) in bytes.enumerated() { p[i] = b } }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, rc == 0 else { throw NSError(domain: "bind", code: Int(errno)) }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// The next datagram, or nil after `timeout` seconds.
    func receive(timeout: Double) -> [UInt8]? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(timeout * 1000)) > 0 else { return nil }
        var buf = [UInt8](repeating: 0, count: 256 * 1024)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n >= 0 ? Array(buf[0..<n]) : nil
    }

    /// Datagrams received until `timeout` passes with nothing new, as text.
    func receiveAll(quiet: Double) -> [String] {
        var out: [String] = []
        while let d = receive(timeout: quiet) { out.append(String(decoding: d, as: UTF8.self)) }
        return out
    }
}
