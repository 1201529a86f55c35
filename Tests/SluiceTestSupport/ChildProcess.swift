#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The outcome of a program run by `runProcess`.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let out: String
    public let err: String
    /// Whether the program was killed for running past its timeout.
    public let timedOut: Bool
    /// Standard output then standard error (for messages and `contains` checks).
    public var output: String { out + err }
}

/// The path of `tool` in the usual system directories, or nil when it is not installed.
public func which(_ tool: String) -> String? {
    for d in ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(d)/\(tool)") {
        return "\(d)/\(tool)"
    }
    return nil
}

/// Runs `path` with `args` (in `cwd`), writes `stdin` to it, and collects its standard output
/// and error. The pipes are written and read on their own threads, so a program that talks a
/// lot before reading all its input cannot deadlock the test; one that runs past `timeout`
/// seconds is killed (`timedOut`). A program that exits before reading its input (a refused
/// TLS client) is not an error.
@discardableResult
public func runProcess(_ path: String, _ args: [String], cwd: String? = nil, stdin: [UInt8]? = nil,
                       timeout: Double = 60) throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let out = Pipe(), err = Pipe(), input = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = stdin == nil ? FileHandle.nullDevice : input
    let exited = DispatchSemaphore(value: 0)
    p.terminationHandler = { _ in exited.signal() }
    try p.run()
    let group = DispatchGroup()
    let collected = Guarded<[Data]>([Data(), Data()])
    for (i, reader) in [out.fileHandleForReading, err.fileHandleForReading].enumerated() {
        DispatchQueue.global().async(group: group) {
            let d = reader.readDataToEndOfFile()
            collected.withLock { $0[i] = d }
        }
    }
    if let stdin {
        // A broken pipe (the child exited first) must be an error return, not a signal.
        signal(SIGPIPE, SIG_IGN)
        let writer = input.fileHandleForWriting
        DispatchQueue.global().async(group: group) {
            try? writer.write(contentsOf: Data(stdin))
            try? writer.close()
        }
    }
    var timedOut = false
    if exited.wait(timeout: .now() + timeout) == .timedOut {
        timedOut = true
        kill(p.processIdentifier, SIGKILL)
        exited.wait()
    }
    group.wait()
    let data = collected.value
    let (o, e) = (data[0], data[1])
    return ProcessResult(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self),
                         err: String(decoding: e, as: UTF8.self), timedOut: timedOut)
}
