import Foundation
import SluiceCore
import SluiceTestSupport
import XCTest
@testable import SluiceDetect
@testable import SluiceParse

/// Shared helpers: events from JSON (the `json` format, nested objects) or from flat fields,
/// and rule matching in both of the matcher's modes (scan and direct), which must agree.
enum DT {
    /// An event as the `json` parser makes it (nested objects stay nested).
    static func json(_ text: String) -> Event {
        try! ParserHarness.one(JSONParser(), text)
    }

    /// An event with flat ECS keys, as the format parsers make them.
    static func flat(_ fields: [(String, FieldValue)], timestamp: Int64 = 1_763_863_200_000_000_000, original: String = "") -> Event {
        var e = Event(timestamp: timestamp, original: ArraySlice(Array(original.utf8)))
        for (k, v) in fields { e.append(FieldKey(k), v) }
        return e
    }

    static func s(_ v: String) -> FieldValue { .string(v) }
    static func list(_ v: String...) -> FieldValue { .array(v.map { .string($0) }) }

    static func process(_ cmd: String, image: String = "/usr/bin/bash", user: String = "root", extra: [(String, FieldValue)] = []) -> Event {
        flat([("event.dataset", s("auditd.log")), ("event.category", list("process")), ("event.type", list("start")),
              ("process.executable", s(image)), ("process.command_line", s(cmd)), ("user.name", s(user)),
              ("host.name", s("build-07"))] + extra)
    }

    static func rules(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> RuleSet {
        let rs = RuleSet.parse(yaml: yaml)
        for s in rs.skipped { XCTFail("skipped: \(s)", file: file, line: line) }
        return rs
    }

    /// Names of the rules `e` matches; fails when scan and direct evaluation disagree.
    static func matches(_ rs: RuleSet, _ e: Event, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        let m = RuleMatcher(rules: rs)
        var hit: [Int] = []
        m.match(e, into: &hit)
        var direct: [Int] = []
        let mask = m.load(e)
        for r in rs.rules {
            guard let cond = r.condition, let sel = r.selector else { continue }
            _ = sel
            let selIndexHit = mask != 0 && m.evaluateStandalone(cond, on: e) && applies(m, r, e)
            if selIndexHit { direct.append(r.index) }
        }
        XCTAssertEqual(hit, direct, "scan and direct evaluation disagree", file: file, line: line)
        // Extension selections (`when`, `allowlist`): compiled against the tree walk.
        for r in rs.rules {
            for (i, sel) in r.ext.whenSelections.enumerated() {
                let want = m.evaluateStandalone(sel, on: e)
                m.load(e)
                XCTAssertEqual(m.selectionHolds(rule: r.index, i, on: e), want, "\(r.name): when selection \(i)", file: file, line: line)
            }
            let want = r.ext.allowlist.map { m.evaluateStandalone($0, on: e) } ?? false
            m.load(e)
            XCTAssertEqual(m.selectionHolds(rule: r.index, -1, on: e), want, "\(r.name): allowlist", file: file, line: line)
        }
        // The same right after a match (the matcher's per-event state as the engine finds it).
        var wants: [(rule: Int, selection: Int, holds: Bool)] = []
        for r in rs.rules {
            for (i, sel) in r.ext.whenSelections.enumerated() { wants.append((r.index, i, m.evaluateStandalone(sel, on: e))) }
            wants.append((r.index, -1, r.ext.allowlist.map { m.evaluateStandalone($0, on: e) } ?? false))
        }
        var again: [Int] = []
        m.match(e, into: &again)
        for w in wants {
            XCTAssertEqual(m.selectionHolds(rule: w.rule, w.selection, on: e), w.holds,
                           "\(rs.rules[w.rule].name): selection \(w.selection) after a match", file: file, line: line)
        }
        return hit.map { rs.rules[$0].name }
    }

    /// Whether the rule's logsource selector applies (via a matcher holding that rule only).
    private static func applies(_ m: RuleMatcher, _ r: CompiledRule, _ e: Event) -> Bool {
        let single = RuleSet(rules: [CompiledRule(index: 0, doc: r.doc, selector: r.selector, table: r.table,
                                                  condition: .const(true), correlation: nil, ext: RuleExtensions())],
                             skipped: [], predicates: [])
        return RuleMatcher(rules: single).load(e) != 0
    }

    /// One-rule helper: does a process_creation rule with this detection match `e`?
    static func hits(_ detection: String, _ e: Event, logsource: String = "category: process_creation\n    product: linux",
                     file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let yaml = """
        title: t
        id: 11111111-1111-1111-1111-111111111111
        logsource:
            \(logsource)
        detection:
        \(detection.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))
        """
        let rs = rules(yaml, file: file, line: line)
        guard !rs.rules.isEmpty else { return false }
        return !matches(rs, e, file: file, line: line).isEmpty
    }
}
