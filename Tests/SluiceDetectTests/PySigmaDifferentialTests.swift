import Foundation
import SluiceCore
import XCTest
@testable import SluiceDetect
@testable import SluiceParse

/// Differential test against an independent Sigma implementation: pySigma with its SQLite
/// backend (the converter behind Zircolite), run on an in-memory SQLite table.
///
/// `scripts/pysigma-diff.sh` installs pinned pySigma versions from PyPI, generates rules
/// (every modifier and condition form, plus the community-style fixtures) and events from
/// the rules' own values, and records which events each rule's SQL matches. This test runs
/// Sluice's matcher on the same rules and events and compares every (rule, event) pair.
/// README "Rules" states the agreement rate and explains every kind of difference; the
/// differences that remain must all be of those kinds.
final class PySigmaDifferentialTests: XCTestCase {
    var root: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    func testAgreementWithPySigmaSQLite() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("pysigma-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [root.appendingPathComponent("scripts/pysigma-diff.sh").path, out.path]
        p.currentDirectoryURL = root
        let pipe = Pipe()
        p.standardOutput = pipe; p.standardError = pipe
        try p.run()
        let log = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "pysigma-diff.sh failed (needs python3 and PyPI): \(log)")
        guard p.terminationStatus == 0 else { return }

        let rs = RuleSet.load(paths: [out.appendingPathComponent("rules.yml").path])
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("pysigma.json"))) as? [String: Any])
        let theirs = try XCTUnwrap(report["rules"] as? [[String: Any]])
        var events: [Event] = []
        let parser = JSONParser()
        for line in try String(contentsOf: out.appendingPathComponent("events.jsonl"), encoding: .utf8).split(separator: "\n") {
            let b = ArraySlice(Array(line.utf8))
            try parser.parse(b, event: Event(original: b), into: &events)
        }
        let matcher = RuleMatcher(rules: rs)
        var ours: [String: Set<Int>] = [:]
        for (i, e) in events.enumerated() {
            var hit: [Int] = []
            matcher.match(e, into: &hit)
            for r in hit { ours[rs.rules[r].id, default: []].insert(i) }
        }
        var pairs = 0, agree = 0, compared = 0
        var differences: [String] = []
        var kinds: [String: Int] = [:]
        for t in theirs {
            guard let id = t["id"] as? String, let m = t["matches"] as? [Int] else { continue }
            guard let rule = rs.rules.first(where: { $0.id == id }) else { differences.append("\(id): not loaded by Sluice"); continue }
            compared += 1
            let theirsSet = Set(m)
            let oursSet = ours[id] ?? []
            for i in events.indices {
                pairs += 1
                let a = oursSet.contains(i), b = theirsSet.contains(i)
                if a == b { agree += 1; continue }
                let kind = Self.classify(rs, rule, events[i], sluice: a)
                kinds[kind, default: 0] += 1
                if kind == "unexplained" || differences.count < 60 { differences.append("\(rule.doc.title) event \(i): sluice \(a), pysigma \(b) [\(kind)]") }
            }
        }
        let rate = Double(agree) / Double(max(pairs, 1))
        let summary = String(format: "pySigma differential: %d rules, %d events, %d pairs, agreement %.4f%%; differences by kind: %@",
                             compared, events.count, pairs, rate * 100, kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        print(summary)
        for d in differences where d.hasSuffix("[unexplained]") { print("  " + d) }
        XCTAssertGreaterThanOrEqual(compared, 170)
        XCTAssertGreaterThanOrEqual(rate, 0.97, summary)
        XCTAssertNil(kinds["unexplained"], "every difference must be of a documented kind:\n" + differences.joined(separator: "\n"))
    }

    /// Which documented difference explains a disagreement (README "Differences from
    /// pySigma"): each kind is a property of the rule's tests and the event's values that
    /// the SQLite translation treats differently; anything else is "unexplained".
    static func classify(_ rs: RuleSet, _ rule: CompiledRule, _ e: Event, sluice: Bool) -> String {
        var preds: [Int] = []
        RuleMatcher.collectPreds(rule.condition!) { preds.append($0) }
        var kinds: [String] = []
        for p in preds {
            let pred = rs.predicates[p]
            guard case .field(let acc) = pred.target else { continue }
            let value = e.value(at: acc.name).flatMap { e.resolved($0).stringValue }
            switch pred.test {
            case .cidr:
                // pySigma writes a CIDR as text prefixes (LIKE '192.168.%'): text that is not an address can match.
                if let v = value, IPNetwork(cidr: v) == nil { kinds.append("cidr as text prefix") }
            case .compare(let op, let x):
                // SQLite compares a TEXT column with a number as text.
                guard let v = value else { continue }
                let t = String(Int64(x))
                let lex: Bool
                switch op { case .gt: lex = v > t; case .gte: lex = v >= t; case .lt: lex = v < t; case .lte: lex = v <= t }
                let num: Bool = Double(v).map { n in
                    switch op { case .gt: return n > x; case .gte: return n >= x; case .lt: return n < x; case .lte: return n <= x }
                } ?? false
                if lex != num { kinds.append("number compared as text") }
            case .null:
                // pySigma: IS NULL; Sluice (DESIGN.md): missing or empty.
                if value == "" && sluice { kinds.append("null vs empty") }
            case .pattern(let pt):
                // SQLite folds ASCII letters only; Sluice folds Unicode (rule value and field alike).
                guard let v = value, !pt.cased else { continue }
                let ruleNonASCII = pt.tokens.contains { if case .literal(let l) = $0 { return l.contains { $0 >= 0x80 } }; return false }
                let valueCased = v.unicodeScalars.contains { $0.value >= 128 && String($0).lowercased() != String($0).uppercased() }
                if ruleNonASCII || valueCased { kinds.append("non-ASCII case folding") }
            default:
                break
            }
        }
        return kinds.sorted().first ?? "unexplained"
    }
}
