import Synchronization

/// A value shared between threads behind a `Mutex`, as a reference that escaping closures
/// (threads, NIO handlers, termination handlers) can capture. Sendable by construction:
/// the value is only reached through `withLock`.
public final class Guarded<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    public init(_ value: Value) { mutex = Mutex(value) }

    public func withLock<R, E: Error>(_ body: (inout sending Value) throws(E) -> sending R) throws(E) -> sending R {
        try mutex.withLock(body)
    }

    /// A copy of the value.
    public var value: Value { mutex.withLock { $0 } }
}
