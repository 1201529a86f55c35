import SluiceTestSupport
import XCTest
import SluiceCore
@testable import SluiceParse

final class OsqueryParserTests: XCTestCase {
    static let processEvent = #"{"name":"pack_incident-response_process_events","hostIdentifier":"build1","calendarTime":"Mon Nov 23 02:08:36 2026 UTC","unixTime":1700000001,"epoch":0,"counter":12,"numerics":false,"decorations":{"host_uuid":"4740D59F-699E-5B29-960B-979AAF9BBEEB"},"columns":{"atime":"0","auid":"1000","btime":"0","cmdline":"git push origin main","ctime":"0","cwd":"/home/alice/src","egid":"1000","euid":"1000","gid":"1000","mode":"0100755","parent":"1200","path":"/usr/bin/git","pid":"1234","time":"1700000000","uid":"1000","syscall":"execve"},"action":"added"}"#
    static let socketEvent = #"{"name":"socket_events","hostIdentifier":"build1","calendarTime":"Mon Nov 23 02:08:37 2026 UTC","unixTime":1700000002,"epoch":0,"counter":3,"numerics":true,"columns":{"action":"connect","auid":1000,"family":2,"fd":"5","local_address":"10.0.0.5","local_port":51544,"path":"/usr/bin/curl","pid":1240,"protocol":6,"remote_address":"140.82.112.6","remote_port":443,"socket":"","success":1,"time":1700000002},"action":"added"}"#
    static let snapshot = #"{"snapshot":[{"pid":"1","name":"systemd","path":"/usr/lib/systemd/systemd","cmdline":"/sbin/init","cwd":"/","uid":"0","parent":"0"},{"pid":"1234","name":"git","path":"/usr/bin/git","cmdline":"git push","cwd":"/home/alice/src","uid":"1000","parent":"1200"}],"action":"snapshot","name":"processes","hostIdentifier":"build1","calendarTime":"Mon Nov 23 02:08:35 2026 UTC","unixTime":1700000000,"epoch":0,"counter":0,"numerics":false}"#
    static let batch = #"{"diffResults":{"added":[{"name":"usb_devices","vendor":"Yubico","model":"YubiKey"}],"removed":[{"name":"usb_devices","vendor":"SanDisk","model":"Cruzer"}]},"name":"usb_devices","hostIdentifier":"build1","calendarTime":"Mon Nov 23 02:08:35 2026 UTC","unixTime":1700000000,"epoch":0,"counter":4,"numerics":false}"#

    let p = OsqueryParser()

    func testProcessEventsDifferential() throws {
        let e = try ParserHarness.one(p, Self.processEvent)
        XCTAssertEqual(e.timestamp, 1_700_000_000_000_000_000)
        XCTAssertEqual(PB.str(e, "host.name"), "build1")
        XCTAssertEqual(PB.str(e, "osquery.query_name"), "pack_incident-response_process_events")
        XCTAssertEqual(PB.str(e, "osquery.action"), "added")
        XCTAssertEqual(PB.int(e, "process.pid"), 1234)
        XCTAssertEqual(PB.int(e, "process.parent.pid"), 1200)
        XCTAssertEqual(PB.str(e, "process.executable"), "/usr/bin/git")
        XCTAssertEqual(PB.str(e, "process.name"), "git")
        XCTAssertEqual(PB.str(e, "process.command_line"), "git push origin main")
        XCTAssertEqual(PB.str(e, "process.working_directory"), "/home/alice/src")
        XCTAssertEqual(PB.str(e, "user.id"), "1000")
        XCTAssertEqual(PB.str(e, "user.audit.id"), "1000")
        XCTAssertEqual(PB.str(e, "osquery.columns.syscall"), "execve")
        XCTAssertEqual(e[ECS.eventType], .array([.string("start")]))
        XCTAssertEqual(e[ECS.eventCategory], .array([.string("process")]))
        XCTAssertEqual(PB.str(e, "event.dataset"), "osquery.result")
        XCTAssertNotNil(e[PB.key("osquery.decorations")])
    }

