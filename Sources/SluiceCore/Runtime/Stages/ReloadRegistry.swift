/// The components of one running pipeline that re-read their own files (TLS certificates,
/// intel and context tables) on SIGHUP or when a watched file changes.
///
/// Guarantees: a reload callback runs on a background thread, never concurrently with
/// another reload of the same registry; registrations of a component end when it stops (the
/// runtime removes them), so a reload never reaches a stopped component. Replaces a
/// process-global callback list: each pipeline (and each test) has its own registry.
public final class ReloadRegistry: Sendable {
    struct Entry: Sendable {
        let id: Int
        let component: String
        let files: [String]
        let reload: @Sendable () -> Void
    }
    private let entries = Locked<(next: Int, list: [Entry])>((0, []))
    private let running = Locked()

    public init() {}

    /// Registers `reload` for `component`; `files` are what it reads (for change watching
    /// and diagnostics). Returns an id for `remove`.
    @discardableResult
    public func register(component: String, files: [String] = [], _ reload: @escaping @Sendable () -> Void) -> Int {
        entries.withLock { s in
            let id = s.next
            s.next += 1
            s.list.append(Entry(id: id, component: component, files: files, reload: reload))
            return id
        }
    }

    public func remove(_ id: Int) { entries.withLock { $0.list.removeAll { $0.id == id } } }

    /// Ends every registration of `component` (it stopped).
    public func removeAll(component: String) { entries.withLock { $0.list.removeAll { $0.component == component } } }

    /// Files registered, by component (watchers and `sluice top` use it).
    public var files: [(component: String, path: String)] {
        entries.withLock { s in s.list.flatMap { e in e.files.map { (e.component, $0) } } }
    }

    /// Runs every registered reload (SIGHUP), one at a time, on the calling thread.
    public func reloadAll() {
        let list = entries.withLock { $0.list }
        running.withLock { for e in list { e.reload() } }
    }

    /// Runs the reloads of the components that read `path` (a watched file changed).
    public func reload(path: String) {
        let list = entries.withLock { $0.list.filter { $0.files.contains(path) } }
        running.withLock { for e in list { e.reload() } }
    }
}
