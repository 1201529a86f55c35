import SluiceCore
import SluiceDetect
import SluiceEnrich
import SluiceIngest
import SluiceParse
import SluiceSink

/// Every component type the executable knows: the union of each module's table.
enum Components {
    static var registry: ComponentRegistry {
        var r = ComponentRegistry()
        r.merge(IngestComponents.registry)
        r.merge(ParseComponents.registry)
        r.merge(EnrichComponents.registry)
        r.merge(SinkComponents.registry)
        r.merge(DetectComponents.registry)
        return r
    }
}
