import Foundation
import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

/// Watches files for changes with inotify and calls back, debounced, with the paths that
/// changed: the trigger for `ReloadableEnricher.reload()`.
///
/// It watches each file's directory (not the file), so the ways operators and tools replace
/// files are all seen: written in place and closed (`IN_CLOSE_WRITE`), renamed into place
/// (`IN_MOVED_TO`: editors, `mv`, atomic writers), created, deleted. Changes that arrive
/// within `debounce` seconds of each other are reported once, after the last one.
///
/// Guarantees: nothing happens until `start()`; `stop()` ends the watching thread and
/// returns after it ended (no callback runs after `stop()` returns); the callback runs on the
/// watcher's own thread, one call at a time. Linux only (inotify); `start()` throws elsewhere.
public final class FileWatcher: Sendable {
    public let paths: [String]
    public let debounce: Double
    private let onChange: @Sendable ([String]) -> Void

    private struct State: Sendable {
        var fd: Int32 = -1
        /// The pipe that wakes the watching thread to end it (read end, write end).
        var wake: (Int32, Int32) = (-1, -1)
        var running = false
        /// The watching thread has returned (waited on by `stop`).
        var loopEnded = true
    }
    private let state = Locked(State())

    public init(paths: [String], debounce: Double = 0.2, onChange: @escaping @Sendable ([String]) -> Void) {
        self.paths = paths.map { ($0 as NSString).standardizingPath }
        self.debounce = debounce
        self.onChange = onChange
    }

    /// Starts watching (the directories must exist).
    public func start() throws {
        #if os(Linux)
        try state.withLock { state in
            guard !state.running else { return }
            let ifd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
            guard ifd >= 0 else { throw WatchError("inotify_init1: \(String(cString: strerror(errno)))") }
            var byWatch: [Int32: (dir: String, names: Set<String>)] = [:]
            var byDir: [String: Int32] = [:]
            for p in paths {
                let dir = (p as NSString).deletingLastPathComponent.isEmpty ? "." : (p as NSString).deletingLastPathComponent
                let name = (p as NSString).lastPathComponent
                if let wd = byDir[dir] { byWatch[wd]!.names.insert(name); continue }
                let mask = UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_CREATE) | UInt32(IN_DELETE) | UInt32(IN_MOVED_FROM)
                let wd = inotify_add_watch(ifd, dir, mask)
                guard wd >= 0 else {
                    let e = String(cString: strerror(errno))
                    close(ifd)
                    throw WatchError("cannot watch \(dir): \(e)")
                }
                byDir[dir] = wd
                byWatch[wd] = (dir, [name])
            }
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { close(ifd); throw WatchError("pipe: \(String(cString: strerror(errno)))") }
            state.fd = ifd; state.wake = (fds[0], fds[1]); state.running = true; state.loopEnded = false
            let table = byWatch
            let readEnd = fds[0]
            let thread = Thread { [self] in self.loop(ifd, readEnd, table) }
            thread.name = "sluice-file-watcher"
            thread.start()
        }
        #else
        throw WatchError("file watching needs inotify (Linux)")
        #endif
    }

    /// Stops watching; returns once the thread has ended. Safe to call more than once.
    public func stop() {
        let w: Int32? = state.withLock { s in
            guard s.running else { return nil }
            s.running = false
            return s.wake.1
        }
        guard let w else { return }
        var b: UInt8 = 1
        _ = write(w, &b, 1)
        state.wait(until: { $0.loopEnded }) { s, _ in
            close(s.fd); close(s.wake.0); close(s.wake.1)
            s.fd = -1; s.wake = (-1, -1)
        }
    }

    deinit { stop() }

    #if os(Linux)
    private func loop(_ ifd: Int32, _ wakeFD: Int32, _ table: [Int32: (dir: String, names: Set<String>)]) {
        defer {
            state.withLock { $0.loopEnded = true }
            state.broadcast()
        }
        var pending: [String] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            var pfds = [pollfd(fd: ifd, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
            let timeout: Int32 = pending.isEmpty ? -1 : Int32(debounce * 1000)
            let n = poll(&pfds, 2, timeout)
            if n < 0 { if errno == EINTR { continue }; return }
            if pfds[1].revents != 0 { return }
            if n == 0 {
                let changed = pending
                pending.removeAll()
                onChange(changed)
                continue
            }
            let got = buffer.withUnsafeMutableBytes { read(ifd, $0.baseAddress, $0.count) }
            guard got > 0 else { continue }
            var off = 0
            buffer.withUnsafeBytes { raw in
                while off + MemoryLayout<inotify_event>.size <= got {
                    let wd = raw.loadUnaligned(fromByteOffset: off, as: Int32.self)
                    let len = Int(raw.loadUnaligned(fromByteOffset: off + 12, as: UInt32.self))
                    let nameStart = off + 16
                    var name = ""
                    if len > 0 {
                        let bytes = UnsafeRawBufferPointer(rebasing: raw[nameStart..<(nameStart + len)])
                        let end = bytes.firstIndex(of: 0) ?? len
                        name = String(decoding: bytes[0..<end], as: UTF8.self)
                    }
                    if let w = table[wd], w.names.contains(name) {
                        let path = w.dir == "." ? name : w.dir + "/" + name
                        if !pending.contains(path) { pending.append(path) }
                    }
                    off = nameStart + len
                }
            }
        }
    }
    #endif
}

/// Why a `FileWatcher` could not start.
public struct WatchError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

extension ReloadableEnricher {
    /// A watcher (not started) that reloads this enricher when one of its files changes.
    public func makeWatcher(debounce: Double = 0.2) -> FileWatcher {
        FileWatcher(paths: watchedFiles, debounce: debounce) { [weak reloader = self.reloader] _ in reloader?.reloadInBackground() }
    }
}
