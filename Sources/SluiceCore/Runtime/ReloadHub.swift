import Foundation

/// Process-wide list of "reload your files" callbacks (TLS certificates, intel lists), run
/// when `sluice run` receives SIGHUP. Callbacks run on a background queue, one at a time.
public final class ReloadHub: @unchecked Sendable {
    public static let shared = ReloadHub()
    private let lock = NSLock()
    private var callbacks: [UUID: @Sendable () -> Void] = [:]

    /// Registers a callback; keep the token and pass it to `remove` when the component stops.
    @discardableResult
    public func add(_ cb: @escaping @Sendable () -> Void) -> UUID {
        let id = UUID()
        lock.lock(); callbacks[id] = cb; lock.unlock()
        return id
    }

    public func remove(_ id: UUID) { lock.lock(); callbacks[id] = nil; lock.unlock() }

    /// Runs every callback (called by the SIGHUP handler).
    public func reload() {
        lock.lock(); let cbs = Array(callbacks.values); lock.unlock()
        for cb in cbs { cb() }
    }
}
