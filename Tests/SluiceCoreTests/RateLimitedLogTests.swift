import Logging
import SluiceTestSupport
import XCTest
@testable import SluiceCore

final class RateLimitedLogTests: XCTestCase {
    func testRepeatsAreSuppressedAndCountedThenReported() {
        let box = LogCapture()
        let logger = box.logger("t")
        let now = Locked(100.0)
        let log = RateLimitedLog(logger: logger, interval: 10, clock: { now.withLock { $0 } })
        for i in 0..<500 { log.warning(key: "refused", "refusing connection \(i)") }
        log.warning(key: "framing", "bad frame")
        XCTAssertEqual(box.lines, ["warning: refusing connection 0", "warning: bad frame"])
        XCTAssertEqual(log.suppressed["refused"], 499)
        now.withLock { $0 += 11 }
        log.warning(key: "refused", "refusing connection 500")
        XCTAssertEqual(box.lines.last, "warning: refusing connection 500 (499 similar messages suppressed in the last 11s)")
        log.warning(key: "refused", "refusing connection 501")
        log.flush { "\($0): more" }
        XCTAssertEqual(box.lines.last, "warning: refused: more (1 similar messages suppressed in the last 0s)")
        XCTAssertTrue(log.suppressed.isEmpty)
    }

    func testKeysAreBounded() {
        let box = LogCapture()
        let log = RateLimitedLog(logger: box.logger("t"), interval: 60)
        for i in 0..<(RateLimitedLog.maxKeys * 3) { log.info(key: "peer-\(i)", "message \(i)") }
        XCTAssertEqual(box.lines.count, RateLimitedLog.maxKeys + 1, "keys beyond the bound share one slot")
    }
}
