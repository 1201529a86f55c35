import Dispatch
import Foundation
import Logging
import SluiceCore

/// What the runtime needs from an enricher that reads operator files: a first load at
/// start, a reload on demand (SIGHUP, a `FileWatcher` event) and the files to watch.
///
/// Contract: building the enricher from options reads no file and starts nothing; `load()`
/// reads the files synchronously and throws `EnrichmentLoadError` when one cannot be read or
/// is unusable as a whole; `reload()` returns at once and loads in the background; the new
/// set is swapped in between two batches (`Transform.process` calls), never during one.
public protocol ReloadableEnricher: AnyObject, Sendable {
    /// Loads the files (the enricher's "start"). Bad lines are logged with file:line and
    /// skipped; a file that cannot be read at all makes it throw.
    func load() throws
    /// Loads the files again in the background; a load that fails keeps the set in service.
    func reload()
    /// The files this enricher reads (absolute or as configured), for a `FileWatcher`.
    var watchedFiles: [String] { get }
    /// What `reload()` reloads (the enricher's `ReloadingSet`), for the triggers that must
    /// not keep the enricher alive (SIGHUP registrations, file watchers): they hold it
    /// weakly. Not the enricher itself: an object once weakly referenced keeps a side table
    /// for life, which sends every retain and release of it to the runtime's slow path, and
    /// an enricher is retained several times per event.
    var reloader: any BackgroundReloading { get }
}

extension ReloadableEnricher {
    /// `reload()` is its `reloader`'s.
    public func reload() { reloader.reloadInBackground() }
}

/// Something that reloads in the background when asked (see `ReloadableEnricher.reloader`).
public protocol BackgroundReloading: AnyObject, Sendable {
    /// Starts a reload and returns at once.
    func reloadInBackground()
}

/// The set an enricher serves (an immutable snapshot of its files), and its replacement.
///
/// Guarantees:
/// - A set is built completely before anyone can see it; `current()` hands the processing
///   thread either the old set or the new one, whole: no event is ever enriched from a
///   half-loaded set.
/// - The swap happens when the processing thread asks for the set at the start of a batch,
///   so one batch is enriched from one set.
/// - A reload whose files fail (unreadable, unusable structure) keeps the set in service; so
///   does one with bad lines while `keepPreviousOnBadLines` is true (a half-written or
///   mistyped edit must not replace a good set). Every bad line is logged as
///   `file:line: reason`.
/// - Reloads run one at a time on a private serial queue; a reload asked for while one runs
///   runs after it.
public final class ReloadingSet<S: AnyObject & Sendable>: BackgroundReloading, Sendable {
    /// Builds a new set from the files; a nil set means the load failed as a whole.
    public typealias Builder = @Sendable () -> (set: S?, report: LoadReport)

    public let name: String
    private let build: Builder
    private let logger: Logger
    private let keepPreviousOnBadLines: Bool
    private let queue: DispatchQueue

    private struct State: Sendable {
        /// A set built and waiting for the next batch.
        var pending: S?
        /// Whether a set was ever published.
        var published = false
        /// Whether the first load was attempted.
        var attempted = false
        var lastReport = LoadReport()
        var generation = 0
        /// The set in use by the processing thread (replaced only by `current()`).
        var inUse: S?

        /// Moves a published set into use; returns the set now in use.
        mutating func takePending() -> S? {
            if let p = pending { inUse = p; pending = nil }
            return inUse
        }
    }
    private let state = Locked(State())

    public init(name: String, logger: Logger, keepPreviousOnBadLines: Bool = true, build: @escaping Builder) {
        self.name = name; self.logger = logger; self.build = build
        self.keepPreviousOnBadLines = keepPreviousOnBadLines
        queue = DispatchQueue(label: "sluice.enrich.reload.\(name)")
    }

    /// The report of the most recent load attempt (successful or not).
    public var lastReport: LoadReport { state.withLock { $0.lastReport } }
    /// How many sets were published so far (1 after the first load).
    public var generation: Int { state.withLock { $0.generation } }

