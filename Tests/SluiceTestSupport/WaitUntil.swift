#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Polls `condition` every `interval` seconds until it holds or `timeout` seconds (monotonic
/// clock) have passed; returns whether it held. The way tests wait for something to happen:
/// they return as soon as it does, and a generous timeout costs nothing when all goes well.
/// The default interval (20 ms) keeps conditions that read whole output files cheap.
public func waitUntil(timeout: Double, interval: Double = 0.02, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = monotonicSeconds() + timeout
    while true {
        if try condition() { return true }
        if monotonicSeconds() >= deadline { return try condition() }
        var ts = timespec(tv_sec: Int(interval), tv_nsec: Int((interval - Double(Int(interval))) * 1e9))
        nanosleep(&ts, nil)
    }
}

/// Seconds on the monotonic clock (immune to wall-clock steps).
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
