import Foundation
import SluiceCore
import Yams

/// One context file as configured: YAML (`assets`, `identities`, `repositories`) or CSV of
/// assets or identities (told apart by the header, or by `kind`).
public struct ContextFile: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case auto, assets, identities }
    public var path: String
    public var kind: Kind
    /// A missing optional file loads as empty instead of failing the load.
    public var optional: Bool
    public init(path: String, kind: Kind = .auto, optional: Bool = false) {
        self.path = path; self.kind = kind; self.optional = optional
    }
    var isCSV: Bool { path.lowercased().hasSuffix(".csv") }
}

/// Builds a `ContextSet` from context files (DESIGN.md "Enrichment files").
///
/// Guarantees: an entry with a problem (unknown key, wrong type, unknown role, bad address)
/// is reported with file:line and skipped, the rest loads; several files merge (a later
/// asset or identity with the same name replaces the earlier one; sanctioned lists add up);
/// a file that cannot be read, is not valid YAML, or is a CSV whose header names neither
/// assets nor identities fails as a whole.
public struct ContextLoader {
    public static let roles: Set<String> = ["dev_workstation", "ci_runner", "server", "admin_jump", "other"]

    enum Keys {
        static let assetName = FieldKey("sluice.asset.name")
        static let assetRole = FieldKey("sluice.asset.role")
        static let assetOwner = FieldKey("sluice.asset.owner")
        static let assetEnvironment = FieldKey("sluice.asset.environment")
        static let assetRepoEgress = FieldKey("sluice.asset.repo_egress")
        static let identityName = FieldKey("sluice.identity.name")
        static let identityDepartment = FieldKey("sluice.identity.department")
        static let identityDeveloper = FieldKey("sluice.identity.developer")
        static let identityServiceAccount = FieldKey("sluice.identity.service_account")
    }

    struct AssetEntry { var name: String?; var ips: [IPNetwork]; var role: String?; var owner: String?; var environment: String?; var repoEgress: Bool?; var file: String; var line: Int }
    struct IdentityEntry { var name: String; var aliases: [String]; var department: String?; var developer: Bool?; var serviceAccount: Bool?; var file: String; var line: Int }

    var assets: [AssetEntry] = []
    var identities: [IdentityEntry] = []
    var sanctioned: [String] = []
    public var report = LoadReport()

    public init() {}

    public static func load(_ files: [ContextFile]) -> (ContextSet?, LoadReport) {
        var l = ContextLoader()
        for f in files { l.load(f) }
        guard l.report.failedFiles.isEmpty else { return (nil, l.report) }
        let set = l.finish()
        return (set, l.report)
    }

    public mutating func load(_ file: ContextFile) {
        let bytes: [UInt8]
        if report.skipIfMissing(file.path, optional: file.optional) { return }
        do { bytes = try EnrichmentFile.read(file.path) } catch let e as LoadIssue {
            report.fail(e.file, e.line, e.message); return
        } catch { report.fail(file.path, 0, "\(error)"); return }
        if file.isCSV || file.kind != .auto { loadCSV(file, bytes) } else { loadYAML(file.path, bytes) }
    }

    // MARK: YAML

    mutating func loadYAML(_ path: String, _ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let root: Node?
        // Every value is read as its text (`bool` parses true/false itself), so scalars need no
        // implicit type: the basic resolver skips the default one's regular expressions per
        // scalar (most of the load time of a large identity file).
        do { root = try Yams.compose(yaml: text, .basic) } catch {
            report.fail(path, Self.yamlLine(error), "invalid YAML: \(error)"); return
        }
        guard let root else { report.counts["empty_files", default: 0] += 1; return }
        guard case .mapping(let top) = root else {
            report.fail(path, root.mark?.line ?? 1, "expected a mapping with assets, identities and/or repositories"); return
        }
        for (k, v) in top {
            let key = k.string ?? ""
            let line = k.mark?.line ?? 0
            switch key {
            case "assets":
                guard case .sequence(let items) = v else { if !Self.isNull(v) { report.bad(path, line, "'assets' must be a list") }; continue }
                for item in items { yamlAsset(path, item) }
            case "identities":
                guard case .sequence(let items) = v else { if !Self.isNull(v) { report.bad(path, line, "'identities' must be a list") }; continue }
                for item in items { yamlIdentity(path, item) }
            case "repositories":
                guard case .mapping(let m) = v else { if !Self.isNull(v) { report.bad(path, line, "'repositories' must be a mapping with 'sanctioned'") }; continue }
                for (rk, rv) in m {
                    guard rk.string == "sanctioned" else { report.bad(path, rk.mark?.line ?? line, "unknown key '\(rk.string ?? "")' under repositories (known: sanctioned)"); continue }
                    guard let list = strings(rv) else { report.bad(path, rv.mark?.line ?? line, "'sanctioned' must be a list of host/owner entries"); continue }
                    for s in list {
                        if let e = RepoNamespace.normalizeEntry(s) { sanctioned.append(e) }
                    }
                }
            default:
                report.bad(path, line, "unknown key '\(key)' (known: assets, identities, repositories)")
            }
        }
    }

