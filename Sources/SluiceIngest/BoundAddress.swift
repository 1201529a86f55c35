import NIOCore
import SluiceCore

/// The address a listener bound, or why it could not bind, for threads waiting on it
/// (`waitUntilBound` of the syslog and HEC listeners).
///
/// Guarantees: `wait` returns as soon as an address or an error is set, or after its
/// timeout (nil then); an error is thrown to every waiter.
final class BoundAddress: Sendable {
    private struct State: Sendable {
        var address: SocketAddress?
        var error: (any Error)?
    }
    private let state = Locked(State())

    func set(_ address: SocketAddress?) {
        state.withLock { $0.address = address }
        state.broadcast()
    }

    func fail(_ error: any Error) {
        state.withLock { $0.error = error }
        state.broadcast()
    }

    /// The bound address, waiting up to `timeout` seconds for it; throws the bind error.
    func wait(timeout: Double) throws -> SocketAddress? {
        try state.wait(timeout: timeout, until: { $0.address != nil || $0.error != nil }) { s, _ in
            if let e = s.error { throw e }
            return s.address
        }
    }
}
