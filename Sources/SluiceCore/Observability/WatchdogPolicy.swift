/// Decides whether the agent may ping systemd's watchdog: only while its stages make progress.
///
/// A stage is *stuck* when it is running with input queued, is neither backing off (a sink
/// retrying on purpose) nor blocked on a full downstream queue (then the stage downstream is
/// the one judged), and its work counter (`ComponentStatus.workDone`) has not moved for
/// `period` seconds, counted from the first evaluation that saw it so. While any stage is
/// stuck the decision is to withhold the ping, so systemd restarts a wedged agent after
/// `WatchdogSec`. Idle stages (nothing queued) are never stuck. Pure: time comes in as an
/// argument, so it is tested without waiting.
public struct WatchdogPolicy: Sendable {
    public let period: Double
    /// Per stage: the work counter last seen, since when it has not moved with input queued,
    /// and whether the stage was judged (input queued, not waiting on purpose) last time.
    private var last: [String: (work: Int, since: Double, judged: Bool)] = [:]

    public init(period: Double) {
        self.period = period
    }

    public enum Decision: Equatable, Sendable {
        case ping
        case withhold(stuck: [String])
    }

    public mutating func evaluate(_ components: [ComponentStatus], now: Double) -> Decision {
        var stuck: [String] = []
        var seen = Set<String>()
        for c in components {
            seen.insert(c.name)
            let work = c.workDone
            let judged = c.queueDepth > 0 && !c.isWaitingOnPurpose
            guard let prev = last[c.name], prev.work == work, prev.judged, judged else {
                last[c.name] = (work, now, judged)
                continue
            }
            if now - prev.since >= period { stuck.append(c.name) }
        }
        if last.count > seen.count { last = last.filter { seen.contains($0.key) } }
        return stuck.isEmpty ? .ping : .withhold(stuck: stuck)
    }
}
