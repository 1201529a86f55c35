#if canImport(Glibc)
import Glibc
#endif

/// Which allocator serves `malloc` in this process, for `sluice version` and the start line
/// of `sluice run`.
///
/// Release builds are linked with jemalloc (libjemalloc2) so that it, not glibc, serves every
/// allocation: events are built by one stage's thread and freed by another's, and glibc then
/// takes the building thread's arena lock for each free (BENCHMARKS.md, "The allocator").
/// Debug builds (the tests) are not. The report checks what actually happens rather than what
/// was linked: `malloc` as the process resolves it must be jemalloc's; a preloaded allocator or
/// a sanitizer's interceptor in front of it shows as "not serving malloc".
enum Allocator {
    private typealias MallctlFunction = @convention(c) (UnsafePointer<CChar>?, UnsafeMutableRawPointer?,
                                                        UnsafeMutablePointer<Int>?, UnsafeMutableRawPointer?, Int) -> Int32

    /// jemalloc's version string, or nil when jemalloc is not in the process.
    static var jemallocVersion: String? {
        guard let symbol = dlsym(nil, "mallctl") else { return nil }
        let mallctl = unsafeBitCast(symbol, to: MallctlFunction.self)
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

    /// One line: `jemalloc 5.3.0-0-g54eaed1d…`, with a warning appended when another
    /// allocator is in front of it; `glibc malloc` in a build without jemalloc.
    static var description: String {
        guard let version = jemallocVersion else { return "glibc malloc (a build without jemalloc: release builds link it)" }
        let name = "jemalloc " + version
        return jemallocServesMalloc ? name : name + " linked, but not serving malloc (preloaded allocator or sanitizer)"
    }
}
