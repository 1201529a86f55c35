import ArgumentParser
import Foundation
import Logging
import SluiceCore

/// Log level option shared by commands.
struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical (default: info, or $SLUICE_LOG).")
    var logLevel: String?

    func bootstrap() -> Logger {
        let levelName = logLevel ?? ProcessInfo.processInfo.environment["SLUICE_LOG"] ?? "info"
        let level = Logger.Level(rawValue: levelName.lowercased()) ?? .info
        LoggingBootstrap.once(level: level)
        var l = Logger(label: "sluice")
        l.logLevel = level
        return l
    }
}

enum LoggingBootstrap {
    private static let done = Locked(false)
    static func once(level: Logger.Level) {
        let first = done.withLock { d in defer { d = true }; return !d }
        guard first else { return }
        // Under systemd (stderr is the journal): structured journal fields instead of text.
        let journal = JournalLogHandler.stderrIsJournal()
        LoggingSystem.bootstrap { label in
            if journal {
                var h = JournalLogHandler(label: label)
                h.logLevel = level
                return h
            }
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
    }
}

/// Where `run` and `replay` take their pipeline from.
enum PipelineSource {
    static let systemPath = "/etc/sluice/sluice.yaml"

    /// The given file, else /etc/sluice/sluice.yaml if present, else the embedded default.
    static func load(configPath: String?, logger: Logger) throws -> PipelineConfig {
        if let p = configPath { return try PipelineConfig.load(path: p) }
        if FileManager.default.fileExists(atPath: systemPath) {
            logger.info("using \(systemPath)")
            return try PipelineConfig.load(path: systemPath)
        }
        logger.info("no --config and no \(systemPath): using the embedded default pipeline")
        return try PipelineConfig.parse(EmbeddedPipeline.defaultYAML, file: "<embedded default>")
    }
}

/// Writes to standard error without buffering surprises.
func printError(_ s: String) {
    FileHandle.standardError.write((s + "\n").data(using: .utf8)!)
}

/// Prints configuration errors, one per line, and returns the exit code for them.
func reportConfigErrors(_ e: ConfigErrors) -> ExitCode {
    for i in e.issues { printError("error: \(i)") }
    printError("\(e.issues.count) configuration error\(e.issues.count == 1 ? "" : "s")")
    return ExitCode(78)  // EX_CONFIG
}
