import Foundation

/// A fresh, empty directory under the system temporary directory, named after `tag` (the
/// calling test's name by default) plus the process id and a random suffix, so parallel
/// runs never share one. Left in place after the test (a failed test's files can be read);
/// `scripts/run-tests.sh` points `TMPDIR` at one directory per run and removes it when the run passes.
/// Traps when the temporary directory is not writable: no test can run on such a machine.
public func tempDir(_ tag: String = #function) -> String {
    let safe = String(tag.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }.prefix(60))
    let path = NSTemporaryDirectory() + "sluice-\(safe)-\(getpid())-\(UUID().uuidString.prefix(8))"
    do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
        fatalError("cannot create a temporary directory \(path): \(error)")
    }
    return path
}

/// `tempDir` as a file URL.
public func makeTempDir(_ tag: String = #function) -> URL {
    URL(fileURLWithPath: tempDir(tag), isDirectory: true)
}
