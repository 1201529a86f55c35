import ArgumentParser
import Foundation

/// `sluice alerts`: alerts written as JSON lines, printed for people.
struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Print alerts (JSON lines) as a table, with the evidence of the top ones.",
        discussion: """
        Reads alerts as the json encoding writes them (a file sink, `sluice replay` output; other \\
        lines are skipped) and prints a table: time (UTC), severity (in colour on a terminal), rule, \\
        who (identity, users, host), what (the count, bytes or new values that made it fire) and \\
        why (threat-intelligence matches, what raised the severity, else what the rule saw). An \\
        alert that a later one escalates is folded into it. Then the evidence of the --top alerts \\
        (highest severity first) and a count by severity.

        Examples:
          sluice alerts /var/log/sluice/alerts.json
          sluice replay --format github-audit audit.jsonl --detect | sluice alerts
        """
    )

    @Argument(help: "Alert files (JSON lines; default: standard input).")
    var files: [String] = []

    @Option(name: .long, help: "Show the evidence of this many alerts (0: none).")
    var top = 5

    @Option(name: .long, help: "Evidence events shown per alert.")
    var evidence = 4

    @Option(name: .long, help: "Colour: auto (when stdout is a terminal), always, never.")
    var color = "auto"

    @Option(name: .long, help: "Line width (default: the terminal's, else 160).")
    var width: Int?

    func validate() throws {
        guard ["auto", "always", "never"].contains(color) else { throw ValidationError("--color is auto, always or never") }
        if top < 0 || evidence < 0 { throw ValidationError("--top and --evidence are 0 or more") }
    }

    func run() throws {
        var text = ""
        if files.isEmpty || files == ["-"] {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            for f in files {
                guard let d = FileManager.default.contents(atPath: f) else { printError("error: \(f): cannot read"); throw ExitCode(2) }
                text += String(decoding: d, as: UTF8.self)
                if !text.hasSuffix("\n") { text += "\n" }
            }
        }
        let digest = AlertDigest(lines: text.split(separator: "\n"))
        let tty = isatty(1) == 1
        let printer = AlertTable(colour: color == "always" || (color == "auto" && tty), width: width ?? (tty ? Self.terminalWidth() : nil) ?? 160)
        print(printer.render(digest, top: top, evidence: evidence), terminator: "")
    }

    static func terminalWidth() -> Int? {
        var w = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &w) == 0, w.ws_col > 40 { return Int(w.ws_col) }
        if let c = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), c > 40 { return c }
        return nil
    }
}

/// The text `sluice alerts` prints for a digest: the table, the evidence of the top alerts and
/// the count by severity.
struct AlertTable {
    let colour: Bool
    let width: Int

    func paint(_ s: String, _ sev: AlertDigest.Severity) -> String {
        guard colour else { return s }
        let code: String
        switch sev {
        case .critical: code = "1;97;41"
        case .high: code = "1;31"
        case .medium: code = "33"
        case .low: code = "36"
        case .informational: code = "2"
        }
        return "\u{1B}[\(code)m\(s)\u{1B}[0m"
    }

    func bold(_ s: String) -> String { colour ? "\u{1B}[1m\(s)\u{1B}[0m" : s }

    /// `s` cut to `n` characters (with an ellipsis), then padded to `n`.
    static func fit(_ s: String, _ n: Int, pad: Bool = true) -> String {
        let clean = AlertDigest.printable(s)
        let cut = clean.count > n ? String(clean.prefix(max(0, n - 1))) + "…" : clean
        return pad ? cut.padding(toLength: n, withPad: " ", startingAt: 0) : cut
    }

    func render(_ d: AlertDigest, top: Int, evidence: Int) -> String {
        var out = ""
        if d.rows.isEmpty {
            out += "no alerts\n"
            if d.skippedLines > 0 { out += "(\(d.skippedLines) lines that are not alerts skipped)\n" }
            return out
        }
        // time 19, severity 8, rule 28, who 24, what 34, why: the rest.
        let cols = [19, 8, 28, 24, 34]
        let whyWidth = max(20, width - cols.reduce(0, +) - 2 * cols.count)
        func line(_ cells: [String], sev: AlertDigest.Severity?) -> String {
            var parts: [String] = []
            for (i, c) in cells.enumerated() {
                if i < cols.count {
                    let f = Self.fit(c, cols[i])
                    parts.append(i == 1 && sev != nil ? paint(f, sev!) : f)
                } else {
                    parts.append(Self.fit(c, whyWidth, pad: false))
                }
            }
            return parts.joined(separator: "  ") + "\n"
        }
        out += bold(line(["TIME (UTC)", "SEVERITY", "RULE", "WHO", "WHAT", "WHY"], sev: nil))
        for r in d.rows {
            let a = r.alert
            let time = r.firstTime.replacingOccurrences(of: "T", with: " ").prefix(19)
            out += line([String(time), r.severity.name, AlertDigest.string(a, "rule.name") ?? "?", AlertDigest.who(a),
                         AlertDigest.what(a), AlertDigest.why(a, startedAt: r.startedAt)], sev: r.severity)
        }
        if top > 0 {
            out += "\n" + bold("Evidence of the top \(min(top, d.rows.count)) alerts") + "\n"
            for r in d.top(top) {
                let a = r.alert
                out += "\n" + paint(r.severity.name.uppercased(), r.severity) + " " + bold(AlertDigest.string(a, "rule.name") ?? "?")
                    + "  " + Self.fit(AlertDigest.who(a) + ": " + AlertDigest.what(a), max(20, width - 40), pad: false) + "\n"
                let ev = (a["evidence"] as? [Any] ?? []).compactMap { $0 as? [String: Any] }
                let shown: [[String: Any]]
                if ev.count <= evidence { shown = ev } else { shown = Array(ev.prefix(max(1, evidence - 1))) + [ev[ev.count - 1]] }
                for (i, e) in shown.enumerated() {
                    if i == shown.count - 1, ev.count > shown.count { out += "    … \(ev.count - shown.count) more\n" }
                    let t = (AlertDigest.string(e, "@timestamp") ?? "").replacingOccurrences(of: "T", with: " ").prefix(19)
                    out += "    " + Self.fit("\(t)  \(AlertDigest.event(e))", max(20, width - 4), pad: false) + "\n"
                }
            }
        }
        var counts: [AlertDigest.Severity: Int] = [:]
        for r in d.rows { counts[r.severity, default: 0] += 1 }
        let bySev = [AlertDigest.Severity.critical, .high, .medium, .low, .informational].compactMap { s in
            counts[s].map { paint("\($0) \(s.name)", s) }
        }
        let folded = d.alertCount - d.rows.count
        out += "\n\(d.rows.count) alerts: " + bySev.joined(separator: ", ")
            + (folded > 0 ? " (\(d.alertCount) alert records; \(folded) escalated in place and folded)" : "") + "\n"
        return out
    }
}
