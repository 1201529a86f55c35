/// The `parse` transform: runs one record format's `Parser` over each event.
///
/// Options: `format` (required; a registered format name), `field` (what to parse:
/// `original`, the default, or a field such as `message`), `drop_original` (default false:
/// when true, `Event.dropOriginal()` hides the record from outputs and rules while the
/// parsed fields keep pointing into it), plus the format's own options. A record that fails
/// goes to dead letter with the parser's reason; the rest of the batch flows on.
public final class ParseTransform: StatefulTransform {
    public let format: String
    let parser: Parser
    let field: FieldKey?
    let dropOriginal: Bool
    var metrics: ComponentMetrics?

    public init(format: String, parser: Parser, field: FieldKey?, dropOriginal: Bool, metrics: ComponentMetrics? = nil) {
        self.format = format; self.parser = parser; self.field = field; self.dropOriginal = dropOriginal; self.metrics = metrics
    }

    public func start(_ context: StartContext) throws {
        metrics = context.metrics
    }

    public static func make(_ o: ComponentOptions, _ ctx: BuildContext) throws -> ParseTransform {
        let format = o.requiredString("format")
        let fieldName = o.string("field", default: "original")
        let field: FieldKey? = (fieldName == "original" || fieldName == "event.original") ? nil : FieldKey(fieldName)
        let drop = o.bool("drop_original", default: false)
        guard let factory = ctx.registry.parsers[format] else {
            if !format.isEmpty {
                o.fail("unknown format '\(format)'; known formats: \(ctx.registry.parsers.keys.sorted().joined(separator: ", "))", at: "format")
            }
            return ParseTransform(format: format, parser: NullParser(), field: field, dropOriginal: drop)
        }
        let parser = try factory(o, ctx)
        return ParseTransform(format: format, parser: parser, field: field, dropOriginal: drop)
    }

    public func process(_ events: [Event], into output: inout [Event], failures: inout [DeadLetter]) {
        output.reserveCapacity(output.count + events.count)
        for event in events { parseOne(event, into: &output, failures: &failures) }
    }

    /// Moves each event out of `events` into its parser: the record and the fields the source
    /// set are handed on, not copied and released.
    public func process(taking events: inout [Event], into output: inout [Event], failures: inout [DeadLetter]) {
        output.reserveCapacity(output.count + events.count)
        events.drain { event in parseOne(consume event, into: &output, failures: &failures) }
    }

    /// Parses one event into `output`, or sends it to dead letter as it came in.
    ///
    /// The parser consumes the event, so what a dead letter needs is kept aside first: the
    /// record (the same reference the parser reads, not a second one), the time, the
    /// fields the source set and the alert. Copying the whole event instead cost a retain and
    /// a release of the read buffer the record shares with its neighbours, whose count every
    /// stage's thread touches.
    @inline(__always)
    private func parseOne(_ event: consuming Event, into output: inout [Event], failures: inout [DeadLetter]) {
        guard field == nil, !event.originalDropped else { return parseKeepingCopy(event, into: &output, failures: &failures) }
        let before = output.count
        let record = event.record, timestamp = event.timestamp, fields = event.fields, alert = event.alert
        do {
            try parser.parse(record, event: consume event, into: &output)
        } catch {
            output.removeSubrange(before...)
            var e = Event(timestamp: timestamp, original: record, fields: fields)
            e.alert = alert
            failures.append(Self.deadLetter(e, error, format))
            return
        }
        if dropOriginal { for i in before..<output.count { output[i].dropOriginal() } }
    }

    /// `parseOne` for a field's text, or for an event whose original an earlier stage dropped
    /// (its spans still read the record): keeps a copy of the event for the dead letter.
    private func parseKeepingCopy(_ event: Event, into output: inout [Event], failures: inout [DeadLetter]) {
        let before = output.count
        do {
            if let field {
                guard let v = event[field] else {
                    failures.append(DeadLetter(event: event, reason: "missing_field", detail: "no field '\(field.path)' to parse", parser: format))
                    return
                }
                switch v {
                case .string(let s):
                    try parser.parse(ArraySlice(s.utf8), event: event, into: &output)
                default:
                    failures.append(DeadLetter(event: event, reason: "wrong_type", detail: "field '\(field.path)' is not text", parser: format))
                    return
                }
            } else {
                try parser.parse(event.original, event: event, into: &output)
            }
        } catch {
            output.removeSubrange(before...)
            failures.append(Self.deadLetter(event, error, format))
            return
        }
        if dropOriginal { for i in before..<output.count { output[i].dropOriginal() } }
    }

    /// The dead letter of a record the parser refused: its `ParseFailure`'s reason, or
    /// `parser_error` for any other error.
    private static func deadLetter(_ event: Event, _ error: any Error, _ format: String) -> DeadLetter {
        if let failure = error as? ParseFailure {
            return DeadLetter(event: event, reason: failure.reason, detail: failure.detail, parser: format)
        }
        return DeadLetter(event: event, reason: "parser_error", detail: "\(error)", parser: format)
    }

    /// A parse stage keeps state only when its parser assembles records.
    public var holdsState: Bool { (parser as? StatefulParser)?.holdsState ?? false }

    public func snapshot() throws -> [UInt8] {
        var w = BinaryWriter()
        w.string(format)
        (parser as? StatefulParser)?.snapshot(into: &w)
        return w.bytes
    }

    public func restore(_ snapshot: [UInt8]) throws {
        var r = BinaryReader(snapshot)
        guard try r.string() == format else { return }  // another format's records: nothing to restore
        try (parser as? StatefulParser)?.restore(from: &r)
    }

    public func tick(_ time: StageTime, into output: inout [Event]) {
        parser.tick(time, into: &output)
        publishCounters()
    }

    /// The parser's own counters as they were last exported, to export only what was added.
    private var exported: [String: Int] = [:]

    /// Exports the growth of the parser's counters (`Parser.counters`) since the last tick.
    func publishCounters() {
        guard let metrics else { return }
        for (name, value) in parser.counters {
            let delta = value - exported[name, default: 0]
            if delta > 0 { metrics.increment(name, by: delta) }
            exported[name] = value
        }
    }
}

final class NullParser: Parser {
    func parse(_ record: ArraySlice<UInt8>, event: Event, into output: inout [Event]) throws {
        output.append(event)
    }
}
