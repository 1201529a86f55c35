import Foundation
import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

/// One problem found while loading an enrichment file: a bad line (skipped) or a file that
/// could not be read at all. `description` is `file:line: message` (line 0 for the file).
public struct LoadIssue: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public init(file: String, line: Int, message: String) { self.file = file; self.line = line; self.message = message }
    public var description: String { "\(file):\(line): \(message)" }
}

/// What one load of an enricher's files produced: entries kept, lines skipped (with their
/// reasons), and whether the set is fit to serve.
public struct LoadReport: Sendable, CustomStringConvertible {
    /// Entries loaded, by kind (e.g. `indicators`, `expired`, `assets`, `identities`).
    public var counts: [String: Int] = [:]
    /// The bad lines, in file order (the first `maxIssues`; `badLines` counts them all).
    public var issues: [LoadIssue] = []
    /// Bad lines found, including those beyond `maxIssues`.
    public var badLines = 0
    /// Issues kept per load: a bound on memory and log volume for a broken million-line feed.
    public static let maxIssues = 10_000
    /// Files that could not be read or whose structure is unusable (a missing CSV header,
    /// invalid YAML/JSON): such a load never replaces a set in service.
    public var failedFiles: [String] = []
    /// Files marked `optional: true` that do not exist: loaded as empty (and loaded once
    /// they appear, on the next reload).
    public var missingOptional: [String] = []
    /// Wall time of the load, seconds.
    public var seconds: Double = 0

    public init() {}

    public var description: String {
        let c = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        return "\(c.isEmpty ? "nothing" : c) loaded in \(String(format: "%.2f", seconds)) s, \(badLines) bad line(s)"
            + (failedFiles.isEmpty ? "" : ", failed: \(failedFiles.joined(separator: ", "))")
            + (missingOptional.isEmpty ? "" : ", not present (optional): \(missingOptional.joined(separator: ", "))")
    }

    mutating func bad(_ file: String, _ line: Int, _ message: String) {
        badLines += 1
        if issues.count < Self.maxIssues { issues.append(LoadIssue(file: file, line: line, message: message)) }
    }

    /// True (and noted) when `path` is optional and does not exist: the caller loads nothing
    /// from it. Any other problem (permissions, a directory) is still a failure.
    mutating func skipIfMissing(_ path: String, optional: Bool) -> Bool {
        guard optional else { return false }
        var st = stat()
        guard stat(path, &st) != 0, errno == ENOENT else { return false }
        if !missingOptional.contains(path) { missingOptional.append(path) }
        return true
    }

    mutating func fail(_ file: String, _ line: Int, _ message: String) {
        issues.append(LoadIssue(file: file, line: line, message: message))
        if !failedFiles.contains(file) { failedFiles.append(file) }
    }
}

/// Why `load()` could not put a set in service: the files that failed (unreadable, or of
/// an unusable structure), with every issue found.
public struct EnrichmentLoadError: Error, Sendable, CustomStringConvertible {
    public let report: LoadReport
    public init(_ report: LoadReport) { self.report = report }
    public var description: String {
        "cannot load \(report.failedFiles.joined(separator: ", ")):\n" + report.issues.map { "  \($0)" }.joined(separator: "\n")
    }
}

/// Reads an enrichment file whole (they are loaded off the hot path) and hands out its lines
/// with their 1-based numbers.
enum EnrichmentFile {
    /// Largest file accepted (a bound, not a tuning knob: a 1,000,000-indicator CSV is ~60 MB).
    static let maxBytes = 1 << 30

    /// The file's bytes, read straight into one array (`WholeFile`: a feed's size is the peak
    /// memory of reading it).
    static func read(_ path: String) throws -> [UInt8] {
        do { return try WholeFile.read(path, maxBytes: maxBytes) } catch let failure as WholeFile.Failure {
            throw LoadIssue(file: path, line: 0, message: failure.description)
        }
    }

    /// Calls `body(lineNumber, range)` for each line of `b` (without `\n` or `\r\n`).
    static func forEachLine(_ b: UnsafeBufferPointer<UInt8>, _ body: (Int, Range<Int>) throws -> Void) rethrows {
        var line = 0
        var start = 0
        let n = b.count
        // A UTF-8 byte order mark is not part of the first line.
        if n >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { start = 3 }
        while start < n {
            line += 1
            var end = start
            while end < n, b[end] != 0x0A { end += 1 }
            var stop = end
            if stop > start, b[stop - 1] == 0x0D { stop -= 1 }
            try body(line, start..<stop)
            start = end + 1
        }
    }

    /// `b[r]` without leading and trailing spaces and tabs.
    static func trim(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Range<Int> {
        var lo = r.lowerBound, hi = r.upperBound
        while lo < hi, b[lo] == 0x20 || b[lo] == 0x09 { lo += 1 }
        while hi > lo, b[hi - 1] == 0x20 || b[hi - 1] == 0x09 { hi -= 1 }
        return lo..<hi
    }

    static func string(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self)
    }
}

extension LoadIssue: Error {}

/// A point in time written in an enrichment file (`expires`): RFC 3339 (`2026-03-01T00:00:00Z`),
/// a date (`2026-03-01`, midnight UTC) or Unix seconds; nanoseconds since the epoch.
enum ExpiryTime {
    static func parse(_ s: String) -> Int64? {
        let t = s.trimmedLite()
        if t.isEmpty { return nil }
        let u = Array(t.utf8)
        if u.allSatisfy({ $0 &- 48 < 10 }), u.count <= 11, let v = Int64(t) { return v * 1_000_000_000 }
        if u.count == 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-") {
            return Timestamp.parseRFC3339(u + Array("T00:00:00Z".utf8))
        }
        return Timestamp.parseRFC3339(u)
    }
}
