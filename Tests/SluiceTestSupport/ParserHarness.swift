import SluiceCore

/// Runs a parser the way the `parse` transform does, one record at a time, for the parser,
/// enrichment and detection tests: the record is the event's `original`, and the events the
/// parser appends are returned.
public enum ParserHarness {
    /// The events `parser` makes from one record; `base` carries fields a source would have
    /// set (its `original` is replaced by `record`).
    public static func run(_ parser: SluiceCore.Parser, _ record: [UInt8], base: Event = Event()) throws -> [Event] {
        var out: [Event] = []
        var e = base
        e.original = ArraySlice(record)
        try parser.parse(e.original, event: e, into: &out)
        return out
    }

    public static func run(_ parser: SluiceCore.Parser, _ line: String, base: Event = Event()) throws -> [Event] {
        try run(parser, Array(line.utf8), base: base)
    }

    /// The events made from several records in order (parsers that assemble records, such
    /// as auditd, see them one after the other, as from one source).
    public static func run(_ parser: SluiceCore.Parser, lines: [String]) throws -> [Event] {
        var out: [Event] = []
        for l in lines { out += try run(parser, l) }
        return out
    }

    /// The one event a record gives; throws when it gives none or several.
    public static func one(_ parser: SluiceCore.Parser, _ line: String, base: Event = Event()) throws -> Event {
        let out = try run(parser, line, base: base)
        guard out.count == 1 else { throw TestExpectationFailure("expected one event, got \(out.count) from \(line.prefix(200))") }
        return out[0]
    }

    /// The `ParseFailure` a record raises; throws when it parses or raises something else.
    public static func failure(_ parser: SluiceCore.Parser, _ record: [UInt8]) throws -> ParseFailure {
        let out: [Event]
        do {
            out = try run(parser, record)
        } catch let f as ParseFailure {
            return f
        }
        throw TestExpectationFailure("expected a ParseFailure, got \(out.count) event(s) from \(String(decoding: record.prefix(200), as: UTF8.self))")
    }

    /// Parses and ignores the outcome (robustness checks: only a crash fails).
    public static func survive(_ parser: SluiceCore.Parser, _ record: [UInt8]) {
        _ = try? run(parser, record)
    }
}
