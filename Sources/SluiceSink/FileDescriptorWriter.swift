#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SluiceCore

/// Writes whole buffers to a file descriptor, resuming after partial writes and EINTR.
/// Errors (disk full, closed pipe) are reported as retryable sink errors naming the path.
public struct FileDescriptorWriter {
    public let fd: Int32
    public let label: String

    public init(fd: Int32, label: String) { self.fd = fd; self.label = label }

    public func writeAll(_ bytes: [UInt8]) throws {
        try writeAll(bytes[...])
    }

    public func writeAll(_ bytes: ArraySlice<UInt8>) throws {
        try bytes.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    throw SinkError.retryable("\(label): \(String(cString: strerror(errno)))")
                }
                off += n
            }
        }
    }
}
