import XCTest
@testable import SluiceEnrich

/// Addresses and blocks: parsing, IPv4-mapped IPv6, and the edge prefix lengths.
final class IPPrefixIndexTests: XCTestCase {
    func testParsesBothFamiliesAndMappedForms() throws {
        let v4 = try XCTUnwrap(IPAddress.parse("198.51.100.7"))
        XCTAssertTrue(v4.isV4)
        XCTAssertEqual(v4.description, "198.51.100.7")
        XCTAssertEqual(IPAddress.parse("::ffff:198.51.100.7"), v4)
        XCTAssertEqual(IPAddress.parse("::FFFF:c633:6407"), v4)
        XCTAssertEqual(IPAddress.parse("2001:db8::1")?.description, "2001:db8::1")
        XCTAssertEqual(IPAddress.parse("2001:0db8:0000:0000:0000:0000:0000:0001"), IPAddress.parse("2001:db8::1"))
        XCTAssertEqual(IPAddress.parse("[2001:db8::1]"), IPAddress.parse("2001:db8::1"))
        XCTAssertEqual(IPAddress.parse("fe80::1%eth0"), IPAddress.parse("fe80::1"))
        XCTAssertEqual(IPAddress.parse("::")?.description, "::")
        XCTAssertEqual(IPAddress.parse("::1")?.description, "::1")
        XCTAssertEqual(IPAddress.parse("1::")?.description, "1::")
        XCTAssertEqual(IPAddress.parse("64:ff9b::192.0.2.33")?.description, "64:ff9b::c000:221")
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01234.1.1.1", "1.2.3.4 ", "github.com", "1:2:3:4:5:6:7:8:9",
                    "1::2::3", ":1:2", "1:2:", "12345::1", "::ffff:1.2.3", "abc"] {
            XCTAssertNil(IPAddress.parse(bad), bad)
        }
    }

    /// IPv4 text is dotted decimal without leading zeros for every octet value at every
    /// position (one-, two- and three-digit octets, 0 and 255), and parses back.
    func testIPv4TextIsDottedDecimalForEveryOctet() {
        for b in 0...255 {
            for (a, c, d) in [(b, 0, 255), (255, b, 9), (10, 99, b), (b, b, b)] {
                let v = UInt32(a) << 24 | UInt32(c) << 16 | UInt32(d) << 8 | UInt32(b)
                let text = IPAddress(v4: v).description
                XCTAssertEqual(text, "\(a).\(c).\(d).\(b)")
                XCTAssertEqual(IPAddress.parse(text), IPAddress(v4: v), text)
            }
        }
    }

    func testNetworksNormalizeAndValidate() {
        XCTAssertEqual(IPNetwork.parse("10.1.2.3/8")?.description, "10.0.0.0/8")
        XCTAssertEqual(IPNetwork.parse("0.0.0.0/0")?.description, "0.0.0.0/0")
        XCTAssertEqual(IPNetwork.parse("198.51.100.7/32")?.description, "198.51.100.7/32")
        XCTAssertEqual(IPNetwork.parse("2001:db8::1/128")?.description, "2001:db8::1/128")
        XCTAssertEqual(IPNetwork.parse("::/0")?.description, "::/0")
        XCTAssertEqual(IPNetwork.parse("::ffff:10.0.0.0/104")?.description, "10.0.0.0/8")
        XCTAssertNil(IPNetwork.parse("10.0.0.0/33"))
        XCTAssertNil(IPNetwork.parse("2001:db8::/129"))
        XCTAssertNil(IPNetwork.parse("10.0.0.0/"))
        XCTAssertNil(IPNetwork.parse("10.0.0.0/-1"))
        XCTAssertNil(IPNetwork.parse("10.0.0.0/8/9"))
    }

    func matches(_ idx: IPPrefixIndex, _ ip: String) -> [UInt32] {
        var out: [UInt32] = []
        idx.forEachMatch(IPAddress.parse(ip)!) { out.append($0); return true }
        return out
    }

    /// /0, /32, /128 and IPv4-mapped IPv6, longest first.
    func testEdgePrefixLengths() {
        var idx = IPPrefixIndex()
        idx.insert(IPNetwork.parse("0.0.0.0/0")!, id: 0)          // every IPv4 address
        idx.insert(IPNetwork.parse("198.51.100.7/32")!, id: 1)
        idx.insert(IPNetwork.parse("198.51.100.0/24")!, id: 2)
        idx.insert(IPNetwork.parse("2001:db8::1/128")!, id: 3)
        idx.insert(IPNetwork.parse("2001:db8::/32")!, id: 4)
        XCTAssertEqual(matches(idx, "198.51.100.7"), [1, 2, 0])
        XCTAssertEqual(matches(idx, "::ffff:198.51.100.7"), [1, 2, 0], "IPv4-mapped is the same address")
        XCTAssertEqual(matches(idx, "198.51.100.8"), [2, 0])
        XCTAssertEqual(matches(idx, "8.8.8.8"), [0], "/0 covers all of IPv4")
        XCTAssertEqual(matches(idx, "2001:db8::1"), [3, 4])
        XCTAssertEqual(matches(idx, "2001:db8::2"), [4])
        XCTAssertEqual(matches(idx, "2001:db9::1"), [], "0.0.0.0/0 does not cover IPv6")
        XCTAssertEqual(idx.longestMatch(IPAddress.parse("198.51.100.7")!), 1)

        // ::/0 covers IPv6 and, since it contains ::ffff:0:0/96, IPv4 too.
        var all = IPPrefixIndex()
        all.insert(IPNetwork.parse("::/0")!, id: 9)
        XCTAssertEqual(matches(all, "2001:db9::1"), [9])
        XCTAssertEqual(matches(all, "10.0.0.1"), [9])
        // A mapped block written in IPv6 covers the IPv4 addresses.
        var mapped = IPPrefixIndex()
        mapped.insert(IPNetwork.parse("::ffff:203.0.113.0/120")!, id: 5)
        XCTAssertEqual(matches(mapped, "203.0.113.200"), [5])
        XCTAssertEqual(matches(mapped, "203.0.114.1"), [])
        // The same block twice keeps the first id.
        XCTAssertEqual(mapped.insert(IPNetwork.parse("203.0.113.0/24")!, id: 6), 5)
    }

    func testManyEntriesGrowTheTables() {
        var idx = IPPrefixIndex()
        for i in 0..<20_000 { idx.insert(IPNetwork(address: IPAddress(v4: 0x0A00_0000 | UInt32(i)), prefix: 128), id: UInt32(i)) }
        XCTAssertEqual(idx.count, 20_000)
        for i in stride(from: 0, to: 20_000, by: 997) {
            XCTAssertEqual(idx.longestMatch(IPAddress(v4: 0x0A00_0000 | UInt32(i))), UInt32(i))
        }
        XCTAssertNil(idx.longestMatch(IPAddress(v4: 0x0B00_0000)))
    }
}
