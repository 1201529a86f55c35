#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex with condition variables (pthread). Waiting threads sleep in the kernel; nothing spins.
public final class Monitor: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let conds: UnsafeMutablePointer<pthread_cond_t>
    private let condCount: Int

    public init(conditions: Int = 1) {
        condCount = conditions
        conds = .allocate(capacity: conditions)
        pthread_mutex_init(mutex, nil)
        for i in 0..<conditions {
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

    @inline(__always) public func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) public func unlock() { pthread_mutex_unlock(mutex) }

    @inline(__always)
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock(); defer { unlock() }
        return try body()
    }

    /// Waits on condition `i`; the lock must be held.
    public func wait(_ i: Int = 0) { pthread_cond_wait(conds + i, mutex) }

    /// Waits on condition `i` for at most `seconds`; returns false on timeout. Lock held.
    @discardableResult
    public func wait(_ i: Int = 0, seconds: Double) -> Bool {
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
        return pthread_cond_timedwait(conds + i, mutex, &ts) == 0
    }

    public func signal(_ i: Int = 0) { pthread_cond_signal(conds + i) }
    public func broadcast(_ i: Int = 0) { pthread_cond_broadcast(conds + i) }
}
