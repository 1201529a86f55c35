import Foundation
import SluiceTestSupport
import XCTest
@testable import SluiceCore
@testable import SluiceIngest

/// Journal files are written by the real `systemd-journal-remote` from Journal Export Format.
final class JournaldSourceTests: XCTestCase {
    static let remote = "/lib/systemd/systemd-journal-remote"
    static let boot = "8d2f0a1c9b7e4f3aa6c5d4e3f2a1b0c9"
    static let baseUsec: UInt64 = 1_732_300_000_000_000  // 2024-11-22T18:26:40Z

    struct Entry {
        var usec: UInt64
        var fields: [(String, [UInt8])]
    }

    static func sshd(_ i: Int, usec: UInt64) -> Entry {
        Entry(usec: usec, fields: [
            ("_HOSTNAME", Array("bastion-01".utf8)), ("_TRANSPORT", Array("syslog".utf8)),
            ("SYSLOG_FACILITY", Array("10".utf8)), ("PRIORITY", Array("6".utf8)),
            ("SYSLOG_IDENTIFIER", Array("sshd".utf8)), ("_PID", Array("\(4000 + i)".utf8)),
            ("_UID", Array("0".utf8)), ("_COMM", Array("sshd".utf8)), ("_EXE", Array("/usr/sbin/sshd".utf8)),
            ("_CMDLINE", Array("sshd: alice [priv]".utf8)), ("_SYSTEMD_UNIT", Array("ssh.service".utf8)),
            ("MESSAGE", Array("Accepted publickey for alice from 203.0.113.\(i % 250) port \(50000 + i) ssh2: ED25519 SHA256:Jq7n".utf8)),
        ])
    }

    static func sudo(usec: UInt64) -> Entry {
        Entry(usec: usec, fields: [
            ("_HOSTNAME", Array("bastion-01".utf8)), ("PRIORITY", Array("5".utf8)), ("SYSLOG_FACILITY", Array("10".utf8)),
            ("SYSLOG_IDENTIFIER", Array("sudo".utf8)), ("_PID", Array("5120".utf8)), ("_UID", Array("1000".utf8)),
            ("_COMM", Array("sudo".utf8)), ("_EXE", Array("/usr/bin/sudo".utf8)),
            ("MESSAGE", Array("   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/tar czf /tmp/src.tgz /srv/git".utf8)),
        ])
    }

