/// Decides which stage of a pipeline to favour with CPU, from each stage's share of one CPU
/// over the last interval (its thread's CPU time over the wall time).
///
/// A pipeline runs at the pace of its slowest stage. On a small host its stage threads share
/// few cores: the scheduler gives each runnable thread an equal share, so the stage that needs
/// a whole core (the bottleneck) waits while stages that would have caught up anyway run.
/// The policy names that stage once it saturates a CPU, keeps it while it stays busy, and
/// hands the favour over only to a stage clearly busier (hysteresis: no flapping between two
/// stages of similar load). A pure state machine: `StagePriority` applies its decisions.
///
/// Guarantees: at most one stage is favoured; a stage is favoured only at `saturated` or more
/// of a CPU; the favoured stage loses it below `released`, or when it is gone from `busy`, or
/// when another is at least `margin` busier and itself saturated.
public struct BottleneckPolicy: Sendable, Equatable {
    /// Share of a CPU (0...1) at which a stage counts as saturated.
    public var saturated = 0.8
    /// Below this share the favoured stage is released.
    public var released = 0.5
    /// How much busier another saturated stage must be to take the favour over.
    public var margin = 0.15
    /// The stage favoured now.
    public private(set) var favoured: String?

    public init() {}

    /// What to change: the stage to release (if any), then the stage to favour (if any).
    public struct Decision: Sendable, Equatable {
        public var release: String?
        public var favour: String?
        public init(release: String? = nil, favour: String? = nil) { self.release = release; self.favour = favour }
    }

    /// Feeds one interval's shares (stage name → share of one CPU) and returns the change.
    public mutating func decide(_ busy: [String: Double]) -> Decision {
        // The busiest stage; ties go to the name that sorts first, so decisions are stable.
        let top = busy.max { a, b in a.value < b.value || (a.value == b.value && a.key > b.key) }
        var d = Decision()
        if let f = favoured {
            let share = busy[f]
            if share == nil {
                favoured = nil                       // the stage ended: its thread is gone
            } else if share! < released {
                d.release = f; favoured = nil
            } else if let top, top.key != f, top.value >= saturated, top.value >= share! + margin {
                d.release = f; d.favour = top.key; favoured = top.key
                return d
            } else {
                return d
            }
        }
        if let top, top.value >= saturated {
            d.favour = top.key; favoured = top.key
        }
        return d
    }
}
