import SluiceCore

/// `squid`: Squid `access.log` in the native format
/// (`%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`, also with an extra
/// `%[ui` identity column) and the `common` / `combined` logformats
/// (`%>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st ["%{Referer}>h" "%{User-Agent}>h"] %Ss:%Sh`).
///
/// Guarantees: one event per line; a line that does not fit the format throws a
/// `ParseFailure` (`empty_record`, `too_long`, `invalid_squid`, `invalid_common`); no
/// allocation beyond the field strings. Bytes: squid's `%<st` (bytes delivered to the client)
/// is `http.response.bytes` and `destination.bytes` (the Sluice convention: bytes received by
/// the client are `destination.bytes`).
///
/// A trailing request-size column after the MIME type (`… %mt %>st`, as deployments that log
/// uploads write it) becomes `source.bytes` and `http.request.bytes`.
///
/// Options: `logformat` (`auto` (default: per line, by its first bytes), `squid`, `common`,
/// `combined`, or Squid's own definition such as `%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru
/// %[un %Sh/%<a %mt %>st`, see `SquidLogFormat`).
public final class SquidParser: Parser {
    /// Which access.log layout to expect; `auto` decides per line.
    public enum LogFormat: String, CaseIterable, Sendable { case auto, squid, common, combined }

    enum Keys {
        static let resultCode = FieldKey("squid.result_code")
        static let hierarchyCode = FieldKey("squid.hierarchy_code")
        static let hierarchyPeer = FieldKey("squid.hierarchy_peer")
        static let ident = FieldKey("squid.ident")
        static let urlPort = FieldKey("url.port")
        static let urlScheme = FieldKey("url.scheme")
        static let urlQuery = FieldKey("url.query")
        static let mimeType = FieldKey("http.response.mime_type")
        static let httpVersion = FieldKey("http.version")
        static let referrer = FieldKey("http.request.referrer")
    }

    static let maxRecordBytes = 64 * 1024
    static let dataset: FieldValue = .string("squid.access")
    static let categories: FieldValue = .array([.string("network"), .string("web")])
    static let success: FieldValue = .string("success")
    static let failure: FieldValue = .string("failure")
    static let methodConnect: FieldValue = .string("CONNECT")

    /// Keys and constant values held by the instance: a stored load on the hot path instead
    /// of a global accessor per use.
    struct K {
        let destinationBytes = ECS.destinationBytes
        let destinationDomain = ECS.destinationDomain
        let destinationIP = ECS.destinationIP
        let destinationPort = ECS.destinationPort
        let eventCategory = ECS.eventCategory
        let eventDataset = ECS.eventDataset
        let eventDuration = ECS.eventDuration
        let eventOutcome = ECS.eventOutcome
        let httpMethod = ECS.httpMethod
        let httpResponseBytes = ECS.httpResponseBytes
        let httpRequestBytes = ECS.httpRequestBytes
        let sourceBytes = ECS.sourceBytes
        let sourcePort = ECS.sourcePort
        let sourceDomain = ECS.sourceDomain
        let httpStatus = ECS.httpStatus
        let sourceIP = ECS.sourceIP
        let urlDomain = ECS.urlDomain
        let urlFull = ECS.urlFull
        let urlOriginal = ECS.urlOriginal
        let urlPath = ECS.urlPath
        let userAgent = ECS.userAgent
        let userName = ECS.userName
        let hierarchyCode = Keys.hierarchyCode
        let hierarchyPeer = Keys.hierarchyPeer
        let httpVersion = Keys.httpVersion
        let ident = Keys.ident
        let mimeType = Keys.mimeType
        let referrer = Keys.referrer
        let resultCode = Keys.resultCode
        let urlPort = Keys.urlPort
        let urlQuery = Keys.urlQuery
        let urlScheme = Keys.urlScheme
        let dataset = SquidParser.dataset
        let categories = SquidParser.categories
        let success = SquidParser.success
        let failure = SquidParser.failure
        let methodConnect = SquidParser.methodConnect
    }
    let k = K()
    let format: LogFormat
    /// A `logformat:` holding Squid's own definition (`%ts.%03tu %6tr %>a …`).
    let custom: SquidLogFormat?

