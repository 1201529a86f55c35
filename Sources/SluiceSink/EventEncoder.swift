import SluiceCore

/// Turns events (and alerts) into the bytes of one output record, without a trailing
/// newline; transports add their own framing. One instance per sink, used on one thread.
public protocol EventEncoder: AnyObject {
    func encode(_ event: Event, into out: inout [UInt8])
}

/// Encoder names for the `encoding:` option of sinks.
public enum EncodingName: String, CaseIterable, Sendable {
    case json

    /// Reads `encoding` (and its sub-options) from a sink's options.
    public static func makeEncoder(_ o: ComponentOptions, default d: EncodingName = .json) -> EventEncoder {
        let name = o.choice("encoding", default: d)
        switch name {
        case .json: return JSONLineEncoder(includeOriginal: o.bool("include_original", default: true))
        }
    }
}

/// Nested-ECS JSON, one object per record (see `EventJSONEncoder`).
public final class JSONLineEncoder: EventEncoder {
    let inner: EventJSONEncoder
    public init(includeOriginal: Bool = true) { inner = EventJSONEncoder(includeOriginal: includeOriginal) }
    public func encode(_ event: Event, into out: inout [UInt8]) { inner.encode(event, into: &out) }
}
