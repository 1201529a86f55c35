import Logging

/// What a factory gets besides its options.
public struct BuildContext: Sendable {
    public let name: String
    public let mode: RunMode
    public let dataDir: String?
    public let logger: Logger
    public let registry: ComponentRegistry
    public init(name: String, mode: RunMode, dataDir: String?, logger: Logger, registry: ComponentRegistry) {
        self.name = name; self.mode = mode; self.dataDir = dataDir; self.logger = logger; self.registry = registry
    }
}

/// Makes a parser for one record format from its options (e.g. `timestamp_field`).
/// Each parse transform gets its own instance, used on one thread.
public protocol Parser: AnyObject {
    /// Parses one record and appends the resulting event(s) to `output`. `event` already holds
    /// the source's fields and the record as `original`; `record` is the bytes to parse (the
    /// original, or the field the transform names, e.g. a syslog `message`). A header or
    /// comment line may produce no event. A bad record throws `ParseFailure`.
    func parse(_ record: ArraySlice<UInt8>, event: consuming Event, into output: inout [Event]) throws
    /// Timers and end of input, for parsers that assemble records (auditd).
    func tick(now: Int64, final: Bool, into output: inout [Event])
    /// Running totals the parser keeps besides failures (e.g. auditd's evicted events), by
    /// metric name; the parse transform exports them as `sluice_<name>_total`.
    var counters: [(name: String, value: Int)] { get }
}

extension Parser {
    public func tick(now: Int64, final: Bool, into output: inout [Event]) {}
    public var counters: [(name: String, value: Int)] { [] }
}

/// A parser that holds records across calls (auditd assembling an event from several
/// records). Its parse stage becomes a stateful stage: what it holds is snapshotted at epoch
/// barriers and restored after a restart, so no held record is lost or counted twice.
public protocol StatefulParser: Parser {
    /// Whether anything is held now or could be (false for an `auto` parser whose formats
    /// hold nothing).
    var holdsState: Bool { get }
    func snapshot(into writer: inout BinaryWriter)
    func restore(from reader: inout BinaryReader) throws
}

/// Why a record could not be parsed.
public struct ParseFailure: Error, Sendable, CustomStringConvertible {
    /// Short stable code (a metric label): `invalid_json`, `missing_field`, `too_long`…
    public let reason: String
    public let detail: String
    public init(_ reason: String, _ detail: String = "") { self.reason = reason; self.detail = detail }
    public var description: String { detail.isEmpty ? reason : "\(reason): \(detail)" }
}

public typealias SourceFactory = @Sendable (ComponentOptions, BuildContext) throws -> Source
public typealias TransformFactory = @Sendable (ComponentOptions, BuildContext) throws -> Transform
public typealias SinkFactory = @Sendable (ComponentOptions, BuildContext) throws -> Sink
public typealias ParserFactory = @Sendable (ComponentOptions, BuildContext) throws -> Parser

/// The tables of component types, one per kind. Adding a format or component is adding a
/// file and one line in its module's table.
public struct ComponentRegistry: Sendable {
    public var sources: [String: SourceFactory] = [:]
    public var transforms: [String: TransformFactory] = [:]
    public var sinks: [String: SinkFactory] = [:]
    /// Record formats, used by the `parse` transform and `sluice parse --format`.
    public var parsers: [String: ParserFactory] = [:]
    /// The dead-letter sink a pipeline gets when it configures none.
    public var defaultDeadLetter: SinkFactory?

    /// A registry holding the `parse` transform (its formats come from `parsers`).
    public init() {
        transforms["parse"] = { o, ctx in try ParseTransform.make(o, ctx) }
    }

    public mutating func merge(_ other: ComponentRegistry) {
        sources.merge(other.sources) { $1 }
        transforms.merge(other.transforms) { $1 }
        sinks.merge(other.sinks) { $1 }
        parsers.merge(other.parsers) { $1 }
        if let d = other.defaultDeadLetter { defaultDeadLetter = d }
    }

    /// Builds a parser of `format` with default options (for `sluice parse`).
    public func makeParser(format: String, options: ComponentOptions, context: BuildContext) throws -> Parser? {
        guard let f = parsers[format] else { return nil }
        return try f(options, context)
    }
}
