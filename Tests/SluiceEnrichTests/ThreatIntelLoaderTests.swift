import SluiceTestSupport
import XCTest
import SluiceCore
@testable import SluiceEnrich

/// The CSV, list and STIX 2.1 readers: good files, bad lines with file:line, empty files,
/// expiry, and the indicator forms.
final class ThreatIntelLoaderTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = tempDir() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    let jan2026 = Timestamp.make(year: 2026, month: 1, day: 15, hour: 0, minute: 0, second: 0)

    func ids(_ set: ThreatIntelSet, ip: String, at now: Int64? = nil) -> [String] {
        var out: [String] = []
        set.match(ip: IPAddress.parse(ip)!, now: now ?? jan2026) { out.append(set.indicatorText($0) + "|" + set.feed($0)) }
        return out
    }

    func domains(_ set: ThreatIntelSet, _ name: String) -> [String] {
        var out: [String] = []
        var n = name
        n.withUTF8 { b in set.match(domain: b, 0..<b.count, now: jan2026) { out.append(set.indicatorText($0)) } }
        return out.sorted()
    }

    func testCSVGoodFile() throws {
        let p = try ET.write(dir, "feed.csv", """
        indicator,category,feed,confidence,expires
        198.51.100.7,tor_exit,tor-project,90,
        203.0.113.0/24,residential_proxy,proxy-intel,70,2027-01-01
        2001:db8:dead::/48,vpn,vpn-ranges,,
        paste-drop.example,malicious,ir,95,
        *.exfil-cdn.example,malicious,ir,,
        https://Files.BadHost.example:443/upload.php?x=1#frag,malicious,ir,,
        "198.51.100.8",tor_exit,"tor, project",,1798761600

        """)
        let (set0, report) = ThreatIntelLoader.load([IntelFile(path: p)], now: jan2026)
        let set = try XCTUnwrap(set0)
        XCTAssertEqual(report.issues, [])
        XCTAssertEqual(set.count, 7)
        XCTAssertEqual(set.counts["ips"], 4)
        XCTAssertEqual(set.counts["domains"], 1)
        XCTAssertEqual(set.counts["wildcard_domains"], 1)
        XCTAssertEqual(set.counts["urls"], 1)
        XCTAssertEqual(ids(set, ip: "198.51.100.7"), ["198.51.100.7|tor-project"])
        XCTAssertEqual(ids(set, ip: "203.0.113.99"), ["203.0.113.0/24|proxy-intel"])
        XCTAssertEqual(ids(set, ip: "2001:db8:dead:1::5"), ["2001:db8:dead::/48|vpn-ranges"])
        XCTAssertEqual(ids(set, ip: "198.51.100.8"), ["198.51.100.8|tor, project"], "quoted CSV fields")
        XCTAssertEqual(ids(set, ip: "198.51.100.9"), [])
        var conf: Int?
        set.match(ip: IPAddress.parse("198.51.100.7")!, now: jan2026) { conf = set.confidence($0) }
        XCTAssertEqual(conf, 90)
        set.match(ip: IPAddress.parse("2001:db8:dead::1")!, now: jan2026) { conf = set.confidence($0) }
        XCTAssertNil(conf, "no confidence column value: unknown")
        XCTAssertEqual(URLNormalizer.normalize("https://Files.BadHost.example:443/upload.php?x=1#frag"), "https://files.badhost.example/upload.php?x=1")
    }

    /// Every bad line is reported with file:line and skipped; the good ones load.
    func testCSVBadLinesAreReportedAndSkipped() throws {
        let p = try ET.write(dir, "bad.csv", """
        # comment before the header
        indicator,category,feed,confidence,expires
        198.51.100.7,tor_exit,tor-project,90,
        not an indicator,malicious,ir,,
        198.51.100.8,tor_exit,tor-project,high,
        198.51.100.9,tor_exit,tor-project,150,
        198.51.100.10,tor_exit,tor-project,,next tuesday
        198.51.100.11,tor_exit
        10.0.0.0/33,scanner,ir,,
        ,malicious,ir,,
        "unterminated,malicious,ir,,
        evil.example,malicious,ir,50,2026-12-31
        """)
        let (set0, report) = ThreatIntelLoader.load([IntelFile(path: p)], now: jan2026)
        let set = try XCTUnwrap(set0, "bad lines do not fail the file")
        XCTAssertEqual(set.count, 2)
        XCTAssertEqual(report.issues.map(\.line), [4, 5, 6, 7, 8, 9, 10, 11])
        XCTAssertEqual(report.badLines, 8)
        XCTAssertTrue(report.issues.allSatisfy { $0.file == p })
        XCTAssertEqual(report.issues[0].description, "\(p):4: \"not an indicator\" is not an IP address, CIDR, domain, *.domain or URL")
        XCTAssertTrue(report.issues[1].message.contains("confidence \"high\""))
        XCTAssertTrue(report.issues[2].message.contains("between 0 and 100"))
        XCTAssertTrue(report.issues[3].message.contains("expires \"next tuesday\""))
        XCTAssertTrue(report.issues[4].message.contains("expected 5 columns"))
        XCTAssertTrue(report.issues[7].message.contains("unterminated"))
    }

    func testCSVWithOtherColumnNamesAndDefaults() throws {
        let p = try ET.write(dir, "vendor.csv", """
        value,type,score,valid_until
        192.0.2.66,scanner,80,2026-06-30T00:00:00Z
        scan.example,scanner,40,
        """)
        let f = IntelFile(path: p, feed: "vendor-x", columns: ["indicator": "value", "category": "type", "confidence": "score", "expires": "valid_until"])
        let (set0, report) = ThreatIntelLoader.load([f], now: jan2026)
        let set = try XCTUnwrap(set0)
        XCTAssertEqual(report.issues, [])
        XCTAssertEqual(ids(set, ip: "192.0.2.66"), ["192.0.2.66|vendor-x"])
        XCTAssertEqual(domains(set, "scan.example"), ["scan.example"])
        // A header without the indicator column fails the file as a whole.
        let q = try ET.write(dir, "noindicator.csv", "ip,category\n1.2.3.4,x\n")
        let (none, r2) = ThreatIntelLoader.load([IntelFile(path: q)])
        XCTAssertNil(none)
        XCTAssertEqual(r2.failedFiles, [q])
        XCTAssertEqual(r2.issues.first?.line, 1)
    }

    func testEmptyFilesAndMissingFile() throws {
        let csv = try ET.write(dir, "empty.csv", "")
        let list = try ET.write(dir, "empty.txt", "# only a comment\n\n")
        let stix = try ET.write(dir, "empty.json", "  \n")
        let (set0, report) = ThreatIntelLoader.load([IntelFile(path: csv), IntelFile(path: list), IntelFile(path: stix)])
        let set = try XCTUnwrap(set0, "empty files are not errors")
        XCTAssertEqual(set.count, 0)
        XCTAssertEqual(report.issues, [])
        XCTAssertEqual(report.counts["empty_files"], 3)
        let (missing, r2) = ThreatIntelLoader.load([IntelFile(path: dir + "/nope.csv")])
        XCTAssertNil(missing)
        XCTAssertEqual(r2.failedFiles, [dir + "/nope.csv"])
        XCTAssertTrue(r2.issues[0].description.hasPrefix(dir + "/nope.csv:0: cannot open"))
    }

    /// An indicator whose `expires` is at or before the time asked about does not match.
    func testExpiredIndicatorsDoNotMatch() throws {
        let p = try ET.write(dir, "exp.csv", """
        indicator,category,feed,expires
        198.51.100.7,tor_exit,tor,2026-01-01
        198.51.100.8,tor_exit,tor,2026-02-01T00:00:00Z
        *.old.example,malicious,ir,1735689600
        """)
        let (set0, report) = ThreatIntelLoader.load([IntelFile(path: p)], now: jan2026)
        let set = try XCTUnwrap(set0)
        XCTAssertEqual(report.counts["expired"], 2, "expired at load time is counted, and kept for replays of older logs")
        XCTAssertEqual(ids(set, ip: "198.51.100.7"), [])
        XCTAssertEqual(ids(set, ip: "198.51.100.8"), ["198.51.100.8|tor"])
        let dec2025 = Timestamp.make(year: 2025, month: 12, day: 1, hour: 0, minute: 0, second: 0)
        XCTAssertEqual(ids(set, ip: "198.51.100.7", at: dec2025), ["198.51.100.7|tor"], "an event from before the expiry still matches")
        XCTAssertEqual(ids(set, ip: "198.51.100.8", at: Timestamp.make(year: 2026, month: 2, day: 1, hour: 0, minute: 0, second: 0)), [], "expiry is exclusive")
        XCTAssertEqual(domains(set, "a.old.example"), [])
    }

    func testPlainListsTakeFeedAndCategoryFromConfig() throws {
        let p = try ET.write(dir, "drop.txt", """
        ; Spamhaus-style comments
        198.51.100.0/24 ; SBL123
        203.0.113.5   # a comment after a space
        *.dropzone.example
        2001:db8:bad::1
        http://x.example/a#b
        bad value here
        """)
        let (set0, report) = ThreatIntelLoader.load([IntelFile(path: p, feed: "drop", category: "hosting", confidence: 60)])
        let set = try XCTUnwrap(set0)
        XCTAssertEqual(set.count, 5)
        XCTAssertEqual(report.issues.map(\.line), [7])
        XCTAssertEqual(ids(set, ip: "198.51.100.200"), ["198.51.100.0/24|drop"])
        var category = ""
        set.match(ip: IPAddress.parse("203.0.113.5")!, now: 0) { category = set.category($0) }
        XCTAssertEqual(category, "hosting")
        // Without feed and category: the file's base name and `malicious`.
        let (set2, _) = ThreatIntelLoader.load([IntelFile(path: p)])
        set2!.match(ip: IPAddress.parse("203.0.113.5")!, now: 0) { category = set2!.category($0) + "|" + set2!.feed($0) }
        XCTAssertEqual(category, "malicious|drop")
    }

    /// Domain suffix traps: `*.x` covers x and its subdomains, on label boundaries only.
    func testDomainSuffixTraps() throws {
        let p = try ET.write(dir, "d.txt", "*.github.example\nexact.example\n")
        let set = try XCTUnwrap(ThreatIntelLoader.load([IntelFile(path: p)]).0)
        XCTAssertEqual(domains(set, "github.example"), ["*.github.example"], "*.x covers x itself and its subdomains")
        XCTAssertEqual(domains(set, "api.github.example"), ["*.github.example"])
        XCTAssertEqual(domains(set, "A.B.GitHub.Example."), ["*.github.example"], "case and a trailing dot are ignored")
        XCTAssertEqual(domains(set, "evilgithub.example"), [])
        XCTAssertEqual(domains(set, "github.example.evil.example"), [])
        XCTAssertEqual(domains(set, "exact.example"), ["exact.example"])
        XCTAssertEqual(domains(set, "sub.exact.example"), [], "an exact domain does not cover subdomains")
        XCTAssertEqual(domains(set, "xexact.example"), [])
    }

    /// Same indicator in two feeds: two matches; the same feed twice: one.
    func testDuplicatesAndSeveralFeeds() throws {
        let a = try ET.write(dir, "a.csv", "indicator,category,feed\n198.51.100.7,tor_exit,tor\n198.51.100.7,tor_exit,tor\n")
        let b = try ET.write(dir, "b.csv", "indicator,category,feed\n198.51.100.7,vpn,vpn-list\n")
        let (set0, report) = ThreatIntelLoader.load([IntelFile(path: a), IntelFile(path: b)])
        let set = try XCTUnwrap(set0)
        XCTAssertEqual(report.counts["duplicates"], 1)
        XCTAssertEqual(ids(set, ip: "198.51.100.7").sorted(), ["198.51.100.7|tor", "198.51.100.7|vpn-list"])
    }

    func testSTIXBundle() throws {
        let p = try ET.write(dir, "bundle.json", """
        {
          "type": "bundle",
          "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
          "objects": [
            {"type": "identity", "spec_version": "2.1", "id": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff", "name": "ACME ISAC", "identity_class": "organization"},
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
             "created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff", "indicator_types": ["malicious-activity"],
             "pattern": "[ipv4-addr:value = '198.51.100.99']", "pattern_type": "stix", "valid_from": "2026-01-05T09:00:00Z",
             "valid_until": "2027-01-05T09:00:00Z", "confidence": 75},
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--1f0ba2a5-6b8f-4a32-8a58-d8c1b1b9a0e4",
             "indicator_types": ["anonymization"], "pattern": "[ipv4-addr:value ISSUBSET '203.0.113.0/24']", "pattern_type": "stix"},
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--c7d5f0a4-1d35-4a0e-b6bb-2f4c7e0f4c11",
             "pattern": "[domain-name:value = 'git-mirror.badhost.example'] OR [url:value = 'https://drop.badhost.example/u' OR ipv6-addr:value = '2001:db8::bad']",
             "pattern_type": "stix"},
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--0a6f9d0e-9a53-4f0c-a0c1-3e6b1a0e2f01",
             "pattern": "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']", "pattern_type": "stix"},
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--2b9e1c7d-5f3a-4d8e-9c1b-7a6e5d4c3b2a",
             "pattern": "[ipv4-addr:value = '198.51.100.1' AND domain-name:value = 'x.example']", "pattern_type": "stix"},
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--3c8d2e6f-4a1b-4c9d-8e7f-6a5b4c3d2e1f",
             "pattern": "alert tcp any any -> any any", "pattern_type": "snort"},
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--4d7e3f5a-3b2c-4d1e-9f8a-5b4c3d2e1f0a",
             "pattern": "[ipv4-addr:value = '198.51.100.50']", "pattern_type": "stix", "revoked": true}
          ]
        }
        """)
        let (set0, report) = ThreatIntelLoader.load([IntelFile(path: p)], now: jan2026)
        let set = try XCTUnwrap(set0)
        XCTAssertEqual(ids(set, ip: "198.51.100.99"), ["198.51.100.99|ACME ISAC"])
        XCTAssertEqual(ids(set, ip: "203.0.113.7"), ["203.0.113.0/24|bundle"])
        XCTAssertEqual(ids(set, ip: "2001:db8::bad"), ["2001:db8::bad|bundle"])
        XCTAssertEqual(domains(set, "git-mirror.badhost.example"), ["git-mirror.badhost.example"])
        XCTAssertEqual(ids(set, ip: "198.51.100.50"), [], "revoked")
        XCTAssertEqual(report.counts["revoked"], 1)
        var cat = ""
        set.match(ip: IPAddress.parse("203.0.113.7")!, now: 0) { cat = set.category($0) }
        XCTAssertEqual(cat, "anonymization")
        // The unevaluable patterns are reported with the file, the object id and its line.
        XCTAssertEqual(report.issues.count, 3)
        XCTAssertTrue(report.issues[0].description.hasPrefix("\(p):15: indicator indicator--0a6f9d0e-9a53-4f0c-a0c1-3e6b1a0e2f01: cannot evaluate pattern"), report.issues[0].description)
        XCTAssertTrue(report.issues[1].message.contains("AND"))
        XCTAssertTrue(report.issues[2].message.contains("pattern_type 'snort'"))
        // Not a bundle: the file fails as a whole.
        let q = try ET.write(dir, "notbundle.json", "{\"type\": \"indicator\"}")
        XCTAssertNil(ThreatIntelLoader.load([IntelFile(path: q)]).0)
        let r = try ET.write(dir, "broken.json", "{\"type\": \"bundle\", \"objects\": [")
        XCTAssertEqual(ThreatIntelLoader.load([IntelFile(path: r)]).1.failedFiles, [r])
    }

    func testSTIXPatternSubset() {
        XCTAssertEqual(try STIXPattern.values("[ipv4-addr:value = '198.51.100.7']").get(), ["198.51.100.7"])
        XCTAssertEqual(try STIXPattern.values("[url:value = 'https://x.example/it\\'s']").get(), ["https://x.example/it's"])
        XCTAssertEqual(try STIXPattern.values("[ipv6-addr:value ISSUBSET '2001:db8::/32'] OR [domain-name:value = 'a.example']").get(), ["2001:db8::/32", "a.example"])
        for bad in ["[ipv4-addr:value != '1.2.3.4']", "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '1.2.3.5']",
                    "[ipv4-addr:value = '1.2.3.4'] WITHIN 5 SECONDS", "[domain-name:value LIKE '%.example']",
                    "[network-traffic:dst_ref.value = '1.2.3.4']", "[ipv4-addr:value = '1.2.3.4'", "[]"] {
            if case .success(let v) = STIXPattern.values(bad) { XCTFail("\(bad) gave \(v)") }
        }
    }
}
