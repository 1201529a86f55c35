#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A TCP receiver on 127.0.0.1 that keeps every byte (it stands in for a SIEM). It picks a
/// free port at creation but listens only after `start()`, can be stopped completely
/// (listener and connections: the SIEM is down) and started again on the same port.
public final class TCPReceiver: Sendable {
    public let port: Int
    private struct State: Sendable {
        var data: [UInt8] = []
        var listener: Int32 = -1
        var clients: [Int32] = []
        var connections = 0
    }
    private let state = Guarded(State())

    public init() {
        port = Loopback.freePort()
    }

    /// Listens and accepts; each connection is read on its own thread.
    public func start() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard Loopback.withSockaddr(Loopback.address(port: port), { bind(fd, $0, $1) }) == 0 else {
            let e = errno
            close(fd)
            throw NSError(domain: "bind", code: Int(e))
        }
        listen(fd, 64)
        state.withLock { $0.listener = fd }
        Thread { [self] in
            while true {
                let c = accept(fd, nil, nil)
                if c < 0 { return }
                state.withLock { $0.clients.append(c); $0.connections += 1 }
                Thread { [self] in
                    var b = [UInt8](repeating: 0, count: 65536)
                    while true {
                        let n = read(c, &b, b.count)
                        if n <= 0 { return }
                        let chunk = Array(b[0..<n])
                        state.withLock { $0.data += chunk }
                    }
                }.start()
            }
        }.start()
    }

    /// Closes the listener and every connection: the SIEM is down.
    public func stop() {
        let fds = state.withLock { s -> [Int32] in
            let all = [s.listener] + s.clients
            s.listener = -1
            s.clients = []
            return all
        }
        for fd in fds where fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
    }

    /// Every byte received so far, over all connections.
    public var bytes: [UInt8] { state.withLock { $0.data } }

    /// Connections accepted so far.
    public var connections: Int { state.withLock { $0.connections } }
}
