#if canImport(Glibc)
import Glibc
#endif
import SluiceCore

/// `stdin`: reads standard input line by line until it closes. No checkpoint (a pipe cannot
/// be re-read). Options: `max_line_bytes` (default 256KiB), `batch_size` (default 1024).
public final class StdinSource: Source {
    let maxLineBytes: Int
    let batchSize: Int
    let fd: Int32

    public init(maxLineBytes: Int = 256 * 1024, batchSize: Int = 1024, fd: Int32 = 0) {
        self.maxLineBytes = maxLineBytes; self.batchSize = batchSize; self.fd = fd
    }

    public static func make(_ o: ComponentOptions, _ ctx: BuildContext) throws -> StdinSource {
        StdinSource(maxLineBytes: o.bytes("max_line_bytes", default: 256 * 1024),
                    batchSize: o.int("batch_size", default: 1024, range: 1...1_000_000))
    }

    public func run(_ context: SourceContext) throws {
        var splitter = LineSplitter(maxLineBytes: maxLineBytes)
        var events: [Event] = []
        let chunkSize = 64 * 1024
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while !context.isStopping {
            // Wait with a timeout so a stop request is noticed even when no input arrives.
            let r = poll(&pfd, 1, 200)
            if r == 0 { continue }
            if r < 0 { if errno == EINTR { continue }; break }
            var chunk = [UInt8](repeating: 0, count: chunkSize)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, chunkSize) }
            if n < 0 { if errno == EINTR { continue }; throw SinkError.permanent("stdin: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            chunk.removeSubrange(n...)
            splitter.feed(chunk) { line, _ in
                events.append(Event(original: line))
                if events.count >= batchSize {
                    context.metrics.recordIn(events.count)
                    context.emit(EventBatch(events: events)); events = []
                }
            }
            context.metrics.recordIn(events.count, bytes: n)
            context.emit(EventBatch(events: events), bytes: n); events = []
        }
        if let last = splitter.flushPending() { events.append(Event(original: last)) }
        if splitter.truncated > 0 { context.metrics.increment("truncated_lines", by: splitter.truncated) }
        context.metrics.recordIn(events.count)
        context.emit(EventBatch(events: events))
    }
}
