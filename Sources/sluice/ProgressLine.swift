import Foundation
import SluiceCore

/// A one-line progress display on stderr (only when it is a terminal).
final class ProgressLine {
    let enabled: Bool
    var shown = false
    init(enabled: Bool) { self.enabled = enabled }

    func update(_ t: Topology) {
        guard enabled else { return }
        let (read, written) = t.progress
        let elapsed = max(Clock.monotonic() - t.startTime, 0.001)
        let line = String(format: "\r\u{1B}[K  read %@ events, written %@ (%@ events/s, %.1fs)",
                          SummaryTable.group(read), SummaryTable.group(written),
                          SummaryTable.group(Int(Double(read) / elapsed)), elapsed)
        FileHandle.standardError.write(line.data(using: .utf8)!)
        shown = true
    }

    func finish() {
        if shown { FileHandle.standardError.write("\r\u{1B}[K".data(using: .utf8)!) }
    }
}

/// The end-of-run table on stderr.
enum SummaryTable {
    static func group(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, c) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    static func render(_ t: Topology) -> String {
        let rows = t.summary().filter { !($0.name.hasPrefix("_") && $0.eventsIn == 0) }
        let header = ["component", "kind", "type", "in", "out", "failed", "dropped"]
        var table = [header]
        for r in rows {
            table.append([r.name, r.kind, r.type, r.kind == "source" ? "-" : group(r.eventsIn), group(r.eventsOut), group(r.failed), group(r.dropped)])
        }
        var widths = header.map { $0.count }
        for row in table { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        var out = ""
        for row in table {
            var line = ""
            for (i, c) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - c.count)
                line += i < 3 ? c + pad : pad + c
                if i < row.count - 1 { line += "  " }
            }
            out += line + "\n"
        }
        for r in rows where !r.failureReasons.isEmpty {
            let reasons = r.failureReasons.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            out += "failures in \(r.name): \(reasons)\n"
        }
        let elapsed = max(Clock.monotonic() - t.startTime, 0.000_001)
        let read = t.progress.read
        out += String(format: "elapsed %.3fs, %@ events read, %@ events/s\n", elapsed, group(read), group(Int(Double(read) / elapsed)))
        return out
    }

    static func print(_ t: Topology) {
        FileHandle.standardError.write(render(t).data(using: .utf8)!)
    }
}
