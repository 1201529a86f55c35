import Foundation

/// Connection slots of a stream listener, so that no peer can deny service to the others.
///
/// Guarantees: a connection holds a *pending* slot from accept until its TLS handshake
/// completes (plain TCP and Unix streams complete at once), then an *established* slot
/// until it closes; at most `maxEstablished` established and `maxPending` pending
/// connections exist at a time, and one source address holds at most `maxPerAddress`
/// connections of either kind. So idle or never-handshaking connections cannot take the
/// slots of senders that completed their handshake, and one address cannot take them all.
/// The per-address table holds only addresses with open connections. Thread-safe.
final class ConnectionLimiter: @unchecked Sendable {
    enum Refusal: CustomStringConvertible {
        case perAddress(Int), pending(Int), established(Int)
        var description: String {
            switch self {
            case .perAddress(let n): return "max_connections_per_address (\(n)) reached"
            case .pending(let n): return "\(n) connections already waiting for their TLS handshake"
            case .established(let n): return "max_connections (\(n)) reached"
            }
        }
    }

    let maxEstablished: Int
    let maxPending: Int
    let maxPerAddress: Int
    private let lock = NSLock()
    private var established = 0
    private var pending = 0
    private var perAddress: [String: Int] = [:]

    init(maxEstablished: Int, maxPending: Int, maxPerAddress: Int) {
        self.maxEstablished = maxEstablished; self.maxPending = maxPending; self.maxPerAddress = maxPerAddress
    }

    /// A new connection from `address` (nil for Unix sockets): takes a pending slot, or
    /// says why not.
    func admit(_ address: String?) -> Refusal? {
        lock.lock(); defer { lock.unlock() }
        if let a = address, perAddress[a, default: 0] >= maxPerAddress { return .perAddress(maxPerAddress) }
        if pending >= maxPending { return .pending(maxPending) }
        pending += 1
        if let a = address { perAddress[a, default: 0] += 1 }
        return nil
    }

    /// The connection completed its handshake: moves it to an established slot, or (when
    /// they are all taken) leaves it pending and says why; the caller then closes it.
    func promote() -> Refusal? {
        lock.lock(); defer { lock.unlock() }
        if established >= maxEstablished { return .established(maxEstablished) }
        pending -= 1
        established += 1
        return nil
    }

    /// The connection closed; `established` says which slot it held.
    func release(_ address: String?, established wasEstablished: Bool) {
        lock.lock(); defer { lock.unlock() }
        if wasEstablished { established -= 1 } else { pending -= 1 }
        if let a = address {
            let n = perAddress[a, default: 1] - 1
            perAddress[a] = n > 0 ? n : nil
        }
    }

    var counts: (established: Int, pending: Int, addresses: Int) {
        lock.lock(); defer { lock.unlock() }
        return (established, pending, perAddress.count)
    }
}
