import ArgumentParser
import SluiceCore
import SluiceDetect

/// `sluice validate`: check a pipeline, or rule files, without running anything.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a pipeline file (YAML, component types, every option, the wiring) or rule files.",
        discussion: """
        With --config, every problem is reported as FILE:LINE:COLUMN: component 'NAME': message, all at \
        once. Unknown options are errors (a typo is never silently ignored); ${VAR} references must be set \
        or have a ${VAR:-default}. Exit status 0 when valid, 1 otherwise. The pipeline is built but \
        nothing is started: no socket is bound, no thread started, and nothing in the data \
        directory is created or changed.

        With --rules (files or folders, repeatable), every rule that cannot be loaded is listed as \
        FILE:LINE: ID (TITLE): REASON (bad YAML with its line, unsupported modifier, logsource not \
        mapped, unknown reference, ...), and the last line reads `rules: N loaded, M skipped`. Exit \
        status 0 when every rule loaded, 1 when some were skipped, 2 when none loaded. The path \
        `builtin` is the rule pack built into this program (Pipelines/rules/ when it was built).
        """
    )

    @Option(name: .shortAndLong, help: "Pipeline file (YAML) to check.")
    var config: String?

    @Option(name: .long, help: "Rule file or folder to check (repeatable).")
    var rules: [String] = []

    @Option(name: .long, help: "A placeholder value for |expand, as NAME=VALUE (repeatable).")
    var placeholder: [String] = []

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if config == nil && rules.isEmpty { throw ValidationError("give --config FILE or --rules PATH") }
    }

    func run() throws {
        let logger = logging.bootstrap()
        var status: Int32 = 0
        if !rules.isEmpty {
            var ph: [String: [String]] = [:]
            for p in placeholder {
                let parts = p.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("--placeholder takes NAME=VALUE, got \(p)") }
                ph[parts[0], default: []].append(parts[1])
            }
            _ = Components.builtinRules
            let rs = RuleSet.load(paths: rules, placeholders: ph)
            for s in rs.skipped { print(s.description) }
            print(rs.summary)
            status = rs.rules.isEmpty ? 2 : (rs.skipped.isEmpty ? 0 : 1)
        }
        if let config {
            do {
                let cfg = try PipelineConfig.load(path: config)
                _ = try Plan(config: cfg, registry: Components.registry, mode: .follow, logger: logger)
                print("\(config): ok (\(cfg.sources.count) sources, \(cfg.transforms.count) transforms, \(cfg.sinks.count) sinks"
                      + (cfg.disabled.isEmpty ? ")" : "; not enabled: \(cfg.disabled.joined(separator: ", ")))"))
            } catch let e as ConfigErrors {
                for i in e.issues { printError("error: \(i)") }
                printError("\(config): \(e.issues.count) error\(e.issues.count == 1 ? "" : "s")")
                status = max(status, 1)
            }
        }
        if status != 0 { throw ExitCode(status) }
    }
}
