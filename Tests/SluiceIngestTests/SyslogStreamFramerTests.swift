import NIOCore
import XCTest
@testable import SluiceIngest

/// `SyslogStreamFramer` on its own (RFC 6587): octet counting and LF framing, the same
/// frames whatever the read boundaries are, and the message-size limit.
final class SyslogStreamFramerTests: XCTestCase {
    /// Real RFC 5424 and RFC 3164 messages, as rsyslog and sshd send them.
    static let messages = [
        "<34>1 2026-11-23T01:02:03.456Z bastion-01 sshd 4711 - - Failed password for invalid user admin from 198.51.100.9 port 52814 ssh2",
        "<86>Nov 23 01:02:04 bastion-01 sudo: alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/git clone git@github.com:acme/payments-api.git",
        #"<190>1 2026-11-23T01:02:05Z proxy-02 squid - - [meta sequenceId="7"] 1763859725.123 87 10.1.2.3 TCP_TUNNEL/200 5120 CONNECT github.com:443 alice HIER_DIRECT/140.82.112.3 -"#,
        "<13>1 - - - - - - x",
    ]

    /// Frames `stream` fed as the given chunks; returns the messages, then what `finish` adds.
    static func frame(_ chunks: [[UInt8]], max: Int = 4096, finish: Bool = true) throws -> (messages: [String], truncated: Int, mode: SyslogStreamFramer.Mode) {
        var framer = SyslogStreamFramer(maxMessageBytes: max)
        var out: [String] = []
        for c in chunks {
            var b = ByteBuffer(bytes: c)
            try framer.feed(&b) { out.append(String(decoding: $0, as: UTF8.self)) }
            XCTAssertEqual(b.readableBytes, 0, "the framer takes every byte it is given")
        }
        if finish { framer.finish { out.append(String(decoding: $0, as: UTF8.self)) } }
        return (out, framer.truncated, framer.mode)
    }

    static func octetCounted(_ messages: [String]) -> [UInt8] {
        Array(messages.map { "\($0.utf8.count) \($0)" }.joined().utf8)
    }

    static func lines(_ messages: [String], crlf: Bool = false) -> [UInt8] {
        Array(messages.map { $0 + (crlf ? "\r\n" : "\n") }.joined().utf8)
    }

    /// The stream cut in two at every byte, and cut into single bytes.
    static func splits(_ stream: [UInt8]) -> [[[UInt8]]] {
        var all: [[[UInt8]]] = (0...stream.count).map { [Array(stream[..<$0]), Array(stream[$0...])] }
        all.append(stream.map { [$0] })
        return all
    }

    func testOctetCounting() throws {
        let r = try Self.frame([Self.octetCounted(Self.messages)])
        XCTAssertEqual(r.messages, Self.messages)
        XCTAssertEqual(r.mode, .octetCounting)
        XCTAssertEqual(r.truncated, 0)
    }

    func testOctetCountingKeepsLineFeedsInsideMessages() throws {
        let multi = "<14>1 2026-11-23T01:02:03Z build-07 java - - - Exception in thread \"main\"\n\tat com.acme.Main.run(Main.java:42)\n"
        let r = try Self.frame([Self.octetCounted([multi, Self.messages[0]])])
        XCTAssertEqual(r.messages, [multi, Self.messages[0]])
    }

    func testOctetCountingToleratesLineFeedsBetweenFrames() throws {
        let stream = Array(Self.messages.map { "\($0.utf8.count) \($0)\r\n" }.joined().utf8)
        XCTAssertEqual(try Self.frame([stream]).messages, Self.messages)
    }

    func testLineFraming() throws {
        let r = try Self.frame([Self.lines(Self.messages)])
        XCTAssertEqual(r.messages, Self.messages)
        XCTAssertEqual(r.mode, .newline)
    }

