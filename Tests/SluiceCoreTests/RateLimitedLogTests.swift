import Logging
import XCTest
@testable import SluiceCore

/// A log handler that keeps the messages (for rate-limit checks).
final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    final class Box: @unchecked Sendable {
        private let lock = NSLock()
        private var _lines: [String] = []
        func add(_ s: String) { lock.lock(); _lines.append(s); lock.unlock() }
        var lines: [String] { lock.lock(); defer { lock.unlock() }; return _lines }
    }
    let box: Box
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    init(_ box: Box) { self.box = box }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] } set { metadata[key] = newValue }
    }
    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        box.add("\(level): \(message)")
    }
}

final class RateLimitedLogTests: XCTestCase {
    func testRepeatsAreSuppressedAndCountedThenReported() {
        let box = CapturingLogHandler.Box()
        let logger = Logger(label: "t", factory: { _ in CapturingLogHandler(box) })
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
        let box = CapturingLogHandler.Box()
        let log = RateLimitedLog(logger: Logger(label: "t", factory: { _ in CapturingLogHandler(box) }), interval: 60)
        for i in 0..<(RateLimitedLog.maxKeys * 3) { log.info(key: "peer-\(i)", "message \(i)") }
        XCTAssertEqual(box.lines.count, RateLimitedLog.maxKeys + 1, "keys beyond the bound share one slot")
    }
}
