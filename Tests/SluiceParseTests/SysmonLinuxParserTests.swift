import SluiceTestSupport
import XCTest
import SluiceCore
@testable import SluiceParse

final class SysmonLinuxParserTests: XCTestCase {
    static func system(_ id: Int, record: Int = 4321) -> String {
        "<System><Provider Name=\"Linux-Sysmon\" Guid=\"{ff032593-a8d3-4f13-b0d6-01fc615a0f97}\"/><EventID>\(id)</EventID><Version>5</Version><Level>4</Level><Task>\(id)</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime=\"2026-11-23T02:08:35.999000000Z\"/><EventRecordID>\(record)</EventRecordID><Correlation/><Execution ProcessID=\"812\" ThreadID=\"812\"/><Channel>Linux-Sysmon/Operational</Channel><Computer>build1</Computer><Security UserId=\"0\"/></System>"
    }
    static let processCreate = "Nov 23 02:08:35 build1 sysmon: <Event>" + system(1) + "<EventData><Data Name=\"RuleName\">-</Data><Data Name=\"UtcTime\">2026-11-23 02:08:35.123</Data><Data Name=\"ProcessGuid\">{7f2b3c4d-1a2b-6543-0000-000000000001}</Data><Data Name=\"ProcessId\">1234</Data><Data Name=\"Image\">/usr/bin/git</Data><Data Name=\"FileVersion\">-</Data><Data Name=\"Description\">-</Data><Data Name=\"Product\">-</Data><Data Name=\"Company\">-</Data><Data Name=\"OriginalFileName\">-</Data><Data Name=\"CommandLine\">git push origin main &amp;&amp; echo &quot;done&quot; &lt;ok&gt; &#x263A;</Data><Data Name=\"CurrentDirectory\">/home/alice/src</Data><Data Name=\"User\">alice</Data><Data Name=\"LogonGuid\">{7f2b3c4d-0000-0000-e803-000000000000}</Data><Data Name=\"LogonId\">1000</Data><Data Name=\"TerminalSessionId\">3</Data><Data Name=\"IntegrityLevel\">no level</Data><Data Name=\"Hashes\">SHA256=ABCDEF0123</Data><Data Name=\"ParentProcessGuid\">{7f2b3c4d-1a2b-6543-0000-000000000000}</Data><Data Name=\"ParentProcessId\">1200</Data><Data Name=\"ParentImage\">/bin/bash</Data><Data Name=\"ParentCommandLine\">-bash</Data><Data Name=\"ParentUser\">alice</Data></EventData></Event>"
    static let network = "<Event>" + system(3) + "<EventData><Data Name=\"RuleName\">-</Data><Data Name=\"UtcTime\">2026-11-23 02:08:36.000</Data><Data Name=\"ProcessGuid\">{g}</Data><Data Name=\"ProcessId\">1240</Data><Data Name=\"Image\">/usr/bin/curl</Data><Data Name=\"User\">alice</Data><Data Name=\"Protocol\">tcp</Data><Data Name=\"Initiated\">true</Data><Data Name=\"SourceIsIpv6\">false</Data><Data Name=\"SourceIp\">10.0.0.5</Data><Data Name=\"SourceHostname\">-</Data><Data Name=\"SourcePort\">51544</Data><Data Name=\"SourcePortName\">-</Data><Data Name=\"DestinationIsIpv6\">false</Data><Data Name=\"DestinationIp\">140.82.112.6</Data><Data Name=\"DestinationHostname\">api.github.com</Data><Data Name=\"DestinationPort\">443</Data><Data Name=\"DestinationPortName\">https</Data></EventData></Event>"
    static let fileCreate = "<Event>" + system(11) + "<EventData><Data Name=\"RuleName\">-</Data><Data Name=\"UtcTime\">2026-11-23 02:08:37.000</Data><Data Name=\"ProcessGuid\">{g}</Data><Data Name=\"ProcessId\">1250</Data><Data Name=\"Image\">/usr/bin/tar</Data><Data Name=\"TargetFilename\">/tmp/stage/src.tar.gz</Data><Data Name=\"CreationUtcTime\">2026-11-23 02:08:37.000</Data><Data Name=\"User\">alice</Data></EventData></Event>"
    static let fileDelete = "<Event>" + system(23) + "<EventData><Data Name=\"RuleName\">-</Data><Data Name=\"UtcTime\">2026-11-23 02:09:00.000</Data><Data Name=\"ProcessGuid\">{g}</Data><Data Name=\"ProcessId\">1260</Data><Data Name=\"User\">alice</Data><Data Name=\"Image\">/usr/bin/rm</Data><Data Name=\"TargetFilename\">/tmp/stage/src.tar.gz</Data><Data Name=\"Hashes\">SHA256=00FF</Data><Data Name=\"IsExecutable\">false</Data><Data Name=\"Archived\">true</Data></EventData></Event>"

    let p = SysmonLinuxParser()

