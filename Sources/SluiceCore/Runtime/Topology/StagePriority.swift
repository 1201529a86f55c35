import Glibc
import Logging

/// Raises the CPU priority of the pipeline's bottleneck stage: the stage thread that
/// `BottleneckPolicy` names (one saturating a CPU) runs `boost` nice steps above Sluice's
/// other threads, so on a host with fewer cores than busy stages the scheduler stops taking
/// turns away from the stage the whole pipeline waits for (workload 3 of `make bench-peers`
/// on two cores: 7.5–14% more events/s; see BENCHMARKS.md).
///
/// Stages register their threads (`enter`/`leave` on the stage's own thread); `sample`, on
/// the topology's timer, reads each thread's CPU clock, feeds the policy and applies its
/// decision with `setpriority`. Raising a priority needs root, `CAP_SYS_NICE` or a
/// `LimitNICE=` allowance: without it the first attempt fails, that is logged once, and
/// nothing changes after (stages share the CPU as before).
///
/// Guarantees: only the threads of one stage are raised at a time, by `boost` steps from
/// their nice value at `enter`; a raised thread is set back to that value when its stage
/// leaves (before its thread runs other work) or is released; `stop` sets every one back.
/// Thread-safe.
public final class StagePriority: Sendable {
    /// One registered stage thread.
    struct Member: Sendable {
        let name: String
        let tid: pid_t
        let clock: clockid_t
        /// The thread's nice value when it registered (what it is set back to).
        let base: Int32
        var lastCPU: Double
        var raised = false
    }
    struct State: Sendable {
        var members: [Int: Member] = [:]
        var next = 1
        var policy = BottleneckPolicy()
        var lastSample: Double
        /// Raising failed once (no permission): no more attempts.
        var unavailable = false
        var stopped = false

        /// Sets every raised member that `which` selects back to its nice value at `enter`.
        mutating func setBack(where which: (Member) -> Bool) {
            for (token, m) in members where m.raised && which(m) {
                _ = StagePriority.setNice(m.tid, m.base)
                members[token]!.raised = false
            }
        }
    }
    private let state: Locked<State>
    /// Nice steps the favoured stage is raised by (1...19).
    public let boost: Int32
    /// Seconds between samples (the topology's timer).
    public static let interval = 0.25
    let logger: Logger

    /// `policy`: the thresholds (tests use low ones, so a busy machine cannot change the
    /// outcome).
    public init(boost: Int, logger: Logger, policy: BottleneckPolicy = BottleneckPolicy()) {
        self.boost = Int32(max(1, min(19, boost)))
        self.logger = logger
        state = Locked(State(policy: policy, lastSample: Clock.monotonic()))
    }

    /// The calling thread's id and CPU clock, or nil when they cannot be read.
    static func currentThread() -> (tid: pid_t, clock: clockid_t)? {
        var buf = [CChar](repeating: 0, count: 64)
        let n = readlink("/proc/thread-self", &buf, 63)   // "PID/task/TID"
        guard n > 0 else { return nil }
        let link = String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = link.lastIndex(of: "/"), let tid = pid_t(link[link.index(after: slash)...]) else { return nil }
        var clock = clockid_t()
        guard pthread_getcpuclockid(pthread_self(), &clock) == 0 else { return nil }
        return (tid, clock)
    }

    /// Sets thread `tid`'s nice value; false when not permitted.
    static func setNice(_ tid: pid_t, _ value: Int32) -> Bool {
        setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(tid), value) == 0
    }

    /// The nice value of thread `tid` (for tests and logs).
    public static func nice(of tid: pid_t) -> Int32 {
        errno = 0
        return getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(tid))
    }

    /// Registers the calling thread as stage `name`'s; returns the token for `leave` (nil:
    /// not registered, e.g. after `stop`).
    public func enter(_ name: String) -> Int? {
        guard let t = Self.currentThread(), let cpu = Clock.seconds(t.clock) else { return nil }
        return state.withLock { s -> Int? in
            guard !s.stopped, !s.unavailable else { return nil }
            let token = s.next
            s.next += 1
            s.members[token] = Member(name: name, tid: t.tid, clock: t.clock, base: Self.nice(of: t.tid), lastCPU: cpu)
            return token
        }
    }

    /// Unregisters a stage thread (on that thread, as its stage's loop ends): set back to
    /// its nice value at `enter` if it was raised, before the thread goes on to other work.
    public func leave(_ token: Int?) {
        guard let token else { return }
        state.withLock { s in
            guard let m = s.members.removeValue(forKey: token) else { return }
            if m.raised { _ = Self.setNice(m.tid, m.base) }
        }
    }

    /// One interval: reads each registered thread's CPU time, asks the policy, applies it.
    public func sample() {
        let now = Clock.monotonic()
        state.withLock { s in
            guard !s.stopped, !s.unavailable else { return }
            let wall = now - s.lastSample
            s.lastSample = now
            guard wall > 0 else { return }
            var busy: [String: Double] = [:]
            for (token, m) in s.members {
                guard let cpu = Clock.seconds(m.clock) else { continue }
                // Several threads of one stage name (a reload's old and new) add up.
                busy[m.name, default: 0] += max(0, cpu - m.lastCPU) / wall
                s.members[token]!.lastCPU = cpu
            }
            let d = s.policy.decide(busy)
            if let r = d.release {
                s.setBack { $0.name == r }
                if let f = d.favour {
                    logger.info("stage \(f) is now clearly busier than stage \(r): \(r) goes back to the priority of the other stages")
                } else {
                    logger.info("stage \(r) no longer saturates a CPU: back to the priority of the other stages")
                }
            }
            if let f = d.favour {
                for (token, m) in s.members where m.name == f && !m.raised {
                    guard Self.setNice(m.tid, max(-20, m.base - boost)) else {
                        s.unavailable = true
                        logger.info("stage \(f) saturates a CPU (\(Int((busy[f] ?? 0) * 100))% busy) but its priority cannot be raised (needs root, CAP_SYS_NICE or LimitNICE=-\(boost)); stages share the CPU equally")
                        return
                    }
                    s.members[token]!.raised = true
                }
                logger.info("stage \(f) saturates a CPU (\(Int((busy[f] ?? 0) * 100))% busy): its thread runs \(boost) nice steps above the other stages")
            }
        }
    }

    /// Sets every raised thread back and stops sampling.
    public func stop() {
        state.withLock { s in
            s.stopped = true
            s.setBack { _ in true }
        }
    }

    /// The favoured stage, if one is raised (for tests and `/health`).
    public var raisedStage: String? {
        state.withLock { s in s.members.values.first(where: \.raised)?.name }
    }
}
