#if canImport(Glibc)
import Glibc
#endif
import SluiceCore

/// `dead_letter`: receives every record a stage set aside, with `error.type` (the reason
/// code), `error.message` (detail), `sluice.component` and the original record, and writes
/// them as JSON lines to `path`.
///
/// Options: `path` (default `<data_dir>/dead_letter.ndjson`; without a data directory,
/// standard error). A dead-letter sink needs no `inputs`: it reads the failures of every
/// component of the pipeline.
public final class DeadLetterSink: DeadLetterDestination {
    let target: Sink

    init(target: Sink) { self.target = target }

    public static func make(_ o: ComponentOptions, _ ctx: BuildContext) throws -> DeadLetterSink {
        let encoder = JSONLineEncoder(includeOriginal: true)
        if let p = o.string("path"), !p.isEmpty {
            return DeadLetterSink(target: FileSink(path: p, encoder: encoder, fsync: .batch))
        }
        if let dir = ctx.dataDir {
            return DeadLetterSink(target: FileSink(path: dir + "/dead_letter.ndjson", encoder: encoder, fsync: .batch))
        }
        return DeadLetterSink(target: StderrLines(encoder: encoder))
    }

    public func start(_ context: StartContext) throws { try target.start(context) }
    public func write(_ batch: EventBatch) throws { try target.write(batch) }
    public func flush() throws { try target.flush() }
    public func close() { target.close() }
}

/// JSON lines on standard error, prefixed so they stand out from logs.
final class StderrLines: Sink {
    let encoder: EventEncoder
    var buffer: [UInt8] = []
    init(encoder: EventEncoder) { self.encoder = encoder }
    func write(_ batch: EventBatch) throws {
        buffer.removeAll(keepingCapacity: true)
        for e in batch.events {
            buffer.append(contentsOf: "dead-letter: ".utf8)
            encoder.encode(e, into: &buffer)
            buffer.append(0x0A)
        }
        try FileDescriptorWriter(fd: 2, label: "stderr").writeAll(buffer)
        batch.acknowledge()
    }
}
