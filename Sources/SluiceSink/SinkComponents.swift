import SluiceCore

/// The sink types this module provides (the `type:` of a sink).
public enum SinkComponents {
    public static var registry: ComponentRegistry {
        var r = ComponentRegistry()
        r.sinks["stdout"] = { o, ctx in try StdoutSink.make(o, ctx) }
        r.sinks["file"] = { o, ctx in try FileSink.make(o, ctx) }
        r.sinks["dead_letter"] = { o, ctx in try DeadLetterSink.make(o, ctx) }
        r.sinks["syslog"] = { o, ctx in try SyslogSink.make(o, ctx) }
        r.sinks["http"] = { o, ctx in try HTTPSink.make(o, ctx) }
        r.defaultDeadLetter = { o, ctx in try DeadLetterSink.make(o, ctx) }
        return r
    }
}
