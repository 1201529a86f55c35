import Foundation
import Glibc
import SluiceTestSupport
import XCTest
@testable import SluiceCore

/// `WholeFile`: a file read whole into one array, and each way it can fail named.
final class WholeFileTests: XCTestCase {
    func testReadsEveryByteOfSmallEmptyAndLargeFiles() throws {
        let dir = makeTempDir("wholefile")
        for size in [0, 1, 4_096, 3 << 20] {
            let path = dir.path + "/f\(size)"
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            XCTAssertEqual(try WholeFile.read(path, maxBytes: .max), bytes, "size \(size)")
        }
    }

    func testEachFailureIsNamed() throws {
        let dir = makeTempDir("wholefile")
        XCTAssertThrowsError(try WholeFile.read(dir.path + "/missing", maxBytes: .max)) {
            XCTAssertEqual($0 as? WholeFile.Failure, .open(ENOENT))
            XCTAssertEqual("\($0)", "cannot open: No such file or directory")
        }
        XCTAssertThrowsError(try WholeFile.read(dir.path, maxBytes: .max)) {
            XCTAssertEqual($0 as? WholeFile.Failure, .directory)
            XCTAssertEqual("\($0)", "is a directory")
        }
        let big = dir.path + "/big"
        try Data(count: 3 << 20).write(to: URL(fileURLWithPath: big))
        XCTAssertThrowsError(try WholeFile.read(big, maxBytes: 2 << 20)) {
            XCTAssertEqual($0 as? WholeFile.Failure, .tooLarge(maxBytes: 2 << 20))
            XCTAssertEqual("\($0)", "larger than 2 MiB")
        }
    }
}
