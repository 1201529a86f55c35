import Foundation
import SluiceTestSupport
import XCTest
@testable import SluiceCore

/// `CheckpointStore` on its own: round trips, names that cannot escape the directory,
/// corrupt files reported with their path, and atomic replacement (never a torn or
/// half-written checkpoint, no temporary files left behind).
final class CheckpointStoreTests: XCTestCase {
    /// What the file source saves per file (same shape as its real checkpoint).
    struct FilePosition: Codable, Equatable, Sendable {
        var path: String
        var device: UInt64
        var inode: UInt64
        var offset: Int64
        var fingerprint: String
    }

    static let position = FilePosition(path: "/var/log/squid/access.log", device: 2049, inode: 1_835_274,
                                       offset: 48_213_337, fingerprint: "9f2c1a7e0b44d3c8")

    func testSaveThenLoadGivesTheValueBack() throws {
        let dir = makeTempDir("checkpoints")
        let store = try CheckpointStore(dataDirectory: dir.path)
        try store.save(Self.position, for: "squid_access")
        XCTAssertEqual(try store.load(FilePosition.self, for: "squid_access"), Self.position)
        // A second store on the same directory (the next run) reads it too.
        XCTAssertEqual(try CheckpointStore(dataDirectory: dir.path).load(FilePosition.self, for: "squid_access"), Self.position)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.path + "/checkpoints/squid_access.json"))
    }

    func testMissingCheckpointIsNil() throws {
        let dir = makeTempDir("checkpoints")
        XCTAssertNil(try CheckpointStore(dataDirectory: dir.path).load(FilePosition.self, for: "never_saved"))
    }

    func testSaveReplacesAndIsDeterministic() throws {
        let dir = makeTempDir("checkpoints")
        let store = try CheckpointStore(dataDirectory: dir.path)
        var p = Self.position
        try store.save(p, for: "audit")
        let first = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/checkpoints/audit.json"))
        try store.save(p, for: "audit")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir.path + "/checkpoints/audit.json")), first, "sorted keys: same bytes")
        p.offset += 4096
        try store.save(p, for: "audit")
        XCTAssertEqual(try store.load(FilePosition.self, for: "audit")?.offset, Self.position.offset + 4096)
        XCTAssertEqual(try Self.files(in: store.directory), ["audit.json"], "no temporary files left")
    }

    /// Component names come from the config: a name cannot point outside the directory.
    func testNamesStayInsideTheDirectory() throws {
        let dir = makeTempDir("checkpoints")
        let store = try CheckpointStore(dataDirectory: dir.path)
        for name in ["../../escape", "/etc/passwd", "a/b", "spaces and ünïcode", ".."] {
            try store.save(Self.position, for: name)
            XCTAssertEqual(try store.load(FilePosition.self, for: name), Self.position, name)
        }
        let inside = try Self.files(in: store.directory)
        XCTAssertEqual(inside.count, 5, "\(inside)")
        XCTAssertTrue(inside.allSatisfy { !$0.contains("/") })
        XCTAssertEqual(try Self.files(in: URL(fileURLWithPath: dir.path)), ["checkpoints"])
    }

    func testCorruptCheckpointThrowsWithItsPath() throws {
        let dir = makeTempDir("checkpoints")
        let store = try CheckpointStore(dataDirectory: dir.path)
        let path = dir.path + "/checkpoints/journal.json"
        try Data("{\"path\":\"/var/log/secure\",\"offs".utf8).write(to: URL(fileURLWithPath: path))   // torn by hand
        XCTAssertThrowsError(try store.load(FilePosition.self, for: "journal")) { error in
            guard case CheckpointError.corrupt(let p, _)? = error as? CheckpointError else { return XCTFail("\(error)") }
            XCTAssertEqual(p, path)
            XCTAssertTrue("\(error)".contains("corrupt checkpoint"), "\(error)")
        }
    }

    func testWriteAtomicallyIsPrivateAndLeavesNoTemporaryFile() throws {
        let dir = makeTempDir("checkpoints")
        let path = dir.path + "/state.bin"
        try CheckpointStore.writeAtomically(Data([1, 2, 3]), to: path)
        try CheckpointStore.writeAtomically(Data([4, 5]), to: path)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data([4, 5]))
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)
        XCTAssertEqual(mode.intValue & 0o077, 0, "checkpoints are not readable by others")
        XCTAssertEqual(try Self.files(in: URL(fileURLWithPath: dir.path)), ["state.bin"])
    }

    /// The streaming form: the chunks the body writes make the file, and a body that throws
    /// after writing some leaves the old file as it was and no temporary file.
    func testWriteAtomicallyFromChunksReplacesOnlyWhenTheBodyCompletes() throws {
        let dir = makeTempDir("checkpoints")
        let path = dir.path + "/1.snap"
        try CheckpointStore.writeAtomically(to: path) { write in
            for chunk in [[UInt8]("SLDT".utf8), [1, 2], [], [3]] { try chunk.withUnsafeBytes { try write($0) } }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data("SLDT".utf8) + Data([1, 2, 3]))
        struct Interrupted: Error {}
        XCTAssertThrowsError(try CheckpointStore.writeAtomically(to: path) { write in
            try [UInt8](repeating: 9, count: 1 << 16).withUnsafeBytes { try write($0) }
            throw Interrupted()
        }) { XCTAssertTrue($0 is Interrupted) }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data("SLDT".utf8) + Data([1, 2, 3]))
        XCTAssertEqual(try Self.files(in: URL(fileURLWithPath: dir.path)), ["1.snap"])
    }

    func testWriteIntoMissingDirectoryThrowsAndWritesNothing() throws {
        let dir = makeTempDir("checkpoints")
        let path = dir.path + "/gone/state.bin"
        XCTAssertThrowsError(try CheckpointStore.writeAtomically(Data([1]), to: path)) { error in
            guard case CheckpointError.io? = error as? CheckpointError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try Self.files(in: URL(fileURLWithPath: dir.path)), [])
    }

    func testDataDirectoryThatIsAFileThrows() throws {
        let dir = makeTempDir("checkpoints")
        let file = dir.path + "/not-a-dir"
        try Data().write(to: URL(fileURLWithPath: file))
        XCTAssertThrowsError(try CheckpointStore(dataDirectory: file))
    }

    /// Saves racing on one name (a source's periodic save and its shutdown save): the file
    /// always decodes to one of the saved values, never a mix.
    func testConcurrentSavesNeverTear() throws {
        let dir = makeTempDir("checkpoints")
        let store = try CheckpointStore(dataDirectory: dir.path)
        try store.save(Self.position, for: "racy")
        let saved = (0..<8).map { n -> FilePosition in
            var p = Self.position
            p.offset = Int64(n) * 1_000_003
            p.fingerprint = String(repeating: String(n), count: 16 + n * 50)   // different lengths
            return p
        }
        let failures = Guarded(0)
        DispatchQueue.concurrentPerform(iterations: 8 * 25) { i in
            do {
                try store.save(saved[i % 8], for: "racy")
                guard let read = try store.load(FilePosition.self, for: "racy"),
                      read == Self.position || saved.contains(read) else { failures.withLock { $0 += 1 }; return }
            } catch {
                failures.withLock { $0 += 1 }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, 0)
        XCTAssertEqual(try Self.files(in: store.directory), ["racy.json"])
    }

    static func files(in dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }
}
