import Dispatch

/// Runs one sink on its own queue: deliveries with retries under the pipeline's
/// `RetryPolicy`, ticks while idle, then flush and close once every input has ended.
struct SinkRunner {
    let node: ComponentNode
    let env: RunEnvironment

    func start() {
        let node = self.node, env = self.env
        node.queue.async { run(node: node, env: env) }
    }

    private func run(node: ComponentNode, env: RunEnvironment) {
        guard let sink = node.box.sink, let inbox = node.inbox else { node.finish(.failed); return }
        let priorityToken = env.priority?.enter(node.name)
        defer { env.priority?.leave(priorityToken) }
        let previousName = ThreadName.enter(ThreadName.forStage(node.name))
        defer { ThreadName.leave(previousName) }
        node.set(.running)
        var lastTick = Clock.monotonic()
        while let item = inbox.pop(maxEvents: env.batchSize, timeout: 1.0) {
            if env.isHardStopped { break }
            switch item {
            case .batch(let batch):
                node.setActivity(.active)
                node.metrics.recordIn(batch.count)
                deliver(batch, to: sink, node: node, env: env)
                if Clock.monotonic() - lastTick >= 1 { tick(sink, node); lastTick = Clock.monotonic() }
            case .barrier:
                continue
            case .idle:
                node.setActivity(.idle)
                tick(sink, node)
                lastTick = Clock.monotonic()
            }
        }
        node.set(.draining)
        do { try sink.flush() } catch {
            node.logger.error("sink flush failed: \(error)")
        }
        sink.close()
        env.reloads.removeAll(component: node.name)
        node.failures.finish()
        node.setActivity(.idle)
        node.finish()
    }

    private func tick(_ sink: Sink, _ node: ComponentNode) {
        do { try sink.tick(now: Clock.wallNanos()) } catch {
            node.logger.warning("sink tick failed: \(error)")
        }
    }

    /// Writes with retries: backoff on `.retryable` (or any other error), dead letter on
    /// `.permanent`. Gives up only on a hard stop (not acknowledged then, so sources replay
    /// it at the next start).
    private func deliver(_ batch: EventBatch, to sink: Sink, node: ComponentNode, env: RunEnvironment) {
        var attempt = 0
        while true {
            do {
                try sink.write(batch)
                node.metrics.recordOut(batch.count)
                if attempt > 0 { node.status.withLock { $0.consecutiveFailures = 0; $0.activity = .active } }
                return
            } catch SinkError.permanent(let why) {
                node.metrics.recordFailure(reason: "rejected", count: batch.count)
                node.logger.error("sink rejected \(batch.count) events: \(why)")
                if node.isDeadLetter { batch.acknowledge(); return }
                node.sendToDeadLetter(batch.events.map { DeadLetter(event: $0, reason: "sink_rejected", detail: why) }, acks: batch.acks)
                batch.acknowledge()
                return
            } catch {
                attempt += 1
                node.metrics.increment("sink_retries")
                let delay = env.retry.delay(attempt: attempt)
                node.status.withLock { s in
                    s.consecutiveFailures += 1
                    s.lastError = "\(error)"
                    s.activity = .backingOff
                }
                node.logger.warning("delivery failed (attempt \(attempt)), retrying in \(String(format: "%.1f", delay))s: \(error)")
                if env.sleepUnlessHardStop(delay) { return }
            }
        }
    }
}
