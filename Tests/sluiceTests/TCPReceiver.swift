import Foundation

/// A TCP receiver on 127.0.0.1 that keeps every byte (it stands in for the SIEM). It picks a
/// free port at creation but listens only after `start()`, can be stopped completely
/// (listener and connections: the SIEM is down) and started again on the same port.
final class TCPReceiver: @unchecked Sendable {
    let port: Int
    private let lock = NSLock()
    private var data: [UInt8] = []
    private var listener: Int32 = -1
    private var clients: [Int32] = []

    /// 127.0.0.1:`port` (0: any free port).
    private static func loopback(port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        return addr
    }

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = Self.loopback(port: 0)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        close(fd)
        port = Int(UInt16(bigEndian: addr.sin_port))
    }

    func start() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = Self.loopback(port: port)
        guard withUnsafePointer(to: &addr, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }) == 0 else {
            throw NSError(domain: "bind", code: Int(errno))
        }
        listen(fd, 8)
        lock.lock(); listener = fd; lock.unlock()
        Thread { [self] in
            while true {
                let c = accept(fd, nil, nil)
                if c < 0 { return }
                lock.lock(); clients.append(c); lock.unlock()
                Thread { [self] in
                    var b = [UInt8](repeating: 0, count: 65536)
                    while true {
                        let n = read(c, &b, b.count)
                        if n <= 0 { return }
                        lock.lock(); data += b[0..<n]; lock.unlock()
                    }
                }.start()
            }
        }.start()
    }

    /// Closes the listener and every connection: the SIEM is down.
    func stop() {
        lock.lock()
        let fds = [listener] + clients
        listener = -1; clients = []
        lock.unlock()
        for fd in fds where fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
    }

    var bytes: [UInt8] { lock.lock(); defer { lock.unlock() }; return data }
}
