import ArgumentParser
import Dispatch
import Foundation
import Logging
import SluiceCore
import SluiceDetect
import SluiceEnrich

/// `sluice replay`: read inputs to the end through every stage.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Read inputs to their end through every stage, print the output on stdout, then a summary on stderr.",
        discussion: """
        Without --config, the flags build the pipeline: each FILE is read by a file source ('-' for \
        standard input) and parsed with its --format. One --format applies to every FILE; several \
        pair with the FILEs in order. Alone, that prints the normalized events on stdout as --output \
        (one record per line). With --rules, --intel, --context or --detect, the events are also \
        enriched (--context: assets, identities and sanctioned repositories, then the code-repository \
        services; --intel: threat intelligence) and run through the detection rules (--rules files or \
        folders; by default the rule pack built into this program, `builtin`), and stdout gets the \
        alerts (with --events, the normalized events too). With neither --config nor FILEs, the \
        embedded default pipeline is replayed.

        With --config, the pipeline's own sources and sinks are used, reading to the end \
        (no checkpoints are written). Failed records go to the dead-letter output (stderr unless \
        the pipeline configures one). The summary table lists each component's events in, out, \
        failed and dropped, the elapsed time and the rate; while it runs, a progress line is shown \
        when stderr is a terminal.

        Examples:
          sluice replay --format json audit.jsonl
          sluice replay --format squid --format bind-query access.log queries.log
          sluice replay --format github-audit audit.jsonl --intel intel.csv --context context.yaml
          sluice replay --config pipeline.yaml
        """
    )

    @Option(name: .shortAndLong, help: "Pipeline file (YAML); its sources are read to the end.")
    var config: String?

    @Option(name: .long, help: "Record format of the FILEs (see `sluice parse --help` for names).")
    var format: [String] = []

    @Option(name: .long, help: "Output encoding on stdout: json (default), cef, ocsf.")
    var output: String = "json"

    @Flag(name: .long, help: "Do not print the summary table.")
    var quiet = false

    @Option(name: .long, help: ArgumentHelp("Detection rules: a file or folder (repeatable); `builtin` is the pack built into this program (the default when detection runs).", valueName: "PATH"))
    var rules: [String] = []

    @Option(name: .long, help: ArgumentHelp("Threat-intelligence file (CSV, list or STIX 2.1 bundle; repeatable).", valueName: "FILE"))
    var intel: [String] = []

    @Option(name: .long, help: ArgumentHelp("Context file: assets, identities, sanctioned repositories (YAML or CSV; repeatable).", valueName: "FILE"))
    var context: [String] = []

    @Flag(name: .long, help: "Run the detection rules (implied by --rules, --intel and --context).")
    var detect = false

    @Flag(name: .long, help: "With detection, print the normalized events as well as the alerts.")
    var events = false

    @Option(name: .long, help: ArgumentHelp("A value for a rule placeholder (|expand), as NAME=VALUE (repeatable; NAME= alone sets an empty list).", valueName: "NAME=VALUE"))
    var placeholder: [String] = []

    @Option(name: .long, help: ArgumentHelp("Keep the state of stateful stages (detection baselines, first-seen values, open windows) in DIR: read at the start, written at the end. The same layout as a data directory's state, so a replay of history can seed a new deployment.", valueName: "DIR"))
    var state: String?

    @Argument(help: "Input files ('-' for standard input).")
    var files: [String] = []

    @OptionGroup var logging: LoggingOptions

    /// Whether the flags ask for detection (enrichment and rules after parsing).
    var detecting: Bool { detect || !rules.isEmpty || !intel.isEmpty || !context.isEmpty }

    func validate() throws {
        if config != nil && (!files.isEmpty || !format.isEmpty) {
            throw ValidationError("--config and FILE/--format arguments are exclusive: the config's sources are replayed")
        }
        if files.isEmpty && (detecting || events || !placeholder.isEmpty) {
            throw ValidationError("--rules, --intel, --context, --detect, --events and --placeholder apply to FILEs read with --format (a --config pipeline has its own)")
        }
        if events && !detecting { throw ValidationError("--events applies with detection (--detect, --rules, --intel or --context): without it the events are what is printed") }
        for p in placeholder where !p.contains("=") { throw ValidationError("--placeholder takes NAME=VALUE, got \(p)") }
        if !files.isEmpty {
            if format.isEmpty { throw ValidationError("give the record format of the FILEs with --format (e.g. --format json)") }
            if format.count != 1 && format.count != files.count {
                throw ValidationError("\(format.count) --format values for \(files.count) files: give one format for all, or one per file")
            }
        }
    }

    /// What the flags ask of detection (nil: parse only).
    struct Detection {
        var rules: [String] = [BuiltinRules.path]
        var intel: [String] = []
        var context: [String] = []
        var events = false
        var placeholders: [(String, [String])] = []
    }

    /// The flags' detection settings (nil when they ask for none).
    var detection: Detection? {
        guard detecting else { return nil }
        var d = Detection()
        if !rules.isEmpty { d.rules = rules }
        d.intel = intel; d.context = context; d.events = events
        for p in placeholder {
            let parts = p.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let value = parts.count > 1 ? parts[1] : ""
            if let i = d.placeholders.firstIndex(where: { $0.0 == parts[0] }) {
                if !value.isEmpty { d.placeholders[i].1.append(value) }
            } else {
                d.placeholders.append((parts[0], value.isEmpty ? [] : [value]))
            }
        }
        return d
    }

    /// The pipeline the flags describe, as YAML: file sources, a parser per file, then (with
    /// detection) enrichment and the `detect` transform.
    static func flagsPipeline(files: [String], formats: [String], output: String, detection: Detection? = nil) -> String {
        func q(_ s: String) -> String {
            var out: [UInt8] = []
            JSONWriter.appendQuoted(s.replacingOccurrences(of: "$", with: "$$"), to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        func list(_ xs: [String]) -> String { "[" + xs.map(q).joined(separator: ", ") + "]" }
        var y = "sources:\n"
        for (i, f) in files.enumerated() {
            if f == "-" { y += "  input_\(i):\n    type: stdin\n" }
            else { y += "  input_\(i):\n    type: file\n    include: [\(q(f))]\n" }
        }
        y += "transforms:\n"
        for (i, _) in files.enumerated() {
            let fmt = formats.count == 1 ? formats[0] : formats[i]
            y += "  parse_\(i):\n    type: parse\n    inputs: [input_\(i)]\n    format: \(q(fmt))\n"
        }
        var last = files.indices.map { "parse_\($0)" }
        if let d = detection {
            let cwd = FileManager.default.currentDirectoryPath
            func absolute(_ p: String) -> String { p == BuiltinRules.path || p.hasPrefix("/") ? p : cwd + "/" + p }
            let (enrich, out) = EnrichmentFlags.transforms(intel: d.intel.map(absolute), context: d.context.map(absolute), inputs: last)
            y += enrich
            y += "  detect:\n    type: detect\n    inputs: [\(out.joined(separator: ", "))]\n    rules: \(list(d.rules.map(absolute)))\n"
            y += "    forward_events: \(d.events)\n"
            if !d.placeholders.isEmpty {
                y += "    placeholders:\n"
                for (k, v) in d.placeholders { y += "      \(q(k)): \(list(v))\n" }
            }
            last = ["detect"]
        }
        y += "sinks:\n  stdout:\n    type: stdout\n    encoding: \(q(output))\n    inputs: [\(last.joined(separator: ", "))]\n"
        return y
    }

    func run() throws {
        let logger = logging.bootstrap()
        SluiceMetrics.bootstrap()
        let topology: Topology
        do {
            let cfg: PipelineConfig
            if let config { cfg = try PipelineConfig.load(path: config) }
            else if !files.isEmpty {
                _ = Components.builtinRules
                cfg = try PipelineConfig.parse(Self.flagsPipeline(files: files, formats: format, output: output, detection: detection), file: "<command line>")
            }
            else { cfg = try PipelineConfig.parse(EmbeddedPipeline.defaultYAML, file: "<embedded default>") }
            topology = try Topology(config: cfg, registry: Components.registry, mode: .toEnd, logger: logger, stateDirectory: state)
        } catch let e as ConfigErrors {
            throw reportConfigErrors(e)
        }
        signal(SIGPIPE, SIG_IGN)
        do { try topology.start() } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        let progress = ProgressLine(enabled: !quiet && isatty(2) == 1)
        while !topology.wait(timeout: 0.5) {
            progress.update(topology)
        }
        progress.finish()
        topology.writeReplayState()
        if !quiet { SummaryTable.print(topology) }
    }
}
