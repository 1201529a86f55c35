// swift-tools-version:6.1
//
// libFuzzer targets for Sluice's parsers: one executable `fuzz-<format>` per registered
// format, all sharing the driver in Sources/FuzzDriver. Build and run with
// `bash Fuzz/fuzz.sh [seconds-per-parser] [format...]` (which passes `-sanitize=fuzzer`).
import PackageDescription

let formats = ["syslog", "github-audit", "cef", "auto", "json", "squid", "w3c-proxy", "bind-query",
               "dnsmasq", "zeek-dns", "auditd", "sysmon-linux", "osquery"]
let flags: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"]), .swiftLanguageMode(.v5)]

let package = Package(
    name: "SluiceFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "sluice", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .target(name: "FuzzDriver", dependencies: [
            .product(name: "SluiceParse", package: "sluice"),
            .product(name: "SluiceCore", package: "sluice"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: flags),
    ] + formats.map { f in
        .executableTarget(name: "fuzz-\(f)", dependencies: ["FuzzDriver"], path: "Sources/Targets/\(f)", swiftSettings: flags)
    }
)