    public init(format: LogFormat = .auto) { self.format = format; custom = nil }

    /// A parser for Squid's own `logformat` definition (e.g. `%ts.%03tu %6tr %>a %Ss/%03>Hs
    /// %<st %rm %ru %[un %Sh/%<a %mt %>st`); throws a description of what is wrong with it.
    public init(logformat definition: String) throws {
        format = .squid
        custom = try SquidLogFormat(definition)
    }

    public convenience init(options o: ComponentOptions) {
        if let raw = o.string("logformat"), raw.contains("%") {
            do { try self.init(logformat: raw) } catch {
                o.fail("logformat: \(error)", at: "logformat")
                self.init(format: .auto)
            }
            return
        }
        self.init(format: o.choice("logformat", default: LogFormat.auto))
    }

    public func parse(_ record: ArraySlice<UInt8>, event: consuming Event, into output: inout [Event]) throws {
        try RecordCursor.parseLine(record, event: event, maxBytes: Self.maxRecordBytes, fields: 22, into: &output) { c, e, fresh in
            if let custom { try parseCustom(custom, &c, &e, fresh); return }
            switch format {
            case .squid: try parseNative(&c, &e, fresh)
            case .common, .combined: try parseCommon(&c, &e, fresh)
            case .auto:
                if Self.looksNative(c.bytes, c.index, c.end) { try parseNative(&c, &e, fresh) } else { try parseCommon(&c, &e, fresh) }
            }
        }
    }

    /// Native lines start with `<digits>.<digits>` followed by a space.
    static func looksNative(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var i = start
        var digits = 0
        while i < end, b[i] >= 48, b[i] <= 57 { i += 1; digits += 1 }
        guard digits >= 9, i < end, b[i] == UInt8(ascii: ".") else { return false }
        i += 1
        while i < end, b[i] >= 48, b[i] <= 57 { i += 1 }
        return i < end && (b[i] == 0x20 || b[i] == 0x09)
    }

    // MARK: native