    /// First load, synchronous. Publishes the set (bad lines skipped and logged) or throws.
    public func load() throws {
        state.withLock { $0.attempted = true }
        let (set, report) = timedBuild()
        log(report, reload: false)
        state.withLock { $0.lastReport = report }
        guard let set, report.failedFiles.isEmpty else { throw EnrichmentLoadError(report) }
        publish(set)
    }

    /// Reload in the background; `completion` (for tests and the runtime) gets whether the
    /// new set was swapped in.
    public func reload(completion: (@Sendable (Bool) -> Void)? = nil) {
        queue.async {
            let ok = self.reloadNow()
            completion?(ok)
        }
    }

    public func reloadInBackground() { reload(completion: nil) }

    /// Reload on the calling thread; true when the new set will serve the next batch.
    @discardableResult
    public func reloadNow() -> Bool {
        let (set, report) = timedBuild()
        log(report, reload: true)
        state.withLock { $0.lastReport = report; $0.attempted = true }
        guard let set, report.failedFiles.isEmpty else {
            logger.error("\(name): reload failed; the previous set stays in service")
            return false
        }
        if keepPreviousOnBadLines, report.badLines > 0, state.withLock({ $0.published }) {
            logger.error("\(name): reload found \(report.badLines) bad line(s); the previous set stays in service (fix the lines listed above)")
            return false
        }
        publish(set)
        logger.info("\(name): reloaded: \(report)")
        return true
    }

    /// The set for the batch about to be processed: the newly published one if a load
    /// finished since the last call, else the one in use. Call from the processing thread
    /// only, once per batch. If nobody called `load()` before the first batch, the first
    /// load happens here (a failure is logged and the enricher serves nothing until a reload
    /// succeeds).
    public func current() -> S? {
        let (set, needsLoad) = state.withLock { s in (s.takePending(), !s.attempted) }
        guard needsLoad else { return set }
        do { try load() } catch { logger.error("\(name): \(error)") }
        return state.withLock { $0.takePending() }
    }

    private func publish(_ set: S) {
        state.withLock { $0.pending = set; $0.published = true; $0.generation += 1 }
    }

    private func timedBuild() -> (S?, LoadReport) {
        let t0 = Clock.monotonic()
        var (set, report) = build()
        report.seconds = Clock.monotonic() - t0
        return (set, report)
    }

    private func log(_ report: LoadReport, reload: Bool) {
        for issue in report.issues { logger.warning("\(name): \(issue)") }
        if report.badLines > report.issues.count {
            logger.warning("\(name): … and \(report.badLines - report.issues.count) more bad line(s) not listed")
        }
        if !reload, report.failedFiles.isEmpty { logger.info("\(name): \(report)") }
    }
}

/// What an enricher that reads files holds while it runs (between `Transform.start` and
/// `stop`): its registration with the pipeline's `ReloadRegistry` (SIGHUP) and, in live runs
/// with `watch: true`, its `FileWatcher`.
///
/// Guarantees: `start` loads first (a file that cannot be read fails the start) and
/// registers only then; `stop` ends the watcher (no reload starts after it returns) and the
/// registration. Used on the stage's queue only (the lock only makes that checkable).
final class EnricherLifecycle: Sendable {
    let watch: Bool
    private struct Held: Sendable {
        var watcher: FileWatcher?
        var registration: (ReloadRegistry, Int)?
    }
    private let held = Locked(Held())

    init(watch: Bool) { self.watch = watch }

    func start(_ enricher: ReloadableEnricher, _ context: StartContext) throws {
        try enricher.load()
        let id = context.reloads.register(component: context.name, files: enricher.watchedFiles) { [weak reloader = enricher.reloader] in
            reloader?.reloadInBackground()
        }
        held.withLock { $0.registration = (context.reloads, id) }
        if watch, context.mode == .follow {
            let w = enricher.makeWatcher()
            do { try w.start(); held.withLock { $0.watcher = w } } catch {
                context.logger.warning("\(context.name): not watching its files for changes (reload with SIGHUP): \(error)")
            }
        }
    }

    func stop() {
        let (watcher, registration) = held.withLock { h in
            defer { h = Held() }
            return (h.watcher, h.registration)
        }
        watcher?.stop()
        if let (registry, id) = registration { registry.remove(id) }
    }
}
