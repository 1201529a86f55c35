import SluiceCore

/// A Squid `logformat` definition (`%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un
/// %Sh/%<a %mt %>st`), compiled once and matched against access.log lines.
///
/// Guarantees: a definition is a sequence of literal text and `%` codes (with Squid's
/// modifiers: `-`, `0`, width, `.precision`, `{arg}`, `[ " # ' /` quoting); a line matches
/// when every literal is found in order (a space in the definition matches one or more
/// spaces or tabs, so padded columns such as `%6tr` read back); a field's value runs to the
/// next literal. Codes Sluice maps are listed in `Code`; other codes are matched and
/// ignored. Matching allocates nothing beyond the field values.
struct SquidLogFormat {
    enum Code: Equatable {
        case seconds, millis, localTime, gmtTime, elapsed
        case clientIP, clientPort, clientFQDN, peer, serverPort, serverFQDN
        case squidStatus, httpStatus, hierarchy
        case replyBytes, requestBytes
        case method, url, version
        case user, ident, mime
        case requestHeader(String)
        case ignored
    }

    enum Piece: Equatable {
        case literal([UInt8])
        case field(Code)
    }

    let pieces: [Piece]

    /// Known codes, longest first so that `>Hs` wins over `>h`.
    static let codes: [(String, Code)] = [
        (">Hs", .httpStatus), ("<Hs", .ignored), (">st", .requestBytes), ("<st", .replyBytes),
        (">la", .ignored), ("<la", .ignored), (">lp", .ignored), ("<lp", .ignored), (">rd", .ignored),
        (">ru", .url), (">rm", .method), (">rv", .version), (">rp", .ignored), (">rs", .ignored),
        ("Ss", .squidStatus), ("Sh", .hierarchy), ("ts", .seconds), ("tu", .millis), ("tr", .elapsed),
        ("tl", .localTime), ("tg", .gmtTime), ("rm", .method), ("ru", .url), ("rv", .version),
        ("un", .user), ("ul", .user), ("ue", .user), ("us", .user), ("ui", .ident), ("mt", .mime),
        (">a", .clientIP), ("<a", .peer), (">A", .clientFQDN), ("<A", .serverFQDN), (">p", .clientPort),
        ("<p", .serverPort), ("st", .ignored), ("la", .ignored), ("lp", .ignored), ("rp", .ignored),
        ("et", .ignored), ("ea", .ignored), ("tS", .ignored),
    ]

    /// Compiles a definition; `logformat NAME ` before it (as in squid.conf) is accepted.
    /// Throws a message when it holds no code or a `%` without one.
    init(_ definition: String) throws {
        var text = Array(definition.utf8)
        if text.starts(with: Array("logformat ".utf8)) {
            // `logformat NAME <codes…>`: drop the directive and the name.
            var i = 10
            while i < text.count, text[i] == 0x20 { i += 1 }
            while i < text.count, text[i] != 0x20 { i += 1 }
            while i < text.count, text[i] == 0x20 { i += 1 }
            text = Array(text[i...])
        }
        var pieces: [Piece] = []
        var literal: [UInt8] = []
        var i = 0
        var fields = 0
        func flush() { if !literal.isEmpty { pieces.append(.literal(literal)); literal = [] } }
        while i < text.count {
            let c = text[i]
            guard c == UInt8(ascii: "%") else {
                // Runs of spaces collapse: one space matches one or more in the line.
                if c == 0x20, literal.last == 0x20 { i += 1; continue }
                literal.append(c); i += 1; continue
            }
            i += 1
            if i < text.count, text[i] == UInt8(ascii: "%") { literal.append(c); i += 1; continue }
            // Modifiers: quoting, alignment, zero padding, width, precision.
            while i < text.count, "\"['#/-0".utf8.contains(text[i]) { i += 1 }
            while i < text.count, text[i] >= 48, text[i] <= 57 { i += 1 }
            if i < text.count, text[i] == UInt8(ascii: ".") {
                i += 1
                while i < text.count, text[i] >= 48, text[i] <= 57 { i += 1 }
            }
            var arg: String?
            if i < text.count, text[i] == UInt8(ascii: "{") {
                let s = i + 1
                while i < text.count, text[i] != UInt8(ascii: "}") { i += 1 }
                guard i < text.count else { throw SquidLogFormatError("unterminated {…} in logformat") }
                arg = String(decoding: text[s..<i], as: UTF8.self)
                i += 1
            }
            var code: Code?
            for (name, c) in Self.codes {
                let n = Array(name.utf8)
                if text.count - i >= n.count, Array(text[i..<(i + n.count)]) == n {
                    code = c
                    i += n.count
                    break
                }
            }
            if code == nil {
                // `%>h`/`%<h` with an argument, or a code Sluice does not map.
                let s = i
                while i < text.count, text[i] == UInt8(ascii: ">") || text[i] == UInt8(ascii: "<") { i += 1 }
                while i < text.count, (text[i] | 0x20) >= 97, (text[i] | 0x20) <= 122 { i += 1 }
                guard i > s else { throw SquidLogFormatError("'%' without a format code at byte \(s) of logformat") }
                let name = String(decoding: text[s..<i], as: UTF8.self)
                code = (name == ">h" || name == "h") && arg != nil ? .requestHeader(arg!.lowercased()) : .ignored
            }
            flush()
            pieces.append(.field(code!))
            fields += 1
        }
        flush()
        guard fields > 0 else { throw SquidLogFormatError("logformat has no % codes") }
        self.pieces = pieces
    }

    /// Matches `c.bytes[c.index..<c.end]`; returns each field's range (in `pieces` order,
    /// one per `.field`), or nil and the byte offset where the line stopped matching.
    func match(_ c: RecordCursor) -> (values: [Range<Int>]?, failedAt: Int) {
        let b = c.bytes
        var i = c.index
        let end = c.end
        var values: [Range<Int>] = []
        values.reserveCapacity(pieces.count)
        var k = 0
        while k < pieces.count {
            switch pieces[k] {
            case .literal(let lit):
                var j = 0
                while j < lit.count {
                    if lit[j] == 0x20 {
                        guard i < end, b[i] == 0x20 || b[i] == 0x09 else { return (nil, i) }
                        while i < end, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
                    } else {
                        guard i < end, b[i] == lit[j] else { return (nil, i) }
                        i += 1
                    }
                    j += 1
                }
            case .field:
                // Padding of right-aligned columns.
                while i < end, b[i] == 0x20 { i += 1 }
                let start = i
                if k + 1 < pieces.count, case .literal(let next) = pieces[k + 1] {
                    // Up to the next literal's first byte (a space also stops at a tab).
                    let stop = next[0]
                    while i < end, b[i] != stop, !(stop == 0x20 && b[i] == 0x09) { i += 1 }
                } else {
                    i = end
                }
                values.append(start..<i)
            }
            k += 1
        }
        guard i >= end else { return (nil, i) }
        return (values, i)
    }
}

struct SquidLogFormatError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
