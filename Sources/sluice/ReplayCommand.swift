import ArgumentParser
import Dispatch
import Foundation
import Logging
import SluiceCore

/// `sluice replay`: read inputs to the end through every stage.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Read inputs to their end through every stage, print the output on stdout, then a summary on stderr.",
        discussion: """
        Without --config, the flags build the pipeline: each FILE is read by a file source ('-' for \
        standard input), parsed with its --format, and the results are printed on stdout as \
        --output (one record per line). One --format applies to every FILE; several pair with the \
        FILEs in order. With neither --config nor FILEs, the embedded default pipeline is replayed.

        With --config, the pipeline's own sources and sinks are used, reading to the end \
        (no checkpoints are written). Failed records go to the dead-letter output (stderr unless \
        the pipeline configures one). The summary table lists each component's events in, out, \
        failed and dropped, the elapsed time and the rate; while it runs, a progress line is shown \
        when stderr is a terminal.

        Examples:
          sluice replay --format json audit.jsonl
          sluice replay --format squid --format bind-query access.log queries.log
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

    @Option(name: .long, help: ArgumentHelp("Keep the state of stateful stages (detection baselines, first-seen values, open windows) in DIR: read at the start, written at the end. The same layout as a data directory's state, so a replay of history can seed a new deployment.", valueName: "DIR"))
    var state: String?

    @Argument(help: "Input files ('-' for standard input).")
    var files: [String] = []

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if config != nil && (!files.isEmpty || !format.isEmpty) {
            throw ValidationError("--config and FILE/--format arguments are exclusive: the config's sources are replayed")
        }
        if !files.isEmpty {
            if format.isEmpty { throw ValidationError("give the record format of the FILEs with --format (e.g. --format json)") }
            if format.count != 1 && format.count != files.count {
                throw ValidationError("\(format.count) --format values for \(files.count) files: give one format for all, or one per file")
            }
        }
    }

    /// The pipeline the flags describe, as YAML.
    static func flagsPipeline(files: [String], formats: [String], output: String) -> String {
        func q(_ s: String) -> String {
            var out: [UInt8] = []
            JSONWriter.appendQuoted(s, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        var y = "sources:\n"
        for (i, f) in files.enumerated() {
            if f == "-" { y += "  input_\(i):\n    type: stdin\n" }
            else { y += "  input_\(i):\n    type: file\n    include: [\(q(f.replacingOccurrences(of: "$", with: "$$")))]\n" }
        }
        y += "transforms:\n"
        for (i, _) in files.enumerated() {
            let fmt = formats.count == 1 ? formats[0] : formats[i]
            y += "  parse_\(i):\n    type: parse\n    inputs: [input_\(i)]\n    format: \(q(fmt))\n"
        }
        y += "sinks:\n  stdout:\n    type: stdout\n    encoding: \(q(output))\n    inputs: [\(files.indices.map { "parse_\($0)" }.joined(separator: ", "))]\n"
        return y
    }

    func run() throws {
        let logger = logging.bootstrap()
        SluiceMetrics.bootstrap()
        let topology: Topology
        do {
            let cfg: PipelineConfig
            if let config { cfg = try PipelineConfig.load(path: config) }
            else if !files.isEmpty { cfg = try PipelineConfig.parse(Self.flagsPipeline(files: files, formats: format, output: output), file: "<command line>") }
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
