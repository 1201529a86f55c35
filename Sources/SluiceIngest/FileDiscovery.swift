#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SluiceCore

/// How `FileSource` finds its files: the include/exclude globs, links and pseudo file
/// systems refused, opening a file at its checkpoint, and inotify on the include
/// directories to notice new files between globs.
extension FileSource {
    static func expand(_ patterns: [String]) -> [String] {
        var out: [String] = []
        for p in patterns {
            var g = glob_t()
            defer { globfree(&g) }
            if glob(p, 0, nil, &g) == 0 {
                for i in 0..<Int(g.gl_pathc) { if let c = g.gl_pathv[i] { out.append(String(cString: c)) } }
            }
        }
        return out
    }

    static func matches(_ path: String, _ patterns: [String]) -> Bool {
        patterns.contains { fnmatch($0, path, 0) == 0 }
    }

    func discover(_ context: SourceContext, initial: Bool) {
        for path in Self.expand(include) where !Self.matches(path, exclude) {
            var st = stat()
            if !followSymlinks {
                guard lstat(path, &st) == 0 else { continue }
                if (st.st_mode & S_IFMT) == S_IFLNK {
                    if skippedLinks.count < 10_000, skippedLinks.insert(path).inserted {
                        context.logger.warning("skipping \(path): it is a symbolic link (follow_symlinks is off)")
                    }
                    continue
                }
            } else {
                guard stat(path, &st) == 0 else { continue }
            }
            guard (st.st_mode & S_IFMT) == S_IFREG else { continue }
            let devIno = "\(st.st_dev):\(st.st_ino)"
            if refusedPseudo.contains(devIno) { continue }
            if path.hasSuffix(".gz") {
                if !readCompressed {
                    if skippedGz.insert(path).inserted { context.logger.info("skipping compressed file \(path) (read_compressed is off)") }
                    continue
                }
                let open = lock.withLock { files[devIno] != nil }
                if !open && !gzDone.contains(devIno) { openGzip(path: path, devIno: devIno, context: context) }
                continue
            }
            let known = lock.withLock { files[devIno] }
            if let f = known {
                if f.path != path { f.path = path; f.pathValue = .string(path) }
                f.rotatedAt = nil
                continue
            }
            open(path: path, devIno: devIno, size: Int64(st.st_size), context: context, initial: initial)
        }
    }

    /// Kernel pseudo file systems, whose files are not logs (their sizes lie, too).
    static let pseudoFileSystems: Set<String> = ["proc", "sysfs", "debugfs", "tracefs", "securityfs", "cgroup", "cgroup2",
                                                 "configfs", "bpf", "efivarfs", "pstore", "fusectl", "binfmt_misc"]

