import Dispatch
import NIOCore
import NIOPosix

/// Lets an event loop group run what it already holds before its user shuts something down.
///
/// async-http-client can deliver a request's answer before it hands the connection back to
/// its pool (the hand-back is a callback that follows the answer: a body with Content-Length
/// ends without bytes of its own, so the answer may overtake the request's last write).
/// Shutting the client down in between cancels the still-leased connection, the pool forgets
/// it when it closes, and the late hand-back is a fatal precondition in the pool (seen once
/// under Thread Sanitizer in the HTTP sink's tests). `runQueued` submits a no-op to each loop
/// and waits for it, so every callback queued before it (a hand-back already scheduled) has
/// run when it returns. It narrows that window; it cannot close it for a hand-back that still
/// waits on I/O. Guarantees: waits at most `timeout` seconds per loop (a loop that is busy, or
/// shut down and never runs the no-op, does not hold the caller); does nothing on an event
/// loop thread (waiting there could deadlock, and NIO forbids it).
public enum EventLoopDrain {
    /// Runs a no-op on every loop of `group` and waits for each, `timeout` seconds at most.
    public static func runQueued(on group: EventLoopGroup, timeout: Double = 1) {
        guard MultiThreadedEventLoopGroup.currentEventLoop == nil else { return }
        for loop in group.makeIterator() {
            let ran = DispatchSemaphore(value: 0)
            loop.execute { ran.signal() }
            _ = ran.wait(timeout: .now() + timeout)
        }
    }
}
