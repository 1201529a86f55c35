// swift-tools-version:6.1
//
// Sluice: a log-pipeline agent for security teams (see README.md and DESIGN.md).
import PackageDescription

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        .library(name: "SluiceCore", targets: ["SluiceCore"]),
        .library(name: "SluiceParse", targets: ["SluiceParse"]),
        .library(name: "SluiceSink", targets: ["SluiceSink"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .systemLibrary(
            name: "CMaxMindDB",
            pkgConfig: "libmaxminddb",
            providers: [.apt(["libmaxminddb-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "SluiceCore",
            dependencies: [
                "CSystemd", "CZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "SluiceIngest",
            dependencies: [
                "SluiceCore", "CSystemd", "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .target(name: "SluiceParse", dependencies: ["SluiceCore"]),
        .target(
            name: "SluiceEnrich",
            dependencies: [
                "SluiceCore", "CMaxMindDB", "Yams",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "SluiceDetect", dependencies: ["SluiceCore", "Yams", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "SluiceSink",
            dependencies: [
                "SluiceCore", "CZlib",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(
            name: "sluice",
            dependencies: [
                "SluiceCore", "SluiceIngest", "SluiceParse", "SluiceEnrich", "SluiceDetect", "SluiceSink",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            resources: [],
            // Release builds (what the .deb ships, `make demo`, the benchmarks) link jemalloc
            // (Debian libjemalloc-dev), which then serves every allocation: events cross
            // threads between stages, and glibc's malloc frees another thread's block under
            // that thread's arena lock. Debug builds and the tests keep glibc's: a sanitizer
            // intercepts malloc but not jemalloc's operator new, and the two would mix.
            linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux], configuration: .release))]
        ),
        // The runtime with test-only stateful transforms, run as a process by the crash tests.
        .executableTarget(
            name: "sluice-test-agent",
            dependencies: ["SluiceCore", "SluiceIngest", "SluiceParse", "SluiceSink", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestAgent"
        ),
        // Helpers shared by the test targets (receivers, waits, temporary directories, parser
        // harness, generators); a library only the tests depend on.
        .target(name: "SluiceTestSupport", dependencies: [
            "SluiceCore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ], path: "Tests/SluiceTestSupport"),
        .testTarget(name: "SluiceCoreTests", dependencies: [
            "SluiceCore", "SluiceTestSupport", .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "SluiceIngestTests", dependencies: [
            "SluiceIngest", "SluiceCore", "SluiceParse", "SluiceTestSupport",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        .testTarget(
            name: "SluiceParseTests",
            dependencies: ["SluiceParse", "SluiceCore", "SluiceTestSupport", "Yams", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "SluiceEnrichTests",
            dependencies: ["SluiceEnrich", "SluiceCore", "SluiceParse", "SluiceTestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "SluiceDetectTests", dependencies: ["SluiceDetect", "SluiceCore", "SluiceParse", "SluiceSink", "SluiceTestSupport", "Yams"]),
        .testTarget(name: "SluiceSinkTests", dependencies: [
            "SluiceSink", "SluiceCore", "SluiceParse", "SluiceTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .testTarget(name: "sluiceTests", dependencies: ["sluice", "SluiceCore", "SluiceIngest", "SluiceParse", "SluiceSink", "SluiceTestSupport"]),
    ]
)

// The benchmark executables (`make bench`, the release build) are left out when
// SLUICE_NO_BENCHMARKS is set: `make test` builds that way, since nothing tests them and
// linking five more debug executables is about 15 s of its build.
if Context.environment["SLUICE_NO_BENCHMARKS"] == nil {
    package.targets += [
        .executableTarget(
            name: "sluice-ingest-bench",
            dependencies: ["SluiceCore", "SluiceIngest", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/IngestBench"
        ),
        .executableTarget(
            name: "sluice-bench",
            dependencies: ["SluiceCore", "SluiceParse", "Yams", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/SluiceBench"
        ),
        .executableTarget(
            name: "sluice-enrich-bench",
            dependencies: ["SluiceCore", "SluiceEnrich", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/EnrichBench"
        ),
        .executableTarget(
            name: "sluice-detect-bench",
            dependencies: ["SluiceCore", "SluiceDetect"],
            path: "Benchmarks/DetectBench"
        ),
        .executableTarget(
            name: "sluice-sink-bench",
            dependencies: ["SluiceCore", "SluiceSink", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/SinkBench"
        ),
    ]
    package.products += [
        .executable(name: "sluice-bench", targets: ["sluice-bench"]),
        .executable(name: "sluice-detect-bench", targets: ["sluice-detect-bench"]),
    ]
}

// SLUICE_TEST_TARGETS (names separated by spaces or commas) keeps only those test targets and
// what they depend on: `make test-tsan` builds that way, so its Thread Sanitizer build does not
// compile the detection, enrichment and command-line modules, their tests, or the `sluice`
// executable, none of which its filter runs.
if let kept = Context.environment["SLUICE_TEST_TARGETS"] {
    var needed = Set(kept.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init))
    var queue = Array(needed)
    let byName = Dictionary(uniqueKeysWithValues: package.targets.map { ($0.name, $0) })
    while let name = queue.popLast() {
        for dependency in byName[name]?.dependencies ?? [] {
            let depName: String
            switch dependency {
            case .targetItem(let n, _), .byNameItem(let n, _): depName = n
            default: continue
            }
            if byName[depName] != nil, needed.insert(depName).inserted { queue.append(depName) }
        }
    }
    package.targets.removeAll { !needed.contains($0.name) }
    package.products.removeAll { !needed.contains($0.name) }   // each product is named after its one target
}

// Swift 6 language mode (complete concurrency checking) target by target: the targets in
// `swift6` are checked (today every Swift target; a new target joins once it passes).
// Shared state is Sendable or under `Locked`; each `@unchecked Sendable` carries a
// `// SAFETY:` comment saying why it is safe.
// Release builds skip dynamic exclusivity checks (the hot loops of the parsers and encoders
// access class-held buffers per byte); debug builds and tests keep them.
let swift6: Set<String> = ["SluiceCore", "SluiceCoreTests", "sluice-test-agent", "SluiceParse", "SluiceParseTests",
                           "SluiceEnrich", "SluiceEnrichTests",
                           "SluiceDetect", "SluiceDetectTests", "sluice-detect-bench", "SluiceTestSupport",
                           "SluiceSink", "SluiceIngest", "sluice", "SluiceSinkTests", "SluiceIngestTests", "sluiceTests",
                           "sluice-bench", "sluice-ingest-bench", "sluice-enrich-bench", "sluice-sink-bench"]
// Debug builds (`swift build`, the tests) compile Sluice's own modules with `-O`: `make test`
// replays the Acme day (1.15 million lines) end to end, which these modules unoptimized take
// minutes over, so one build serves the suite and the end-to-end test instead of a debug and
// a release build (the tests keep `-enable-testing` and the debug defines; dependencies stay
// unoptimized). `SLUICE_DEBUG_ONONE=1 swift build` compiles them unoptimized, for a debugger
// (and `make test-tsan`, for whole stack traces).
let optimizedInDebug: Set<String> = Context.environment["SLUICE_DEBUG_ONONE"] == nil
    ? ["SluiceCore", "SluiceIngest", "SluiceParse", "SluiceEnrich", "SluiceDetect", "SluiceSink", "sluice"] : []
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .swiftLanguageMode(swift6.contains(target.name) ? .v6 : .v5),
        .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
    ] + (optimizedInDebug.contains(target.name) ? [.unsafeFlags(["-O"], .when(configuration: .debug))] : [])
}
