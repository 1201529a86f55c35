/// Where a stateful stage streams its snapshot (`StatefulTransform.snapshot(to:)`).
///
/// Guarantees: the bytes reach the sink in the order they are written, each `write` handed
/// over whole; a stage that writes whenever its buffer passes `chunkBytes` holds a snapshot
/// of any size in a buffer of about that size instead of its whole length. Used on one
/// thread (the stage's), for one snapshot.
public final class SnapshotOutput {
    /// The buffer size a stage should write out at (1 MiB by default).
    public let chunkBytes: Int
    /// Bytes handed to the sink so far.
    public private(set) var written = 0
    private let sink: (UnsafeRawBufferPointer) throws -> Void

    public init(chunkBytes: Int = 1 << 20, _ sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.chunkBytes = max(1, chunkBytes)
        self.sink = sink
    }

    /// Hands `bytes` to the sink, in place.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try sink($0) }
        written += bytes.count
    }
}
