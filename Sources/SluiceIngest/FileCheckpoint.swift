/// The saved read position of one file, keyed by its identity.
public struct FileCheckpoint: Codable, Sendable, Equatable {
    public var path: String
    public var offset: Int64
    /// Wall-clock seconds when this entry last changed (for expiry of vanished files).
    public var updated: Int64

    public init(path: String, offset: Int64, updated: Int64) {
        self.path = path; self.offset = offset; self.updated = updated
    }
}

/// The checkpoint file of a file source: identity (`dev:inode`) to position.
public struct FileSourceCheckpoints: Codable, Sendable {
    public var files: [String: FileCheckpoint] = [:]
    public init(files: [String: FileCheckpoint] = [:]) { self.files = files }
}
