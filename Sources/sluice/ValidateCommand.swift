import ArgumentParser
import SluiceCore

/// `sluice validate`: check a pipeline without running it.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a pipeline file: YAML, component types, every option, and the wiring.",
        discussion: """
        Every problem is reported as FILE:LINE:COLUMN: component 'NAME': message, all at once. \
        Unknown options are errors (a typo is never silently ignored); ${VAR} references must be set \
        or have a ${VAR:-default}. Exit status 0 when valid, 1 otherwise. The pipeline is built but \
        nothing is started: no socket is bound, no thread started, and nothing in the data \
        directory is created or changed.
        """
    )

    @Option(name: .shortAndLong, help: "Pipeline file (YAML) to check.")
    var config: String

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = logging.bootstrap()
        do {
            let cfg = try PipelineConfig.load(path: config)
            _ = try Plan(config: cfg, registry: Components.registry, mode: .follow, logger: logger)
            print("\(config): ok (\(cfg.sources.count) sources, \(cfg.transforms.count) transforms, \(cfg.sinks.count) sinks)")
        } catch let e as ConfigErrors {
            for i in e.issues { printError("error: \(i)") }
            printError("\(config): \(e.issues.count) error\(e.issues.count == 1 ? "" : "s")")
            throw ExitCode(1)
        }
    }
}
