import ArgumentParser
import Foundation
import SluiceCore

/// `sluice test`: run test cases that pin down how records are normalized.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run parser and rule test cases (YAML) and report each as PASS or FAIL.",
        discussion: """
        A test file holds `tests:`, a list of cases. Each case names a `format` (and optional \
        `options`), gives `input` lines, and lists the `expect`ed events in order as maps of dotted \
        field paths to values (`@timestamp` is compared as RFC 3339 text), optionally with \
        `failures: N` (how many records must fail). PATHs may be files or directories (searched \
        for *.yaml); the default is Pipelines/tests. The last line reads `N passed, M failed`; \
        the exit status is 1 when any case failed.

            tests:
              - name: a classic PAT clone is normalized
                format: json
                input: |
                  {"@timestamp": 1763863200000, "action": "git.clone", "actor": "alice"}
                expect:
                  - {"@timestamp": "2025-11-23T02:00:00.000Z", action: git.clone, actor: alice}

        A rule case has `alerts:` instead of `expect:`: the `input` records (of `format`, default \
        json) go through the rules (`rules:` files or folders, relative to the test file; a \
        top-level `rules:` is the default for every case) and the alerts must match the list in \
        order (each with optional `rule`, `severity`, `count`, `group` and `escalates`); \
        `alerts: []` expects none; `alerts_from: [names]` compares only those rules' alerts; \
        `options:` sets `allowed_lateness` (default 0s), `learning_period`, `evidence_limit`, \
        `placeholders`.
        """
    )

    @Argument(help: "Test files or directories (default: Pipelines/tests).")
    var paths: [String] = []

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = logging.bootstrap()
        let runner = CaseRunner(registry: Components.registry, logger: logger)
        var files: [String] = []
        for p in paths.isEmpty ? ["Pipelines/tests"] : paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else {
                printError("error: \(p): no such file or directory"); throw ExitCode(2)
            }
            if isDir.boolValue {
                let e = FileManager.default.enumerator(atPath: p)
                while let f = e?.nextObject() as? String {
                    if f.hasSuffix(".yaml") || f.hasSuffix(".yml") { files.append(p + "/" + f) }
                }
            } else { files.append(p) }
        }
        var passed = 0, failed = 0
        for f in files.sorted() {
            let results = runner.run(file: f)
            for r in results {
                if r.failure == nil { passed += 1; print("PASS \(f): \(r.name)") }
                else { failed += 1; print("FAIL \(f): \(r.name): \(r.failure!)") }
            }
        }
        print("\(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }
}
