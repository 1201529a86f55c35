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

    /// The key's bit in a 64-bit filter of keys (id mod 64): a filter without it proves the
    /// key absent; with it, the key may be there (compare to be sure).
    @inlinable public var filterBit: UInt64 { 1 << (UInt64(id) & 63) }

    /// The dotted path, e.g. `source.ip`.
    public var path: String { FieldRegistry.shared.info(id).path }
    /// The path split at dots, e.g. `["source", "ip"]`.
    public var components: [String] { FieldRegistry.shared.info(id).components }
    public var description: String { path }

    /// Interns a name that came from data: nil when the registry refuses it (too long, or
    /// the registry is at its bounds; see `FieldRegistry.internBounded`).
    public static func bounded(_ path: String) -> FieldKey? {
        FieldRegistry.shared.internBounded(path).map(FieldKey.init(id:))
    }

    /// Looks a key up without interning it; `nil` if no key with that path exists yet.
    public static func existing(_ path: String) -> FieldKey? {
        FieldRegistry.shared.lookup(path).map(FieldKey.init(id:))
    }
}

/// The process-wide table of interned field names. Append-only and lock-protected.
///
/// Two ways in: `intern` for names the code and the configuration choose (always succeeds;
/// these are few), and `internBounded` for names that come from data (JSON members, CEF
/// labels, Zeek columns, …), which refuses a name longer than `maxNameBytes` and any new name
/// once the table holds `maxNames` names or `maxBytes` bytes. Refused names are counted
/// (`refusedNames`); the parsers keep such values under `sluice.overflow_fields` instead, so
/// a hostile record can neither grow the table without bound nor fail the record.
public final class FieldRegistry: Sendable {
    public struct Info: Sendable {
        public let path: String
        public let components: [String]
        /// The key as a JSON object member name for its last component: `"name":` bytes.
        public let leafJSONName: [UInt8]
    }

    public static let shared = FieldRegistry()

    private struct Table: Sendable {
        var byPath: [String: UInt32] = [:]
        var infos: [Info] = []
        var accountedBytes = 0
        var refused = 0

        mutating func add(_ path: String) -> UInt32 {
            let id = UInt32(infos.count)
            let comps = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            var name: [UInt8] = []
            JSONWriter.appendQuoted(comps.last ?? path, to: &name)
            name.append(UInt8(ascii: ":"))
            infos.append(Info(path: path, components: comps, leafJSONName: name))
            byPath[path] = id
            accountedBytes += FieldRegistry.cost(path.utf8.count)
            return id
        }
    }
    private let table = Locked(Table())

    /// Longest dotted path `internBounded` accepts, in bytes.
    public static let maxNameBytes = 256
    /// Names `internBounded` accepts in all (names interned by the code count too).
    public static let maxNames = 200_000
    /// Bytes the table may hold for all its names (each name is kept three times — path,
    /// components, JSON member name — plus bookkeeping; this counts all of it).
    public static let maxBytes = 32 << 20
    /// Hard cap for `intern` (code and configuration names), far above any real use.
    public static let capacity = 1 << 20

    /// Interns a name chosen by the code or the configuration; always succeeds.
    public func intern(_ path: String) -> UInt32 {
        table.withLock { t in
            if let id = t.byPath[path] { return id }
            precondition(t.infos.count < FieldRegistry.capacity, "field registry full")
            return t.add(path)
        }
    }

    /// Interns a name that came from data, or returns nil (and counts it) when the name is
    /// longer than `maxNameBytes` or the table is at `maxNames` / `maxBytes`.
    public func internBounded(_ path: String) -> UInt32? {
        table.withLock { t in
            if let id = t.byPath[path] { return id }
            let n = path.utf8.count
            guard n <= Self.maxNameBytes, t.infos.count < Self.maxNames,
                  t.accountedBytes + Self.cost(n) <= Self.maxBytes else { t.refused += 1; return nil }
            return t.add(path)
        }
    }

    /// Accounted bytes of one name of `n` bytes.
    static func cost(_ n: Int) -> Int { 3 * n + 160 }

    public func lookup(_ path: String) -> UInt32? {
        table.withLock { $0.byPath[path] }
    }

    public var count: Int { table.withLock { $0.infos.count } }
    /// Accounted bytes of every name held.
    public var bytes: Int { table.withLock { $0.accountedBytes } }
    /// Names `internBounded` refused so far.
    public var refusedNames: Int { table.withLock { $0.refused } }

    public func info(_ id: UInt32) -> Info {
        table.withLock { $0.infos[Int(id)] }
    }
}