    func testLineFramingDropsCarriageReturnAndEmptyLines() throws {
        var stream = Self.lines(Self.messages, crlf: true)
        stream.insert(contentsOf: Array("\n\r\n".utf8), at: Self.messages[0].utf8.count + 2)
        XCTAssertEqual(try Self.frame([stream]).messages, Self.messages)
    }

    func testLastLineWithoutLineFeedIsAMessageAtEndOfStream() throws {
        var stream = Self.lines(Array(Self.messages.dropLast()))
        stream += Array(Self.messages.last!.utf8)
        XCTAssertEqual(try Self.frame([stream], finish: false).messages, Array(Self.messages.dropLast()))
        XCTAssertEqual(try Self.frame([stream]).messages, Self.messages)
    }

    func testOctetCountedFramesSplitAtEveryByteGiveTheSameFrames() throws {
        let stream = Self.octetCounted(Self.messages)
        for chunks in Self.splits(stream) {
            let r = try Self.frame(chunks)
            XCTAssertEqual(r.messages, Self.messages, "split \(chunks.map(\.count))")
        }
    }

    func testLinesSplitAtEveryByteGiveTheSameFrames() throws {
        for crlf in [false, true] {
            let stream = Self.lines(Self.messages, crlf: crlf)
            for chunks in Self.splits(stream) {
                XCTAssertEqual(try Self.frame(chunks).messages, Self.messages, "crlf \(crlf) split \(chunks.map(\.count))")
            }
        }
    }

    /// With a limit, long messages are cut at the limit whatever the read boundaries, and the
    /// rest of a cut message never comes out as a message of its own.
    func testTruncationIsTheSameAtEveryByteBoundary() throws {
        let max = 40
        let expected = Self.messages.map { String(decoding: Array($0.utf8.prefix(max)), as: UTF8.self) }
        let cut = Self.messages.filter { $0.utf8.count > max }.count
        for stream in [Self.octetCounted(Self.messages), Self.lines(Self.messages), Self.lines(Self.messages, crlf: true)] {
            let whole = try Self.frame([stream], max: max)
            XCTAssertEqual(whole.messages, expected)
            XCTAssertEqual(whole.truncated, cut)
            for chunks in Self.splits(stream) {
                let r = try Self.frame(chunks, max: max)
                XCTAssertEqual(r.messages, expected, "split \(chunks.map(\.count))")
                XCTAssertEqual(r.truncated, cut, "split \(chunks.map(\.count))")
            }
        }
    }

    /// A message of exactly the limit is whole, with LF or CRLF, at every read boundary: not
    /// cut and not counted as truncated (the CR of its CRLF used to count it as one).
    func testMessageOfExactlyTheLimitIsNotTruncated() throws {
        let max = 40
        let exact = String(repeating: "m", count: max - 5) + " done"
        let messages = [exact, Self.messages[0], exact]
        let expected = messages.map { String(decoding: Array($0.utf8.prefix(max)), as: UTF8.self) }
        let cut = Self.messages[0].utf8.count > max ? 1 : 0
        for stream in [Self.lines(messages), Self.lines(messages, crlf: true)] {
            for chunks in Self.splits(stream) + [[stream]] {
                let r = try Self.frame(chunks, max: max)
                XCTAssertEqual(r.messages, expected, "split \(chunks.map(\.count))")
                XCTAssertEqual(r.truncated, cut, "split \(chunks.map(\.count))")
            }
        }
        // Only the CR of the CRLF goes: a CR that ends the message itself stays.
        XCTAssertEqual(try Self.frame([Array("<13>1 - - - - - - ends in CR\r\r\n".utf8)], max: max).messages,
                       ["<13>1 - - - - - - ends in CR\r"])
    }

