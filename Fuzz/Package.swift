// swift-tools-version:6.1
//
// libFuzzer targets for Sluice's parsers (one executable per parser). Build and run with
// `bash Fuzz/fuzz.sh [seconds-per-parser]` (which passes `-sanitize=fuzzer`).
import PackageDescription

let flags: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"]), .swiftLanguageMode(.v5)]
let deps: [Target.Dependency] = [
    .product(name: "SluiceParse", package: "sluice"),
    .product(name: "SluiceCore", package: "sluice"),
    .product(name: "Logging", package: "swift-log"),
]

let package = Package(
    name: "SluiceFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "sluice", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(name: "fuzz-syslog", dependencies: deps, path: "Sources/FuzzSyslog", swiftSettings: flags),
        .executableTarget(name: "fuzz-github-audit", dependencies: deps, path: "Sources/FuzzGitHubAudit", swiftSettings: flags),
        .executableTarget(name: "fuzz-cef", dependencies: deps, path: "Sources/FuzzCEF", swiftSettings: flags),
        .executableTarget(name: "fuzz-auto", dependencies: deps, path: "Sources/FuzzAuto", swiftSettings: flags),
    ]
)
