import Foundation
import Logging
import SluiceCore

/// Runs the cases of one `sluice test` file.
struct CaseRunner {
    let registry: ComponentRegistry
    let logger: Logger
    let loaded = RuleCaseRunner.LoadedFiles()

    struct Result { let name: String; let failure: String? }

    func run(file: String) -> [Result] {
        let root: ConfigNode
        do {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            root = try ConfigNode.load(yaml: text, file: file)
        } catch let e as ConfigErrors {
            return [Result(name: "(file)", failure: e.description)]
        } catch {
            return [Result(name: "(file)", failure: "cannot read: \(error)")]
        }
        let top = ComponentOptions(component: "(tests)", node: root)
        guard let cases = top.node("tests")?.items else {
            return [Result(name: "(file)", failure: "\(file): expected a top-level 'tests:' list")]
        }
        var defaults = RuleCaseRunner.Defaults()
        defaults.rules = (top.stringList("rules") ?? []).map { RuleCaseRunner.resolve($0, relativeTo: file) }
        defaults.context = (top.stringList("context") ?? []).map { RuleCaseRunner.resolve($0, relativeTo: file) }
        defaults.intel = (top.stringList("intel") ?? []).map { RuleCaseRunner.resolve($0, relativeTo: file) }
        let issues = top.finish()
        if !issues.isEmpty { return [Result(name: "(file)", failure: issues.map(\.description).joined(separator: "; "))] }
        let rules = RuleCaseRunner(registry: registry, logger: logger, loaded: loaded)
        return cases.enumerated().map { i, c in
            RuleCaseRunner.isRuleCase(c) ? rules.run(c, index: i, defaults: defaults) : runCase(c, index: i)
        }
    }

    private func runCase(_ node: ConfigNode, index: Int) -> Result {
        let o = ComponentOptions(component: "test \(index + 1)", node: node)
        let name = o.string("name") ?? "case \(index + 1) (line \(node.line))"
        let format = o.requiredString("format")
        let input = o.string("input") ?? ""
        let expectedFailures = o.int("failures", default: 0)
        let optNode = o.node("options") ?? ConfigNode(node: .mapping([:]), file: node.file, environment: [:])
        let expectNode = o.node("expect")
        o.finish()
        if !o.issues.isEmpty { return Result(name: name, failure: o.issues.map(\.description).joined(separator: "; ")) }
        let popts = ComponentOptions(component: name, node: optNode)
        let parser: Parser
        do {
            guard let p = try registry.makeParser(format: format, options: popts,
                                                   context: BuildContext(name: name, mode: .toEnd, dataDir: nil, logger: logger, registry: registry)) else {
                return Result(name: name, failure: "unknown format '\(format)'")
            }
            parser = p
        } catch { return Result(name: name, failure: "cannot build parser: \(error)") }
        let pissues = popts.finish()
        if !pissues.isEmpty { return Result(name: name, failure: pissues.map(\.description).joined(separator: "; ")) }

        var events: [Event] = []
        var failures: [String] = []
        var lines = input.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        for line in lines {
            let bytes = ArraySlice(Array(line.utf8))
            do { try parser.parse(bytes, event: Event(original: bytes), into: &events) }
            catch { failures.append("\(error)") }
        }
        parser.tick(StageTime(wallClock: Timestamp.now(), eventTime: Int64.max, final: true), into: &events)
        if failures.count != expectedFailures {
            return Result(name: name, failure: "expected \(expectedFailures) failed records, got \(failures.count)\(failures.isEmpty ? "" : ": " + failures.joined(separator: "; "))")
        }
        let expected = expectNode?.items ?? []
        if expected.count != events.count {
            return Result(name: name, failure: "expected \(expected.count) events, got \(events.count)")
        }
        for (i, exp) in expected.enumerated() {
            guard let entries = exp.entries else { return Result(name: name, failure: "expect[\(i)] must be a mapping") }
            for e in entries {
                let want = (try? e.value.scalarText()) ?? ""
                let got: String?
                if e.key == "@timestamp" { got = events[i].timestamp == 0 ? nil : Timestamp.rfc3339(events[i].timestamp) }
                else if e.key == "event.original" { got = events[i].originalText }
                else { got = events[i].value(at: e.key).flatMap { Self.text($0) } }
                if got != want {
                    return Result(name: name, failure: "event \(i + 1): \(e.key) is \(got.map { "\"\($0)\"" } ?? "absent"), expected \"\(want)\"")
                }
            }
        }
        return Result(name: name, failure: nil)
    }

    static func text(_ v: FieldValue) -> String? {
        if let t = v.text { return t }
        var out: [UInt8] = []
        JSONWriter.appendValue(v, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
