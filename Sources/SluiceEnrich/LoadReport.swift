import Foundation
import SluiceCore

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
    /// Wall time of the load, seconds.
    public var seconds: Double = 0

    public init() {}

    public var description: String {
        let c = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        return "\(c.isEmpty ? "nothing" : c) loaded in \(String(format: "%.2f", seconds)) s, \(badLines) bad line(s)"
            + (failedFiles.isEmpty ? "" : ", failed: \(failedFiles.joined(separator: ", "))")
    }

    mutating func bad(_ file: String, _ line: Int, _ message: String) {
        badLines += 1
        if issues.count < Self.maxIssues { issues.append(LoadIssue(file: file, line: line, message: message)) }
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

    static func read(_ path: String) throws -> [UInt8] {
        guard let fh = FileHandle(forReadingAtPath: path) else {
            throw LoadIssue(file: path, line: 0, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { try? fh.close() }
        let data: Data
        do { data = try fh.readToEnd() ?? Data() } catch {
            throw LoadIssue(file: path, line: 0, message: "cannot read: \(error.localizedDescription)")
        }
        guard data.count <= maxBytes else { throw LoadIssue(file: path, line: 0, message: "larger than \(maxBytes >> 20) MiB") }
        return [UInt8](data)
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
        let t = s.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return nil }
        if t.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int64(t), v < 100_000_000_000 { return v * 1_000_000_000 }
        if t.count == 10, let v = Timestamp.parseRFC3339(t + "T00:00:00Z") { return v }
        return Timestamp.parseRFC3339(t)
    }
}
