import Foundation
import SluiceTestSupport
import XCTest
@testable import SluiceCore

final class GzipTests: XCTestCase {
    func gzipTool(_ data: [UInt8]) throws -> [UInt8] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-c", "-6"]
        let inp = Pipe(), out = Pipe()
        p.standardInput = inp; p.standardOutput = out
        try p.run()
        inp.fileHandleForWriting.write(Data(data))
        try inp.fileHandleForWriting.close()
        let result = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return [UInt8](result)
    }

    func testDecompressesGzipFromGzipToolAndOwnCompression() throws {
        let text = Array(String(repeating: #"{"event":{"action":"git.clone","actor":"carol"}}"#, count: 500).utf8)
        XCTAssertEqual(try Gzip.decompress(try gzipTool(text)[...], limit: 1 << 20), text)
        XCTAssertEqual(try Gzip.decompress(try XCTUnwrap(Gzip.compress(text))[...], limit: 1 << 20), text)
        // Two members back to back (cat a.gz b.gz).
        let two = try gzipTool(Array("first\n".utf8)) + (try gzipTool(Array("second\n".utf8)))
        XCTAssertEqual(String(decoding: try Gzip.decompress(two[...], limit: 100), as: UTF8.self), "first\nsecond\n")
    }

    func testLimitAndCorruptInput() throws {
        let zeros = try XCTUnwrap(Gzip.compress([UInt8](repeating: 0, count: 10 << 20)))
        XCTAssertLessThan(zeros.count, 20_000)
        XCTAssertThrowsError(try Gzip.decompress(zeros[...], limit: 1 << 20)) { e in
            XCTAssertEqual(e as? Gzip.DecompressError, .tooLarge(limit: 1 << 20))
        }
        let good = try XCTUnwrap(Gzip.compress(Array("hello world".utf8)))
        XCTAssertThrowsError(try Gzip.decompress(good.dropLast(6), limit: 100), "truncated")
        XCTAssertThrowsError(try Gzip.decompress(Array("not gzip at all".utf8)[...], limit: 100))
    }
}