    static func isNull(_ n: Node) -> Bool {
        if case .scalar(let s) = n { return s.string.isEmpty || s.string == "~" || s.string == "null" }
        return false
    }

    static func yamlLine(_ error: Error) -> Int {
        if let e = error as? YamlError {
            switch e {
            case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
            default: return 0
            }
        }
        return 0
    }

    func strings(_ n: Node) -> [String]? {
        switch n {
        case .scalar(let s): return Self.isNull(n) ? [] : [s.string]
        case .sequence(let items):
            var out: [String] = []
            for i in items { guard case .scalar(let s) = i else { return nil }; out.append(s.string) }
            return out
        default: return nil
        }
    }

    static func bool(_ s: String) -> Bool? {
        switch s.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: return nil
        }
    }

    mutating func yamlAsset(_ path: String, _ item: Node) {
        let line = item.mark?.line ?? 0
        guard case .mapping(let m) = item else { report.bad(path, line, "an asset must be a mapping (name, ips, role, …)"); return }
        var fields: [String: String] = [:]
        for (k, v) in m {
            let key = k.string ?? ""
            if key == "ips" || key == "cidrs" {
                guard let list = strings(v) else { report.bad(path, v.mark?.line ?? line, "'\(key)' must be a list of addresses"); return }
                fields[key] = list.joined(separator: ";")
                continue
            }
            guard case .scalar(let s) = v else { report.bad(path, v.mark?.line ?? line, "'\(key)' must be a single value"); return }
            fields[key] = s.string
        }
        addAsset(fields, path, line)
    }

    mutating func yamlIdentity(_ path: String, _ item: Node) {
        let line = item.mark?.line ?? 0
        guard case .mapping(let m) = item else { report.bad(path, line, "an identity must be a mapping (name, aliases, …)"); return }
        var fields: [String: String] = [:]
        for (k, v) in m {
            let key = k.string ?? ""
            if key == "aliases" {
                guard let list = strings(v) else { report.bad(path, v.mark?.line ?? line, "'aliases' must be a list"); return }
                if let bad = list.first(where: { $0.contains(";") }) { report.bad(path, v.mark?.line ?? line, "alias \"\(bad)\" contains ';'"); return }
                fields[key] = list.joined(separator: ";")
                continue
            }
            guard case .scalar(let s) = v else { report.bad(path, v.mark?.line ?? line, "'\(key)' must be a single value"); return }
            fields[key] = s.string
        }
        addIdentity(fields, path, line)
    }

    // MARK: entries (shared by YAML and CSV)

    static let assetKeys: Set<String> = ["name", "ips", "cidrs", "role", "owner", "environment", "repo_egress"]
    static let identityKeys: Set<String> = ["name", "aliases", "department", "developer", "service_account"]

    mutating func addAsset(_ f: [String: String], _ path: String, _ line: Int) {
        for k in f.keys.sorted() where !Self.assetKeys.contains(k) {
            report.bad(path, line, "unknown asset key '\(k)' (known: \(Self.assetKeys.sorted().joined(separator: ", ")))"); return
        }
        func v(_ k: String) -> String? { f[k].map { $0.trimmingCharactersLite() }.flatMap { $0.isEmpty ? nil : $0 } }
        var nets: [IPNetwork] = []
        for key in ["ips", "cidrs"] {
            for a in (v(key) ?? "").split(separator: ";").map({ String($0).trimmingCharactersLite() }) where !a.isEmpty {
                guard let n = IPNetwork.parse(a) else { report.bad(path, line, "'\(a)' in \(key) is not an IP address or CIDR"); return }
                nets.append(n)
            }
        }
        let name = v("name")
        guard name != nil || !nets.isEmpty else { report.bad(path, line, "an asset needs a name or ips/cidrs"); return }
        if let r = v("role"), !Self.roles.contains(r) {
            report.bad(path, line, "role '\(r)' is not one of \(Self.roles.sorted().joined(separator: ", "))"); return
        }
        var egress: Bool?
        if let e = v("repo_egress") {
            guard let b = Self.bool(e) else { report.bad(path, line, "repo_egress must be true or false, got \"\(e)\""); return }
            egress = b
        }
        assets.append(AssetEntry(name: name, ips: nets, role: v("role"), owner: v("owner"), environment: v("environment"),
                                 repoEgress: egress, file: path, line: line))
    }

    mutating func addIdentity(_ f: [String: String], _ path: String, _ line: Int) {
        for k in f.keys.sorted() where !Self.identityKeys.contains(k) {
            report.bad(path, line, "unknown identity key '\(k)' (known: \(Self.identityKeys.sorted().joined(separator: ", ")))"); return
        }
        func v(_ k: String) -> String? { f[k].map { $0.trimmingCharactersLite() }.flatMap { $0.isEmpty ? nil : $0 } }
        guard let name = v("name") else { report.bad(path, line, "an identity needs a name"); return }
        var flags: [String: Bool] = [:]
        for k in ["developer", "service_account"] {
            if let s = v(k) {
                guard let b = Self.bool(s) else { report.bad(path, line, "\(k) must be true or false, got \"\(s)\""); return }
                flags[k] = b
            }
        }
        let aliases = (v("aliases") ?? "").split(separator: ";").map { String($0).trimmingCharactersLite() }.filter { !$0.isEmpty }
        identities.append(IdentityEntry(name: name, aliases: aliases, department: v("department"), developer: flags["developer"],
                                        serviceAccount: flags["service_account"], file: path, line: line))
    }

    // MARK: CSV

    mutating func loadCSV(_ file: ContextFile, _ bytes: [UInt8]) {
        var header: [String]?
        var kind = file.kind
        var failed = false
        bytes.withUnsafeBufferPointer { b in
            EnrichmentFile.forEachLine(b) { line, r0 in
                guard !failed else { return }
                let r = EnrichmentFile.trim(b, r0)
                if r.isEmpty || b[r.lowerBound] == UInt8(ascii: "#") { return }
                guard let fields = CSV.split(b, r) else { report.bad(file.path, line, "unterminated quoted field"); return }
                guard let h = header else {
                    let names = fields.map { $0.trimmingCharactersLite().lowercased() }
                    header = names
                    if kind == .auto {
                        let set = Set(names)
                        if !set.isDisjoint(with: ["aliases", "department", "developer", "service_account"]) { kind = .identities }
                        else if !set.isDisjoint(with: ["ips", "cidrs", "role", "owner", "environment", "repo_egress"]) { kind = .assets }
                    }
                    if kind == .auto || !names.contains("name") && kind == .identities {
                        report.fail(file.path, line, "the header names neither assets (name,ips,cidrs,role,owner,environment,repo_egress) nor identities (name,aliases,department,developer,service_account)")
                        failed = true
                    }
                    return
                }
                guard fields.count == h.count else {
                    report.bad(file.path, line, "expected \(h.count) columns as in the header, found \(fields.count)"); return
                }
                var f: [String: String] = [:]
                for (i, name) in h.enumerated() { f[name] = fields[i] }
                if kind == .identities { addIdentity(f, file.path, line) } else { addAsset(f, file.path, line) }
            }
        }
        if header == nil, !failed { report.counts["empty_files", default: 0] += 1 }
    }

    // MARK: building the set

    public mutating func finish() -> ContextSet {
        // Later entries with the same name replace earlier ones.
        var assetIndexByName: [String: Int] = [:]
        var finalAssets: [AssetEntry] = []
        for a in assets {
            if let n = a.name?.lowercased(), let i = assetIndexByName[n] {
                finalAssets[i] = a
                report.counts["replaced_assets", default: 0] += 1
            } else {
                if let n = a.name?.lowercased() { assetIndexByName[n] = finalAssets.count }
                finalAssets.append(a)
            }
        }
        var names = NameStore(expected: finalAssets.count)
        var byName: [UInt32] = []
        var ips = IPPrefixIndex()
        var assetFields: [Field] = []
        var assetStart: [UInt32] = [0]
        assetStart.reserveCapacity(finalAssets.count + 1)
        for (i, a) in finalAssets.enumerated() {
            // The asset's name first: `ContextSet.assetName` reads it there.
            if let n = a.name { assetFields.append(Field(Keys.assetName, .string(n))) }
            if let r = a.role { assetFields.append(Field(Keys.assetRole, .string(r))) }
            if let o = a.owner { assetFields.append(Field(Keys.assetOwner, .string(o))) }
            if let e = a.environment { assetFields.append(Field(Keys.assetEnvironment, .string(e))) }
            if let g = a.repoEgress { assetFields.append(Field(Keys.assetRepoEgress, .bool(g))) }
            assetStart.append(UInt32(assetFields.count))
            if let n = a.name {
                let id = names.add(n)
                if Int(id) == byName.count { byName.append(UInt32(i)) } else { byName[Int(id)] = UInt32(i) }
            }
            for net in a.ips {
                if let other = ips.insert(net, id: UInt32(i)), other != UInt32(i) {
                    report.bad(a.file, a.line, "\(net) already belongs to asset \(finalAssets[Int(other)].name ?? net.description) (first one kept)")
                }
            }
        }
        var identityIndexByName: [String: Int] = [:]
        var finalIdentities: [IdentityEntry] = []
        for id in identities {
            if let i = identityIndexByName[id.name.lowercased()] {
                finalIdentities[i] = id
                report.counts["replaced_identities", default: 0] += 1
            } else {
                identityIndexByName[id.name.lowercased()] = finalIdentities.count
                finalIdentities.append(id)
            }
        }
        var aliases = NameStore(expected: finalIdentities.count * 3)
        var byAlias: [UInt32] = []
        var identityFields: [Field] = []
        var identityStart: [UInt32] = [0]
        for (i, p) in finalIdentities.enumerated() {
            identityFields.append(Field(Keys.identityName, .string(p.name)))
            if let d = p.department { identityFields.append(Field(Keys.identityDepartment, .string(d))) }
            if let d = p.developer { identityFields.append(Field(Keys.identityDeveloper, .bool(d))) }
            if let s = p.serviceAccount { identityFields.append(Field(Keys.identityServiceAccount, .bool(s))) }
            identityStart.append(UInt32(identityFields.count))
            for alias in [p.name] + p.aliases {
                let id = aliases.add(alias)
                if Int(id) == byAlias.count { byAlias.append(UInt32(i)) }
                else if byAlias[Int(id)] != UInt32(i) {
                    report.bad(p.file, p.line, "alias '\(alias)' already belongs to identity \(finalIdentities[Int(byAlias[Int(id)])].name) (first one kept)")
                }
            }
        }
        var seen = Set<String>()
        let sanctionedList = sanctioned.filter { seen.insert($0).inserted }
        // Hosts of sanctioned entries that the catalog does not know are repository hosts too.
        var rules = RepoServiceCatalog.builtin
        for e in sanctionedList {
            let host = String(e.split(separator: "/", maxSplits: 1).first ?? "")
            if !host.isEmpty, RepoServiceCatalog.shared.lookup(host) == nil {
                rules.append(.init(host, "self_hosted", .web, .gitlab))
            }
        }
        report.counts["assets"] = assetStart.count - 1
        report.counts["identities"] = identityStart.count - 1
        report.counts["sanctioned"] = sanctionedList.count
        return ContextSet(assetFields: assetFields, assetStart: assetStart, identityFields: identityFields,
                          identityStart: identityStart, sanctioned: sanctionedList, assetNames: names,
                          assetByName: byName, assetIPs: ips, aliases: aliases, identityByAlias: byAlias,
                          catalog: RepoServiceCatalog(rules: rules))
    }
}
