import XCTest
import Logging
import Yams
import SluiceCore
import SluiceTestSupport
@testable import SluiceParse

/// Parser tests' helpers beyond `ParserHarness`: failures with their reason, and parsers
/// built through the registry from options given as a dictionary.
enum ParseTest {
    /// Asserts that parsing throws a ParseFailure with `reason`.
    static func fails(_ parser: SluiceCore.Parser, _ bytes: [UInt8], reason: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let f = try ParserHarness.failure(parser, bytes)
            XCTAssertEqual(f.reason, reason, "detail: \(f.detail)", file: file, line: line)
        } catch {
            XCTFail("expected failure \(reason): \(error)", file: file, line: line)
        }
    }

    static func fails(_ parser: SluiceCore.Parser, _ text: String, reason: String, file: StaticString = #filePath, line: UInt = #line) {
        fails(parser, Array(text.utf8), reason: reason, file: file, line: line)
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
