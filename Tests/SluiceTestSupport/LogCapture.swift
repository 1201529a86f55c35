import Logging

/// Keeps what a `Logger` logs, as `"<level>: <message>"` lines, for checks on log output
/// (rate limiting, warnings a component must give).
public final class LogCapture: Sendable {
    private let captured = Guarded<[String]>([])

    public init() {}

    /// The lines logged so far, oldest first.
    public var lines: [String] { captured.value }

    /// A logger whose messages at `level` and above land here.
    public func logger(_ label: String = "test", level: Logger.Level = .trace) -> Logger {
        var l = Logger(label: label, factory: { _ in Handler(capture: self) })
        l.logLevel = level
        return l
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            capture.captured.withLock { $0.append("\(event.level): \(event.message)") }
        }
    }
}