    private func parseNative(_ c: inout RecordCursor, _ e: inout Event, _ fresh: Bool) throws {
        let b = c.bytes
        guard let tsR = c.token(), let ts = ByteText.decimalSeconds(b, tsR) else {
            throw ParseFailure("invalid_squid", "expected a timestamp like 1700000000.123")
        }
        guard let elapsedR = c.token(), let elapsed = ByteText.int(b, elapsedR) else {
            throw ParseFailure("invalid_squid", "expected the elapsed time in ms")
        }
        guard let clientR = c.token(), let codeR = c.token(), let bytesR = c.token(),
              let methodR = c.token(), let urlR = c.token() else {
            throw ParseFailure("invalid_squid", "truncated line: expected client, code/status, bytes, method and URL")
        }
        // code/status
        var slash = codeR.lowerBound
        while slash < codeR.upperBound, b[slash] != UInt8(ascii: "/") { slash += 1 }
        guard slash < codeR.upperBound, slash > codeR.lowerBound,
              let status = ByteText.uint(b, (slash + 1)..<codeR.upperBound) else {
            throw ParseFailure("invalid_squid", "expected result code/status like TCP_MISS/200")
        }
        let size = ByteText.uint(b, bytesR)
        if size == nil && !ByteText.isDash(b, bytesR) { throw ParseFailure("invalid_squid", "bytes is not a number") }

        // The rest: [ident] user hierarchy/peer [type]
        var rest = RestColumns()
        while rest.count < 5, let t = c.token() { rest.append(t) }
        guard c.atEnd else { throw ParseFailure("invalid_squid", "unexpected extra columns") }
        var hierIndex = -1
        for i in 0..<rest.count where Self.isHierarchy(b, rest[i]) { hierIndex = i; break }

        e.timestamp = ts
        e.put(k.eventDataset, k.dataset, fresh: fresh)
        e.put(k.eventCategory, k.categories, fresh: fresh)
        e.put(k.sourceIP, c.text(clientR), fresh: fresh)
        // An absurd elapsed time (beyond Int64 nanoseconds) is left out, not overflowed.
        if elapsed >= 0, elapsed <= Int64.max / 1_000_000 { e.put(k.eventDuration, .int(elapsed * 1_000_000), fresh: fresh) }
        e.put(k.resultCode, c.value(codeR.lowerBound..<slash), fresh: fresh)
        e.put(k.httpStatus, .int(status), fresh: fresh)
        if let size {
            e.put(k.httpResponseBytes, .int(size), fresh: fresh)
            e.put(k.destinationBytes, .int(size), fresh: fresh)
        }
        let failed = status == 0 || status >= 400 || ByteText.find("DENIED", in: b, from: codeR.lowerBound, to: slash) != nil
        e.put(k.eventOutcome, failed ? k.failure : k.success, fresh: fresh)

        var identities = hierIndex >= 0 ? hierIndex : (rest.count >= 2 ? rest.count - 1 : rest.count)
        var user: Range<Int>?
        while identities > 0 {
            identities -= 1
            let r = rest[identities]
            if !ByteText.isDash(b, r) {
                if user == nil { user = r } else { e.put(k.ident, c.text(r), fresh: fresh) }
            }
        }
        if let user { e.put(k.userName, c.text(user), fresh: fresh) }

        var peerIP: FieldValue?
        if hierIndex >= 0 {
            let h = rest[hierIndex]
            var s = h.lowerBound
            while s < h.upperBound, b[s] != UInt8(ascii: "/") { s += 1 }
            e.put(k.hierarchyCode, c.text(h.lowerBound..<s), fresh: fresh)
            let peer = (s + 1)..<h.upperBound
            if s < h.upperBound, !peer.isEmpty, !ByteText.isDash(b, peer) {
                if ByteText.isIP(b, peer) { peerIP = c.value(peer) } else { e.put(k.hierarchyPeer, c.value(peer), fresh: fresh) }
            }
            if hierIndex + 1 < rest.count, !ByteText.isDash(b, rest[hierIndex + 1]) {
                e.put(k.mimeType, c.text(rest[hierIndex + 1]), fresh: fresh)
            }
            // A trailing request size (`%>st`, as deployments logging uploads add): bytes the
            // client sent.
            if hierIndex + 2 < rest.count, let up = ByteText.uint(b, rest[hierIndex + 2]) {
                e.put(k.sourceBytes, .int(up), fresh: fresh)
                e.put(k.httpRequestBytes, .int(up), fresh: fresh)
            }
        }
        try putRequest(c, methodR, urlR, peerIP: peerIP, &e, fresh)
    }

    /// Up to five trailing columns without an array allocation.
    struct RestColumns {
        var r0 = 0..<0, r1 = 0..<0, r2 = 0..<0, r3 = 0..<0, r4 = 0..<0
        var count = 0
        @inline(__always)
        mutating func append(_ r: Range<Int>) {
            switch count { case 0: r0 = r; case 1: r1 = r; case 2: r2 = r; case 3: r3 = r; default: r4 = r }
            count += 1
        }
        @inline(__always)
        subscript(_ i: Int) -> Range<Int> {
            switch i { case 0: return r0; case 1: return r1; case 2: return r2; case 3: return r3; default: return r4 }
        }
    }

    /// `HIER_DIRECT/1.2.3.4`, `DIRECT/1.2.3.4`, `NONE/-`, `FIRSTUP_PARENT/proxy`…
    @inline(__always)
    static func isHierarchy(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        var i = r.lowerBound
        var letters = 0
        while i < r.upperBound {
            let c = b[i]
            if c == UInt8(ascii: "/") { return letters > 0 }
            guard (c >= 65 && c <= 90) || c == UInt8(ascii: "_") else { return false }
            letters += 1; i += 1
        }
        return false
    }

