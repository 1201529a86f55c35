import SluiceCore

/// A loaded asset and identity inventory with the sanctioned repository namespaces.
///
/// Guarantees: immutable once built; lookups by host name, address (longest block wins) and
/// alias allocate nothing; the fields an enricher writes for an asset or identity are built
/// once at load, so enriching an event only appends them.
public final class ContextSet: Sendable {
    /// The `sluice.asset.*` fields of every asset, built at load, one flat list (asset `i` owns
    /// `assetFields[assetStart[i]..<assetStart[i + 1]]`): no allocation per asset.
    let assetFields: [Field]
    let assetStart: [UInt32]
    /// The `sluice.identity.*` fields of every identity, the same way.
    let identityFields: [Field]
    let identityStart: [UInt32]
    /// Normalized sanctioned entries (`github.com/acme`, `git.acme.example`).
    public let sanctioned: [String]
    let assetNames: NameStore
    let assetByName: [UInt32]
    let assetIPs: IPPrefixIndex
    let aliases: NameStore
    let identityByAlias: [UInt32]
    /// The built-in repository catalog plus the sanctioned hosts (as GitLab-like hosts).
    public let catalog: RepoServiceCatalog

    init(assetFields: [Field], assetStart: [UInt32], identityFields: [Field], identityStart: [UInt32],
         sanctioned: [String], assetNames: NameStore, assetByName: [UInt32],
         assetIPs: IPPrefixIndex, aliases: NameStore, identityByAlias: [UInt32], catalog: RepoServiceCatalog) {
        self.assetFields = assetFields; self.assetStart = assetStart
        self.identityFields = identityFields; self.identityStart = identityStart; self.sanctioned = sanctioned
        self.assetNames = assetNames; self.assetByName = assetByName; self.assetIPs = assetIPs
        self.aliases = aliases; self.identityByAlias = identityByAlias; self.catalog = catalog
    }

    public var assetCount: Int { assetStart.count - 1 }
    public var identityCount: Int { identityStart.count - 1 }

    /// The fields written for asset `i`.
    public func assetFields(_ i: Int) -> ArraySlice<Field> { assetFields[Int(assetStart[i])..<Int(assetStart[i + 1])] }
    /// The fields written for identity `i`.
    public func identityFields(_ i: Int) -> ArraySlice<Field> { identityFields[Int(identityStart[i])..<Int(identityStart[i + 1])] }

    /// The name of asset `i`, if it has one.
    public func assetName(_ i: Int) -> String? {
        let s = Int(assetStart[i])
        guard s < Int(assetStart[i + 1]), assetFields[s].key == ContextLoader.Keys.assetName else { return nil }
        return assetFields[s].value.stringValue
    }

    public var memoryBytes: Int {
        assetNames.memoryBytes + assetIPs.memoryBytes + aliases.memoryBytes
            + (assetFields.capacity + identityFields.capacity) * MemoryLayout<Field>.stride
            + (assetStart.capacity + identityStart.capacity + assetByName.capacity + identityByAlias.capacity) * 4
    }

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
