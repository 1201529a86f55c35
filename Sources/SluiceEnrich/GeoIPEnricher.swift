import CMaxMindDB
import Foundation
import Logging
import SluiceCore

/// An open MaxMind DB file (`.mmdb`: GeoLite2/GeoIP2 City, Country and ASN, DB-IP lite),
/// read through libmaxminddb (memory-mapped).
///
/// Guarantees: lookups are thread-safe (libmaxminddb reads the mapped file only) and
/// allocate nothing but the strings they return; the file is unmapped when the last
/// reference goes.
public final class MaxMindDatabase: @unchecked Sendable {
    // SAFETY (@unchecked Sendable): `db` is opened in `init` and closed in `deinit` only;
    // in between libmaxminddb only reads it (lookups on an MMAP database touch no shared
    // mutable state, as its documentation states), so any thread may look up at once.
    public let path: String
    private let db: UnsafeMutablePointer<MMDB_s>

    public init(path: String) throws {
        // Opened before `self` is complete: a failed open throws before a deinit could run.
        let handle = UnsafeMutablePointer<MMDB_s>.allocate(capacity: 1)
        let status = MMDB_open(path, UInt32(MMDB_MODE_MMAP), handle)
        guard status == MMDB_SUCCESS else {
            let why = String(cString: MMDB_strerror(status))
            let detail = status == MMDB_IO_ERROR ? "\(why): \(String(cString: strerror(errno)))" : why
            handle.deallocate()
            throw LoadIssue(file: path, line: 0, message: "cannot open MaxMind DB: \(detail)")
        }
        self.path = path
        db = handle
    }

    deinit {
        MMDB_close(db)
        db.deallocate()
    }

    /// The database type from its metadata (e.g. `GeoLite2-City`).
    public var databaseType: String { db.pointee.metadata.database_type.map { String(cString: $0) } ?? "" }

    /// The record for `a`, if the database has one.
    func lookup(_ a: IPAddress) -> MMDB_entry_s? {
        var err: Int32 = 0
        var result: MMDB_lookup_result_s
        if a.isV4 {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_addr.s_addr = a.v4.bigEndian
            result = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { MMDB_lookup_sockaddr(db, $0, &err) }
            }
        } else {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                raw.storeBytes(of: a.hi.bigEndian, toByteOffset: 0, as: UInt64.self)
                raw.storeBytes(of: a.lo.bigEndian, toByteOffset: 8, as: UInt64.self)
            }
            result = withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { MMDB_lookup_sockaddr(db, $0, &err) }
            }
        }
        guard err == MMDB_SUCCESS, result.found_entry else { return nil }
        return result.entry
    }
}

/// A path into an MMDB record (`["city", "names", "en"]`) held as C strings for the
/// lifetime of the object, so lookups build nothing.
final class MMDBPath: @unchecked Sendable {
    // SAFETY (@unchecked Sendable): the C strings and the array of pointers to them are
    // written in `init` and freed in `deinit` only; lookups only read them.
    let pointers: UnsafeMutablePointer<UnsafePointer<CChar>?>
    let count: Int

    init(_ components: [String]) {
        count = components.count
        pointers = .allocate(capacity: components.count + 1)
        for (i, c) in components.enumerated() { pointers[i] = UnsafePointer(strdup(c)) }
        pointers[components.count] = nil
    }

    deinit {
        for i in 0..<count { free(UnsafeMutablePointer(mutating: pointers[i])) }
        pointers.deallocate()
    }

    /// The string at this path of `entry`, or nil.
    func string(_ entry: MMDB_entry_s) -> String? {
        var e = entry
        var data = MMDB_entry_data_s()
        guard MMDB_aget_value(&e, &data, pointers) == MMDB_SUCCESS, data.has_data,
              data.type == UInt32(MMDB_DATA_TYPE_UTF8_STRING), let p = data.utf8_string else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: Int(data.data_size)), as: UTF8.self)
    }

    /// The unsigned integer at this path of `entry`, or nil.
    func integer(_ entry: MMDB_entry_s) -> Int64? {
        var e = entry
        var data = MMDB_entry_data_s()
        guard MMDB_aget_value(&e, &data, pointers) == MMDB_SUCCESS, data.has_data else { return nil }
        switch Int32(data.type) {
        case MMDB_DATA_TYPE_UINT16: return Int64(data.uint16)
        case MMDB_DATA_TYPE_UINT32: return Int64(data.uint32)
        case MMDB_DATA_TYPE_INT32: return Int64(data.int32)
        case MMDB_DATA_TYPE_UINT64: return data.uint64 <= UInt64(Int64.max) ? Int64(data.uint64) : nil
        default: return nil
        }
    }
}

/// The open databases of one `geoip` enricher: one immutable set, replaced whole on reload.
public final class GeoIPSet: Sendable {
    public let databases: [MaxMindDatabase]
    init(databases: [MaxMindDatabase]) { self.databases = databases }

