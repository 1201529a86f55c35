import ArgumentParser
import Foundation
import SluiceCore
import SluiceIngest

/// `sluice parse`: one normalized JSON event per input record.
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Parse records of one format and print one normalized JSON event per record.",
        discussion: """
        Reads FILE (or standard input with '-' or no FILE) line by line. Events go to stdout as \
        JSON lines with nested ECS fields; records that fail go to stderr as \
        `FILE:LINE: reason: detail`; a summary line ends stderr. Exit status: 0 when every record \
        parsed, 1 when some failed, 2 when the input cannot be read.

        Format options are given as --set KEY=VALUE (e.g. --set timestamp_field=time).
        Formats: \(Components.registry.parsers.keys.sorted().joined(separator: ", ")).
        """
    )

    @Option(name: .shortAndLong, help: "Record format.")
    var format: String

    @Option(name: .customLong("set"), help: "A format option as KEY=VALUE (repeatable).")
    var settings: [String] = []

    @Flag(name: .long, help: "Include event.original in the output.")
    var includeOriginal = false

    @Argument(help: "Input file ('-' or none for standard input).")
    var file: String?

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = logging.bootstrap()
        let registry = Components.registry
        guard registry.parsers[format] != nil else {
            throw ValidationError("unknown format '\(format)'; known: \(registry.parsers.keys.sorted().joined(separator: ", "))")
        }
        var yaml = "{}"
        if !settings.isEmpty {
            var lines: [String] = []
            for s in settings {
                guard let eq = s.firstIndex(of: "=") else { throw ValidationError("--set takes KEY=VALUE, got '\(s)'") }
                var v: [UInt8] = []
                JSONWriter.appendQuoted(String(s[s.index(after: eq)...]), to: &v)
                lines.append("\(s[..<eq]): \(String(decoding: v, as: UTF8.self))")
            }
            yaml = lines.joined(separator: "\n")
        }
        let options: ComponentOptions
        do {
            options = ComponentOptions(component: "parse", node: try ConfigNode.load(yaml: yaml, file: "--set"))
        } catch let e as ConfigErrors {
            throw reportConfigErrors(e)
        }
        let parser: Parser
        do {
            guard let p = try registry.makeParser(format: format, options: options,
                                                   context: BuildContext(name: "parse", mode: .toEnd, dataDir: nil, logger: logger, registry: registry)) else {
                throw ValidationError("unknown format '\(format)'")
            }
            parser = p
        }
        let issues = options.finish()
        if !issues.isEmpty {
            for i in issues { printError("error: \(i.message)") }
            throw ExitCode(2)
        }

        let name = file ?? "-"
        let fd: Int32 = name == "-" ? 0 : open(name, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            printError("error: \(name): \(String(cString: strerror(errno)))")
            throw ExitCode(2)
        }
        defer { if fd != 0 { close(fd) } }
        let displayName = name == "-" ? "<stdin>" : name

        let encoder = EventJSONEncoder(includeOriginal: includeOriginal)
        var out: [UInt8] = []
        var err: [UInt8] = []
        var splitter = LineSplitter(maxLineBytes: 1 << 20)
        var lineNo = 0, records = 0, events = 0, failed = 0
        var reasons: [String: Int] = [:]
        var produced: [Event] = []
        let stdout = FileHandle.standardOutput

        func handle(_ line: ArraySlice<UInt8>) {
            lineNo += 1
            records += 1
            produced.removeAll(keepingCapacity: true)
            do {
                try parser.parse(line, event: Event(original: line), into: &produced)
            } catch {
                failed += 1
                let f = (error as? ParseFailure) ?? ParseFailure("parser_error", "\(error)")
                reasons[f.reason, default: 0] += 1
                err.append(contentsOf: "\(displayName):\(lineNo): \(f.reason)\(f.detail.isEmpty ? "" : ": " + f.detail)\n".utf8)
                return
            }
            for e in produced { encoder.encodeLine(e, into: &out) }
            events += produced.count
        }
        func flushOut() {
            if !out.isEmpty { stdout.write(Data(out)); out.removeAll(keepingCapacity: true) }
            if !err.isEmpty { FileHandle.standardError.write(Data(err)); err.removeAll(keepingCapacity: true) }
        }

        while true {
            var chunk = [UInt8](repeating: 0, count: 256 * 1024)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; printError("error: \(displayName): \(String(cString: strerror(errno)))"); throw ExitCode(2) }
            if n == 0 { break }
            chunk.removeSubrange(n...)
            splitter.feed(chunk) { line, _ in handle(line) }
            flushOut()
        }
        if let last = splitter.flushPending() { handle(last) }
        produced.removeAll()
        parser.tick(StageTime(wallClock: Timestamp.now(), eventTime: Int64.max, final: true), into: &produced)
        for e in produced { encoder.encodeLine(e, into: &out) }
        events += produced.count
        flushOut()
        var summary = "\(records) records, \(events) events, \(failed) failed"
        if !reasons.isEmpty { summary += " (" + reasons.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")" }
        if splitter.truncated > 0 { summary += ", \(splitter.truncated) lines cut at 1 MiB" }
        printError(summary)
        if failed > 0 { throw ExitCode(1) }
    }
}
