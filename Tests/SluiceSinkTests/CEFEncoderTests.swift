import SluiceCore
import SluiceParse
import XCTest
@testable import SluiceSink

final class CEFEncoderTests: XCTestCase {
    func encode(_ e: Event) -> String {
        var out: [UInt8] = []
        CEFEncoder(deviceExternalID: "collector-01").encode(e, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func testAlertHeaderAndStandardFields() throws {
        let line = encode(TestSupport.cloneAlert(repos: ["acme/api", "acme/web", "acme/infra"]))
        XCTAssertTrue(line.hasPrefix("CEF:0|Sluice|Sluice|\(SluiceProduct.version)|sluice-github-mass-clone-pat|Mass cloning of repositories with a personal access token|8|"), line)
        let r = try XCTUnwrap(CEFRecord(line))
        XCTAssertEqual(r.header.count, 7)
        XCTAssertEqual(r.ext["rt"], String(TestSupport.t0 / 1_000_000))
        XCTAssertEqual(r.ext["start"], String((TestSupport.t0 - 300_000_000_000) / 1_000_000))
        XCTAssertEqual(r.ext["end"], String(TestSupport.t0 / 1_000_000))
        XCTAssertEqual(r.ext["cnt"], "3")
        XCTAssertEqual(r.ext["suser"], "mallory")
        XCTAssertEqual(r.ext["src"], "203.0.113.7")
        XCTAssertEqual(r.ext["act"], "git.clone")
        XCTAssertEqual(r.ext["externalId"], "a-1")
        XCTAssertEqual(r.ext["deviceExternalId"], "collector-01")
        XCTAssertEqual(r.ext["requestClientApplication"], "git/2.43.0")
        XCTAssertEqual(r.ext["cs1Label"], "repositories")
        XCTAssertEqual(r.ext["cs1"], "acme/api,acme/web,acme/infra")
        XCTAssertEqual(r.ext["cn1Label"], "distinct_repos")
        XCTAssertEqual(r.ext["cn1"], "3")
        XCTAssertEqual(r.ext["cs2Label"], "attack_technique")
        XCTAssertEqual(r.ext["cs2"], "T1567.001")
        XCTAssertEqual(r.ext["cs3"], "TA0010")
        XCTAssertEqual(r.ext["cs4"], "user.name=mallory")
        XCTAssertEqual(r.ext["cs5"], "threat.indicator.ip=203.0.113.7")
        XCTAssertEqual(r.ext["msg"], "mallory cloned 3 distinct repositories with a PAT within 10m")
    }

    func testSeverityMapping() {
        let expected: [(Severity, String)] = [(.informational, "1"), (.low, "3"), (.medium, "5"), (.high, "8"), (.critical, "10")]
        for (s, n) in expected {
            let r = CEFRecord(encode(TestSupport.cloneAlert(repos: ["a/b"], severity: s)))
            XCTAssertEqual(r?.header[6], n, "\(s)")
        }
    }

    func testHeaderEscaping() {
        let alert = Alert(id: "x", ruleID: "rule|with\\pipe", ruleName: "name|x\nnext", severity: .low, count: 1, firstSeen: 0, lastSeen: 0)
        var e = Event(timestamp: TestSupport.t0); e.alert = alert
        let line = encode(e)
        XCTAssertTrue(line.contains("|rule\\|with\\\\pipe|name\\|x next|3|"), line)
        let r = CEFRecord(line)
        XCTAssertEqual(r?.header[4], "rule|with\\pipe")
        XCTAssertEqual(r?.header[5], "name|x next")
    }

    func testExtensionEscapingExact() {
        var out: [UInt8] = []
        CEFEncoder.appendExtensionValue("a=b\\c\r\nd|e\u{0}f", limit: 100, to: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "a\\=b\\\\c\\r\\nd|e\u{FFFD}f")
    }

    func testInvalidUTF8BytesNeverPassRaw() {
        var out: [UInt8] = []
        let bad: [UInt8] = [0x61, 0xFF, 0xC3, 0x28, 0xED, 0xA0, 0x80, 0x62]
        bad.withUnsafeBufferPointer { CEFEncoder.appendExtensionBytes($0, limit: 100, to: &out) }
        out.withUnsafeBufferPointer { XCTAssertTrue(UTF8Validation.isValid($0)) }
        XCTAssertFalse(out.contains(0xFF))
        XCTAssertTrue(String(decoding: out, as: UTF8.self).hasPrefix("a\u{FFFD}"))
    }

    func testLongValuesAreTruncatedAndMarked() throws {
        let long = String(repeating: "é", count: 3000)   // 6000 bytes
        var e = TestSupport.cloneEvent(repo: "acme/x", userAgent: long)
        e.append(ECS.message, .string(String(repeating: "m", count: 5000)))
        let r = try XCTUnwrap(CEFRecord(encode(e)))
        let ua = try XCTUnwrap(r.ext["requestClientApplication"])
        XCTAssertTrue(ua.hasSuffix(CEFEncoder.truncationMarker))
        XCTAssertLessThanOrEqual(ua.utf8.count, CEFEncoder.maxFieldBytes)
        XCTAssertTrue(ua.hasPrefix("éé"))
        let msg = try XCTUnwrap(r.ext["msg"])
        XCTAssertLessThanOrEqual(msg.utf8.count, CEFEncoder.maxMessageBytes)
        XCTAssertTrue(msg.hasSuffix(CEFEncoder.truncationMarker))
    }

    func testNormalizedEventAsCEF() throws {
        var e = TestSupport.cloneEvent(repo: "acme/api", url: "https://github.com/acme/api.git")
        e.append(ECS.destinationIP, .string("140.82.112.3"))
        e.append(ECS.destinationPort, .int(443))
        e.append(ECS.httpMethod, .string("GET"))
        e.append(ECS.sourceBytes, .int(1200))
        e.append(ECS.destinationBytes, .int(5_400_000))
        e.append(ECS.destinationDomain, .string("github.com"))
        let line = encode(e)
        XCTAssertTrue(line.hasPrefix("CEF:0|Sluice|Sluice|\(SluiceProduct.version)|github.audit|git.clone|1|"), line)
        let r = try XCTUnwrap(CEFRecord(line))
        XCTAssertEqual(r.ext["dst"], "140.82.112.3")
        XCTAssertEqual(r.ext["dpt"], "443")
        XCTAssertEqual(r.ext["dhost"], "github.com")
        XCTAssertEqual(r.ext["request"], "https://github.com/acme/api.git")
        XCTAssertEqual(r.ext["requestMethod"], "GET")
        XCTAssertEqual(r.ext["out"], "1200")
        XCTAssertEqual(r.ext["in"], "5400000")
        XCTAssertEqual(r.ext["cs1"], "acme/api")
        XCTAssertEqual(r.ext["cs6"], "github.audit")
        XCTAssertEqual(r.ext["cat"], "network")
    }

    func testNonIPAddressIsNotSentAsSrc() throws {
        let r = try XCTUnwrap(CEFRecord(encode(TestSupport.cloneEvent(repo: "a/b", ip: "1.2.3.4 suser=root"))))
        XCTAssertNil(r.ext["src"])
        XCTAssertEqual(r.ext["suser"], "mallory")
    }

    /// Injection: hostile repository names, user names, user agents and URLs give exactly one
    /// well-formed record each, and two independent parsers (Swift, Python) read the
    /// original values back.
    func testInjectionOneRecordAndValuesReadBack() throws {
        let e = TestSupport.cloneAlert(repos: [TestSupport.hostileRepo, "acme/ok"], user: TestSupport.hostileUser,
                                       userAgent: TestSupport.hostileAgent, url: TestSupport.hostileURL)
        let line = encode(e)
        XCTAssertFalse(line.contains("\n")); XCTAssertFalse(line.contains("\r")); XCTAssertFalse(line.contains("\u{0}"))
        // One record: the only header is at the start; forged "CEF:0|" text stays inside
        // escaped extension values (a '|' needs no escaping there, its '=' does).
        XCTAssertTrue(line.hasPrefix("CEF:0|Sluice|Sluice|\(SluiceProduct.version)|sluice-github-mass-clone-pat|"))
        let r = try XCTUnwrap(CEFRecord(line))
        XCTAssertEqual(r.header, ["0", "Sluice", "Sluice", SluiceProduct.version, "sluice-github-mass-clone-pat",
                                  "Mass cloning of repositories with a personal access token", "8"])
        XCTAssertFalse(r.ext.keys.contains { $0.contains("|") || $0.contains("Forged") })
        XCTAssertNil(r.ext["src"].flatMap { $0 == "6.6.6.6" ? $0 : nil })
        XCTAssertEqual(r.ext["src"], "203.0.113.7")
        XCTAssertEqual(r.ext["suser"], TestSupport.cefExpected(TestSupport.hostileUser))
        XCTAssertEqual(r.ext["requestClientApplication"], TestSupport.cefExpected(TestSupport.hostileAgent))
        XCTAssertEqual(r.ext["request"], TestSupport.cefExpected(TestSupport.hostileURL))
        XCTAssertEqual(r.ext["cs1"], TestSupport.cefExpected(TestSupport.hostileRepo + ",acme/ok"))
        XCTAssertNil(r.ext["act"].flatMap { $0 == "allow" ? $0 : nil })
        let py = try PythonCEF.parse([line])
        XCTAssertEqual(py.count, 1)
        XCTAssertEqual(py[0].header, r.header)
        XCTAssertEqual(py[0].ext, r.ext)
        // The project's own `cef` parser (what Sluice uses to ingest CEF) reads the same values.
        var parsed: [Event] = []
        let bytes = ArraySlice(Array(line.utf8))
        try CEFParser().parse(bytes, event: Event(original: bytes), into: &parsed)
        XCTAssertEqual(parsed.count, 1)
        for (k, v) in r.ext {
            XCTAssertEqual(parsed[0].value(at: "cef.extensions." + k), .string(v), "extension \(k)")
        }
        XCTAssertEqual(parsed[0][ECS.userName], .string(TestSupport.cefExpected(TestSupport.hostileUser)))
        XCTAssertEqual(parsed[0][ECS.userAgent], .string(TestSupport.cefExpected(TestSupport.hostileAgent)))
        XCTAssertEqual(parsed[0].value(at: "cef.labels.repositories"), .string(TestSupport.cefExpected(TestSupport.hostileRepo + ",acme/ok")))
    }
}

final class CEFEncoderHardeningTests: XCTestCase {
    func encode(_ e: Event) -> String {
        var out: [UInt8] = []
        CEFEncoder(deviceExternalID: "c1").encode(e, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR break lines for many readers: escaped.
    func testUnicodeLineBreaksAreEscaped() throws {
        var e = Event(timestamp: TestSupport.t0)
        e.append(ECS.eventDataset, .string("app\u{2028}CEF:0|Forged|X|1|2|3|10|"))
        e.append(ECS.eventAction, .string("act\u{85}ion"))
        e.append(ECS.message, .string("line1\u{2028}line2\u{2029}line3\u{85}CEF:0|Forged|Y|1|2|3|4|src=6.6.6.6"))
        e.append(ECS.userName, .string("eve\u{2029}admin"))
        let s = encode(e)
        for bad in ["\u{85}", "\u{2028}", "\u{2029}"] { XCTAssertFalse(s.contains(bad), "raw \(bad.unicodeScalars.first!.value) in \(s)") }
        XCTAssertTrue(s.contains("msg=line1\\nline2\\nline3\\nCEF:0|Forged|Y|1|2|3|4|src\\=6.6.6.6"), s)
        XCTAssertTrue(s.contains("|app CEF:0\\|Forged\\|X\\|1\\|2\\|3\\|10\\||act ion|"), s)
        XCTAssertTrue(s.contains("suser=eve\\nadmin"), s)
    }

    /// Header fields are cut to the ArcSight lengths (signature id 1023, name 512).
    func testHeaderFieldsAreCapped() throws {
        var e = Event(timestamp: TestSupport.t0)
        e.append(ECS.eventDataset, .string(String(repeating: "d", count: 5000)))
        e.append(ECS.eventAction, .string(String(repeating: "é", count: 3000)))
        let s = encode(e)
        let header = s.split(separator: "|", maxSplits: 7, omittingEmptySubsequences: false)
        XCTAssertEqual(header[4].utf8.count, 1023)
        XCTAssertLessThanOrEqual(header[5].utf8.count, 512)
        XCTAssertGreaterThan(header[5].utf8.count, 500)
        // The output is decoded with repair: a cut inside a character would show as U+FFFD.
        XCTAssertEqual(Set(header[5]), ["é"], "cut at a character boundary")
    }

    /// A JSON parser keeps the input's nesting (`source: {ip: …}`): mapped fields are read
    /// from nested objects too.
    func testMappedFieldsAreReadFromNestedObjects() throws {
        var e = Event(timestamp: TestSupport.t0)
        e.append(FieldKey("event"), .object([Field(FieldKey("dataset"), .string("app.json")), Field(FieldKey("action"), .string("upload"))]))
        e.append(FieldKey("source"), .object([Field(FieldKey("ip"), .string("10.1.2.3")), Field(FieldKey("port"), .int(51514)),
                                               Field(FieldKey("bytes"), .int(52_428_800))]))
        e.append(FieldKey("user"), .object([Field(FieldKey("name"), .string("alice"))]))
        e.append(FieldKey("url"), .object([Field(FieldKey("full"), .string("https://github.com/acme/x.git"))]))
        let s = encode(e)
        XCTAssertTrue(s.contains("|app.json|upload|"), s)
        for part in ["src=10.1.2.3", "spt=51514", "suser=alice", "out=52428800", "request=https://github.com/acme/x.git", "act=upload"] {
            XCTAssertTrue(s.contains(part), "\(part) in \(s)")
        }
    }
}
