#if canImport(Glibc)
import Glibc
#endif

/// This machine's host name, sanitized to printable ASCII without spaces (RFC 5424
/// HOSTNAME rules), at most 255 bytes; `-` when unknown.
public enum HostName {
    public static let current: String = {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, 255) == 0 else { return "-" }
        let name = buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let clean = String(decoding: name.filter { $0 > 0x20 && $0 < 0x7F }.prefix(255), as: UTF8.self)
        return clean.isEmpty ? "-" : clean
    }()
}
