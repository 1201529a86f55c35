import Logging

/// What a component gets when it starts (never when it is built).
public struct StartContext: Sendable {
    public let name: String
    public let mode: RunMode
    public let dataDir: String?
    public let logger: Logger
    public let metrics: ComponentMetrics
    /// Where a component registers files it re-reads on SIGHUP or when they change
    /// (certificates, intel lists). Registrations end when the component stops.
    public let reloads: ReloadRegistry

    public init(name: String, mode: RunMode, dataDir: String?, logger: Logger, metrics: ComponentMetrics, reloads: ReloadRegistry) {
        self.name = name; self.mode = mode; self.dataDir = dataDir; self.logger = logger
        self.metrics = metrics; self.reloads = reloads
    }
}
