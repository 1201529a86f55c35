/// Decides whether the agent may ping systemd's watchdog: only while its stages make progress.
///
/// A stage is *stuck* when it has input queued, is neither backing off (a sink retrying on
/// purpose) nor blocked on a full downstream queue (then the stage downstream is the one
/// judged), and its `activity` counter has not moved for `period` seconds. While any stage is
/// stuck the decision is to withhold the ping, so systemd restarts a wedged agent after
/// `WatchdogSec`. Idle stages (nothing queued) are never stuck. Pure: time comes in as an
/// argument, so it is tested without waiting.
public struct WatchdogPolicy: Sendable {
    public let period: Double
    /// Per stage: the activity last seen, since when it has not moved with input queued, and
    /// whether input was queued (and the stage judged) at the last evaluation.
    private var lastActivity: [String: (activity: Int, since: Double, judged: Bool)] = [:]

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
            let waitingOnPurpose = c.state == .backingOff || c.state == .blocked || c.state == .stopped
            let judged = c.queueDepth > 0 && !waitingOnPurpose
            // The clock starts at the first evaluation that sees input queued without progress.
            guard let prev = lastActivity[c.name], prev.activity == c.activity, prev.judged, judged else {
                lastActivity[c.name] = (c.activity, now, judged)
                continue
            }
            if now - prev.since >= period { stuck.append(c.name) }
        }
        if lastActivity.count > seen.count { lastActivity = lastActivity.filter { seen.contains($0.key) } }
        return stuck.isEmpty ? .ping : .withhold(stuck: stuck)
    }
}
