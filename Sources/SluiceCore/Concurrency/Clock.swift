#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The project's one clock. Durations and timeouts use `monotonic()` (never jumps); wall-clock
/// time (for `@timestamp` of events made now, checkpoint ages) uses `wallNanos()`.
public enum Clock {
    /// Seconds on a monotonic clock with an arbitrary origin.
    @inline(__always)
    public static func monotonic() -> Double { seconds(CLOCK_MONOTONIC) ?? 0 }

    /// Seconds on clock `id` (`CLOCK_MONOTONIC`, a thread's CPU clock from
    /// `pthread_getcpuclockid`, …); nil when the clock cannot be read (a thread that ended).
    @inline(__always)
    public static func seconds(_ id: clockid_t) -> Double? {
        var ts = timespec()
        guard clock_gettime(id, &ts) == 0 else { return nil }
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Wall-clock time in nanoseconds since the Unix epoch.
    @inline(__always)
    public static func wallNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
