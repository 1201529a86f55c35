#if canImport(Glibc)
import Glibc
#endif
import SluiceCore

/// Builds syslog messages around encoded records.
///
/// - RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME sluice PROCID - - MSG`
/// - RFC 3164: `<PRI>Mmm dd hh:mm:ss HOSTNAME sluice[PROCID]: MSG`
/// - Framing: octet counting (`LEN SP MSG`, RFC 5425/6587, safe whatever MSG holds) or a
///   trailing LF (RFC 6587 non-transparent framing), in which case every CR, LF and NUL in
///   the message becomes a space so content can never end a frame early. UDP sends one
///   message per datagram without framing.
/// - A message longer than `maxMessageBytes` is cut at a UTF-8 character boundary (never
///   inside a CEF `\` escape) and counted by the caller.
public struct SyslogFraming: Sendable {
    public enum Header: String, CaseIterable, Sendable { case rfc5424, rfc3164 }
    public enum Framing: String, CaseIterable, Sendable { case octet_counting, newline, none }

    public var header: Header
    public var framing: Framing
    public var facility: Int
    public var hostname: String
    public var appName: String
    public var procID: String
    public var maxMessageBytes: Int

    public init(header: Header = .rfc5424, framing: Framing = .octet_counting, facility: Int = 16,
                hostname: String = HostName.current, appName: String = "sluice",
                procID: String = String(getpid()), maxMessageBytes: Int = 64 * 1024) {
        self.header = header; self.framing = framing; self.facility = facility
        self.hostname = hostname; self.appName = appName; self.procID = procID
        self.maxMessageBytes = maxMessageBytes
    }

    /// Facility names (RFC 5424 table).
    public static let facilities: [String: Int] = [
        "kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
        "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11, "local0": 16, "local1": 17, "local2": 18,
        "local3": 19, "local4": 20, "local5": 21, "local6": 22, "local7": 23,
    ]

    /// Syslog severity of an alert or event: critical 2, high 3, medium 4, low 5,
    /// informational and plain events 6.
    public static func severity(_ event: Event) -> Int {
        guard let a = event.alert else { return 6 }
        switch a.severity {
        case .critical: return 2
        case .high: return 3
        case .medium: return 4
        case .low: return 5
        case .informational: return 6
        }
    }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Appends one framed message: header for `event`, then the record `encode` writes.
    public func appendMessage(for event: Event, now: Int64, to out: inout [UInt8], encode: (inout [UInt8]) -> Void) -> Bool {
        var msg: [UInt8] = []
        msg.reserveCapacity(512)
        msg.append(UInt8(ascii: "<"))
        JSONWriter.appendInt(Int64(facility * 8 + Self.severity(event)), to: &msg)
        msg.append(UInt8(ascii: ">"))
        switch header {
        case .rfc5424:
            msg.append(contentsOf: "1 ".utf8)
            Timestamp.appendRFC3339(now, to: &msg)
            msg.append(0x20); msg.append(contentsOf: hostname.utf8)
            msg.append(0x20); msg.append(contentsOf: appName.utf8)
            msg.append(0x20); msg.append(contentsOf: procID.utf8)
            msg.append(contentsOf: " - - ".utf8)
        case .rfc3164:
            let secs = now / 1_000_000_000
            let days = Int(secs / 86400)
            let (_, m, d) = Timestamp.civilFromDays(days)
            let sod = Int(secs % 86400)
            msg.append(contentsOf: Self.months[m - 1].utf8)
            msg.append(0x20)
            if d < 10 { msg.append(0x20) }
            JSONWriter.appendInt(Int64(d), to: &msg)
            msg.append(0x20)
            for (i, v) in [sod / 3600, (sod / 60) % 60, sod % 60].enumerated() {
                if i > 0 { msg.append(UInt8(ascii: ":")) }
                if v < 10 { msg.append(UInt8(ascii: "0")) }
                JSONWriter.appendInt(Int64(v), to: &msg)
            }
            msg.append(0x20); msg.append(contentsOf: hostname.utf8)
            msg.append(0x20); msg.append(contentsOf: appName.utf8)
            msg.append(UInt8(ascii: "[")); msg.append(contentsOf: procID.utf8); msg.append(contentsOf: "]: ".utf8)
        }
        let bodyStart = msg.count
        encode(&msg)
        var truncated = false
        if msg.count > maxMessageBytes {
            var end = maxMessageBytes
            while end > bodyStart && msg[end] & 0xC0 == 0x80 { end -= 1 }
            // Do not leave a lone escaping backslash at the end.
            var backslashes = 0
            while end - backslashes - 1 >= bodyStart && msg[end - backslashes - 1] == 0x5C { backslashes += 1 }
            if backslashes % 2 == 1 { end -= 1 }
            msg.removeLast(msg.count - end)
            truncated = true
        }
        switch framing {
        case .octet_counting:
            JSONWriter.appendInt(Int64(msg.count), to: &out)
            out.append(0x20)
            out.append(contentsOf: msg)
        case .newline:
            for i in msg.indices where msg[i] == 0x0A || msg[i] == 0x0D || msg[i] == 0 { msg[i] = 0x20 }
            out.append(contentsOf: msg)
            out.append(0x0A)
        case .none:
            out.append(contentsOf: msg)
        }
        return truncated
    }
}
