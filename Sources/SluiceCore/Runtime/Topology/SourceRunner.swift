import Dispatch

/// Runs one source on its own queue: `run` until input ends or a stop is asked, then the
/// final barrier (epoch pipelines) and the end of its output.
struct SourceRunner {
    let node: ComponentNode
    let context: SourceContext
    let env: RunEnvironment

    /// Starts the source once `after` (a replaced source's predecessor) is done, if given.
    func start(after predecessor: (@Sendable () -> Void)? = nil) {
        let node = self.node, context = self.context, env = self.env
        node.set(.starting)
        node.queue.async {
            predecessor?()
            guard let source = node.box.source else { node.finish(.failed); return }
            node.set(.running)
            node.setActivity(.active)
            let priorityToken = env.priority?.enter(node.name)
            let previousName = ThreadName.enter(ThreadName.forStage(node.name))
            var returned = false
            if !context.isStopping {
                do { try source.run(context); returned = true } catch {
                    node.logger.error("source stopped with an error: \(error)")
                    node.metrics.recordFailure(reason: "source_error")
                    node.status.withLock { $0.lastError = "\(error)" }
                    node.set(.failed)
                }
            }
            env.priority?.leave(priorityToken)
            ThreadName.leave(previousName)
            node.set(.draining)
            // Its last position goes with the final epoch of a graceful stop; a source that
            // never ran (stopped while it waited for a predecessor) or failed keeps the
            // committed one instead (reading some of its input again rather than all of it).
            if env.coordinator != nil && !returned { context.keepCommittedPosition() }
            if let coordinator = env.coordinator, !context.isRetired {
                if let final = env.finalEpoch.withLock({ $0 }) {
                    context.placeBarrier(final)
                } else {
                    coordinator.sourceFinished(node.name)
                }
            }
            node.output.finish()
            node.setActivity(.idle)
            node.finish()
        }
    }
}
