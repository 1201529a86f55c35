#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// TCP/UDP on 127.0.0.1 for tests: free ports, connection checks, socket addresses.
public enum Loopback {
    /// 127.0.0.1:`port` (0: let the kernel pick).
    public static func address(port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        return addr
    }

    /// Calls `body` with `addr` as a `sockaddr` pointer and its length.
    public static func withSockaddr<R>(_ addr: sockaddr_in, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var a = addr
        return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    }

    /// A port free on 127.0.0.1 right now (`type`: TCP by default, or UDP). Another process
    /// may take it before the test binds it; tests that can bind port 0 themselves should.
    public static func freePort(type: Int32 = Int32(SOCK_STREAM.rawValue)) -> Int {
        let fd = socket(AF_INET, type, 0)
        defer { close(fd) }
        _ = withSockaddr(address(port: 0)) { bind(fd, $0, $1) }
        var addr = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Whether a TCP listener could bind 127.0.0.1:`port` right now.
    public static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        return withSockaddr(address(port: port)) { bind(fd, $0, $1) } == 0
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    public static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        return withSockaddr(address(port: port)) { connect(fd, $0, $1) } == 0
    }
}
