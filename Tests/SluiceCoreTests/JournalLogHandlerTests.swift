#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import SluiceTestSupport
import XCTest
@testable import SluiceCore

/// The journal handler writing journald's native protocol to a test socket.
final class JournalLogHandlerTests: XCTestCase {
    /// Decodes a native-protocol datagram into (name, value) pairs.
    func decode(_ d: [UInt8]) -> [(String, String)] {
        var out: [(String, String)] = []
        var i = 0
        while i < d.count {
            var j = i
            while j < d.count && d[j] != UInt8(ascii: "=") && d[j] != 0x0A { j += 1 }
            let name = String(decoding: d[i..<j], as: UTF8.self)
            if j < d.count && d[j] == UInt8(ascii: "=") {
                var k = j + 1
                while k < d.count && d[k] != 0x0A { k += 1 }
                out.append((name, String(decoding: d[(j + 1)..<k], as: UTF8.self)))
                i = k + 1
            } else {
                var n: UInt64 = 0
                for b in 0..<8 { n |= UInt64(d[j + 1 + b]) << (8 * UInt64(b)) }
                let start = j + 9
                out.append((name, String(decoding: d[start..<(start + Int(n))], as: UTF8.self)))
                i = start + Int(n) + 1
            }
        }
        return out
    }

    func testStructuredFieldsReachTheJournalSocket() throws {
        let rx = try DatagramReceiver(name: "journal.socket")
        var logger = Logger(label: "sluice.test") { label in
            var h = JournalLogHandler(label: label, socketPath: rx.path)
            h.logLevel = .debug
            return h
        }
        logger[metadataKey: "component"] = "siem"
        logger.warning("delivery failed (attempt 3)\nSTATUS=forged", metadata: ["error.type": "ECONNREFUSED", "_PID": "1", "2fa": "x"])
        let fields = decode(try XCTUnwrap(rx.receive(timeout: 5)))
        let dict = Dictionary(fields, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(dict["MESSAGE"], "delivery failed (attempt 3)\nSTATUS=forged", "a newline stays inside MESSAGE")
        XCTAssertNil(dict["STATUS"], "log text cannot add a field")
        XCTAssertEqual(dict["PRIORITY"], "4")
        XCTAssertEqual(dict["SYSLOG_IDENTIFIER"], "sluice")
        XCTAssertEqual(dict["COMPONENT"], "siem")
        XCTAssertEqual(dict["ERROR_TYPE"], "ECONNREFUSED")
        XCTAssertEqual(dict["PID"], "1", "a leading underscore (trusted fields) is removed")
        XCTAssertEqual(dict["F_2FA"], "x")
        XCTAssertEqual(dict["LOGGER"], "sluice.test")
        XCTAssertTrue(dict["CODE_FILE"]?.hasSuffix("JournalLogHandlerTests.swift") ?? false)
        XCTAssertNotNil(dict["CODE_LINE"].flatMap(Int.init))
        logger.debug("below info")
        XCTAssertEqual(decode(try XCTUnwrap(rx.receive(timeout: 5))).first { $0.0 == "PRIORITY" }?.1, "7")
    }

    func testHugeMessagesAreCutToOneDatagram() throws {
        let rx = try DatagramReceiver(name: "journal.socket")
        let h = JournalLogHandler(label: "x", socketPath: rx.path)
        let logger = Logger(label: "x") { _ in h }
        logger.error("\(String(repeating: "A", count: 200_000))")
        let d = try XCTUnwrap(rx.receive(timeout: 5))
        XCTAssertLessThanOrEqual(d.count, JournalLogHandler.maxDatagramBytes)
        XCTAssertGreaterThan(decode(d).first { $0.0 == "MESSAGE" }?.1.count ?? 0, 40_000)
    }

    func testJournalStreamDetection() throws {
        var st = stat()
        XCTAssertEqual(fstat(2, &st), 0)
        XCTAssertTrue(JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "\(st.st_dev):\(st.st_ino)"]))
        XCTAssertFalse(JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "\(st.st_dev):\(st.st_ino + 1)"]))
        XCTAssertFalse(JournalLogHandler.stderrIsJournal(environment: [:]))
        XCTAssertFalse(JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "garbage"]))
    }
}
