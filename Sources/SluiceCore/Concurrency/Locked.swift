#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The project's one lock: a value that is only ever read or written while a pthread mutex is
/// held, plus condition variables for threads that must sleep until the value changes.
///
/// Guarantees: every access to the value goes through `withLock` or `wait`, which hold the
/// mutex for the duration of the closure; waiting threads sleep in the kernel (nothing spins)
/// and timed waits use `CLOCK_MONOTONIC`, so a wall-clock jump never shortens or extends them.
/// Closures must not call back into the same `Locked` (the mutex is not recursive).
public final class Locked<State>: @unchecked Sendable {
    // SAFETY (@unchecked Sendable): `state` is private and only touched inside `withLock` and
    // `wait`, which hold `mutex` for the whole access; the condition variables are pthread
    // objects made for use from several threads. Values leave the lock only as the closures'
    // results, so `State` must itself be Sendable for that to be sound: the public initializer
    // requires it (see the extension below); `init(uncheckedState:)` is for states that hold
    // non-Sendable references the owner never hands out.
    private var state: State
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let conds: UnsafeMutablePointer<pthread_cond_t>
    private let condCount: Int

    /// A lock around `uncheckedState`, whose Sendable-ness the caller vouches for.
    public init(uncheckedState: State, conditions: Int = 1) {
        state = uncheckedState
        condCount = max(1, conditions)
        conds = .allocate(capacity: condCount)
        pthread_mutex_init(mutex, nil)
        for i in 0..<condCount {
            var attr = pthread_condattr_t()
            pthread_condattr_init(&attr)
            #if os(Linux)
            pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
            #endif
            pthread_cond_init(conds + i, &attr)
            pthread_condattr_destroy(&attr)
        }
    }

    deinit {
        for i in 0..<condCount { pthread_cond_destroy(conds + i) }
        pthread_mutex_destroy(mutex)
        conds.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    @inline(__always)
    public func withLock<R>(_ body: (inout State) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state)
    }

    /// Sleeps on condition `condition` until `ready(state)` holds or `timeout` seconds have
    /// passed (nil: no limit), then runs `body` under the lock, telling it whether `ready` held.
    public func wait<R>(on condition: Int = 0, timeout: Double? = nil,
                        until ready: (State) -> Bool,
                        then body: (inout State, _ ready: Bool) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        sleepLocked(on: condition, timeout: timeout) { ready(state) }
        return try body(&state, ready(state))
    }

    /// With the mutex held: sleeps on `condition` until `ready()` or the timeout.
    private func sleepLocked(on condition: Int, timeout: Double?, until ready: () -> Bool) {
        if let timeout {
            let deadline = Clock.monotonic() + max(0, timeout)
            while !ready() {
                let left = deadline - Clock.monotonic()
                if left <= 0 { break }
                timedWait(condition, seconds: left)
            }
        } else {
            while !ready() { pthread_cond_wait(conds + condition, mutex) }
        }
    }

    /// Wakes one thread waiting on `condition` (it re-checks its predicate).
    public func signal(_ condition: Int = 0) { pthread_cond_signal(conds + condition) }
    /// Wakes every thread waiting on `condition`.
    public func broadcast(_ condition: Int = 0) { pthread_cond_broadcast(conds + condition) }

    private func timedWait(_ i: Int, seconds: Double) {
        var ts = timespec()
        #if os(Linux)
        clock_gettime(CLOCK_MONOTONIC, &ts)
        #else
        clock_gettime(CLOCK_REALTIME, &ts)
        #endif
        let whole = Int(seconds)
        var nsec = Int(ts.tv_nsec) + Int((seconds - Double(whole)) * 1e9)
        var sec = Int(ts.tv_sec) + whole
        if nsec >= 1_000_000_000 { sec += 1; nsec -= 1_000_000_000 }
        ts.tv_sec = .init(sec); ts.tv_nsec = .init(nsec)
        pthread_cond_timedwait(conds + i, mutex, &ts)
    }
}

/// `Locked<Void>` is a plain mutex (with its conditions) guarding state its owner keeps in
/// its own fields; the owner documents which fields (a `// SAFETY:` comment). These overloads
/// never form an access to the empty value (Thread Sanitizer would see an access to a
/// zero-sized field as one to the object's header, which generic code reads unlocked).
extension Locked where State == Void {
    /// A mutex with `conditions` condition variables (numbered from 0).
    public convenience init(conditions: Int = 1) {
        self.init(uncheckedState: (), conditions: conditions)
    }

    /// Runs `body` with the mutex held.
    @inline(__always)
    public func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Sleeps on `condition` until `ready()` holds (evaluated with the mutex held) or
    /// `timeout` seconds have passed (nil: no limit), then runs `body` with the mutex held,
    /// telling it whether `ready` held.
    public func wait<R>(on condition: Int = 0, timeout: Double? = nil,
                        until ready: () -> Bool,
                        then body: (_ ready: Bool) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        sleepLocked(on: condition, timeout: timeout, until: ready)
        return try body(ready())
    }
}

extension Locked where State: Sendable {
    /// A lock around `state`, with `conditions` condition variables (numbered from 0).
    public convenience init(_ state: State, conditions: Int = 1) {
        self.init(uncheckedState: state, conditions: conditions)
    }
}
