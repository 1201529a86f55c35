import SluiceCore

/// Turns events (and alerts) into the bytes of one output record, without a trailing
/// newline; transports add their own framing. One instance per sink, used on one thread.
/// Every encoder's output is one line: it never contains a raw CR or LF.
public protocol EventEncoder: AnyObject {
    func encode(_ event: Event, into out: inout [UInt8])
}

/// Encoder names for the `encoding:` option of sinks.
public enum EncodingName: String, CaseIterable, Sendable {
    case json, cef, ocsf

    /// Reads `encoding` (and its sub-options) from a sink's options.
    public static func makeEncoder(_ o: ComponentOptions, default d: EncodingName = .json) -> EventEncoder {
        let name = o.choice("encoding", default: d)
        let includeOriginal = o.bool("include_original", default: true)
        switch name {
        case .json: return JSONLineEncoder(includeOriginal: includeOriginal)
        case .cef: return CEFEncoder(deviceExternalID: o.string("device_external_id") ?? HostName.current)
        case .ocsf: return OCSFEncoder(includeOriginal: includeOriginal)
        }
    }
}