    /// The type of the kernel pseudo file system `fd` is on (`proc`, `sysfs`, …), or nil:
    /// the mount with the file's device number in `/proc/self/mountinfo`.
    static func pseudoFileSystem(_ fd: Int32) -> String? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        let dev = UInt64(st.st_dev)
        let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))
        let minor = (dev & 0xff) | ((dev >> 12) & ~UInt64(0xff))
        let id = "\(major):\(minor)"
        guard let info = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        for line in info.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count > 4, f[2] == id, let dash = f.firstIndex(of: "-"), dash + 1 < f.count else { continue }
            let type = String(f[dash + 1])
            if pseudoFileSystems.contains(type) { return type }
        }
        return nil
    }

    @discardableResult
    func open(path: String, devIno: String, size: Int64, context: SourceContext, initial: Bool) -> Bool {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | (followSymlinks ? 0 : O_NOFOLLOW))
        guard fd >= 0 else {
            if errno == ELOOP {
                if skippedLinks.count < 10_000, skippedLinks.insert(path).inserted {
                    context.logger.warning("skipping \(path): it is a symbolic link (follow_symlinks is off)")
                }
            } else {
                context.logger.warning("cannot open \(path): \(String(cString: strerror(errno)))")
            }
            return false
        }
        if let fs = Self.pseudoFileSystem(fd) {
            Glibc.close(fd)
            if refusedPseudo.count < 10_000 { refusedPseudo.insert(devIno) }
            context.logger.warning("not reading \(path): it is on \(fs), a kernel pseudo file system, not a log")
            return false
        }
        var st = stat()
        fstat(fd, &st)
        let size = Int64(st.st_size)
        let prefix = readPrefix(fd)
        let key = identity(devIno: devIno, prefix: prefix)
        var offset: Int64
        var isCopy = false
        if key.hasPrefix("fp:"), let live = currentFiles().first(where: { $0.key == key }) {
            // Same first bytes as an open file at another inode: a copy (copytruncate).
            // Continue where the original was; the original gets its inode identity.
            offset = live.lineEnd
            isCopy = true
            live.key = "ino:" + live.devIno
            context.logger.info("\(path) is a copy of \(live.path); reading it from offset \(offset)")
        } else if let t = truncatedAt.removeValue(forKey: key) {
            offset = t.position
            isCopy = true
            context.logger.info("\(path) is a copy of a truncated file; reading it from offset \(offset)")
        } else if let cp = lookup(key: key, devIno: devIno, fd: fd) {
            offset = cp.offset
        } else if initial && readFrom == .end && context.mode == .follow {
            offset = size
        } else {
            offset = 0
        }
        var pendingStart: Int64?
        if offset > size && isCopy {
            pendingStart = offset  // the copy is still being written
        } else if offset > size {
            context.logger.info("\(path) is shorter than its checkpoint (truncated); reading from the start")
            offset = 0
        }
        lseek(fd, off_t(offset), SEEK_SET)
        let f = TailedFile(path: path, devIno: devIno, key: key, fd: fd, offset: offset, maxLine: maxLineBytes, now: Clock.monotonic())
        f.prefix = prefix
        f.undetermined = !initial && offset == 0 && prefix.count < fingerprintBytes
        f.pendingStart = pendingStart
        lock.withLock { files[devIno] = f }
        context.logger.debug("reading \(path) from offset \(offset) (identity \(key), \(devIno), size \(size))")
        return true
    }

    /// Opens a `.gz` file: identity is the fingerprint of its *decompressed* first bytes, so
    /// `app.log.1` compressed to `app.log.1.gz` keeps its checkpoint and is not read twice.
    func openGzip(path: String, devIno: String, context: SourceContext) {
        guard let gz = GzipFile(path: path) else {
            context.logger.warning("cannot open compressed file \(path)")
            gzDone.insert(devIno)
            return
        }
        let prefix = gz.prefix(fingerprintBytes)
        let key = identity(devIno: devIno, prefix: prefix)
        var offset: Int64 = 0
        if let cp = lookupGzip(key: key) { offset = gz.skip(to: cp.offset) }
        let f = TailedFile(path: path, devIno: devIno, key: key, fd: -1, offset: offset, maxLine: maxLineBytes, now: Clock.monotonic())
        f.prefix = prefix
        f.gz = gz
        lock.withLock { files[devIno] = f }
        context.logger.debug("reading compressed \(path) from decompressed offset \(offset) (identity \(key))")
    }

    // MARK: waiting

    func setUpInotify(_ context: SourceContext) {
        let fd = inotify_init1(Int32(O_NONBLOCK | O_CLOEXEC))
        guard fd >= 0 else { return }
        var dirs = Set<String>()
        for p in include {
            let dir = (p as NSString).deletingLastPathComponent
            if dir.isEmpty || dir.contains(where: { "*?[".contains($0) }) { continue }
            dirs.insert(dir)
        }
        let mask = UInt32(IN_CREATE | IN_MOVED_TO | IN_MODIFY | IN_MOVED_FROM | IN_DELETE)
        var any = false
        for d in dirs where inotify_add_watch(fd, d, mask) >= 0 { any = true }
        if any { inotifyFD = fd } else { Glibc.close(fd) }
    }

    /// Waits up to `seconds` for a change in a watched directory (or just sleeps without
    /// inotify); a stop request ends the wait within 250ms.
    func waitForChange(_ context: SourceContext, seconds: Double) {
        guard inotifyFD >= 0 else { context.sleep(seconds: seconds); return }
        var pfd = pollfd(fd: inotifyFD, events: Int16(POLLIN), revents: 0)
        let r = poll(&pfd, 1, Int32(max(1, min(seconds, 0.25) * 1000)))
        guard r > 0 else { return }
        var buf = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = buf.withUnsafeMutableBytes { read(inotifyFD, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            var i = 0
            while i + 16 <= n {
                let mask = buf.withUnsafeBytes { $0.load(fromByteOffset: i + 4, as: UInt32.self) }
                let len = buf.withUnsafeBytes { $0.load(fromByteOffset: i + 12, as: UInt32.self) }
                if mask & UInt32(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) != 0 { needDiscover = true }
                i += 16 + Int(len)
            }
        }
    }
}