    func testSocketEventsWithNumerics() throws {
        let e = try ParserHarness.one(p, Self.socketEvent)
        XCTAssertEqual(e.timestamp, 1_700_000_002_000_000_000)
        XCTAssertEqual(PB.str(e, "event.action"), "connect")
        XCTAssertEqual(PB.str(e, "destination.ip"), "140.82.112.6")
        XCTAssertEqual(PB.int(e, "destination.port"), 443)
        XCTAssertEqual(PB.str(e, "source.ip"), "10.0.0.5")
        XCTAssertEqual(PB.int(e, "source.port"), 51544)
        XCTAssertEqual(PB.str(e, "network.transport"), "tcp")
        XCTAssertEqual(PB.str(e, "network.type"), "ipv4")
        XCTAssertEqual(PB.int(e, "process.pid"), 1240)
        XCTAssertEqual(PB.str(e, "process.name"), "curl")
        XCTAssertEqual(e[ECS.eventCategory], .array([.string("network")]))
    }

    func testSnapshotGivesOneEventPerRow() throws {
        let out = try ParserHarness.run(p, Self.snapshot)
        XCTAssertEqual(out.count, 2)
        XCTAssertEqual(out.map { PB.str($0, "process.name") }, ["systemd", "git"])
        XCTAssertEqual(out.map { PB.int($0, "process.parent.pid") }, [0, 1200])
        XCTAssertEqual(out[1][ECS.eventType], .array([.string("info")]))
        XCTAssertEqual(out[1].timestamp, 1_700_000_000_000_000_000)
        XCTAssertEqual(PB.str(out[1], "osquery.action"), "snapshot")
    }

    func testBatchDiffResultsAndOtherQueries() throws {
        let out = try ParserHarness.run(p, Self.batch)
        XCTAssertEqual(out.count, 2)
        XCTAssertEqual(out.map { PB.str($0, "osquery.action") }, ["added", "removed"])
        XCTAssertEqual(out.map { PB.str($0, "osquery.columns.vendor") }, ["Yubico", "SanDisk"])
        XCTAssertNil(out[0][ECS.eventCategory])
        // Table recognized by columns when the query name says nothing.
        let e = try ParserHarness.one(p, #"{"name":"my_custom_query","hostIdentifier":"h","unixTime":1700000000,"columns":{"pid":"1","path":"/bin/sh","cmdline":"sh -c id"},"action":"added"}"#)
        XCTAssertEqual(PB.str(e, "process.command_line"), "sh -c id")
        XCTAssertTrue(try ParserHarness.run(p, #"{"name":"processes","snapshot":[],"action":"snapshot"}"#).isEmpty)
    }

    func testMalformed() {
        XCTAssertEqual(PB.failure(p, "")?.reason, "empty_record")
        XCTAssertEqual(PB.failure(p, "[1,2]")?.reason, "not_an_object")
        XCTAssertEqual(PB.failure(p, String(Self.processEvent.prefix(80)))?.reason, "invalid_json")
        XCTAssertEqual(PB.failure(p, #"{"hostIdentifier":"h","columns":{"pid":"1"}}"#)?.reason, "missing_field")
        XCTAssertEqual(PB.failure(p, #"{"name":"x","hostIdentifier":"h"}"#)?.reason, "missing_field")
        // Wrong types are tolerated: a pid that is not a number stays under osquery.columns.
        let e = try? ParserHarness.one(p, #"{"name":"process_events","unixTime":"soon","columns":{"pid":"abc","parent":[1],"time":{"x":1}},"action":"added"}"#)
        XCTAssertEqual(e.flatMap { PB.str($0, "osquery.columns.pid") }, "abc")
        XCTAssertEqual(e?.timestamp, 0)
    }

    func testFuzzNeverCrashes() {
        let (events, failures) = PB.fuzz(p, seeds: [Self.processEvent, Self.socketEvent, Self.snapshot, Self.batch])
        XCTAssertGreaterThan(events, 0)
        XCTAssertGreaterThan(failures, 0)
    }
}
