import Foundation

/// Runs a closure every `interval` seconds on its own thread until cancelled.
///
/// Guarantees: runs never overlap; `cancel()` returns at once and no run starts after it
/// (one already running finishes); the thread sleeps on a condition, so cancelling wakes it
/// immediately.
public final class RepeatingTimer: Sendable {
    private let cancelled = Locked(false)

    public init(label: String, interval: Double, _ body: @escaping @Sendable () -> Void) {
        let cancelled = self.cancelled
        let t = Thread {
            while true {
                let stop = cancelled.wait(timeout: interval, until: { $0 }) { s, _ in s }
                if stop { return }
                body()
            }
        }
        t.name = label
        t.start()
    }

    public func cancel() {
        cancelled.withLock { $0 = true }
        cancelled.broadcast()
    }
}
