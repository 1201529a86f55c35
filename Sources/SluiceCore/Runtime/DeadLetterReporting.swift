/// A sink that can set aside single events (one rejected item of a bulk request, a 4xx for
/// one request among many) instead of failing a whole batch. The runtime installs
/// `deadLetterHandler` when it builds the pipeline; the handler may be called from any
/// thread (e.g. a sink's disk-buffer drain thread) and sends the events to the dead-letter
/// sinks with their reason.
public protocol DeadLetterReporting: AnyObject {
    var deadLetterHandler: (@Sendable ([DeadLetter]) -> Void)? { get set }
}