    /// Memory stays bounded: a line that never ends holds at most the limit plus one read.
    func testEndlessLineIsBounded() throws {
        var framer = SyslogStreamFramer(maxMessageBytes: 1024)
        var out: [[UInt8]] = []
        let chunk = [UInt8](repeating: UInt8(ascii: "A"), count: 4096)
        for _ in 0..<256 {   // 1 MiB without a line feed
            var b = ByteBuffer(bytes: chunk)
            try framer.feed(&b) { out.append($0) }
            XCTAssertLessThanOrEqual(framer.bufferedBytes, 1024 + chunk.count)
        }
        var tail = ByteBuffer(bytes: Array("\n<13>1 - - - - - - next\n".utf8))
        try framer.feed(&tail) { out.append($0) }
        XCTAssertEqual(out.map(\.count), [1024, "<13>1 - - - - - - next".utf8.count])
        XCTAssertEqual(framer.truncated, 1)
    }

    /// An octet count larger than the limit: the frame is cut, the remainder skipped even
    /// when it arrives in later reads, and the next frame comes out whole.
    func testHugeOctetCountIsSkippedAcrossReads() throws {
        let big = String(repeating: "x", count: 100_000)
        let stream = Self.octetCounted([big, Self.messages[0]])
        var chunks: [[UInt8]] = []
        var i = 0
        while i < stream.count { chunks.append(Array(stream[i..<min(stream.count, i + 1000)])); i += 1000 }
        let r = try Self.frame(chunks, max: 512)
        XCTAssertEqual(r.messages, [String(repeating: "x", count: 512), Self.messages[0]])
        XCTAssertEqual(r.truncated, 1)
    }

    func testInvalidOctetCountsThrow() {
        for bad in ["12x <13>1 - - - - - - x", "1234567890 <13>1", "0 ", "00 <13>"] {
            XCTAssertThrowsError(try Self.frame([Array(bad.utf8)]), bad) { error in
                XCTAssertTrue(error is SyslogFramingError, "\(error)")
            }
        }
    }

    /// A header split anywhere is not an error: the framer waits for the space.
    func testIncompleteHeaderWaits() throws {
        var framer = SyslogStreamFramer(maxMessageBytes: 4096)
        var out: [String] = []
        var head = ByteBuffer(bytes: Array("12".utf8))
        try framer.feed(&head) { out.append(String(decoding: $0, as: UTF8.self)) }
        XCTAssertEqual(out, [])
        XCTAssertEqual(framer.bufferedBytes, 2)
        var rest = ByteBuffer(bytes: Array("3 ".utf8) + Array(String(repeating: "m", count: 123).utf8))
        try framer.feed(&rest) { out.append(String(decoding: $0, as: UTF8.self)) }
        XCTAssertEqual(out, [String(repeating: "m", count: 123)])
    }

    /// `limit` gives at most that many messages; the rest stays buffered for the next call.
    func testLimitLeavesTheRestBuffered() throws {
        var framer = SyslogStreamFramer(maxMessageBytes: 4096)
        var out: [String] = []
        var all = ByteBuffer(bytes: Self.lines(Self.messages))
        XCTAssertEqual(try framer.feed(&all, limit: 1) { out.append(String(decoding: $0, as: UTF8.self)) }, 1)
        XCTAssertEqual(out, [Self.messages[0]])
        var none = ByteBuffer()
        XCTAssertEqual(try framer.feed(&none, limit: 2) { out.append(String(decoding: $0, as: UTF8.self)) }, 2)
        XCTAssertEqual(try framer.feed(&none, limit: 10) { out.append(String(decoding: $0, as: UTF8.self)) }, 1)
        XCTAssertEqual(out, Self.messages)
        XCTAssertEqual(framer.bufferedBytes, 0)
        XCTAssertEqual(try framer.feed(&none, limit: 0) { _ in XCTFail("no message with limit 0") }, 0)
    }

    /// The mode is chosen from the first byte of the connection and then kept.
    func testModeIsDecidedOnceFromTheFirstByte() throws {
        let r = try Self.frame([Array("<13>1 - - - - - - a\n".utf8), Array("5 hello\n".utf8)])
        XCTAssertEqual(r.mode, .newline)
        XCTAssertEqual(r.messages, ["<13>1 - - - - - - a", "5 hello"])
    }
}
