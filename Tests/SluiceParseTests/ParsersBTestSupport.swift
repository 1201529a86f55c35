import XCTest
import SluiceCore
import SluiceTestSupport
@testable import SluiceParse

/// Helpers for the parser tests of squid, w3c-proxy, bind-query, dnsmasq, zeek-dns,
/// auditd, sysmon-linux and osquery.
enum PB {
    /// The failure `parser` throws for `bytes`, or nil (and a test failure) when it does not throw.
    static func failure(_ parser: Parser, _ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> ParseFailure? {
        do {
            let f = try ParserHarness.failure(parser, bytes)
            XCTAssertFalse(f.reason.isEmpty, file: file, line: line)
            return f
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return nil
        }
    }

    static func failure(_ parser: Parser, _ line: String, file: StaticString = #filePath, line l: UInt = #line) -> ParseFailure? {
        failure(parser, Array(line.utf8), file: file, line: l)
    }

    static func key(_ path: String) -> FieldKey { FieldKey(path) }

    static func str(_ e: Event, _ path: String) -> String? { e[FieldKey(path)]?.stringValue }
    static func int(_ e: Event, _ path: String) -> Int64? {
        if case .int(let i)? = e[FieldKey(path)] { return i }
        return nil
    }

    /// Options of a `parse` transform written as YAML lines under the transform (e.g.
    /// `logformat: common`).
    static func options(_ yaml: String, format: String) throws -> ComponentOptions {
        let indented = yaml.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
        let text = "sources:\n  s:\n    type: stdin\nsinks:\n  o:\n    type: stdout\n    inputs: [p]\ntransforms:\n  p:\n    type: parse\n    inputs: [s]\n    format: \(format)\n\(indented)\n"
        let cfg = try PipelineConfig.parse(text, file: "test.yaml", environment: [:])
        guard let o = cfg.transforms.first?.options else { throw ParseFailure("test", "no transform") }
        _ = o.string("format")
        return o
    }

    /// Builds a parser through the module's registry, as the pipeline does.
    static func make(_ format: String, _ yaml: String = "") throws -> Parser {
        let o = try options(yaml, format: format)
        let ctx = BuildContext(name: "p", mode: .toEnd, dataDir: nil, logger: .init(label: "test"), registry: ParseComponents.registry)
        guard let p = try ParseComponents.registry.makeParser(format: format, options: o, context: ctx) else {
            throw ParseFailure("test", "unknown format \(format)")
        }
        let issues = o.finish()
        if !issues.isEmpty { throw ParseFailure("test", "option issues: \(issues)") }
        return p
    }

    /// Feeds `count` mutated copies of `seeds` (bytes flipped, inserted, deleted, truncated,
    /// duplicated) to `parser`; asserts only that nothing crashes and that every failure
    /// carries a reason. Returns (events, failures).
    @discardableResult
    static func fuzz(_ parser: Parser, seeds: [String], count: Int = 10_000, seed: UInt64 = 42,
                     file: StaticString = #filePath, line: UInt = #line) -> (Int, Int) {
        var rng = SplitMix(seed: seed)
        let corpus = seeds.map { Array($0.utf8) }
        let alphabet = Array(" \t\"'=:/[](){}<>#@.,-\\%&;0123456789abcdefABCDEF\u{1d}\n".utf8) + [0x00, 0xFF, 0xC3, 0x80]
        var events = 0, failures = 0
        for _ in 0..<count {
            var r = corpus[rng.below(corpus.count)]
            let edits = 1 + rng.below(6)
            for _ in 0..<edits {
                switch rng.below(7) {
                case 0 where !r.isEmpty: r[rng.below(r.count)] = UInt8(truncatingIfNeeded: rng.next())
                case 1: r.insert(alphabet[rng.below(alphabet.count)], at: rng.below(r.count + 1))
                case 2 where !r.isEmpty: r.remove(at: rng.below(r.count))
                case 3 where !r.isEmpty: r.removeSubrange(rng.below(r.count)...)
                case 4 where !r.isEmpty:
                    let a = rng.below(r.count), b = min(r.count, a + rng.below(40))
                    r.insert(contentsOf: r[a..<b], at: rng.below(r.count + 1))
                case 5 where !r.isEmpty: r[rng.below(r.count)] = alphabet[rng.below(alphabet.count)]
                default: r = corpus[rng.below(corpus.count)]
                }
            }
            var out: [Event] = []
            do {
                try parser.parse(ArraySlice(r), event: Event(original: ArraySlice(r)), into: &out)
                events += out.count
            } catch let f as ParseFailure {
                failures += 1
                if f.reason.isEmpty { XCTFail("failure without a reason for \(r)", file: file, line: line) }
            } catch {
                XCTFail("unexpected error type \(error)", file: file, line: line)
            }
        }
        var out: [Event] = []
        parser.tick(StageTime(wallClock: 0, eventTime: Int64.max, final: true), into: &out)
        return (events + out.count, failures)
    }
}
