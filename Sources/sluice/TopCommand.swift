import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import SluiceCore

/// `sluice top`: a live view of a running agent's components, read from its API endpoint.
struct TopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "Show a running agent's components live: events/s in and out, queue fill, failures, alerts.",
        discussion: """
        Reads GET /metrics (and GET /health for component states) from the agent's API \
        endpoint, which the pipeline enables with `api: {enabled: true, address: 127.0.0.1:9598}`. \
        Rates are computed between two reads. Press Ctrl-C to leave.
        """
    )

    @Option(name: .long, help: "The agent's API base URL.")
    var url: String = "http://127.0.0.1:9598"

    @Option(name: .long, help: "Seconds between refreshes.")
    var interval: Double = 1

    @Flag(name: .long, help: "Print one table (rates over one interval) without clearing the screen, then exit.")
    var once = false

    func validate() throws {
        guard interval >= 0.1 else { throw ValidationError("--interval must be at least 0.1 seconds") }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw ValidationError("--url must start with http:// or https://") }
    }

    func run() throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { EventLoopDrain.runQueued(on: client.eventLoopGroup); try? client.syncShutdown() }
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        var previous = try sample(client, base)
        var previousTime = Date()
        while true {
            // The refresh interval of the display (not synchronization); Ctrl-C (SIGINT, default
            // action) ends the process at once, also during this sleep.
            Thread.sleep(forTimeInterval: interval)
            let current = try sample(client, base)
            let now = Date()
            let text = current.render(previous: previous, elapsed: now.timeIntervalSince(previousTime),
                                      title: "sluice top — \(base) — \(Self.clock(now)) (every \(interval)s, Ctrl-C to quit)")
            if once {
                print(text, terminator: "")
                return
            }
            // Home the cursor and clear the screen, then draw.
            print("\u{1B}[H\u{1B}[2J" + text, terminator: "")
            fflush(nil)   // every C stream (stdout is global mutable state to Swift 6)
            previous = current
            previousTime = now
        }
    }

    private func sample(_ client: HTTPClient, _ base: String) throws -> TopSnapshot {
        let metrics: String
        do {
            metrics = String(decoding: try get(client, base + "/metrics"), as: UTF8.self)
        } catch {
            printError("error: cannot read \(base)/metrics: \(error)")
            printError("Is `sluice run` running with `api: {enabled: true}` in its pipeline, at that address?")
            throw ExitCode(1)
        }
        let health = (try? get(client, base + "/health")).map(HealthReport.parseComponents) ?? []
        return TopSnapshot(samples: PrometheusText.parse(metrics), health: health)
    }

    private func get(_ client: HTTPClient, _ url: String) throws -> [UInt8] {
        let req = try HTTPClient.Request(url: url, method: .GET)
        let resp = try client.execute(request: req, deadline: .now() + .seconds(5)).wait()
        var body = resp.body ?? ByteBuffer()
        // /health answers 503 with its JSON when unhealthy: still a body worth showing.
        guard resp.status.code == 200 || resp.status.code == 503 else {
            throw ValidationError("HTTP \(resp.status.code)")
        }
        return body.readBytes(length: body.readableBytes) ?? []
    }

    static func clock(_ d: Date) -> String {
        let f = DateFormatter()
        f.dateFormat = "HH:mm:ss"
        return f.string(from: d)
    }
}
