#if canImport(Glibc)
import Glibc
#endif
import CSystemd

/// A thin owner of one `sd_journal` handle (libsystemd's sd-journal API).
///
/// Guarantees: the handle is closed exactly once (on `deinit`); every call returns Swift
/// values or throws `JournalError` carrying the negative errno libsystemd returned; field
/// data is handed out as borrowed byte buffers valid only until the next move of the read
/// pointer. Not thread-safe: one journal is used by one thread (the source's queue).
public final class SystemdJournal {
    private var j: OpaquePointer?

    /// Where to read from.
    public enum Location: Equatable, Sendable {
        /// The local system journal (`SD_JOURNAL_LOCAL_ONLY`).
        case local
        /// Every journal file in a directory (e.g. where `systemd-journal-remote` writes).
        case directory(String)
        /// Explicit journal files.
        case files([String])
    }

    public init(_ location: Location) throws {
        var handle: OpaquePointer?
        let r: Int32
        switch location {
        case .local:
            r = sd_journal_open(&handle, Int32(SD_JOURNAL_LOCAL_ONLY))
        case .directory(let path):
            r = sd_journal_open_directory(&handle, path, 0)
        case .files(let paths):
            var cstrs: [UnsafeMutablePointer<CChar>?] = paths.map { strdup($0) }
            cstrs.append(nil)
            defer { for p in cstrs { free(p) } }
            r = cstrs.withUnsafeMutableBufferPointer { buf -> Int32 in
                buf.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buf.count) {
                    sd_journal_open_files(&handle, $0, 0)
                }
            }
        }
        guard r >= 0, let handle else { throw JournalError(call: "sd_journal_open", code: r) }
        j = handle
        // 0 = no limit: return whole field values (MESSAGE can exceed the 64KiB default).
        _ = sd_journal_set_data_threshold(handle, 0)
    }

    deinit { if let j { sd_journal_close(j) } }

    /// Adds `FIELD=value` to the current match group (sd_journal_add_match).
    public func addMatch(_ match: String) throws {
        let r = match.withCString { sd_journal_add_match(j, $0, 0) }
        if r < 0 { throw JournalError(call: "sd_journal_add_match(\(match))", code: r) }
    }
    /// Starts a new group OR-ed with the previous ones.
    public func addDisjunction() throws {
        let r = sd_journal_add_disjunction(j)
        if r < 0 { throw JournalError(call: "sd_journal_add_disjunction", code: r) }
    }
    /// Starts a new level AND-ed with the previous one.
    public func addConjunction() throws {
        let r = sd_journal_add_conjunction(j)
        if r < 0 { throw JournalError(call: "sd_journal_add_conjunction", code: r) }
    }

    public func seekHead() throws { try check(sd_journal_seek_head(j), "sd_journal_seek_head") }
    public func seekTail() throws { try check(sd_journal_seek_tail(j), "sd_journal_seek_tail") }
    public func seek(cursor: String) throws {
        try check(cursor.withCString { sd_journal_seek_cursor(j, $0) }, "sd_journal_seek_cursor")
    }
    public func seek(realtimeMicros: UInt64) throws {
        try check(sd_journal_seek_realtime_usec(j, realtimeMicros), "sd_journal_seek_realtime_usec")
    }
    /// True when the current entry is the one `cursor` names.
    public func test(cursor: String) -> Bool {
        cursor.withCString { sd_journal_test_cursor(j, $0) } > 0
    }

    /// Moves to the next entry; false at the end.
    public func next() throws -> Bool {
        let r = sd_journal_next(j)
        if r < 0 { throw JournalError(call: "sd_journal_next", code: r) }
        return r > 0
    }
    /// Moves to the previous entry; false at the start.
    public func previous() throws -> Bool {
        let r = sd_journal_previous(j)
        if r < 0 { throw JournalError(call: "sd_journal_previous", code: r) }
        return r > 0
    }

    /// The cursor of the current entry.
    public func cursor() throws -> String {
        var p: UnsafeMutablePointer<CChar>?
        let r = sd_journal_get_cursor(j, &p)
        guard r >= 0, let p else { throw JournalError(call: "sd_journal_get_cursor", code: r) }
        defer { free(p) }
        return String(cString: p)
    }

    /// `__REALTIME_TIMESTAMP` of the current entry, in microseconds since the epoch.
    public func realtimeMicros() -> UInt64? {
        var usec: UInt64 = 0
        return sd_journal_get_realtime_usec(j, &usec) >= 0 ? usec : nil
    }

    /// Calls `body` with each `FIELD=value` of the current entry (borrowed bytes).
    public func forEachField(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        sd_journal_restart_data(j)
        var data: UnsafeRawPointer?
        var len: Int = 0
        while true {
            let r = sd_journal_enumerate_available_data(j, &data, &len)
            if r <= 0 { break }
            guard let d = data else { continue }
            body(UnsafeBufferPointer(start: d.assumingMemoryBound(to: UInt8.self), count: len))
        }
    }

    /// Outcome of `wait`.
    public enum Change { case none, append, invalidate }

    /// Waits up to `micros` for the journal to change (sd_journal_wait; inotify, no polling).
    public func wait(micros: UInt64) throws -> Change {
        let r = sd_journal_wait(j, micros)
        if r < 0 { throw JournalError(call: "sd_journal_wait", code: r) }
        if Int(r) == Int(SD_JOURNAL_APPEND) { return .append }
        if Int(r) == Int(SD_JOURNAL_INVALIDATE) { return .invalidate }
        return .none
    }

    /// The realtime part (`t=`, hex microseconds) of a cursor string, if present.
    public static func realtime(ofCursor cursor: String) -> UInt64? {
        for part in cursor.split(separator: ";") where part.hasPrefix("t=") {
            return UInt64(part.dropFirst(2), radix: 16)
        }
        return nil
    }

    private func check(_ r: Int32, _ call: String) throws {
        if r < 0 { throw JournalError(call: call, code: r) }
    }
}

/// A failed sd-journal call, with libsystemd's negative errno.
public struct JournalError: Error, CustomStringConvertible {
    public let call: String
    public let code: Int32
    public var description: String { "\(call): \(String(cString: strerror(-code)))" }
}
