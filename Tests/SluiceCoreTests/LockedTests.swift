import XCTest
@testable import SluiceCore

/// `Locked` as a value lock and as a plain mutex (`Locked<Void>`): waits end when another
/// thread changes the state and signals, and time out otherwise.
final class LockedTests: XCTestCase {
    func testWaitEndsWhenAnotherThreadChangesTheState() {
        let box = Locked(0)
        let t = Thread {
            for _ in 0..<1000 { box.withLock { $0 += 1 } }
            box.broadcast()
        }
        t.start()
        let seen = box.wait(timeout: 30, until: { $0 == 1000 }) { n, ready in ready ? n : -1 }
        XCTAssertEqual(seen, 1000)
        XCTAssertFalse(box.wait(timeout: 0.01, until: { $0 > 1000 }) { _, ready in ready }, "times out")
    }

    /// The owner's fields guarded by a `Locked<Void>`, as DiskBuffer and FileSource use it.
    func testPlainMutexGuardsItsOwnersFields() {
        final class Counter: @unchecked Sendable {
            // SAFETY (@unchecked Sendable): `n` is touched only inside `lock.withLock` / `lock.wait`.
            let lock = Locked()
            var n = 0
        }
        let c = Counter()
        let threads = (0..<4).map { _ in
            Thread {
                for _ in 0..<500 { c.lock.withLock { c.n += 1 } }
                c.lock.broadcast()
            }
        }
        threads.forEach { $0.start() }
        XCTAssertTrue(c.lock.wait(timeout: 30, until: { c.n == 2000 }) { $0 })
        XCTAssertFalse(c.lock.wait(timeout: 0.01, until: { c.n > 2000 }) { $0 }, "times out")
    }
}
