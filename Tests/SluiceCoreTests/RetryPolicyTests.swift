import Foundation
import XCTest
@testable import SluiceCore

/// `RetryPolicy`: capped exponential backoff with jitter in [d/2, d], and `Retry-After`
/// honoured up to its own cap.
final class RetryPolicyTests: XCTestCase {
    /// The upper bound d of attempt n: min(max, initial · 2^(n-1)).
    static func bound(_ p: RetryPolicy, _ attempt: Int) -> Double {
        min(p.max, p.initial * pow(2, Double(max(attempt - 1, 0))))
    }

    func testDelayIsWithinHalfAndFullOfTheCappedExponential() {
        let p = RetryPolicy(initial: 0.2, max: 30)
        for attempt in 1...12 {
            let d = Self.bound(p, attempt)
            for _ in 0..<200 {
                let delay = p.delay(attempt: attempt)
                XCTAssertGreaterThanOrEqual(delay, d / 2, "attempt \(attempt)")
                XCTAssertLessThanOrEqual(delay, d, "attempt \(attempt)")
            }
        }
        XCTAssertEqual(Self.bound(p, 1), 0.2)
        XCTAssertEqual(Self.bound(p, 8), 25.6, accuracy: 1e-9)
        XCTAssertEqual(Self.bound(p, 9), 30)
    }

    /// Attempt 0 or below counts as the first; a huge attempt number stays at the cap
    /// (no overflow to infinity or NaN after days of outage).
    func testAttemptNumbersAtTheEdges() {
        let p = RetryPolicy(initial: 0.05, max: 10)
        for attempt in [-1000, -1, 0] {
            let delay = p.delay(attempt: attempt)
            XCTAssertTrue((0.025...0.05).contains(delay), "attempt \(attempt): \(delay)")
        }
        for attempt in [31, 64, 10_000, Int.max] {
            let delay = p.delay(attempt: attempt)
            XCTAssertTrue(delay.isFinite)
            XCTAssertTrue((5...10).contains(delay), "attempt \(attempt): \(delay)")
        }
    }

    /// Jitter spreads the delays of many senders retrying at once.
    func testJitterSpreadsDelays() {
        let p = RetryPolicy(initial: 1, max: 30)
        let delays = Set((0..<100).map { _ in p.delay(attempt: 3) })
        XCTAssertGreaterThan(delays.count, 50)
        XCTAssertLessThan(delays.min()!, 3, "some below 3/4 of the bound")
        XCTAssertGreaterThan(delays.max()!, 3.5, "some above it")
    }

    func testRetryAfterIsWaitedAtLeastAndCapped() {
        let p = RetryPolicy(initial: 0.2, max: 30, maxRetryAfter: 120)
        for _ in 0..<50 {
            XCTAssertGreaterThanOrEqual(p.delay(attempt: 1, retryAfter: 7), 7)
            XCTAssertLessThanOrEqual(p.delay(attempt: 1, retryAfter: 7), 7, "longer than both: the receiver's value")
            XCTAssertEqual(p.delay(attempt: 1, retryAfter: 3600), 120, "a receiver cannot park the sink for an hour")
            let backoff = p.delay(attempt: 10, retryAfter: 1)   // the backoff is already longer
            XCTAssertTrue((15...30).contains(backoff), "\(backoff)")
            // No or a non-positive Retry-After: plain backoff.
            XCTAssertLessThanOrEqual(p.delay(attempt: 1, retryAfter: 0), 0.2)
            XCTAssertLessThanOrEqual(p.delay(attempt: 1, retryAfter: -5), 0.2)
        }
    }

    func testParseRetryAfterDeltaSeconds() {
        XCTAssertEqual(RetryPolicy.parseRetryAfter("120"), 120)
        XCTAssertEqual(RetryPolicy.parseRetryAfter(" 5 "), 5)
        XCTAssertEqual(RetryPolicy.parseRetryAfter("0"), 0)
        XCTAssertEqual(RetryPolicy.parseRetryAfter("1.5"), 1.5)
        XCTAssertNil(RetryPolicy.parseRetryAfter("-3"))
        XCTAssertNil(RetryPolicy.parseRetryAfter(nil))
        XCTAssertNil(RetryPolicy.parseRetryAfter(""))
        XCTAssertNil(RetryPolicy.parseRetryAfter("soon"))
        XCTAssertNil(RetryPolicy.parseRetryAfter("nan"))
    }

    /// An HTTP-date (RFC 9110 IMF-fixdate): seconds from now, zero once it has passed.
    func testParseRetryAfterHTTPDate() {
        let now = Date(timeIntervalSince1970: 1_445_412_450)   // Wed, 21 Oct 2015 07:27:30 GMT
        XCTAssertEqual(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now: now), 30)
        XCTAssertEqual(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:20:00 GMT", now: now), 0)
        XCTAssertNil(RetryPolicy.parseRetryAfter("21/10/2015 07:28", now: now))
    }
}