    static func load(_ paths: [String]) -> (GeoIPSet?, LoadReport) {
        var report = LoadReport()
        var dbs: [MaxMindDatabase] = []
        for p in paths {
            do { dbs.append(try MaxMindDatabase(path: p)) } catch let e as LoadIssue {
                report.fail(e.file, e.line, e.message)
            } catch { report.fail(p, 0, "\(error)") }
        }
        report.counts["databases"] = dbs.count
        return (report.failedFiles.isEmpty ? GeoIPSet(databases: dbs) : nil, report)
    }
}

/// `geoip`: country, city and autonomous system of `source.ip` and `destination.ip` from
/// MaxMind DB files: `<side>.geo.country_iso_code`, `<side>.geo.city_name`, `<side>.as.number`
/// and `<side>.as.organization.name` (ECS). A field the event already has is kept (e.g. the
/// country GitHub's audit log reports); an address no database knows (private ranges) gets
/// nothing. Several databases (a City and an ASN file) are asked in order; the first that
/// has a value gives it.
///
/// Options: `databases` (required: `.mmdb` paths), `fields` (default `[source, destination]`:
/// the ECS sides whose `.ip` is looked up), `locale` (city name language, default `en`),
/// `watch` (default true: reopen when a file changes, in live runs). A database loads whole or
/// not at all.
public final class GeoIPEnricher: MovingTransform, ReloadableEnricher, Sendable {
    struct Side: Sendable {
        let ip: FieldKey
        let country: FieldKey
        let city: FieldKey
        let asNumber: FieldKey
        let asOrganization: FieldKey
        init(_ prefix: String) {
            ip = FieldKey(prefix + ".ip")
            country = FieldKey(prefix + ".geo.country_iso_code")
            city = FieldKey(prefix + ".geo.city_name")
            asNumber = FieldKey(prefix + ".as.number")
            asOrganization = FieldKey(prefix + ".as.organization.name")
        }
    }

    public let databasePaths: [String]
    let sides: [Side]
    let countryPath = MMDBPath(["country", "iso_code"])
    let registeredCountryPath = MMDBPath(["registered_country", "iso_code"])
    let cityPath: MMDBPath
    let asnPath = MMDBPath(["autonomous_system_number"])
    let asOrgPath = MMDBPath(["autonomous_system_organization"])
    let databases: ReloadingSet<GeoIPSet>
    let lifecycle: EnricherLifecycle

    public init(databases paths: [String], sides: [String] = ["source", "destination"], locale: String = "en",
                watch: Bool = true, name: String = "geoip", logger: Logger = Logger(label: "sluice.enrich")) {
        databasePaths = paths
        lifecycle = EnricherLifecycle(watch: watch)
        self.sides = sides.map(Side.init)
        cityPath = MMDBPath(["city", "names", locale])
        databases = ReloadingSet(name: name, logger: logger, keepPreviousOnBadLines: true) { GeoIPSet.load(paths) }
    }

    public convenience init(options o: ComponentOptions, context: BuildContext) {
        let paths = o.stringList("databases") ?? []
        if paths.isEmpty { o.fail("missing required option 'databases' (MaxMind DB .mmdb files)") }
        let sides = o.stringList("fields") ?? ["source", "destination"]
        self.init(databases: paths, sides: sides, locale: o.string("locale", default: "en"),
                  watch: o.bool("watch", default: true), name: context.name, logger: context.logger)
    }

    /// Opens the databases, registers for SIGHUP reloads and (live, `watch: true`) watches them.
    public func start(_ context: StartContext) throws { try lifecycle.start(self, context) }
    public func stop() { lifecycle.stop() }

    public func load() throws { try databases.load() }
    public var reloader: any BackgroundReloading { databases }
    public func reload(completion: @escaping @Sendable (Bool) -> Void) { databases.reload(completion: completion) }
    public var watchedFiles: [String] { databasePaths }

    /// `process` on a batch handed over: each event is moved out, so adding geo fields does
    /// not copy its fields (the batch no longer shares them).
    public func process(taking events: inout [Event], into output: inout [Event], failures: inout [DeadLetter]) {
        guard let set = databases.current(), !set.databases.isEmpty else { output.append(contentsOf: events); return }
        events.moveEach(into: &output) { e in enrich(&e, set) }
    }

    public func enrich(_ e: inout Event, _ set: GeoIPSet) {
        for side in sides {
            var addr: IPAddress?
            EventText.first(e, side.ip) { b in addr = IPAddress.parse(b, 0..<b.count) }
            guard let a = addr else { continue }
            var country: String?, city: String?, asn: Int64?, org: String?
            for db in set.databases {
                guard let entry = db.lookup(a) else { continue }
                if country == nil { country = countryPath.string(entry) ?? registeredCountryPath.string(entry) }
                if city == nil { city = cityPath.string(entry) }
                if asn == nil { asn = asnPath.integer(entry) }
                if org == nil { org = asOrgPath.string(entry) }
            }
            if let country, e[side.country] == nil { e[side.country] = .string(country) }
            if let city, e[side.city] == nil { e[side.city] = .string(city) }
            if let asn, e[side.asNumber] == nil { e[side.asNumber] = .int(asn) }
            if let org, e[side.asOrganization] == nil { e[side.asOrganization] = .string(org) }
        }
    }
}
