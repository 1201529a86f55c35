import Foundation
import SluiceTestSupport
import XCTest
import SluiceCore
@testable import SluiceEnrich

/// inotify: files replaced by rename, written in place, and an enricher reloaded by its watcher.
final class FileWatcherTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = tempDir() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testReportsRenamesAndWritesDebounced() throws {
        let a = try ET.write(dir, "a.csv", "x")
        let b = try ET.write(dir, "b.txt", "y")
        try ET.write(dir, "other.txt", "z")
        let got = Guarded<[[String]]>([])
        let w = FileWatcher(paths: [a, b], debounce: 0.3) { changed in got.withLock { $0.append(changed.sorted()) } }
        try w.start()
        defer { w.stop() }
        // A burst on both files and one unrelated file: both paths reported (in one callback
        // unless the machine is slower than the debounce), the other file never.
        try "x2".write(toFile: a + ".new", atomically: false, encoding: .utf8)
        _ = rename(a + ".new", a)
        let fh = try XCTUnwrap(FileHandle(forWritingAtPath: b))
        fh.write(Data("more".utf8)); try fh.close()
        try "z2".write(toFile: dir + "/other.txt", atomically: false, encoding: .utf8)
        XCTAssertTrue(waitUntil(timeout: 10) { Set(got.value.joined()) == [a, b] })
        usleep(400_000)   // the scenario: no further path may come; wait past the 0.3 s debounce
        XCTAssertEqual(Set(got.value.joined()), [a, b])
        w.stop()
        let calls = got.value.count
        try "x3".write(toFile: a, atomically: false, encoding: .utf8)
        usleep(400_000)   // the scenario: no callback may come; wait past the 0.3 s debounce
        XCTAssertEqual(got.value.count, calls, "no callback after stop()")
    }

    func testWatcherReloadsAnEnricher() throws {
        let p = try ET.write(dir, "intel.csv", "indicator,category,feed\n198.51.100.7,tor_exit,v1\n")
        let t = ThreatIntelEnricher(files: [IntelFile(path: p)], logger: ET.logger)
        try t.load()
        let w = t.makeWatcher(debounce: 0.05)
        try w.start()
        defer { w.stop() }
        var e = Event(timestamp: 1)
        e[ECS.sourceIP] = .string("198.51.100.7")
        XCTAssertEqual(ET.enrichments(ET.run(t, [e])[0]).first?["feed"], "v1")
        try "indicator,category,feed\n198.51.100.7,tor_exit,v2\n".write(toFile: p, atomically: true, encoding: .utf8)
        XCTAssertTrue(waitUntil(timeout: 10) { ET.enrichments(ET.run(t, [e])[0]).first?["feed"] == "v2" })
    }

    func testStartFailsForAMissingDirectory() {
        let w = FileWatcher(paths: [dir + "/no/such/dir/file.csv"]) { _ in }
        XCTAssertThrowsError(try w.start())
    }
}
