import Dispatch

/// Runs one transform on its own queue: batches through `process`, time through `tick`,
/// barriers through a snapshot (stateful stages), until every input has ended.
struct TransformRunner {
    let node: ComponentNode
    let env: RunEnvironment

    /// Starts the loop once `predecessor` (a replaced stage it takes over from) is done.
    func start(after predecessor: (@Sendable () -> Void)? = nil) {
        let node = self.node, env = self.env
        node.queue.async {
            predecessor?()
            run(node: node, env: env)
        }
    }

    private func run(node: ComponentNode, env: RunEnvironment) {
        guard let transform = node.box.transform, let inbox = node.inbox else { node.finish(.failed); return }
        let priorityToken = env.priority?.enter(node.name)
        defer { env.priority?.leave(priorityToken) }
        let previousName = ThreadName.enter(ThreadName.forStage(node.name))
        defer { ThreadName.leave(previousName) }
        let stateful = transform.statefulSelf
        // A stateful stage's outputs are tracked so an epoch commits only once everything it
        // emitted before the barrier was delivered (alerts made by timers carry no source
        // acknowledgement of their own).
        let coordinator = env.coordinator
        var recheck: (@Sendable (UInt64) -> Void)?
        if stateful != nil, let coordinator { recheck = { (_: UInt64) in coordinator.check() } }
        let outputs = AckTracker<UInt64>(initial: 0, onAdvance: recheck)
        var emittedBatches: UInt64 = 0
        // The stage's last snapshot, and batches since: a stage that received nothing since and
        // whose state is the same (its `stateVersion` unchanged, or without one, the same
        // digest) links that file instead of writing it again (an idle pipeline would
        // otherwise rewrite tens of megabytes every epoch).
        var lastSnapshot: LastSnapshot?
        var batchesSinceSnapshot = 0
        node.set(.running)
        var output: [Event] = []
        var failures: [DeadLetter] = []
        var lastTick = Clock.monotonic()
        var lastInput = lastTick
        var lastEventTime = Int64.min

        func time(final: Bool = false) -> StageTime {
            StageTime(wallClock: Clock.wallNanos(), eventTime: inbox.frontier,
                      idleSeconds: env.mode == .follow ? Clock.monotonic() - lastInput : 0,
                      final: final, mode: env.mode)
        }
        func emit(_ events: [Event], acks: [Acknowledgement]) {
            node.metrics.recordOut(events.count)
            guard !events.isEmpty else { EventBatch(events: [], acks: acks).acknowledge(); return }
            var acks = acks
            if stateful != nil {
                emittedBatches += 1
                acks.append(outputs.register(emittedBatches))
            }
            node.output.emit(EventBatch(events: events, acks: acks))
        }
        func tick(final: Bool = false) {
            output.removeAll(keepingCapacity: true)
            transform.tick(time(final: final), into: &output)
            emit(output, acks: [])
            lastTick = Clock.monotonic()
        }

        loop: while true {
            let item = inbox.pop(maxEvents: env.batchSize, timeout: 1.0)
            if env.isHardStopped { break }
            // Consumed, so the batch below holds the only reference to its events and the
            // transform may move them instead of copying.
            switch consume item {
            case nil:
                break loop
            case .batch(var batch)?:
                node.setActivity(.active)
                node.metrics.recordIn(batch.count)
                batchesSinceSnapshot += 1
                output.removeAll(keepingCapacity: true)
                failures.removeAll(keepingCapacity: true)
                transform.process(taking: &batch.events, into: &output, failures: &failures)
                node.sendToDeadLetter(failures, acks: batch.acks)
                emit(output, acks: batch.acks)
                lastInput = Clock.monotonic()
                let frontier = inbox.frontier
                if frontier != lastEventTime || lastInput - lastTick >= 1 {
                    lastEventTime = frontier
                    tick()
                }
            case .barrier(let epoch)?:
                if let stateful, let store = env.stateStore, let coordinator = env.coordinator {
                    do {
                        let version = stateful.stateVersion
                        if batchesSinceSnapshot == 0, let last = lastSnapshot,
                           last.holds(stateful, version: version, stage: node.name),
                           store.reuseSnapshot(named: node.name, from: last.epoch, to: epoch) {
                            node.metrics.increment("snapshots_reused")
                            lastSnapshot?.epoch = epoch   // the same state (and version), now also in this epoch's file
                        } else {
                            lastSnapshot = nil
                            // A digest only when the stage received nothing since and has no
                            // version: in a busy pipeline no epoch could reuse the file, and
                            // hashing tens of megabytes each epoch would be wasted (debug
                            // builds take it always, to check the stage's version against it).
                            let idle = batchesSinceSnapshot == 0
                            let d = try store.writeSnapshot(of: stateful, named: node.name, epoch: epoch,
                                                            digest: (idle && version == nil) || LastSnapshot.checksVersions)
                            if idle || version != nil {
                                lastSnapshot = LastSnapshot(epoch: epoch, digest: idle && version == nil ? d : nil, version: version, written: d)
                            }
                        }
                        batchesSinceSnapshot = 0
                        let upTo = emittedBatches
                        coordinator.stagePersisted(node.name, epoch: epoch, delivered: { (outputs.committed ?? 0) >= upTo })
                    } catch {
                        node.logger.error("cannot write the snapshot of epoch \(epoch): \(error); the epoch will not commit")
                        node.status.withLock { $0.lastError = "snapshot: \(error)" }
                    }
                }
                node.output.emitBarrier(epoch)
            case .idle?:
                node.setActivity(.idle)
                tick()
            }
        }
        // With epochs, held state survives in the final snapshot: flushing it now would emit it
        // twice (now, and again after the restore). Otherwise the end flushes everything.
        if !env.isHardStopped { tick(final: env.mode == .toEnd || env.coordinator == nil) }
        node.set(.draining)
        node.output.finish()
        node.failures.finish()
        transform.stop()
        env.reloads.removeAll(component: node.name)
        node.setActivity(.idle)
        node.finish()
    }
}

/// What a stateful stage's runner remembers of its last snapshot: the epoch whose file holds
/// it, the digest of its bytes (taken when the stage was idle) and the stage's
/// `stateVersion` then.
struct LastSnapshot {
    var epoch: UInt64
    var digest: SnapshotDigest?
    var version: UInt64?
    /// The digest of the bytes written when one was taken (always in debug builds, busy or
    /// idle: `checksVersions`): what an unchanged version is checked against, never used to
    /// decide.
    var written: SnapshotDigest?

    /// Whether `stage`, idle since, still holds this state: for a stage with a version,
    /// whether the version is the same (its state is not read: a moved version is written
    /// at once, not serialized once to compare and again to write); for one without, whether
    /// its state serializes to the same digest.
    func holds(_ stage: StatefulTransform, version now: UInt64?, stage name: String) -> Bool {
        if let now, let version {
            guard now == version else { return false }
            if Self.checksVersions, let written {
                let current = try? StateStore.digest(of: stage)
                assert(current == written, "stage \(name): stateVersion \(now) unchanged but its snapshot changed")
            }
            return true
        }
        guard let digest else { return false }
        return (try? StateStore.digest(of: stage)) == digest
    }

    /// Whether the runner takes a digest of every snapshot and checks each unchanged version
    /// against it: on where assertions run (debug builds; a test turns it off to see that an
    /// unchanged version is not read), off in release builds.
    static let checking = Locked(assertionsEnabled)
    static var checksVersions: Bool { checking.withLock { $0 } }

    private static var assertionsEnabled: Bool {
        var on = false
        assert({ on = true; return true }())
        return on
    }
}

