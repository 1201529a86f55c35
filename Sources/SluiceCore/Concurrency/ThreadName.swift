#if canImport(Glibc)
import Glibc
#endif

/// Names the calling thread after the stage running on it, so `top -H`, `ps -L`, `perf` and
/// `/proc/PID/task/*/comm` tell the stages apart (`sluice:parse`, `sluice:detect`) instead of
/// showing Dispatch's worker name for every one, the way rsyslog names its threads
/// (`in:imfile`, `rs:main Q:Reg`).
///
/// Guarantees: a name is cut to the kernel's 15 bytes, never inside a UTF-8 sequence;
/// `leave` gives the thread the name it had at `enter` (a stage runs on a Dispatch worker
/// that goes back to the pool afterwards); naming is best effort: where it cannot be done
/// (no `/proc`, another OS) nothing changes and nothing fails.
public enum ThreadName {
    /// The most bytes of a thread name Linux keeps (16 with the terminating zero).
    public static let maxBytes = 15

    /// The name `enter` gives stage `stage`'s thread.
    public static func forStage(_ stage: String) -> String { "sluice:" + stage }

    /// Names the calling thread `name` (cut to `maxBytes`); returns its previous name for
    /// `leave`, or nil when it could not be read or set.
    public static func enter(_ name: String) -> String? {
        guard let previous = current(), set(name) else { return nil }
        return previous
    }

    /// Gives the calling thread back the name `enter` returned (nothing when nil).
    public static func leave(_ previous: String?) {
        if let previous { _ = set(previous) }
    }

    /// The calling thread's name, or nil when it cannot be read.
    public static func current() -> String? {
        #if os(Linux)
        let fd = open("/proc/thread-self/comm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 64)
        let n = read(fd, &buf, buf.count)
        guard n > 0 else { return nil }
        var bytes = buf[..<n]
        if bytes.last == 0x0A { bytes = bytes.dropLast() }
        return String(decoding: bytes, as: UTF8.self)
        #else
        return nil
        #endif
    }

    /// Sets the calling thread's name to `name` cut to `maxBytes`; false when it could not.
    @discardableResult
    public static func set(_ name: String) -> Bool {
        #if os(Linux)
        let bytes = truncated(name)
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count
        #else
        return false
        #endif
    }

    /// `name`'s UTF-8 bytes, at most `maxBytes` of them, ending where a character ends.
    static func truncated(_ name: String) -> [UInt8] {
        let utf8 = Array(name.utf8)
        var n = min(maxBytes, utf8.count)
        // A cut before a continuation byte (10xxxxxx) would split a character: move back to
        // where that character starts.
        while n > 0, n < utf8.count, utf8[n] & 0xC0 == 0x80 { n -= 1 }
        return Array(utf8[..<n])
    }
}