    func testProcessCreate() throws {
        let e = try ParserHarness.one(p, Self.processCreate)
        XCTAssertEqual(e.timestamp, Timestamp.make(year: 2026, month: 11, day: 23, hour: 2, minute: 8, second: 35, nanos: 123_000_000))
        XCTAssertEqual(PB.str(e, "event.code"), "1")
        XCTAssertEqual(e[ECS.eventCategory], .array([.string("process")]))
        XCTAssertEqual(e[ECS.eventType], .array([.string("start")]))
        XCTAssertEqual(PB.str(e, "host.name"), "build1")
        XCTAssertEqual(PB.int(e, "process.pid"), 1234)
        XCTAssertEqual(PB.str(e, "process.executable"), "/usr/bin/git")
        XCTAssertEqual(PB.str(e, "process.name"), "git")
        XCTAssertEqual(PB.str(e, "process.command_line"), "git push origin main && echo \"done\" <ok> \u{263A}")
        XCTAssertEqual(PB.str(e, "process.working_directory"), "/home/alice/src")
        XCTAssertEqual(PB.str(e, "user.name"), "alice")
        XCTAssertEqual(PB.int(e, "process.parent.pid"), 1200)
        XCTAssertEqual(PB.str(e, "process.parent.executable"), "/bin/bash")
        XCTAssertEqual(PB.str(e, "process.parent.name"), "bash")
        XCTAssertEqual(PB.str(e, "process.parent.command_line"), "-bash")
        XCTAssertEqual(PB.str(e, "process.entity_id"), "{7f2b3c4d-1a2b-6543-0000-000000000001}")
        XCTAssertEqual(PB.str(e, "process.hash.sha256"), "abcdef0123")
        XCTAssertEqual(PB.str(e, "sysmon.LogonId"), "1000")
        XCTAssertEqual(PB.str(e, "sysmon.IntegrityLevel"), "no level")
        XCTAssertNil(e[PB.key("sysmon.FileVersion")])
        XCTAssertNil(e[ECS.ruleName])
        XCTAssertEqual(PB.str(e, "event.dataset"), "sysmon_linux")
        XCTAssertEqual(PB.int(e, "sysmon.record_id"), 4321)
    }

    func testNetworkFileCreateAndDelete() throws {
        let n = try ParserHarness.one(p, Self.network)
        XCTAssertEqual(PB.str(n, "source.ip"), "10.0.0.5")
        XCTAssertEqual(PB.int(n, "source.port"), 51544)
        XCTAssertEqual(PB.str(n, "destination.ip"), "140.82.112.6")
        XCTAssertEqual(PB.str(n, "destination.domain"), "api.github.com")
        XCTAssertEqual(PB.int(n, "destination.port"), 443)
        XCTAssertEqual(PB.str(n, "network.transport"), "tcp")
        XCTAssertEqual(PB.str(n, "network.direction"), "egress")
        XCTAssertEqual(n[ECS.eventCategory], .array([.string("network")]))
        XCTAssertNil(n[ECS.sourceDomain])
        let f = try ParserHarness.one(p, Self.fileCreate)
        XCTAssertEqual(PB.str(f, "file.path"), "/tmp/stage/src.tar.gz")
        XCTAssertEqual(PB.str(f, "file.name"), "src.tar.gz")
        XCTAssertEqual(PB.str(f, "file.directory"), "/tmp/stage")
        XCTAssertEqual(f[ECS.eventType], .array([.string("creation")]))
        let d = try ParserHarness.one(p, Self.fileDelete)
        XCTAssertEqual(PB.str(d, "event.code"), "23")
        XCTAssertEqual(d[ECS.eventType], .array([.string("deletion")]))
        XCTAssertEqual(PB.str(d, "file.hash.sha256"), "00ff")
        XCTAssertEqual(PB.str(d, "sysmon.Archived"), "true")
    }

    func testSystemTimeFallbackAndOtherEvents() throws {
        let e = try ParserHarness.one(p, "<Event>" + Self.system(16) + "<EventData><Data Name=\"Configuration\">/opt/sysmon/config.xml</Data><Data Name=\"ConfigurationFileHash\"/></EventData></Event>")
        XCTAssertEqual(e.timestamp, Timestamp.make(year: 2026, month: 11, day: 23, hour: 2, minute: 8, second: 35, nanos: 999_000_000))
        XCTAssertEqual(PB.str(e, "sysmon.Configuration"), "/opt/sysmon/config.xml")
        XCTAssertNil(e[ECS.eventCategory])
    }

    func testMalformed() {
        XCTAssertEqual(PB.failure(p, "")?.reason, "empty_record")
        XCTAssertEqual(PB.failure(p, "Nov 23 02:08:35 build1 sysmon: starting")?.reason, "not_sysmon")
        XCTAssertEqual(PB.failure(p, String(Self.processCreate.prefix(600)))?.reason, "truncated")
        XCTAssertEqual(PB.failure(p, "<Event><System><Computer>x</Computer></System></Event>")?.reason, "missing_field")
        XCTAssertEqual(PB.failure(p, "<Event><System><EventID>1</EventID><Computer x=\"unterminated></Event>")?.reason, "invalid_xml")
        XCTAssertEqual(PB.failure(p, [UInt8](repeating: 0x3C, count: 300_000))?.reason, "too_long")
        // 10,000 Data elements: only the first 128 are read.
        let many = "<Event>" + Self.system(1) + "<EventData>" + String(repeating: "<Data Name=\"X\">1</Data>", count: 10_000) + "</EventData></Event>"
        XCTAssertNoThrow(try ParserHarness.run(p, many))
    }

    func testFuzzNeverCrashes() {
        let (events, failures) = PB.fuzz(p, seeds: [Self.processCreate, Self.network, Self.fileCreate, Self.fileDelete])
        XCTAssertGreaterThan(events, 0)
        XCTAssertGreaterThan(failures, 0)
    }
}
