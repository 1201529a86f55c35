#if canImport(Glibc)
import Glibc
#endif
import SluiceCore

/// `stdout`: one encoded record per line on standard output. For testing and piping.
/// Options: `encoding` (default json), `include_original` (default true).
public final class StdoutSink: Sink {
    let encoder: EventEncoder
    let writer = FileDescriptorWriter(fd: 1, label: "stdout")
    var buffer: [UInt8] = []

    public init(encoder: EventEncoder) { self.encoder = encoder }

    public static func make(_ o: ComponentOptions, _ ctx: BuildContext) throws -> StdoutSink {
        StdoutSink(encoder: EncodingName.makeEncoder(o))
    }

    public func write(_ batch: EventBatch) throws {
        buffer.removeAll(keepingCapacity: true)
        for e in batch.events {
            encoder.encode(e, into: &buffer)
            buffer.append(0x0A)
        }
        do {
            try writer.writeAll(buffer)
        } catch where errno == EPIPE {
            // The reader went away (`sluice replay … | head`): stop like other Unix tools do.
            exit(0)
        }
        batch.acknowledge()
    }
}
