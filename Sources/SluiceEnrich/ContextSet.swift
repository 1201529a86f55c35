import SluiceCore

/// A loaded asset and identity inventory with the sanctioned repository namespaces.
///
/// Guarantees: immutable once built; lookups by host name, address (longest block wins) and
/// alias allocate nothing; the fields an enricher writes for an asset or identity are built
/// once at load, so enriching an event only appends them.
public final class ContextSet: Sendable {
    public struct Asset: Sendable {
        public var name: String?
        public var role: String?
        public var owner: String?
        public var environment: String?
        public var repoEgress: Bool?
        /// `sluice.asset.*` fields, built at load.
        let fields: [Field]
    }

    public struct Identity: Sendable {
        public var name: String
        public var department: String?
        public var developer: Bool?
        public var serviceAccount: Bool?
        /// `sluice.identity.*` fields, built at load.
        let fields: [Field]
    }

    public let assets: [Asset]
    public let identities: [Identity]
    /// Normalized sanctioned entries (`github.com/acme`, `git.acme.example`).
    public let sanctioned: [String]
    let assetNames: NameStore
    let assetByName: [UInt32]
    let assetIPs: IPPrefixIndex
    let aliases: NameStore
    let identityByAlias: [UInt32]
    /// The built-in repository catalog plus the sanctioned hosts (as GitLab-like hosts).
    public let catalog: RepoServiceCatalog

    init(assets: [Asset], identities: [Identity], sanctioned: [String], assetNames: NameStore, assetByName: [UInt32],
         assetIPs: IPPrefixIndex, aliases: NameStore, identityByAlias: [UInt32], catalog: RepoServiceCatalog) {
        self.assets = assets; self.identities = identities; self.sanctioned = sanctioned
        self.assetNames = assetNames; self.assetByName = assetByName; self.assetIPs = assetIPs
        self.aliases = aliases; self.identityByAlias = identityByAlias; self.catalog = catalog
    }

    public var memoryBytes: Int { assetNames.memoryBytes + assetIPs.memoryBytes + aliases.memoryBytes + assets.count * 200 + identities.count * 200 }

    /// The asset named `b[r]` (any case; a fully qualified name also finds the asset named by
    /// its first label).
    public func asset(named b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int? {
        var r = r
        if r.count > 1, b[r.upperBound - 1] == UInt8(ascii: ".") { r = r.lowerBound..<(r.upperBound - 1) }
        guard !r.isEmpty else { return nil }
        if let id = assetNames.find(b, r) { return Int(assetByName[Int(id)]) }
        var dot = r.lowerBound
        while dot < r.upperBound, b[dot] != UInt8(ascii: ".") { dot += 1 }
        if dot < r.upperBound, dot > r.lowerBound, IPAddress.parse(b, r) == nil, let id = assetNames.find(b, r.lowerBound..<dot) {
            return Int(assetByName[Int(id)])
        }
        return nil
    }

    /// The asset whose address or block (the longest) contains `a`.
    public func asset(at a: IPAddress) -> Int? { assetIPs.longestMatch(a).map(Int.init) }

    /// The identity one of whose names or aliases is `b[r]` (any case); for `DOMAIN\user`
    /// (also `%5C`-escaped) the `user` part is tried too.
    public func identity(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int? {
        guard !r.isEmpty else { return nil }
        if let id = aliases.find(b, r) { return Int(identityByAlias[Int(id)]) }
        var k = r.upperBound
        while k > r.lowerBound {
            k -= 1
            if b[k] == UInt8(ascii: "\\") { return aliases.find(b, (k + 1)..<r.upperBound).map { Int(identityByAlias[Int($0)]) } }
            if b[k] == UInt8(ascii: "%"), k + 2 < r.upperBound, b[k + 1] == UInt8(ascii: "5"), b[k + 2] | 0x20 == UInt8(ascii: "c") {
                return aliases.find(b, (k + 3)..<r.upperBound).map { Int(identityByAlias[Int($0)]) }
            }
        }
        return nil
    }

    public func identity(_ s: String) -> Int? {
        var s = s
        return s.withUTF8 { identity($0, 0..<$0.count) }
    }
}
