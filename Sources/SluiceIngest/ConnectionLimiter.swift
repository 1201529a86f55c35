import SluiceCore

/// Connection slots of a stream listener, so that no peer can deny service to the others.
///
/// Guarantees: a connection holds a *pending* slot from accept until it has shown it is a
/// sender — its TLS handshake completed, or (plain TCP, Unix streams) its first bytes
/// arrived — then an *established* slot until it closes. At most `maxEstablished`
/// established and `maxPending` pending connections exist at a time; when the pending
/// slots are full, a new connection takes the slot of the *oldest* pending one (which the
/// caller closes), so connections that never handshake or never send cannot keep a
/// well-behaved sender out, whatever their number of addresses. One source address holds
/// at most `maxPerAddress` connections of either kind. The tables hold only open
/// connections. Thread-safe.
final class ConnectionLimiter: Sendable {
    enum Refusal: CustomStringConvertible, Sendable {
        case perAddress(Int), established(Int)
        var description: String {
            switch self {
            case .perAddress(let n): return "max_connections_per_address (\(n)) reached"
            case .established(let n): return "max_connections (\(n)) reached"
            }
        }
    }

    /// A connection, as the limiter knows it.
    typealias ID = ObjectIdentifier

    let maxEstablished: Int
    let maxPending: Int
    let maxPerAddress: Int
    private struct Slots: Sendable {
        var established = 0
        /// Pending connections, oldest first (lazy deletion: ids no longer in `pendingSet`).
        var pendingOrder: [ID] = []
        var pendingHead = 0
        var pendingSet = Set<ID>()
        var perAddress: [String: Int] = [:]
    }
    private let slots = Locked(Slots())

    init(maxEstablished: Int, maxPending: Int, maxPerAddress: Int) {
        self.maxEstablished = maxEstablished; self.maxPending = max(1, maxPending); self.maxPerAddress = maxPerAddress
    }

    /// A new connection `id` from `address` (nil for Unix sockets): takes a pending slot —
    /// when they are full, the oldest pending connection's, returned as `evict` for the
    /// caller to close — or is refused (its address holds `maxPerAddress` connections).
    func admit(_ id: ID, _ address: String?) -> (refusal: Refusal?, evict: ID?) {
        slots.withLock { s in
            if let a = address, s.perAddress[a, default: 0] >= maxPerAddress { return (.perAddress(maxPerAddress), nil) }
            var victim: ID?
            if s.pendingSet.count >= maxPending {
                while s.pendingHead < s.pendingOrder.count {
                    let old = s.pendingOrder[s.pendingHead]
                    s.pendingHead += 1
                    if s.pendingSet.remove(old) != nil { victim = old; break }
                }
            }
            s.pendingSet.insert(id)
            s.pendingOrder.append(id)
            if s.pendingHead > 1024 && s.pendingHead * 2 > s.pendingOrder.count {
                let open = s.pendingSet
                s.pendingOrder = s.pendingOrder[s.pendingHead...].filter { open.contains($0) }
                s.pendingHead = 0
            }
            if let a = address { s.perAddress[a, default: 0] += 1 }
            return (nil, victim)
        }
    }

    /// The connection proved itself (handshake done, or first bytes): moves it to an
    /// established slot, or says why not (the caller then closes it). A connection evicted
    /// from the pending slots meanwhile is refused too.
    func promote(_ id: ID) -> Refusal? {
        slots.withLock { s in
            if s.established >= maxEstablished { return .established(maxEstablished) }
            guard s.pendingSet.remove(id) != nil else { return .established(maxEstablished) }
            s.established += 1
            return nil
        }
    }

    /// The connection closed; `established` says which slot it held.
    func release(_ id: ID, _ address: String?, established wasEstablished: Bool) {
        slots.withLock { s in
            if wasEstablished { s.established -= 1 } else { s.pendingSet.remove(id) }
            if let a = address {
                let n = s.perAddress[a, default: 1] - 1
                s.perAddress[a] = n > 0 ? n : nil
            }
        }
    }

    var counts: (established: Int, pending: Int, addresses: Int) {
        slots.withLock { s in (s.established, s.pendingSet.count, s.perAddress.count) }
    }
}
