import Foundation
import SluiceTestSupport
import XCTest
@testable import SluiceCore
@testable import SluiceSink

/// `WriteBehind`: pieces reach the file whole and in order, the storage of a written piece
/// comes back for the next one, and a failed write is reported once, with nothing written
/// after it.
final class WriteBehindTests: XCTestCase {
    func testPiecesArriveInOrderAndStorageComesBack() throws {
        let path = tempDir("writebehind") + "/out"
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let w = WriteBehind(label: "test")
        var expected: [UInt8] = []
        var buffer: [UInt8] = []
        for i in 0..<200 {
            buffer.append(contentsOf: Array("piece \(i) ".utf8) + [UInt8](repeating: UInt8(65 + i % 26), count: 5000) + [0x0A])
            expected.append(contentsOf: buffer)
            try w.submit(&buffer, fd: fd, label: path)
            XCTAssertTrue(buffer.isEmpty, "the sink gets an empty buffer to encode into")
        }
        try w.finish()
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data(expected))
        // The next buffer is the storage of the last written piece: nothing new is allocated.
        buffer = []
        try w.submit(&buffer, fd: fd, label: path)
        XCTAssertGreaterThanOrEqual(buffer.capacity, 5000)
        try w.finish()
    }

    func testAFailureIsReportedOnceAndStopsLaterPieces() throws {
        let path = tempDir("writebehind-fail") + "/out"
        let fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o600)   // writes fail (EBADF)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let w = WriteBehind(label: "test")
        var buffer = Array("first\n".utf8)
        try w.submit(&buffer, fd: fd, label: path)   // fails on the writer's thread
        buffer = Array("second\n".utf8)
        XCTAssertThrowsError(try w.submit(&buffer, fd: fd, label: path), "the first piece's failure") { error in
            XCTAssertTrue("\(error)".contains(path), "names the file: \(error)")
        }
        XCTAssertEqual(String(decoding: buffer, as: UTF8.self), "second\n", "not taken after the failure")
        XCTAssertNoThrow(try w.finish(), "reported once")
    }
}
