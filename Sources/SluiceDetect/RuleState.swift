/// One entry of a group's window: an event (or a distinct value, or a temporal rule slot)
/// at an event time, with the evidence sequence number of the event.
struct WindowEntry: Sendable, Equatable {
    var time: Int64
    /// Value hash (value_count), value bits (value_sum/avg), rule slot (temporal), 0 otherwise.
    var key: UInt64
    var seq: UInt64
}

/// The state of one group of a correlation (or one entity of a baseline rule).
struct GroupState: Sendable {
    var entries: [WindowEntry] = []
    /// Running sum (value_sum / value_avg).
    var sum: Double = 0
    /// Start of the current alerting episode (0: none), and the severity last alerted in it.
    var episodeStart: Int64 = 0
    var severity: Int8 = -1
    /// The severity the episode opened at (its first alert's id has no severity).
    var openSeverity: Int8 = -1
    var lastTime: Int64 = 0
    /// Tumbling window start (conditions decided at window end).
    var windowStart: Int64 = 0
    /// `when:` selections matched by the group's events (bit per selection).
    var whenBits: UInt32 = 0
    /// Last event time each escalation trigger held (empty when the rule has none).
    var escalated: [Int64] = []
    /// Learned history: (bucket, value) of recent buckets, oldest first.
    var history: [HistoryBucket] = []
    /// Baseline rules: the current bucket and its sums.
    var bucket: Int64 = Int64.min
    var bucketSum: Double = 0
    var bucketSum2: Double = 0
    /// One alert per group per period (`suppress`).
    var suppressUntil: Int64 = Int64.min
}

struct HistoryBucket: Sendable, Equatable {
    var bucket: Int64
    var value: Double
}

/// Everything the engine keeps for one rule.
final class RuleState {
    /// First event time the rule saw (learning starts here); Int64.min until then.
    var learningStart: Int64 = Int64.min
    var groups: LRUTable<GroupState>
    /// Single-event rules with `suppress`: key → suppressed until.
    var suppress: LRUTable<Int64>
    /// First-seen rules: (entity, value) key → last seen.
    var seen: LRUTable<Int64>
    /// Per escalation: for `after_rule`, key of the other rule's alert → its time.
    var afterRule: [LRUTable<Int64>]

    init(groups: Int, seen: Int, escalations: Int) {
        self.groups = LRUTable(capacity: groups)
        self.suppress = LRUTable(capacity: groups)
        self.seen = LRUTable(capacity: seen)
        self.afterRule = (0..<escalations).map { _ in LRUTable(capacity: groups) }
    }
}

/// Percentile of a learned history where buckets missing from the last `span` buckets
/// count as zero.
enum Percentile {
    static func p95(_ h: [HistoryBucket], current: Int64, span: Int) -> Double {
        let recent = h.filter { $0.bucket < current && $0.bucket >= current - Int64(span) }.map(\.value).sorted()
        let zeros = max(0, span - recent.count)
        let all = [Double](repeating: 0, count: zeros) + recent
        guard !all.isEmpty else { return 0 }
        let rank = Int((0.95 * Double(all.count - 1)).rounded(.up))
        return all[min(all.count - 1, rank)]
    }
}