    // MARK: common / combined

    private func parseCommon(_ c: inout RecordCursor, _ e: inout Event, _ fresh: Bool) throws {
        let b = c.bytes
        guard let clientR = c.token(), let identR = c.token(), let userR = c.token() else {
            throw ParseFailure("invalid_common", "expected client, ident and user")
        }
        c.skipSpaces()
        guard c.consume("["), let timeR = c.upTo(UInt8(ascii: "]")) else {
            throw ParseFailure("invalid_common", "expected [dd/Mon/yyyy:HH:MM:SS zone]")
        }
        guard let t = Self.clfTime(b, timeR) else { throw ParseFailure("invalid_common", "unreadable time") }
        c.skipSpaces()
        guard c.consume("\""), let reqR = c.upTo(UInt8(ascii: "\"")) else {
            throw ParseFailure("invalid_common", "expected the quoted request line")
        }
        guard let statusR = c.token(), let status = ByteText.uint(b, statusR), let bytesR = c.token() else {
            throw ParseFailure("invalid_common", "expected status and bytes")
        }
        let size = ByteText.uint(b, bytesR)
        if size == nil && !ByteText.isDash(b, bytesR) { throw ParseFailure("invalid_common", "bytes is not a number") }
        var referer: Range<Int>?
        var agent: Range<Int>?
        c.skipSpaces()
        if c.peek() == UInt8(ascii: "\"") {
            c.index += 1
            guard let r = c.upTo(UInt8(ascii: "\"")) else { throw ParseFailure("invalid_common", "unterminated referer") }
            referer = r
            c.skipSpaces()
            guard c.consume("\""), let a = Self.quoted(&c) else { throw ParseFailure("invalid_common", "expected the quoted user agent") }
            agent = a
        }
        let tail = c.token()
        guard c.atEnd else { throw ParseFailure("invalid_common", "unexpected extra columns") }

        e.timestamp = t
        e.put(k.eventDataset, k.dataset, fresh: fresh)
        e.put(k.eventCategory, k.categories, fresh: fresh)
        e.put(k.sourceIP, c.text(clientR), fresh: fresh)
        e.put(k.httpStatus, .int(status), fresh: fresh)
        if let size {
            e.put(k.httpResponseBytes, .int(size), fresh: fresh)
            e.put(k.destinationBytes, .int(size), fresh: fresh)
        }
        if !ByteText.isDash(b, userR) { e.put(k.userName, c.text(userR), fresh: fresh) }
        else if !ByteText.isDash(b, identR) { e.put(k.userName, c.text(identR), fresh: fresh) }
        if !ByteText.isDash(b, identR), !ByteText.isDash(b, userR) { e.put(k.ident, c.text(identR), fresh: fresh) }
        var failed = status == 0 || status >= 400
        if let tail {
            // %Ss:%Sh
            var colon = tail.lowerBound
            while colon < tail.upperBound, b[colon] != UInt8(ascii: ":") { colon += 1 }
            let code = tail.lowerBound..<colon
            e.put(k.resultCode, c.text(code), fresh: fresh)
            if colon + 1 < tail.upperBound { e.put(k.hierarchyCode, c.text((colon + 1)..<tail.upperBound), fresh: fresh) }
            if ByteText.find("DENIED", in: b, from: code.lowerBound, to: code.upperBound) != nil { failed = true }
        }
        e.put(k.eventOutcome, failed ? k.failure : k.success, fresh: fresh)
        if let referer, !ByteText.isDash(b, referer), !referer.isEmpty { e.put(k.referrer, c.text(referer), fresh: fresh) }
        if let agent, !ByteText.isDash(b, agent), !agent.isEmpty { e.put(k.userAgent, c.text(agent), fresh: fresh) }

        // "METHOD URL HTTP/x.y"
        var rc = RecordCursor(b, from: reqR.lowerBound, spanBase: c.spanBase)
        rc.end = reqR.upperBound
        guard let methodR = rc.token(), methodR.upperBound <= reqR.upperBound,
              let urlR0 = rc.token(), urlR0.upperBound <= reqR.upperBound else {
            throw ParseFailure("invalid_common", "request line is not METHOD URL VERSION")
        }
        if let v = rc.token(), v.upperBound <= reqR.upperBound, v.count > 5, ByteText.find("HTTP/", in: b, from: v.lowerBound, to: v.lowerBound + 5) != nil {
            e.put(k.httpVersion, c.text((v.lowerBound + 5)..<v.upperBound), fresh: fresh)
        }
        try putRequest(c, methodR, urlR0, peerIP: nil, &e, fresh)
    }

