import Dispatch
import SluiceCore

/// Writes the pieces of a batch to a file descriptor on a thread of its own while the sink
/// encodes the next piece, so encoding and the kernel's copy into the page cache run side by
/// side (on two cores the file sink was one thread doing both, the pipeline's ceiling).
///
/// Guarantees: pieces are written whole (partial writes resumed) and in the order submitted;
/// at most one piece is in flight, so a sink holds at most two pieces; `finish()` returns once
/// every submitted piece is written, or throws the first failure; after a failure no later
/// piece is written until `finish()` or `submit` has reported it. Building one acquires
/// nothing; its queue's thread runs only while a piece is being written. Used by one sink
/// thread at a time (the sink's own).
final class WriteBehind: Sendable {
    private struct State: Sendable {
        var busy = false
        var failure: SinkError?
        /// The piece to write (set by `submit`), then the written piece handed back for reuse.
        var piece: [UInt8] = []
    }
    private let state = Locked(State())
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: "sluice.sink.\(label).write")
    }

    /// Hands `piece` to the writer once the one before it is written, and leaves in its place
    /// an empty buffer (the previous piece's storage) to encode the next piece into. Throws
    /// the previous piece's failure instead, leaving `piece` as it was.
    func submit(_ piece: inout [UInt8], fd: Int32, label: String) throws {
        var spare = try takeIdle()
        spare.removeAll(keepingCapacity: true)
        swap(&piece, &spare)
        state.withLock { s in
            s.busy = true
            s.piece = spare   // the submitted bytes; `spare` is dropped next, the lock holds them
        }
        spare = []
        queue.async { [state] in
            Self.writePiece(state, fd: fd, label: label)
            state.signal()
        }
    }

    /// Waits until every submitted piece is written; throws the first failure. The last
    /// piece's storage stays for the next `submit`.
    func finish() throws {
        let failure = state.wait(until: { !$0.busy }) { s, _ -> SinkError? in
            defer { s.failure = nil }
            return s.failure
        }
        if let failure { throw failure }
    }

    /// Waits for the piece in flight; returns its storage, or throws its failure (once).
    private func takeIdle() throws -> [UInt8] {
        let (piece, failure) = state.wait(until: { !$0.busy }) { s, _ -> ([UInt8], SinkError?) in
            defer { s.piece = []; s.failure = nil }
            return (s.piece, s.failure)
        }
        if let failure { throw failure }
        return piece
    }

    /// On the queue: writes the piece the lock holds, then hands it back for reuse.
    private static func writePiece(_ state: Locked<State>, fd: Int32, label: String) {
        let piece = state.withLock { s -> [UInt8] in
            let p = s.piece
            s.piece = []
            return p
        }
        var failure: SinkError?
        do {
            try FileDescriptorWriter(fd: fd, label: label).writeAll(piece)
        } catch let e as SinkError {
            failure = e
        } catch {
            failure = .retryable("\(label): \(error)")
        }
        state.withLock { s in
            s.piece = piece
            s.failure = failure
            s.busy = false
        }
    }
}
