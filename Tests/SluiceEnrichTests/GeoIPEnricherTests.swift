import Foundation
import SluiceTestSupport
import XCTest
import SluiceCore
@testable import SluiceEnrich

/// `geoip` against small `.mmdb` files written by a real MaxMind DB writer (mmdb-writer,
/// installed by scripts/install-test-tools.sh) and read back through libmaxminddb.
final class GeoIPEnricherTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws {
        dir = tempDir()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        func sh(_ args: [String]) throws -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = args
            p.currentDirectoryURL = URL(fileURLWithPath: root)
            try p.run(); p.waitUntilExit()
            return p.terminationStatus
        }
        XCTAssertEqual(try sh(["bash", "scripts/install-test-tools.sh"]), 0, "cannot install mmdb-writer (pip)")
        XCTAssertEqual(try sh(["python3", "scripts/make-test-mmdb.py", dir]), 0, "cannot write the test databases")
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testCountryCityAndASNForBothSides() throws {
        let g = GeoIPEnricher(databases: [dir + "/test-city.mmdb", dir + "/test-asn.mmdb"], logger: ET.logger)
        try g.load()
        let gh = try ET.github(#"{"@timestamp":1764750000000,"action":"git.clone","actor":"alice-acme","actor_ip":"198.51.100.7","repo":"acme/widgets"}"#)
        var v6 = Event(timestamp: 1)
        v6[ECS.sourceIP] = .string("10.9.0.23")
        v6[ECS.destinationIP] = .string("2001:db8:1::20")
        var kept = Event(timestamp: 1)
        kept[ECS.sourceIP] = .string("203.0.113.5")
        kept[ECS.sourceGeoCountry] = .string("FR")
        var countryOnly = Event(timestamp: 1)
        countryOnly[ECS.destinationIP] = .string("::ffff:192.0.2.1")
        let out = ET.run(g, [gh, v6, kept, countryOnly])
        XCTAssertEqual(ET.str(out[0], "source.geo.country_iso_code"), "NL")
        XCTAssertEqual(ET.str(out[0], "source.geo.city_name"), "Amsterdam")
        XCTAssertEqual(out[0][FieldKey("source.as.number")], .int(64501))
        XCTAssertEqual(ET.str(out[0], "source.as.organization.name"), "Example Transit B.V.")
        XCTAssertNil(out[1][FieldKey("source.geo.country_iso_code")], "a private address is in no database")
        XCTAssertEqual(ET.str(out[1], "destination.geo.country_iso_code"), "JP")
        XCTAssertEqual(ET.str(out[1], "destination.geo.city_name"), "Tokyo")
        XCTAssertEqual(out[1][FieldKey("destination.as.number")], .int(64502))
        XCTAssertEqual(ET.str(out[2], "source.geo.country_iso_code"), "FR", "the log's own country is kept")
        XCTAssertEqual(ET.str(out[2], "source.geo.city_name"), "Munich")
        XCTAssertEqual(ET.str(out[3], "destination.geo.country_iso_code"), "US", "registered_country when there is no country")
        XCTAssertNil(out[3][FieldKey("destination.geo.city_name")])

        let de = GeoIPEnricher(databases: [dir + "/test-city.mmdb"], sides: ["source"], locale: "de", logger: ET.logger)
        try de.load()
        XCTAssertEqual(ET.str(ET.run(de, [kept])[0], "source.geo.city_name"), "München")
    }

    func testMissingOrBrokenDatabaseFailsLoadAndKeepsOldOnReload() throws {
        let missing = GeoIPEnricher(databases: [dir + "/nope.mmdb"], logger: ET.logger)
        XCTAssertThrowsError(try missing.load()) { XCTAssertTrue("\($0)".contains("nope.mmdb:0: cannot open MaxMind DB"), "\($0)") }
        let notDB = try ET.write(dir, "fake.mmdb", "this is not a MaxMind DB")
        XCTAssertThrowsError(try GeoIPEnricher(databases: [notDB], logger: ET.logger).load())

        let path = dir + "/live.mmdb"
        try FileManager.default.copyItem(atPath: dir + "/test-city.mmdb", toPath: path)
        let g = GeoIPEnricher(databases: [path], logger: ET.logger)
        try g.load()
        var e = Event(timestamp: 1)
        e[ECS.sourceIP] = .string("198.51.100.7")
        XCTAssertEqual(ET.str(ET.run(g, [e])[0], "source.geo.country_iso_code"), "NL")
        try "garbage".write(toFile: path + ".tmp", atomically: false, encoding: .utf8)
        _ = rename(path + ".tmp", path)
        XCTAssertFalse(g.databases.reloadNow())
        XCTAssertEqual(ET.str(ET.run(g, [e])[0], "source.geo.country_iso_code"), "NL", "the open database stays in service")
    }
}