    static func githubAudit(usec: UInt64) -> Entry {
        // A binary (non-UTF-8) custom field and a MESSAGE with an invalid byte.
        var msg = Array(#"{"action":"git.clone","actor":"alice","repo":"acme/payments","programmatic_access_type":"Personal access token (classic)"}"#.utf8)
        msg.append(0xFF)
        return Entry(usec: usec, fields: [
            ("_HOSTNAME", Array("collector-02".utf8)), ("PRIORITY", Array("4".utf8)),
            ("SYSLOG_IDENTIFIER", Array("github-audit".utf8)), ("_PID", Array("777".utf8)),
            ("MESSAGE", msg), ("AUDIT_BLOB", [0x00, 0xC3, 0x28, 0xFE, 0x41]),
        ])
    }

    static func export(_ entries: [Entry]) -> [UInt8] {
        var out: [UInt8] = []
        for (n, e) in entries.enumerated() {
            out += Array("__REALTIME_TIMESTAMP=\(e.usec)\n__MONOTONIC_TIMESTAMP=\(1_000_000 + UInt64(n))\n_BOOT_ID=\(boot)\n".utf8)
            for (k, v) in e.fields {
                let printable = v.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
                if printable {
                    out += Array(k.utf8) + [0x3D] + v + [0x0A]
                } else {
                    out += Array(k.utf8) + [0x0A]
                    var len = UInt64(v.count).littleEndian
                    withUnsafeBytes(of: &len) { out += $0 }
                    out += v + [0x0A]
                }
            }
            out.append(0x0A)
        }
        return out
    }

    static func write(_ entries: [Entry], to path: String) throws {
        let run = try runProcess(remote, ["--output=\(path)", "-"], stdin: export(entries))
        let (status, output) = (run.status, run.output)
        XCTAssertEqual(status, 0, output)
    }

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.remote) else {
            throw MissingTestDependency("systemd-journal-remote is not installed (make deps installs it)")
        }
    }

    func testMapsFieldsFromJournalRemoteFile() throws {
        let dir = tempDir("jd-map")
        let file = dir + "/remote.journal"
        try Self.write([Self.sshd(1, usec: Self.baseUsec), Self.sudo(usec: Self.baseUsec + 1_000_000),
                        Self.githubAudit(usec: Self.baseUsec + 2_000_000)], to: file)
        let src = JournaldSource(location: .files([file]), excludeFields: ["_TRANSPORT"])
        let h = try SourceHarness(src, mode: .toEnd)
        h.start()
        let events = h.collect(3)
        XCTAssertTrue(h.waitFinished())
        XCTAssertEqual(events.count, 3)
        let ssh = events[0]
        XCTAssertEqual(ssh.timestamp, Int64(Self.baseUsec) * 1000)
        XCTAssertEqual(ssh.string(ECS.message), "Accepted publickey for alice from 203.0.113.1 port 50001 ssh2: ED25519 SHA256:Jq7n")
        XCTAssertEqual(ssh.text, ssh.string(ECS.message))
        XCTAssertEqual(ssh.string(ECS.hostName), "bastion-01")
        XCTAssertEqual(ssh.string(ECS.logSyslogAppName), "sshd")
        XCTAssertEqual(ssh[ECS.processPID], .int(4001))
        XCTAssertEqual(ssh.string(ECS.userID), "0")
        XCTAssertEqual(ssh.string(ECS.processName), "sshd")
        XCTAssertEqual(ssh.string(ECS.processExecutable), "/usr/sbin/sshd")
        XCTAssertEqual(ssh.string(ECS.processCommandLine), "sshd: alice [priv]")
        XCTAssertEqual(ssh.string(JournaldKeys.unit), "ssh.service")
        XCTAssertEqual(ssh[ECS.logSyslogSeverity], .int(6))
        XCTAssertEqual(ssh[ECS.logSyslogFacility], .int(10))
        XCTAssertEqual(ssh[ECS.logSyslogPriority], .int(86))
        XCTAssertEqual(ssh.string(JournaldKeys.bootID), Self.boot)
        XCTAssertNil(ssh[JournaldKeys.transport], "excluded field")
        XCTAssertTrue(ssh.string(JournaldKeys.cursor)?.contains("t=") ?? false)

        let sudo = events[1]
        XCTAssertEqual(sudo.string(ECS.logSyslogAppName), "sudo")
        XCTAssertEqual(sudo.string(ECS.userID), "1000")
        XCTAssertTrue(sudo.string(ECS.message)!.contains("COMMAND=/usr/bin/tar czf /tmp/src.tgz /srv/git"))

        let gh = events[2]
        XCTAssertEqual(gh.string(ECS.logSyslogAppName), "github-audit")
        XCTAssertEqual(gh.string(ECS.processName), "github-audit", "SYSLOG_IDENTIFIER is the process.name fallback")
        XCTAssertEqual(gh[ECS.logSyslogPriority], .int(4))
        XCTAssertEqual(gh.original.last, 0xFF, "event.original keeps MESSAGE's exact bytes")
        XCTAssertTrue(gh.string(ECS.message)!.hasSuffix("\u{FFFD}"))
        XCTAssertEqual(gh.string(FieldKey("journald.custom.audit_blob")), "\u{0}\u{FFFD}(\u{FFFD}A")
    }

    func testMatchGroupsAreOredAndFieldsAnded() throws {
        let dir = tempDir("jd-match")
        let file = dir + "/remote.journal"
        try Self.write([Self.sshd(1, usec: Self.baseUsec), Self.sudo(usec: Self.baseUsec + 1),
                        Self.githubAudit(usec: Self.baseUsec + 2)], to: file)
        // (SYSLOG_IDENTIFIER=sudo AND PRIORITY=5) OR (SYSLOG_IDENTIFIER=github-audit AND _HOSTNAME=nope)
        let src = JournaldSource(location: .files([file]),
                                 matchGroups: [["SYSLOG_IDENTIFIER=sudo", "PRIORITY=5"], ["SYSLOG_IDENTIFIER=github-audit", "_HOSTNAME=nope"]])
        let h = try SourceHarness(src, mode: .toEnd)
        h.start()
        XCTAssertTrue(h.waitFinished())
        let events = h.drain(quiet: 0.2)
        XCTAssertEqual(events.map { $0.string(ECS.logSyslogAppName) ?? "" }, ["sudo"])
    }

    func testFollowsAppendsAndResumesAfterCheckpointedCursor() throws {
        let dir = tempDir("jd-follow")
        let jdir = dir + "/remote"
        try FileManager.default.createDirectory(atPath: jdir, withIntermediateDirectories: true)
        let file = jdir + "/remote.journal"
        let state = dir + "/state"
        try Self.write((0..<3).map { Self.sshd($0, usec: Self.baseUsec + UInt64($0) * 1000) }, to: file)

        let src = JournaldSource(location: .directory(jdir))
        let h = try SourceHarness(src, stateDir: state)
        h.start()
        XCTAssertEqual(h.collect(3).count, 3)
        // Appended while the source follows (sd_journal_wait wakes it).
        try Self.write((3..<5).map { Self.sshd($0, usec: Self.baseUsec + UInt64($0) * 1000) }, to: file)
        let more = h.collect(2)
        XCTAssertEqual(more.map { $0[ECS.processPID] }, [.int(4003), .int(4004)])
        h.stop()
        let saved = try CheckpointStore(dataDirectory: state).load(JournaldCheckpoint.self, for: "test")
        XCTAssertEqual(saved?.cursor, more.last?.string(JournaldKeys.cursor))

        // Restart: the checkpointed entry is not delivered again; a new one is.
        try Self.write([Self.sshd(5, usec: Self.baseUsec + 5000)], to: file)
        let src2 = JournaldSource(location: .directory(jdir))
        let h2 = try SourceHarness(src2, stateDir: state)
        h2.start()
        let after = h2.collect(1)
        XCTAssertEqual(after.map { $0[ECS.processPID] }, [.int(4005)])
        XCTAssertEqual(h2.drain(quiet: 0.5).count, 0)
        h2.stop()
        XCTAssertEqual(src2.cursorLostCount, 0)
    }

    func testUnacknowledgedEntriesAreNotCheckpointed() throws {
        let dir = tempDir("jd-noack")
        let file = dir + "/remote.journal"
        try Self.write((0..<4).map { Self.sshd($0, usec: Self.baseUsec + UInt64($0)) }, to: file)
        let src = JournaldSource(location: .files([file]), batchSize: 2)
        let h = try SourceHarness(src, stateDir: dir + "/state")
        h.start()
        let first = h.collect(2)                              // acknowledged
        let rest = h.collect(2, acknowledge: false)           // delivered, never acknowledged
        XCTAssertEqual(first.count + rest.count, 4)
        h.stop()
        let saved = try CheckpointStore(dataDirectory: dir + "/state").load(JournaldCheckpoint.self, for: "test")
        XCTAssertEqual(saved?.cursor, first.last?.string(JournaldKeys.cursor))
    }

    func testVacuumedCursorResumesAtOldestLaterEntryAndIsCounted() throws {
        let dir = tempDir("jd-vacuum")
        let jdir = dir + "/remote"
        try FileManager.default.createDirectory(atPath: jdir, withIntermediateDirectories: true)
        let state = dir + "/state"
        let older = jdir + "/older.journal", newer = jdir + "/newer.journal"
        try Self.write((0..<3).map { Self.sshd($0, usec: Self.baseUsec + UInt64($0) * 1_000_000) }, to: older)
        try Self.write((10..<13).map { Self.sshd($0, usec: Self.baseUsec + UInt64($0) * 1_000_000) }, to: newer)

        // Checkpoint the second entry of the older file.
        let src = JournaldSource(location: .files([older]), batchSize: 1)
        let h = try SourceHarness(src, stateDir: state)
        h.start()
        XCTAssertEqual(h.collect(1).count, 1)
        _ = h.collect(1)
        h.stop()
        _ = h.drain(quiet: 0.1)
        let saved = try XCTUnwrap(CheckpointStore(dataDirectory: state).load(JournaldCheckpoint.self, for: "test"))

        // The older file is vacuumed away.
        try FileManager.default.removeItem(atPath: older)
        let src2 = JournaldSource(location: .directory(jdir), since: .tail)
        let h2 = try SourceHarness(src2, stateDir: state)
        h2.start()
        let events = h2.collect(3)
        h2.stop()
        XCTAssertEqual(events.map { $0[ECS.processPID] }, [.int(4010), .int(4011), .int(4012)],
                       "resumes at the oldest entry after the lost cursor, not at the tail (checkpoint \(saved.cursor))")
        XCTAssertEqual(src2.cursorLostCount, 1)
    }

    func testOptionsRejectBadMatchAndUnknownKeys() throws {
        let yaml = """
        files: [/var/log/journal/x.journal]
        matches:
          - [SYSLOG_IDENTIFIER=sshd, _SYSTEMD_UNIT=ssh.service]
          - [lowercase=bad]
        since: tail
        bogus: 1
        """
        let o = try options(yaml)
        _ = try JournaldSource.make(o, buildContext())
        let issues = o.finish().map { "\($0)" }.joined(separator: "\n")
        XCTAssertTrue(issues.contains("lowercase=bad"), issues)
        XCTAssertTrue(issues.contains("unknown option 'bogus'"), issues)
    }
}
