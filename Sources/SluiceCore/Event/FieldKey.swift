import Foundation

/// An interned field name such as `user.name` or `github.repo`.
///
/// Guarantees: two keys made from the same dotted path are equal and compare in O(1);
/// interning is thread-safe; a key never changes its path. Keys are process-global and
/// never freed, so create them once (for example as `static let`) rather than per event.
public struct FieldKey: Hashable, Sendable, CustomStringConvertible {
    /// The interned identifier. Stable only within one process.
    public let id: UInt32

    /// Interns `path` (dot-separated ECS name) and returns its key.
    public init(_ path: String) {
        self.id = FieldRegistry.shared.intern(path)
    }

    @inlinable init(id: UInt32) { self.id = id }

    /// The dotted path, e.g. `source.ip`.
    public var path: String { FieldRegistry.shared.info(id).path }
    /// The path split at dots, e.g. `["source", "ip"]`.
    public var components: [String] { FieldRegistry.shared.info(id).components }
    public var description: String { path }

    /// Looks a key up without interning it; `nil` if no key with that path exists yet.
    public static func existing(_ path: String) -> FieldKey? {
        FieldRegistry.shared.lookup(path).map(FieldKey.init(id:))
    }
}

/// The process-wide table of interned field names. Append-only and lock-protected.
public final class FieldRegistry: @unchecked Sendable {
    public struct Info: Sendable {
        public let path: String
        public let components: [String]
        /// The key as a JSON object member name for its last component: `"name":` bytes.
        public let leafJSONName: [UInt8]
    }

    public static let shared = FieldRegistry()
    private let lock = NSLock()
    private var byPath: [String: UInt32] = [:]
    private var infos: [Info] = []
    /// Hard cap so that attacker-chosen JSON keys cannot grow the table without bound.
    public static let capacity = 1 << 20

    public func intern(_ path: String) -> UInt32 {
        lock.lock(); defer { lock.unlock() }
        if let id = byPath[path] { return id }
        precondition(infos.count < FieldRegistry.capacity, "field registry full")
        let id = UInt32(infos.count)
        let comps = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var name: [UInt8] = []
        JSONWriter.appendQuoted(comps.last ?? path, to: &name)
        name.append(UInt8(ascii: ":"))
        infos.append(Info(path: path, components: comps, leafJSONName: name))
        byPath[path] = id
        return id
    }

    public func lookup(_ path: String) -> UInt32? {
        lock.lock(); defer { lock.unlock() }
        return byPath[path]
    }

    public var count: Int { lock.lock(); defer { lock.unlock() }; return infos.count }

    public func info(_ id: UInt32) -> Info {
        lock.lock(); defer { lock.unlock() }
        return infos[Int(id)]
    }
}
