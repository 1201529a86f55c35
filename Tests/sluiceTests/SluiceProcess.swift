import Foundation
import SluiceTestSupport
import SluiceTestSupport
import XCTest

/// Runs the built `sluice` binary as a child process for end-to-end tests.
final class SluiceProcess {
    let process = Process()
    let stdoutURL: URL
    let stderrURL: URL

    static var binary: URL { built("sluice") }
    /// The runtime with test-only transforms (`Tests/TestAgent`).
    static var agent: URL { built("sluice-test-agent") }

    static func built(_ name: String) -> URL {
        // The test bundle runs from .build/<triple>/debug; the executable is beside it.
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir.appendingPathComponent(name),
                          dir.deletingLastPathComponent().appendingPathComponent(name)] {
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/" + name)
    }

    init(_ args: [String], directory: URL, environment: [String: String] = [:], stdin: FileHandle? = nil, binary: URL = SluiceProcess.binary) throws {
        // Captured output lives in its own temporary directory, never in the working directory.
        let capture = makeTempDir("capture")
        stdoutURL = capture.appendingPathComponent("stdout.txt")
        stderrURL = capture.appendingPathComponent("stderr.txt")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = binary
        process.arguments = args
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env["SLUICE_LOG"] = env["SLUICE_LOG"] ?? "warning"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        if let stdin { process.standardInput = stdin } else { process.standardInput = FileHandle.nullDevice }
        try process.run()
    }

    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Waits for exit; returns the status, or nil on timeout (the process is then killed).
    @discardableResult
    func wait(timeout: TimeInterval) -> Int32? {
        _ = waitUntil(timeout: timeout) { !process.isRunning }
        if process.isRunning { signal(SIGKILL); process.waitUntilExit(); return nil }
        return process.terminationStatus
    }

    /// Runs to completion and returns (status, stdout, stderr).
    static func run(_ args: [String], directory: URL, environment: [String: String] = [:], timeout: TimeInterval = 60) throws -> (Int32?, String, String) {
        let p = try SluiceProcess(args, directory: directory, environment: environment)
        let status = p.wait(timeout: timeout)
        return (status, p.stdout, p.stderr)
    }
}

/// The pipeline the end-to-end tests run: the GitHub audit JSON lines of `input` through a
/// `parse` transform into `sinks` (YAML lines under `sinks:`, indented by two spaces).
func auditPipeline(dataDir: String, input: URL, shutdownTimeout: String, extra: String = "", sinks: String) -> String {
    """
    data_dir: \(dataDir)
    shutdown_timeout: \(shutdownTimeout)
    \(extra)
    sources:
      audit:
        type: file
        include: ["\(input.path)"]
    transforms:
      parse:
        type: parse
        inputs: [audit]
        format: json
    sinks:
    \(sinks)
    """
}

/// `auditPipeline` into a TCP syslog sink `siem` (JSON lines, no original) on
/// 127.0.0.1:`port`, with the given `buffer` and `retry` settings, state under `dir/state`.
func syslogSinkPipeline(_ dir: URL, input: URL, port: Int, buffer: String, retry: String, shutdownTimeout: String) -> String {
    auditPipeline(dataDir: dir.path + "/state", input: input, shutdownTimeout: shutdownTimeout, sinks: """
      siem:
        type: syslog
        inputs: [parse]
        address: 127.0.0.1:\(port)
        mode: tcp
        encoding: json
        include_original: false
        buffer: \(buffer)
        retry: \(retry)
    """)
}

/// Writes `count` realistic GitHub audit JSON lines, each with a unique `_document_id` seq.
func writeAuditLines(_ url: URL, range: Range<Int>, append: Bool = false) throws {
    var text = ""
    text.reserveCapacity(range.count * 330)
    let actors = ["alice", "bob", "carol", "dave"]
    let repos = ["acme/payments-api", "acme/web-frontend", "acme/infra-terraform", "acme/ml-models"]
    for i in range {
        text += #"{"@timestamp":\#(1_763_863_200_000 + i),"_document_id":"doc-\#(i)","action":"git.clone","actor":"\#(actors[i % 4])","actor_ip":"203.0.113.\#(i % 250)","actor_location":{"country_code":"US"},"org":"acme","repo":"\#(repos[i % 4])","programmatic_access_type":"Personal access token (classic)","transport_protocol_name":"http","user_agent":"git/2.43.0","business":"acme-corp"}"# + "\n"
    }
    if append, let h = try? FileHandle(forWritingTo: url) {
        h.seekToEndOfFile(); h.write(text.data(using: .utf8)!); h.closeFile()
    } else {
        try text.write(to: url, atomically: false, encoding: .utf8)
    }
}

/// Appends audit lines `range` to `url` on a thread of its own, the way a busy service logs:
/// `chunk` lines at a time, `pause` seconds apart. The returned semaphore is signalled once
/// every line is written. The crash tests feed their input this way and write its last part
/// only after the kill, so the agent is killed mid-file however fast it reads.
func appendAuditLinesPaced(_ url: URL, range: Range<Int>, chunk: Int, pause: Double) -> DispatchSemaphore {
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        var i = range.lowerBound
        while i < range.upperBound {
            let end = min(i + chunk, range.upperBound)
            do { try writeAuditLines(url, range: i..<end, append: true) } catch { fatalError("cannot append to \(url.path): \(error)") }
            i = end
            var ts = timespec(tv_sec: 0, tv_nsec: Int(pause * 1e9))
            nanosleep(&ts, nil)
        }
        done.signal()
    }
    return done
}

/// The `_document_id` sequence numbers found in JSON lines (byte scan: fast even in debug).
func documentSeqs(_ text: String) -> [Int] {
    documentSeqs(Array(text.utf8))
}

func documentSeqs(_ bytes: [UInt8]) -> [Int] {
    let needle = Array("\"_document_id\":\"doc-".utf8)
    var out: [Int] = []
    bytes.withUnsafeBufferPointer { b in
        guard let base = b.baseAddress else { return }
        var i = 0
        let n = b.count
        while i < n, let hitPtr = memchr(base + i, Int32(needle[0]), n - i) {
            let hit = UnsafePointer<UInt8>(hitPtr.assumingMemoryBound(to: UInt8.self)) - base
            guard hit + needle.count <= n, memcmp(base + hit, needle, needle.count) == 0 else { i = hit + 1; continue }
            var j = hit + needle.count
            var v = 0
            var digits = 0
            while j < n, b[j] >= 48, b[j] <= 57 { v = v * 10 + Int(b[j] - 48); j += 1; digits += 1 }
            if digits > 0 { out.append(v) }
            i = j
        }
    }
    return out
}

/// Lines in a file (count of newlines), via memchr.
func lineCount(_ url: URL) -> Int {
    guard let d = try? Data(contentsOf: url) else { return 0 }
    return d.withUnsafeBytes { raw -> Int in
        guard let base = raw.baseAddress else { return 0 }
        var count = 0, i = 0
        while i < raw.count, let p = memchr(base + i, 0x0A, raw.count - i) {
            count += 1
            i = UnsafeRawPointer(p) - base + 1
        }
        return count
    }
}

/// GET http://127.0.0.1:`port``path` with curl: the body, a newline, and the status code.
func httpGet(port: Int, _ path: String) -> String {
    (try? runProcess("/usr/bin/curl", ["-s", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)"]))?.out ?? ""
}
