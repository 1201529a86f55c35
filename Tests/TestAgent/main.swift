// sluice-test-agent: the runtime with the product's components plus test-only transforms
// (`count_per_key`, `window_count`), run as a process by the crash and replay tests.
//
//   sluice-test-agent run CONFIG      follow inputs until SIGTERM/SIGINT (drain, commit, exit 0)
//   sluice-test-agent replay CONFIG   read inputs to their end, then exit 0
import Dispatch
import Foundation
import Logging
import SluiceCore
import SluiceIngest
import SluiceParse
import SluiceSink

LoggingSystem.bootstrap { label in
    var h = StreamLogHandler.standardError(label: label)
    h.logLevel = ProcessInfo.processInfo.environment["SLUICE_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
    return h
}
let logger = Logger(label: "sluice-test-agent")
let args = CommandLine.arguments
guard args.count == 3, args[1] == "run" || args[1] == "replay" else {
    FileHandle.standardError.write("usage: sluice-test-agent run|replay CONFIG\n".data(using: .utf8)!)
    exit(2)
}
var registry = ComponentRegistry()
registry.merge(IngestComponents.registry)
registry.merge(ParseComponents.registry)
registry.merge(SinkComponents.registry)
registry.merge(TestTransforms.registry)

let mode: RunMode = args[1] == "run" ? .follow : .toEnd
let topology: Topology
do {
    let cfg = try PipelineConfig.load(path: args[2])
    topology = try Topology(config: cfg, registry: registry, mode: mode, logger: logger)
    try topology.start()
} catch {
    FileHandle.standardError.write("error: \(error)\n".data(using: .utf8)!)
    exit(1)
}
if mode == .toEnd {
    _ = topology.wait(timeout: nil)
    exit(0)
}
/// SIGTERM/SIGINT signal `done` (handlers run on a global queue, outside the main actor).
nonisolated func onStopSignals(_ done: DispatchSemaphore) -> [DispatchSourceSignal] {
    signal(SIGTERM, SIG_IGN)
    signal(SIGINT, SIG_IGN)
    return [SIGTERM, SIGINT].map { sig in
        let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        s.setEventHandler { done.signal() }
        s.resume()
        return s
    }
}
let done = DispatchSemaphore(value: 0)
let handlers = onStopSignals(done)
done.wait()
exit(topology.stop(timeout: 30) ? 0 : 3)
