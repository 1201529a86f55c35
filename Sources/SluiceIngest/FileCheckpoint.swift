/// The saved read position of one file, keyed by its identity.
public struct FileCheckpoint: Codable, Sendable, Equatable {
    public var path: String
    public var offset: Int64
    /// Wall-clock seconds when this entry last changed (for expiry of vanished files).
    public var updated: Int64
    /// FNV-1a 64 (hex) of the file's first `fingerprintLength` bytes when saved: a file at the
    /// same device/inode whose first bytes differ is another file (inode reused).
    public var fingerprint: String?
    public var fingerprintLength: Int?

    public init(path: String, offset: Int64, updated: Int64, fingerprint: String? = nil, fingerprintLength: Int? = nil) {
        self.path = path; self.offset = offset; self.updated = updated
        self.fingerprint = fingerprint; self.fingerprintLength = fingerprintLength
    }
}

/// The checkpoint file of a file source: identity to position. The identity is
/// `fp:<hex>` (fingerprint of the first `fingerprint_bytes` bytes) for files at least that
/// long, and `ino:<dev>:<inode>` for shorter files (validated by their shorter fingerprint).
public struct FileSourceCheckpoints: Codable, Sendable {
    public var files: [String: FileCheckpoint] = [:]
    public init(files: [String: FileCheckpoint] = [:]) { self.files = files }
}
