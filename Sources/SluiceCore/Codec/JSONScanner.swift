/// Why a JSON record was rejected.
public struct JSONError: Error, Sendable, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    public var description: String { "\(reason) at byte \(offset)" }
}

/// A strict, allocation-light JSON reader over a byte buffer (RFC 8259).
///
/// Guarantees: never reads out of bounds; nesting deeper than `maxDepth` is an error, not a
/// stack overflow; strings are returned as valid Swift strings (invalid UTF-8 repaired with
/// U+FFFD); numbers without fraction or exponent that fit in Int64 become `.int`.
public struct JSONScanner {
    public let bytes: UnsafeBufferPointer<UInt8>
    public var index: Int
    public var maxDepth = 64
    private var scratch: [UInt8] = []
    /// Members of nested objects whose names the interner refused, with their dotted path
    /// relative to the value being read (`readValue` fills it; see `OverflowFields`).
    public var overflow: [(name: String, value: FieldValue)] = []

    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        self.index = 0
    }

    @inline(__always)
    public mutating func skipWhitespace() {
        while index < bytes.count {
            let c = bytes[index]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { index += 1 } else { break }
        }
    }

    public var atEnd: Bool { index >= bytes.count }

    @inline(__always)
    public mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    public func error(_ reason: String) -> JSONError { JSONError(offset: index, reason: reason) }

    @inline(__always)
    public mutating func expect(_ c: UInt8) throws {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == c else {
            throw error(index < bytes.count ? "expected '\(Character(UnicodeScalar(c)))'" : "unexpected end of input")
        }
        index += 1
    }

    /// Reads an object, calling `member` with each raw key (valid only during the call);
    /// `member` must consume the value (e.g. with `readValue`).
    public mutating func readObject(depth: Int = 0, _ member: (inout JSONScanner, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        guard depth < maxDepth else { throw error("nesting too deep") }
        try expect(UInt8(ascii: "{"))
        if peek() == UInt8(ascii: "}") { index += 1; return }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected object key") }
            let keyRange = try stringRange()
            if keyRange.escaped {
                let decoded = try decodeEscaped(keyRange.start, keyRange.end)
                try decoded.withUnsafeBufferPointer { (kb) throws in
                    try expect(UInt8(ascii: ":"))
                    try member(&self, kb)
                }
            } else {
                try expect(UInt8(ascii: ":"))
                try member(&self, UnsafeBufferPointer(rebasing: bytes[keyRange.start..<keyRange.end]))
            }
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input in object") }
            let c = bytes[index]
            index += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "}") { return }
            throw JSONError(offset: index - 1, reason: "expected ',' or '}'")
        }
    }

    /// Reads any value into a `FieldValue`; nested object member names are interned as
    /// relative keys.
    ///
    /// `spanBase` (where `bytes` starts inside the event's `original`, or -1): when known, a
    /// string value read here (not inside an array or object) without escapes is returned as
    /// a `.span` of the record instead of a new `String`: zero-copy, as the line parsers do.
    public mutating func readValue(interner: FieldKeyInterner, depth: Int = 0, spanBase: Int = -1) throws -> FieldValue {
        guard depth < maxDepth else { throw error("nesting too deep") }
        guard let c = peek() else { throw error("unexpected end of input") }
        switch c {
        case UInt8(ascii: "\""):
            if spanBase >= 0 {
                let r = try stringRange()
                if !r.escaped {
                    return .span(RecordSpan(start: UInt32(truncatingIfNeeded: spanBase + r.start), count: UInt32(truncatingIfNeeded: r.end - r.start)))
                }
                return .string(try string(r))
            }
            return .string(try string(stringRange()))
        case UInt8(ascii: "{"):
            var members: [Field] = []
            var index: [UInt32: Int]?
            try readObject(depth: depth + 1) { (s, key) throws in
                let mark = s.overflow.count
                guard let k = interner.key(key) else {
                    let name = String(decoding: key, as: UTF8.self)
                    let v = try s.readValue(interner: interner, depth: depth + 1)
                    s.prefixOverflow(from: mark, with: name)
                    s.overflow.append((name, v))
                    return
                }
                let v = try s.readValue(interner: interner, depth: depth + 1)
                if s.overflow.count > mark { s.prefixOverflow(from: mark, with: k.path) }
                Self.setMember(&members, &index, k, v)
            }
            return .object(members)
        case UInt8(ascii: "["):
            index += 1
            var items: [FieldValue] = []
            if peek() == UInt8(ascii: "]") { index += 1; return .array(items) }
            while true {
                items.append(try readValue(interner: interner, depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw error("unexpected end of input in array") }
                let d = bytes[index]; index += 1
                if d == UInt8(ascii: ",") { continue }
                if d == UInt8(ascii: "]") { return .array(items) }
                throw JSONError(offset: index - 1, reason: "expected ',' or ']'")
            }
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            return try readNumber()
        }
    }

    /// Sets a member of an object being read: a repeated name replaces the earlier value
    /// (JSON output never holds a name twice). Linear for small objects, a hash index from
    /// 32 members on, so a wide object costs O(n).
    @inline(__always)
    static func setMember(_ members: inout [Field], _ index: inout [UInt32: Int]?, _ k: FieldKey, _ v: FieldValue) {
        if index == nil {
            if members.count < 32 {
                for i in members.indices where members[i].key == k { members[i].value = v; return }
                members.append(Field(k, v))
                return
            }
            var ix: [UInt32: Int] = [:]
            ix.reserveCapacity(members.count * 2)
            for (i, m) in members.enumerated() where ix[m.key.id] == nil { ix[m.key.id] = i }
            index = ix
        }
        if let i = index![k.id] { members[i].value = v; return }
        index![k.id] = members.count
        members.append(Field(k, v))
    }

    /// Prefixes the overflow entries from `mark` on with `parent.` (they were read inside it).
    public mutating func prefixOverflow(from mark: Int, with parent: String) {
        guard overflow.count > mark else { return }
        for i in mark..<overflow.count { overflow[i].name = parent + "." + overflow[i].name }
    }

    /// Skips one value of any type.
    public mutating func skipValue(depth: Int = 0) throws {
        guard depth < maxDepth else { throw error("nesting too deep") }
        guard let c = peek() else { throw error("unexpected end of input") }
        switch c {
        case UInt8(ascii: "\""): _ = try rawStringRange()
        case UInt8(ascii: "{"): try readObject(depth: depth + 1) { (s, _) throws in try s.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            index += 1
            if peek() == UInt8(ascii: "]") { index += 1; return }
            while true {
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard index < bytes.count else { throw error("unexpected end of input in array") }
                let d = bytes[index]; index += 1
                if d == UInt8(ascii: ",") { continue }
                if d == UInt8(ascii: "]") { return }
                throw JSONError(offset: index - 1, reason: "expected ',' or ']'")
            }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try readNumber()
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard bytes.count - index >= n else { throw error("invalid literal") }
        let p = word.utf8Start
        for k in 0..<n where bytes[index + k] != p[k] { throw error("invalid literal") }
        index += n
    }

    public mutating func readNumber() throws -> FieldValue {
        skipWhitespace()
        let start = index
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        var intPart: UInt64 = 0
        var digits = 0
        var overflow = false
        // Up to 18 digits cannot overflow: accumulated without checks, in locals.
        var i = index
        let n = bytes.count, fastEnd = Swift.min(n, i &+ 18)
        while i < fastEnd {
            let d = bytes[i] &- 48
            if d > 9 { break }
            intPart = intPart &* 10 &+ UInt64(d)
            i &+= 1
        }
        digits = i &- index
        index = i
        while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
            let (m, o1) = intPart.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(bytes[index] - 48))
            if o1 || o2 { overflow = true }
            intPart = a; digits += 1; index += 1
        }
        guard digits > 0 else { index = start; throw error("invalid value") }
        var isInt = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInt = false; index += 1
            var frac = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1; frac += 1 }
            guard frac > 0 else { throw error("invalid number") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInt = false; index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            var exp = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1; exp += 1 }
            guard exp > 0 else { throw error("invalid number") }
        }
        if isInt && !overflow && intPart <= UInt64(Int64.max) {
            return .int(negative ? -Int64(intPart) : Int64(intPart))
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let d = Double(text) else { throw JSONError(offset: start, reason: "invalid number") }
        return .double(d)
    }

    /// `rawStringRange` with the common case first: a string at `index` that holds no escape
    /// and no control byte is found with one inline search (`index` moved past its closing
    /// quote); anything else, from whitespace before it to an error, goes to `rawStringRange`.
    @inline(__always)
    mutating func stringRange() throws -> (start: Int, end: Int, escaped: Bool) {
        if let p = bytes.baseAddress, index < bytes.count, p[index] == UInt8(ascii: "\"") {
            let start = index &+ 1
            let end = ByteScan.firstJSONSpecial(p, from: start, to: bytes.count)
            if end < bytes.count, p[end] == UInt8(ascii: "\"") {
                index = end &+ 1
                return (start, end, false)
            }
        }
        return try rawStringRange()
    }

    /// Scans a string token; returns the range of its contents (without quotes).
    public mutating func rawStringRange() throws -> (start: Int, end: Int, escaped: Bool) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected string") }
        index += 1
        let start = index
        var escaped = false
        let n = bytes.count
        guard let p = bytes.baseAddress else { throw JSONError(offset: start, reason: "unterminated string") }
        var i = index
        while true {
            i = ByteScan.firstJSONSpecial(p, from: i, to: n)
            guard i < n else { break }
            let c = p[i]
            if c == UInt8(ascii: "\"") {
                index = i + 1
                return (start, i, escaped)
            }
            if c == UInt8(ascii: "\\") { escaped = true; i += 2; continue }
            index = i
            throw error("control character in string")
        }
        index = n
        throw JSONError(offset: start, reason: "unterminated string")
    }

    public mutating func readString() throws -> String {
        try string(rawStringRange())
    }

    /// The text of a string `rawStringRange` found (escapes decoded).
    private mutating func string(_ r: (start: Int, end: Int, escaped: Bool)) throws -> String {
        if !r.escaped {
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[r.start..<r.end]), as: UTF8.self)
        }
        let decoded = try decodeEscaped(r.start, r.end)
        return String(decoding: decoded, as: UTF8.self)
    }

    private mutating func decodeEscaped(_ start: Int, _ end: Int) throws -> [UInt8] {
        scratch.removeAll(keepingCapacity: true)
        var i = start
        while i < end {
            let c = bytes[i]
            if c != UInt8(ascii: "\\") { scratch.append(c); i += 1; continue }
            guard i + 1 < end else { throw JSONError(offset: i, reason: "bad escape") }
            let e = bytes[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""): scratch.append(0x22)
            case UInt8(ascii: "\\"): scratch.append(0x5C)
            case UInt8(ascii: "/"): scratch.append(0x2F)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                guard var cp = hex4(i, end) else { throw JSONError(offset: i, reason: "bad \\u escape") }
                i += 4
                if cp >= 0xD800 && cp < 0xDC00 {
                    if i + 6 <= end, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u"),
                       let lo = hex4(i + 2, end), lo >= 0xDC00 && lo < 0xE000 {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                        i += 6
                    } else { cp = 0xFFFD }
                } else if cp >= 0xDC00 && cp < 0xE000 { cp = 0xFFFD }
                let scalar = Unicode.Scalar(cp) ?? "\u{FFFD}"
                scratch.append(contentsOf: UTF8.encode(scalar)!)
            default:
                throw JSONError(offset: i - 2, reason: "bad escape")
            }
        }
        return scratch
    }

    private func hex4(_ i: Int, _ end: Int) -> UInt32? {
        guard i + 4 <= end else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = bytes[i + k]
            let d: UInt8
            switch c {
            case 48...57: d = c - 48
            case 97...102: d = c - 87
            case 65...70: d = c - 55
            default: return nil
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
