import Atomics

/// A reference-counted completion token for one source batch.
///
/// A source makes one per batch it emits, with a completion that advances its checkpoint.
/// Every path the batch takes holds a reference; when the last is released (all sinks have
/// delivered, or a stage deliberately dropped the events) the completion runs exactly once,
/// on the releasing thread.
public final class Acknowledgement: Sendable {
    private let pending = ManagedAtomic<Int>(1)
    private let completion: @Sendable () -> Void

    public init(_ completion: @escaping @Sendable () -> Void) {
        self.completion = completion
    }

    public func retain(_ n: Int = 1) {
        pending.wrappingIncrement(by: n, ordering: .relaxed)
    }

    public func release() {
        let after = pending.wrappingDecrementThenLoad(ordering: .acquiringAndReleasing)
        if after == 0 { completion() }
        assert(after >= 0, "acknowledgement released too often")
    }

    /// Outstanding references (for tests and diagnostics).
    public var outstanding: Int { pending.load(ordering: .relaxed) }
}
