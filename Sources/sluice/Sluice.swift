import ArgumentParser
import SluiceCore

/// The `sluice` command line.
@main
struct Sluice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "A log-pipeline agent for security teams: ingest, parse, enrich, detect, send to SIEMs.",
        discussion: """
        Sluice tails journald, syslog sockets and files, normalizes GitHub audit, proxy, DNS and \
        endpoint-process logs to ECS fields, detects source-code exfiltration, and sends alerts and \
        events as CEF, JSON or OCSF to SIEMs.

        Start with `sluice replay --format json FILE` to see normalized events, `sluice validate \
        --config FILE` to check a pipeline, and `sluice run --config FILE` to run the agent.
        """,
        version: SluiceVersion.string,
        subcommands: [RunCommand.self, ReplayCommand.self, AlertsCommand.self, ParseCommand.self, ValidateCommand.self,
                      TestCommand.self, TopCommand.self, VersionCommand.self]
    )
}

enum SluiceVersion {
    static let number = "0.1.0"
    static var string: String { "sluice \(number)" }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version and the allocator in use.")
    func run() {
        print(SluiceVersion.string)
        print("allocator: \(Allocator.description)")
    }
}
