import CJemalloc
#if canImport(Glibc)
import Glibc
#endif

/// Which allocator serves `malloc` in this process, for `sluice version` and the start line
/// of `sluice run`.
///
/// The agent is linked with jemalloc (libjemalloc2) so that it, not glibc, serves every
/// allocation: events are built by one stage's thread and freed by another's, and glibc then
/// takes the building thread's arena lock for each free (BENCHMARKS.md, "The allocator").
/// The report checks what actually happens rather than what was linked: `malloc` as the
/// process resolves it must be jemalloc's. A preloaded allocator or a sanitizer's interceptor
/// in front of it shows as "not serving malloc".
enum Allocator {
    /// jemalloc's version string, or nil when it cannot be asked.
    static var jemallocVersion: String? {
        var text: UnsafePointer<CChar>?
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("version", &text, &size, nil, 0) == 0, let text else { return nil }
        return String(cString: text)
    }

    /// Whether the process's `malloc` is jemalloc's.
    static var jemallocServesMalloc: Bool {
        guard let lib = dlopen("libjemalloc.so.2", RTLD_NOW | RTLD_NOLOAD) else { return false }
        defer { dlclose(lib) }
        guard let theirs = dlsym(lib, "malloc"), let used = dlsym(nil, "malloc") else { return false }
        return theirs == used
    }

    /// One line: `jemalloc 5.3.0-0-g54eaed1d8b56b1aa528be3bdd1877e59c56fa90c`, with a warning
    /// appended when another allocator is in front of it.
    static var description: String {
        let name = "jemalloc " + (jemallocVersion ?? "(version unknown)")
        return jemallocServesMalloc ? name : name + " linked, but not serving malloc (preloaded allocator or sanitizer)"
    }
}