    /// A quoted value whose opening quote is consumed; `\"` inside is allowed.
    static func quoted(_ c: inout RecordCursor) -> Range<Int>? {
        let s = c.index
        var i = s
        while i < c.end {
            if c.bytes[i] == UInt8(ascii: "\\") { i += 2; continue }
            if c.bytes[i] == UInt8(ascii: "\"") { c.index = i + 1; return s..<i }
            i += 1
        }
        return nil
    }

    /// `23/Nov/2026:02:08:35 +0000`
    static func clfTime(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int64? {
        let i = r.lowerBound
        guard r.count >= 20, let d = ByteText.digits(b, i, 2), b[i + 2] == UInt8(ascii: "/"),
              let mon = ByteText.month(b, i + 3), b[i + 6] == UInt8(ascii: "/"),
              let y = ByteText.digits(b, i + 7, 4), b[i + 11] == UInt8(ascii: ":"),
              let h = ByteText.digits(b, i + 12, 2), let m = ByteText.digits(b, i + 15, 2),
              let s = ByteText.digits(b, i + 18, 2), d >= 1, d <= 31, h < 24, m < 60, s < 61 else { return nil }
        var offset = 0
        if r.count >= 26, b[i + 20] == 0x20, b[i + 21] == UInt8(ascii: "+") || b[i + 21] == UInt8(ascii: "-"),
           let oh = ByteText.digits(b, i + 22, 2), let om = ByteText.digits(b, i + 24, 2) {
            offset = (oh * 3600 + om * 60) * (b[i + 21] == UInt8(ascii: "-") ? -1 : 1)
        }
        guard let t = ByteText.time(year: y, month: mon, day: d, hour: h, minute: m, second: s) else { return nil }
        return t - Int64(offset) * 1_000_000_000
    }

    // MARK: custom logformat

    private func parseCustom(_ f: SquidLogFormat, _ c: inout RecordCursor, _ e: inout Event, _ fresh: Bool) throws {
        let b = c.bytes
        let (found, at) = f.match(c)
        guard let values = found else {
            throw ParseFailure("invalid_squid", "line does not match the logformat at byte \(at - c.index)")
        }
        var seconds: Int64?, millis: Int64 = 0
        var status: Int64?
        var failed = false
        var methodR: Range<Int>?, urlR: Range<Int>?
        var peerIP: FieldValue?
        var user: Range<Int>?
        var n = 0
        e.put(k.eventDataset, k.dataset, fresh: fresh)
        e.put(k.eventCategory, k.categories, fresh: fresh)
        for piece in f.pieces {
            guard case .field(let code) = piece else { continue }
            let r = values[n]
            n += 1
            if r.isEmpty || ByteText.isDash(b, r) { continue }
            switch code {
            case .seconds: seconds = ByteText.uint(b, r)
            case .millis: millis = ByteText.uint(b, r) ?? 0
            case .localTime, .gmtTime:
                if let t = Self.clfTime(b, r) { e.timestamp = t }
            case .elapsed:
                if let ms = ByteText.int(b, r), ms >= 0, ms <= Int64.max / 1_000_000 { e.put(k.eventDuration, .int(ms * 1_000_000), fresh: fresh) }
            case .clientIP: e.put(k.sourceIP, c.value(r), fresh: fresh)
            case .clientPort: if let p = ByteText.uint(b, r) { e.put(k.sourcePort, .int(p), fresh: fresh) }
            case .clientFQDN: e.put(k.sourceDomain, c.value(r), fresh: fresh)
            case .peer:
                if ByteText.isIP(b, r) { peerIP = c.value(r) } else { e.put(k.hierarchyPeer, c.value(r), fresh: fresh) }
            case .serverPort: if let p = ByteText.uint(b, r) { e.put(k.destinationPort, .int(p), fresh: fresh) }
            case .serverFQDN: e.put(k.destinationDomain, c.value(r), fresh: fresh)
            case .squidStatus:
                e.put(k.resultCode, c.value(r), fresh: fresh)
                if ByteText.find("DENIED", in: b, from: r.lowerBound, to: r.upperBound) != nil { failed = true }
            case .httpStatus:
                status = ByteText.uint(b, r)
                if let s = status { e.put(k.httpStatus, .int(s), fresh: fresh) }
            case .hierarchy: e.put(k.hierarchyCode, c.value(r), fresh: fresh)
            case .replyBytes:
                if let v = ByteText.uint(b, r) {
                    e.put(k.httpResponseBytes, .int(v), fresh: fresh)
                    e.put(k.destinationBytes, .int(v), fresh: fresh)
                }
            case .requestBytes:
                if let v = ByteText.uint(b, r) {
                    e.put(k.sourceBytes, .int(v), fresh: fresh)
                    e.put(k.httpRequestBytes, .int(v), fresh: fresh)
                }
            case .method: methodR = r
            case .url: urlR = r
            case .version: e.put(k.httpVersion, c.value(r), fresh: fresh)
            case .user: if user == nil { user = r }
            case .ident: e.put(k.ident, c.value(r), fresh: fresh)
            case .mime: e.put(k.mimeType, c.value(r), fresh: fresh)
            case .requestHeader(let h):
                if h == "user-agent" { e.put(k.userAgent, c.value(r), fresh: fresh) }
                else if h == "referer" { e.put(k.referrer, c.value(r), fresh: fresh) }
            case .ignored: break
            }
        }
        if let seconds, seconds < 100_000_000_000 { e.timestamp = seconds * 1_000_000_000 + min(millis, 999) * 1_000_000 }
        if let user { e.put(k.userName, c.value(user), fresh: fresh) }
        if let s = status, s == 0 || s >= 400 { failed = true }
        e.put(k.eventOutcome, failed ? k.failure : k.success, fresh: fresh)
        if let urlR {
            try putRequest(c, methodR ?? urlR.lowerBound..<urlR.lowerBound, urlR, peerIP: peerIP, &e, fresh)
        } else {
            if let methodR { e.put(k.httpMethod, c.value(methodR), fresh: fresh) }
            if let peerIP { e.put(k.destinationIP, peerIP, fresh: fresh) }
        }
    }

    // MARK: request

    /// Method and URL: `CONNECT host:443` or `scheme://host[:port]/path?query`.
    private func putRequest(_ c: RecordCursor, _ methodR: Range<Int>, _ urlR: Range<Int>, peerIP: FieldValue?, _ e: inout Event, _ fresh: Bool) throws {
        let b = c.bytes
        let isConnect = ByteText.equals(b, methodR, "CONNECT")
        if !methodR.isEmpty { e.put(k.httpMethod, isConnect ? k.methodConnect : c.value(methodR), fresh: fresh) }
        if ByteText.isDash(b, urlR) || (urlR.count > 6 && ByteText.equals(b, urlR.lowerBound..<(urlR.lowerBound + 6), "error:")) {
            // `error:invalid-request`, `error:transaction-end-before-headers`: no URL.
            if !ByteText.isDash(b, urlR) { e.put(k.urlOriginal, c.value(urlR), fresh: fresh) }
            if let peerIP { e.put(k.destinationIP, peerIP, fresh: fresh) }
            return
        }
        e.put(k.urlFull, c.value(urlR), fresh: fresh)
        var hostStart = urlR.lowerBound
        var scheme: Range<Int>?
        if !isConnect, let sep = ByteText.find("://", in: b, from: urlR.lowerBound, to: min(urlR.upperBound, urlR.lowerBound + 16)) {
            scheme = urlR.lowerBound..<sep
            hostStart = sep + 3
        }
        // The authority ends at '/', '?' or '#'; the host starts after the last '@' (userinfo).
        var authEnd = hostStart
        var hs = hostStart
        while true {
            authEnd = ByteScan.firstOf(b, from: authEnd, to: urlR.upperBound, UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "#"), UInt8(ascii: "@"))
            guard authEnd < urlR.upperBound, b[authEnd] == UInt8(ascii: "@") else { break }
            authEnd += 1
            hs = authEnd
        }
        var hostEnd = authEnd
        var port: Int64?
        if hs < authEnd, b[hs] == UInt8(ascii: "[") {
            var j = hs
            while j < authEnd, b[j] != UInt8(ascii: "]") { j += 1 }
            hostEnd = min(j + 1, authEnd)
            if hostEnd + 1 < authEnd, b[hostEnd] == UInt8(ascii: ":") { port = ByteText.uint(b, (hostEnd + 1)..<authEnd) }
        } else {
            var j = authEnd
            while j > hs, b[j - 1] >= 48, b[j - 1] <= 57 { j -= 1 }
            if j > hs, j < authEnd, b[j - 1] == UInt8(ascii: ":") { port = ByteText.uint(b, j..<authEnd); hostEnd = j - 1 }
        }
        let hostR = hs..<hostEnd
        if !hostR.isEmpty {
            let host = c.value(hostR)
            let hostIsIP = ByteText.isIP(b, hostR)
            if !isConnect { e.put(k.urlDomain, host, fresh: fresh) }
            if hostIsIP { if peerIP == nil { e.put(k.destinationIP, host, fresh: fresh) } }
            else { e.put(k.destinationDomain, host, fresh: fresh) }
        }
        if let peerIP { e.put(k.destinationIP, peerIP, fresh: fresh) }
        if let scheme { e.put(k.urlScheme, c.value(scheme), fresh: fresh) }
        var destPort = port
        if destPort == nil, let scheme {
            if ByteText.equals(b, scheme, "https") { destPort = 443 } else if ByteText.equals(b, scheme, "http") { destPort = 80 } else if ByteText.equals(b, scheme, "ftp") { destPort = 21 }
        }
        if let port, !isConnect { e.put(k.urlPort, .int(port), fresh: fresh) }
        if let destPort { e.put(k.destinationPort, .int(destPort), fresh: fresh) }
        if !isConnect, authEnd < urlR.upperBound {
            let q = ByteScan.firstOf(b, from: authEnd, to: urlR.upperBound, UInt8(ascii: "?"), UInt8(ascii: "#"), UInt8(ascii: "#"), UInt8(ascii: "#"))
            if q > authEnd { e.put(k.urlPath, c.value(authEnd..<q), fresh: fresh) }
            if q < urlR.upperBound, b[q] == UInt8(ascii: "?") {
                let f = ByteScan.firstOf(b, from: q + 1, to: urlR.upperBound, UInt8(ascii: "#"), UInt8(ascii: "#"), UInt8(ascii: "#"), UInt8(ascii: "#"))
                if f > q + 1 { e.put(k.urlQuery, c.value((q + 1)..<f), fresh: fresh) }
            }
        }
    }
}
