import XCTest
import SluiceCore
@testable import SluiceParse

/// Issue 15: a sender cannot overwrite what the listener recorded about it.
final class SourceFieldGuardTests: XCTestCase {
    /// The event a syslog listener hands over: peer address and listener name set.
    func fromListener(_ record: String) -> Event {
        var e = Event(original: ArraySlice(Array(record.utf8)))
        e[ECS.sluiceSource] = .string("syslog_in")
        e[FieldKey("observer.ingress.name")] = .string("syslog_in")
        e[ECS.sourceIP] = .string("10.20.30.40")
        e[ECS.sourcePort] = .int(51514)
        return e
    }

    func parse(_ p: Parser, _ record: String) throws -> Event {
        var out: [Event] = []
        let e = fromListener(record)
        try p.parse(e.original, event: e, into: &out)
        XCTAssertEqual(out.count, 1)
        return out[0]
    }

    func testJSONPayloadCannotOverwriteSourceFields() throws {
        let p = try PB.make("json")
        let e = try parse(p, #"{"source.ip":"6.6.6.6","sluice.source":"forged","observer":{"ingress":{"name":"forged"}},"source":{"port":1,"bytes":7},"msg":"hi"}"#)
        XCTAssertEqual(e[ECS.sourceIP], .string("10.20.30.40"))
        XCTAssertEqual(e[ECS.sluiceSource], .string("syslog_in"))
        XCTAssertEqual(e[FieldKey("observer.ingress.name")], .string("syslog_in"))
        XCTAssertEqual(e[ECS.sourcePort], .int(51514))
        XCTAssertEqual(e[FieldKey("json.source.ip")], .string("6.6.6.6"), "the payload's value is kept in its own namespace")
        XCTAssertEqual(e[FieldKey("json.sluice.source")], .string("forged"))
        XCTAssertEqual(e[FieldKey("json.observer.ingress.name")], .string("forged"))
        XCTAssertEqual(e[FieldKey("json.source.port")], .int(1))
        XCTAssertEqual(e.value(at: "source.bytes"), .int(7), "the rest of the payload's object stays")
        // Written out: one `source` object with the listener's address.
        var out: [UInt8] = []
        EventJSONEncoder(includeOriginal: false).encode(e, into: &out)
        let obj = try JSONSerialization.jsonObject(with: Data(out)) as! [String: Any]
        let source = obj["source"] as! [String: Any]
        XCTAssertEqual(source["ip"] as? String, "10.20.30.40")
        XCTAssertEqual(source["port"] as? Int, 51514)
    }

    func testCEFAndGitHubPayloadsAreGuardedToo() throws {
        let cef = try parse(try PB.make("cef"), "CEF:0|Zscaler|NSSWeblog|5.7|Allowed|None|3|act=Allowed src=6.6.6.6 dhost=github.com")
        XCTAssertEqual(cef[ECS.sourceIP], .string("10.20.30.40"))
        XCTAssertEqual(cef[FieldKey("cef.source.ip")], .string("6.6.6.6"))
        let gh = try parse(try PB.make("auto"), #"{"@timestamp":1763863715123,"action":"git.clone","actor":"mallory","actor_ip":"6.6.6.6"}"#)
        XCTAssertEqual(gh[ECS.sourceIP], .string("10.20.30.40"))
        XCTAssertEqual(gh[FieldKey("github.source.ip")], .string("6.6.6.6"))
        XCTAssertEqual(gh[ECS.userName], .string("mallory"))
    }

    func testAFieldCanBeTrustedExplicitly() throws {
        let p = try PB.make("github-audit", "trust_payload_fields: [source.ip]")
        let e = try parse(p, #"{"@timestamp":1763863715123,"action":"git.clone","actor":"mallory","actor_ip":"203.0.113.45","sluice":{"source":"x"}}"#)
        XCTAssertEqual(e[ECS.sourceIP], .string("203.0.113.45"), "trusted: the payload sets it")
        XCTAssertEqual(e[ECS.sluiceSource], .string("syslog_in"), "the others stay guarded")
        XCTAssertThrowsError(try PB.make("json", "trust_payload_fields: [user.name]"))
    }

    func testFieldsTheSourceDidNotSetAreThePayloads() throws {
        var out: [Event] = []
        let record = Array(#"{"source":{"ip":"203.0.113.9"}}"#.utf8)
        var e = Event(original: ArraySlice(record))
        e[ECS.logFilePath] = .string("/var/log/app.json")
        try PB.make("json").parse(e.original, event: e, into: &out)
        XCTAssertEqual(out[0].value(at: "source.ip"), .string("203.0.113.9"))
        XCTAssertEqual(out[0][ECS.logFilePath], .string("/var/log/app.json"))
    }

    /// The file a line came from: a payload nesting `log.file.path` in objects is moved aside;
    /// one that does not touch it leaves the event exactly as parsed (the pass that finds
    /// nothing to do).
    func testFileSourcePathIsGuardedAndUntouchedEventsStayAsParsed() throws {
        func parsed(_ record: String) throws -> Event {
            var out: [Event] = []
            var e = Event(original: ArraySlice(Array(record.utf8)))
            e[ECS.logFilePath] = .string("/var/log/app.json")
            try PB.make("json").parse(e.original, event: e, into: &out)
            return out[0]
        }
        let nested = try parsed(#"{"log":{"file":{"path":"/etc/shadow"},"level":"info"},"msg":"x"}"#)
        XCTAssertEqual(nested[ECS.logFilePath], .string("/var/log/app.json"))
        XCTAssertEqual(nested[FieldKey("json.log.file.path")], .string("/etc/shadow"))
        XCTAssertEqual(nested.value(at: "log.level"), .string("info"))
        let same = try parsed(#"{"log.file.path":"/var/log/app.json","msg":"x"}"#)
        XCTAssertEqual(same.fields.filter { $0.key == ECS.logFilePath }.count, 1)
        XCTAssertNil(same[FieldKey("json.log.file.path")], "the payload repeated the source's value: nothing to move")
        let plain = try parsed(#"{"msg":"x","user":{"name":"alice"}}"#)
        XCTAssertEqual(plain.fields.map(\.key.path), ["log.file.path", "msg", "user"])
    }

    /// A guarded field an earlier stage left as a span of the record (a second parse stage
    /// reading `message`): untouched it stays the same span; when the payload sets it, the
    /// span's text is restored and the payload's value moved.
    func testASpanValuedSourceFieldIsComparedAndRestoredAsItsText() throws {
        let record = #"203.0.113.9 {"source.ip":"6.6.6.6","k":1}"#
        func event() -> Event {
            var e = Event(original: ArraySlice(Array(record.utf8)))
            e.fields.append(Field(ECS.sourceIP, .span(RecordSpan(start: 0, count: 11))))
            return e
        }
        let p = try PB.make("json")
        var out: [Event] = []
        try p.parse(ArraySlice(#"{"k":1}"#.utf8), event: event(), into: &out)
        XCTAssertEqual(out[0].fields[0].value, .span(RecordSpan(start: 0, count: 11)), "untouched: the span is left as it is")
        XCTAssertEqual(out[0][ECS.sourceIP], .string("203.0.113.9"))
        out = []
        try p.parse(ArraySlice(#"{"source.ip":"6.6.6.6","k":1}"#.utf8), event: event(), into: &out)
        XCTAssertEqual(out[0][ECS.sourceIP], .string("203.0.113.9"))
        XCTAssertEqual(out[0][FieldKey("json.source.ip")], .string("6.6.6.6"))
        XCTAssertEqual(out[0].fields.filter { $0.key == ECS.sourceIP }.count, 1)
    }
}
