import Foundation
import Logging

/// Logs repeated messages at most once per `interval` per key, and says how many were
/// suppressed meanwhile, so peers that trigger a warning per connection or per frame cannot
/// drive the log volume.
///
/// Guarantees: the first message of a key is logged at once; later ones within `interval`
/// are counted, not logged; the next one logged after the interval (or `flush()`) carries
/// `(N similar messages suppressed in the last Ts)`. At most `maxKeys` keys are tracked (a
/// key beyond that shares the catch-all key `"other"`), so the limiter itself is bounded.
/// The message is built only when it is logged. Thread-safe (one lock).
public final class RateLimitedLog: Sendable {
    public let logger: Logger
    public let interval: Double
    public static let maxKeys = 256

    private struct Slot: Sendable { var lastLogged: Double; var suppressed: Int; var level: Logger.Level }
    private let slots = Locked<[String: Slot]>([:])
    private let clock: @Sendable () -> Double

    public init(logger: Logger, interval: Double = 10, clock: @escaping @Sendable () -> Double = Clock.monotonic) {
        self.logger = logger; self.interval = interval; self.clock = clock
    }

    /// Logs `message` at `level` under `key` unless a message of that key was logged less
    /// than `interval` ago (then it is counted).
    public func log(_ level: Logger.Level, key: String, _ message: @autoclosure () -> String,
                    metadata: Logger.Metadata? = nil) {
        let now = clock()
        let logged = slots.withLock { slots -> (suppressed: Int, since: Double)? in
            var k = key
            if slots[k] == nil && slots.count >= Self.maxKeys { k = "other" }
            if var s = slots[k], now - s.lastLogged < interval {
                s.suppressed += 1
                s.level = level
                slots[k] = s
                return nil
            }
            let suppressed = slots[k]?.suppressed ?? 0
            let since = slots[k].map { now - $0.lastLogged } ?? 0
            slots[k] = Slot(lastLogged: now, suppressed: 0, level: level)
            return (suppressed, since)
        }
        guard let (suppressed, since) = logged else { return }
        var text = message()
        if suppressed > 0 { text += " (\(suppressed) similar messages suppressed in the last \(Self.seconds(since)))" }
        logger.log(level: level, "\(text)", metadata: metadata)
    }

    public func warning(key: String, _ message: @autoclosure () -> String) { log(.warning, key: key, message()) }
    public func info(key: String, _ message: @autoclosure () -> String) { log(.info, key: key, message()) }
    public func error(key: String, _ message: @autoclosure () -> String) { log(.error, key: key, message()) }

    /// Messages counted but not logged yet, per key.
    public var suppressed: [String: Int] {
        slots.withLock { $0.filter { $0.value.suppressed > 0 }.mapValues { $0.suppressed } }
    }

    /// Logs one line per key with suppressed messages (e.g. at shutdown), so no count is lost.
    public func flush(_ what: (String) -> String = { "\($0): more messages" }) {
        let now = clock()
        let pending = slots.withLock { slots in
            let pending = slots.filter { $0.value.suppressed > 0 }
            for k in pending.keys { slots[k]?.suppressed = 0; slots[k]?.lastLogged = now }
            return pending
        }
        for (k, s) in pending.sorted(by: { $0.key < $1.key }) {
            logger.log(level: s.level, "\(what(k)) (\(s.suppressed) similar messages suppressed in the last \(Self.seconds(now - s.lastLogged)))")
        }
    }

    static func seconds(_ t: Double) -> String { String(format: "%.0fs", max(0, t)) }
}
