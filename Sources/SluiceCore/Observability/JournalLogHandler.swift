#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// A swift-log handler that writes to the systemd journal in its native protocol, so each log
/// line carries structured fields: `MESSAGE`, `PRIORITY` (syslog level), `SYSLOG_IDENTIFIER`,
/// `CODE_FILE`/`CODE_LINE`/`CODE_FUNC`, `LOGGER` (the logger label), and every metadata
/// key as an upper-case field (`component` → `COMPONENT`, so `journalctl COMPONENT=siem`
/// finds one component's lines).
///
/// Used when stderr is the journal (`JOURNAL_STREAM` names stderr's device:inode, as systemd
/// sets it for services); see `stderrIsJournal`. Guarantees: field names are sanitized to
/// journald's rules (`[A-Z0-9_]`, not starting with `_` or a digit); values with newlines use
/// the protocol's length-prefixed form, so text from logs cannot forge fields; a datagram is
/// bounded (`maxDatagramBytes`, the message is cut to fit); when the journal socket cannot be
/// written the line goes to stderr with a `<priority>` prefix, which journald understands.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public let label: String
    public let identifier: String
    private let socket: JournalSocket

    public static let defaultSocketPath = "/run/systemd/journal/socket"
    public static let maxDatagramBytes = 48 * 1024

    public init(label: String, identifier: String = "sluice", socketPath: String = JournalLogHandler.defaultSocketPath) {
        self.label = label
        self.identifier = identifier
        self.socket = JournalSocket.shared(path: socketPath)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("MESSAGE", event.message.description),
            ("PRIORITY", String(Self.priority(event.level))),
            ("SYSLOG_IDENTIFIER", identifier),
            ("CODE_FILE", event.file),
            ("CODE_LINE", String(event.line)),
            ("CODE_FUNC", event.function),
            ("LOGGER", label),
        ]
        var all = metadata
        if let m = event.metadata { all.merge(m) { $1 } }
        for (k, v) in all.sorted(by: { $0.key < $1.key }) {
            if let name = Self.fieldName(k) { fields.append((name, "\(v)")) }
        }
        let datagram = Self.encode(fields, limit: Self.maxDatagramBytes)
        if !socket.send(datagram) {
            let line = Array("<\(Self.priority(event.level))>\(event.message.description)\n".utf8)
            _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        }
    }

    /// syslog priority of a swift-log level.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// A journal field name for a metadata key: upper case, `[A-Z0-9_]` only, at most 64
    /// characters, not starting with `_` (reserved for trusted fields) or a digit. Nil when
    /// nothing usable is left.
    public static func fieldName(_ key: String) -> String? {
        var out: [UInt8] = []
        for b in key.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): out.append(b - 32)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): out.append(b)
            default: out.append(UInt8(ascii: "_"))
            }
        }
        while let f = out.first, f == UInt8(ascii: "_") { out.removeFirst() }
        if let f = out.first, f >= UInt8(ascii: "0") && f <= UInt8(ascii: "9") { out.insert(contentsOf: Array("F_".utf8), at: 0) }
        if out.count > 64 { out.removeLast(out.count - 64) }
        return out.isEmpty ? nil : String(decoding: out, as: UTF8.self)
    }

    /// The native protocol: `NAME=value\n`, or for values holding a newline `NAME\n`, the
    /// value's length as 64-bit little endian, the value, `\n`. The first field (MESSAGE) is
    /// cut so the whole datagram stays within `limit`.
    public static func encode(_ fields: [(String, String)], limit: Int) -> [UInt8] {
        var rest: [UInt8] = []
        for (name, value) in fields.dropFirst() { append(name, Array(value.utf8), to: &rest) }
        var out: [UInt8] = []
        if let (name, value) = fields.first {
            var v = Array(value.utf8)
            let room = max(0, limit - rest.count - name.utf8.count - 10)
            if v.count > room { v.removeLast(v.count - room) }
            append(name, v, to: &out)
        }
        out += rest
        return out
    }

    private static func append(_ name: String, _ value: [UInt8], to out: inout [UInt8]) {
        out += Array(name.utf8)
        if value.contains(0x0A) {
            out.append(0x0A)
            var n = UInt64(value.count).littleEndian
            withUnsafeBytes(of: &n) { out += $0 }
        } else {
            out.append(UInt8(ascii: "="))
        }
        out += value
        out.append(0x0A)
    }

    /// True when stderr is connected to the journal: `JOURNAL_STREAM` is `device:inode` of
    /// stderr (systemd sets it for a service's stdout/stderr stream).
    public static func stderrIsJournal(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let v = environment["JOURNAL_STREAM"] else { return false }
        let parts = v.split(separator: ":")
        guard parts.count == 2, let dev = UInt64(parts[0]), let ino = UInt64(parts[1]) else { return false }
        var st = stat()
        guard fstat(2, &st) == 0 else { return false }
        return UInt64(st.st_dev) == dev && UInt64(st.st_ino) == ino
    }
}

/// One connectionless Unix datagram socket per journal path, shared by every handler.
final class JournalSocket: Sendable {
    let path: String
    private let fd: Int32
    private let address: sockaddr_un

    private static let sockets = Locked<[String: JournalSocket]>([:])

    static func shared(path: String) -> JournalSocket {
        sockets.withLock { sockets in
            if let s = sockets[path] { return s }
            let s = JournalSocket(path: path)
            sockets[path] = s
            return s
        }
    }

    private init(path: String) {
        self.path = path
        fd = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8.prefix(107))
        withUnsafeMutableBytes(of: &address.sun_path) { p in
            for (i, b) in bytes.enumerated() { p[i] = b }
        }
        self.address = address
        if fd >= 0 {
            var size = Int32(4 * 1024 * 1024)
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    func send(_ datagram: [UInt8]) -> Bool {
        guard fd >= 0 else { return false }
        var addr = address
        let n = datagram.withUnsafeBytes { buf in
            withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, buf.baseAddress, buf.count, Int32(MSG_NOSIGNAL), $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        }
        return n == datagram.count
    }
}
