import XCTest
import Logging
import Yams
import SluiceCore
@testable import SluiceParse

/// Shared helpers for the parser tests.
enum ParseTest {
    static func run(_ parser: SluiceCore.Parser, _ line: String, base: Event = Event()) throws -> [Event] {
        var out: [Event] = []
        var e = base
        e.original = ArraySlice(Array(line.utf8))
        try parser.parse(e.original, event: e, into: &out)
        return out
    }

    static func one(_ parser: SluiceCore.Parser, _ line: String, file: StaticString = #filePath, line l: UInt = #line) throws -> Event {
        let out = try run(parser, line)
        XCTAssertEqual(out.count, 1, "expected one event", file: file, line: l)
        return try XCTUnwrap(out.first, file: file, line: l)
    }

    /// Asserts that parsing throws a ParseFailure with `reason`.
    static func fails(_ parser: SluiceCore.Parser, _ bytes: [UInt8], reason: String, file: StaticString = #filePath, line: UInt = #line) {
        var out: [Event] = []
        let e = Event(original: ArraySlice(bytes))
        do {
            try parser.parse(e.original, event: e, into: &out)
            XCTFail("expected failure \(reason), got \(out.count) event(s)", file: file, line: line)
        } catch let f as ParseFailure {
            XCTAssertEqual(f.reason, reason, "detail: \(f.detail)", file: file, line: line)
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    static func fails(_ parser: SluiceCore.Parser, _ text: String, reason: String, file: StaticString = #filePath, line: UInt = #line) {
        fails(parser, Array(text.utf8), reason: reason, file: file, line: line)
    }

    /// Parses without caring about the outcome (robustness checks): must not crash.
    static func survive(_ parser: SluiceCore.Parser, _ bytes: [UInt8]) {
        var out: [Event] = []
        let e = Event(original: ArraySlice(bytes))
        _ = try? parser.parse(e.original, event: e, into: &out)
    }

    static func registry() -> ComponentRegistry { ParseComponents.registry }

    static func context() -> BuildContext {
        BuildContext(name: "test", mode: .toEnd, dataDir: nil, logger: Logger(label: "test"), registry: registry())
    }

    static func options(_ opts: [String: String]) -> ComponentOptions {
        var pairs: [(Node, Node)] = []
        for (k, v) in opts.sorted(by: { $0.key < $1.key }) { pairs.append((Node(k), Node(v))) }
        return ComponentOptions(component: "parse", node: ConfigNode(node: .mapping(Node.Mapping(pairs)), file: "test.yaml", environment: [:]))
    }

    /// Builds a registered parser; returns it with the config issues its options raised.
    static func build(_ format: String, _ opts: [String: String] = [:]) throws -> (SluiceCore.Parser, [String]) {
        let o = options(opts)
        let p = try XCTUnwrap(try registry().makeParser(format: format, options: o, context: context()))
        return (p, o.finish().map { "\($0)" })
    }

    static func make(_ format: String, _ opts: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws -> SluiceCore.Parser {
        let (p, issues) = try build(format, opts)
        XCTAssertEqual(issues, [], file: file, line: line)
        return p
    }
}

extension Event {
    func s(_ path: String) -> String? { value(at: path)?.stringValue }
    func i(_ path: String) -> Int64? { value(at: path)?.intValue }
    func has(_ path: String) -> Bool { value(at: path) != nil }
}
