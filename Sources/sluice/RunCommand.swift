import ArgumentParser
import Dispatch
import Foundation
import Logging
import SluiceCore

/// `sluice run`: the agent.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the agent until stopped (SIGINT/SIGTERM).",
        discussion: """
        Reads the pipeline from --config, else /etc/sluice/sluice.yaml, else the embedded default \
        (Pipelines/collector.yaml). Sources follow their inputs; checkpoints live in `data_dir`.

        On SIGINT or SIGTERM the agent stops its sources, drains every queue, flushes its sinks and \
        writes checkpoints, then exits 0 within `shutdown_timeout` (default 10s); events not \
        delivered by then are read again at the next start. SIGHUP re-reads the pipeline file and \
        applies what changed (unchanged components keep running with their positions and state; \
        an invalid file is refused and the running pipeline stays), then reloads certificates, \
        intel and context files.
        A second SIGINT/SIGTERM exits at once (checkpoints only cover delivered events).
        """
    )

    @Option(name: .shortAndLong, help: "Pipeline file (YAML).")
    var config: String?

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = logging.bootstrap()
        SluiceMetrics.bootstrap()
        let cfg: PipelineConfig
        let topology: Topology
        do {
            cfg = try PipelineSource.load(configPath: config, logger: logger)
            topology = try Topology(config: cfg, registry: Components.registry, mode: .follow, logger: logger)
        } catch let e as ConfigErrors {
            throw reportConfigErrors(e)
        }
        // systemd: READY, STATUS and watchdog pings (only while stages make progress).
        let notifier = ServiceNotifier(logger: logger) { topology.pipelineStatus(alerts: topology.alertCount) }
        var api: MetricsServer?
        if cfg.apiEnabled {
            let server = MetricsServer(report: HealthReport()) { topology.pipelineStatus(alerts: topology.alertCount) }
            do {
                try server.start(address: cfg.apiAddress)
                logger.info("metrics on http://\(cfg.apiAddress)/metrics")
                api = server
            } catch {
                printError("error: \(cfg.file): api: cannot listen on \(cfg.apiAddress): \(error)")
                throw ExitCode(78)
            }
        }

        let state = ShutdownState()
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler {
                if state.begin() {
                    logger.info("received \(sig == SIGINT ? "SIGINT" : "SIGTERM"); stopping (timeout \(cfg.shutdownTimeout)s)")
                    notifier.stopping()
                    DispatchQueue.global().async {
                        topology.stop(timeout: cfg.shutdownTimeout)
                        state.finish()
                    }
                } else {
                    logger.warning("second signal: exiting now")
                    topology.commitCheckpoints()
                    Foundation.exit(1)
                }
            }
            s.resume()
            sources.append(s)
        }
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "sluice.reload"))
        hup.setEventHandler {
            notifier.reloading()
            Self.reload(topology, file: cfg.file, logger: logger)
            notifier.ready()
        }
        hup.resume()
        sources.append(hup)

        do { try topology.start() } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        logger.info("sluice \(SluiceVersion.number) running: \(cfg.sources.count) sources, \(cfg.transforms.count) transforms, \(cfg.sinks.count) sinks; allocator \(Allocator.description)")
        notifier.ready()
        // Inputs that end by themselves (stdin closed) also end the run.
        DispatchQueue.global().async {
            _ = topology.wait(timeout: nil)
            // Only the path that began the shutdown ends the process, after its checkpoints.
            if state.begin() {
                topology.commitCheckpoints()
                state.finish()
            }
        }
        state.waitFinished()
        api?.stop()
        logger.info("stopped")
        _ = sources
    }
}

extension RunCommand {
    /// SIGHUP: re-read the pipeline file and apply what changed (an invalid file keeps the
    /// running pipeline and logs every error), then let components re-read their own files
    /// (certificates, intel and context tables).
    static func reload(_ topology: Topology, file: String, logger: Logger) {
        if !file.hasPrefix("<") {
            logger.info("received SIGHUP: reloading \(file)")
            do {
                let cfg = try PipelineConfig.load(path: file)
                let report = try topology.reload(cfg)
                logger.info("pipeline reloaded: \(report)")
            } catch let e as ConfigErrors {
                for i in e.issues { logger.error("reload refused, the running pipeline stays: \(i)") }
            } catch {
                logger.error("reload refused, the running pipeline stays: \(error)")
            }
        } else {
            logger.info("received SIGHUP: reloading certificates and lists")
        }
        topology.reloadFiles()
    }
}

/// Tells the first shutdown request from later ones, and lets the main thread wait until the
/// path that began the shutdown has finished it.
final class ShutdownState: Sendable {
    private struct State: Sendable {
        var started = false
        var finished = false
    }
    private let state = Locked(State())

    /// True for the first caller only.
    func begin() -> Bool {
        state.withLock { s in
            defer { s.started = true }
            return !s.started
        }
    }

    func finish() {
        state.withLock { $0.finished = true }
        state.broadcast()
    }

    func waitFinished() { state.wait(until: { $0.finished }) { _, _ in } }
}
