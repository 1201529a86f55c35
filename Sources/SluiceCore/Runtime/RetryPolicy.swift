import Foundation

/// Capped exponential backoff with jitter: attempt n waits a random time in
/// [d/2, d] where d = min(max, initial · 2^(n-1)); a receiver's `Retry-After` is honoured
/// (waited at least, at most `maxRetryAfter`).
public struct RetryPolicy: Sendable {
    public var initial: Double
    public var max: Double
    public var maxRetryAfter: Double

    public init(initial: Double = 0.2, max: Double = 30, maxRetryAfter: Double = 300) {
        self.initial = initial; self.max = max; self.maxRetryAfter = maxRetryAfter
    }

    public func delay(attempt: Int, retryAfter: Double? = nil) -> Double {
        let exp = Swift.min(max, initial * pow(2.0, Double(Swift.min(Swift.max(attempt - 1, 0), 30))))
        let jittered = exp * Double.random(in: 0.5...1.0)
        if let ra = retryAfter, ra > 0 { return Swift.min(Swift.max(ra, jittered), maxRetryAfter) }
        return jittered
    }

    /// Seconds from a `Retry-After` header value (delta-seconds or an HTTP-date).
    public static func parseRetryAfter(_ value: String?, now: Date = Date()) -> Double? {
        guard let v = value?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
        if let s = Double(v), s >= 0 { return s }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        if let d = f.date(from: v) { return Swift.max(0, d.timeIntervalSince(now)) }
        return nil
    }
}
