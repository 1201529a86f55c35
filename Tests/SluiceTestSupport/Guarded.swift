import SluiceCore

/// A value shared between threads behind Core's `Locked`, as a reference that escaping
/// closures (threads, NIO handlers, termination handlers) can capture. Sendable by
/// construction: the value is only reached through `withLock`.
///
/// Built on `Locked` (a pthread mutex) rather than `Synchronization.Mutex`: on Linux the
/// latter locks with raw futex calls that Thread Sanitizer does not see, so every value it
/// guards was reported as a data race under `make test-tsan`.
public final class Guarded<Value: Sendable>: Sendable {
    private let locked: Locked<Value>
    public init(_ value: Value) { locked = Locked(value) }

    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        try locked.withLock(body)
    }

    /// A copy of the value.
    public var value: Value { locked.withLock { $0 } }
}
