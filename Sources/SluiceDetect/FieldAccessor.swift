import Foundation
import SluiceCore
import Synchronization

/// The detect stage reads an event's top-level fields through `SluiceCore.FieldIndex`: filled
/// once per event (`load`), so every rule field is found in O(1) instead of a scan of the
/// event's fields. `slot(k)` is the index of the first field with key `k` in the event last
/// loaded, or nil.
extension FieldIndex {
    @inline(__always)
    func load(_ e: Event) { begin(e.fields) }

    @inline(__always)
    func slot(_ k: FieldKey) -> Int? { position(id: k.id) }

    /// `slot(_:)` by key id.
    @inline(__always)
    func slot(id k: UInt32) -> Int? { position(id: k) }
}

/// A dotted field name compiled for lookup: the ways to split it into a top-level key and a
/// path inside nested objects (longest top-level key first), each part an interned key.
///
/// Guarantees: finds `a.b.c` whether the event holds it as the key `a.b.c`, as `a.b` →
/// `{c}`, as `a` → `{b: {c}}`, or as `a` → `{"b.c"}`; descends into arrays (of objects) and
/// yields every value found; a list at the end yields its elements.
struct FieldPath: Sendable, Hashable {
    let name: String
    /// (top-level key, remaining components) for each split point.
    let splits: [Split]

    struct Split: Sendable, Hashable {
        let top: FieldKey
        let rest: [String]
        /// Member keys for `rest[i...j]` joined with dots, row i, column j - i.
        let joined: [[FieldKey]]
    }

    init(_ name: String) {
        self.name = name
        let comps = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var splits: [Split] = []
        for cut in stride(from: comps.count, through: 1, by: -1) {
            let top = FieldKey(comps[0..<cut].joined(separator: "."))
            let rest = Array(comps[cut...])
            var joined: [[FieldKey]] = []
            for i in rest.indices {
                var row: [FieldKey] = []
                for j in i..<rest.count { row.append(FieldKey(rest[i...j].joined(separator: "."))) }
                joined.append(row)
            }
            splits.append(Split(top: top, rest: rest, joined: joined))
        }
        self.splits = splits
    }

    /// Calls `body` with each value found (spans as they are) and `e` itself (so a caller's
    /// closure reads the event without capturing, and so copying, it); stops early when
    /// `body` returns true. Returns whether the field exists (any split reached a value).
    @discardableResult
    func forEach(_ e: Event, _ index: FieldIndex, _ body: (FieldValue, Event) -> Bool) -> Bool {
        forEach(e, slot: { index.slot($0) }, body)
    }

    /// `forEach` with each top-level key found by a pass over `e`'s fields instead of an
    /// index: for the few lookups made on an alert's evidence events, where indexing every
    /// field of each (and a new index per lookup) costs more than the passes.
    @discardableResult
    func forEachUnindexed(_ e: Event, _ body: (FieldValue, Event) -> Bool) -> Bool {
        forEach(e, slot: { e.fields.firstIndex(of: $0) }, body)
    }

    @inline(__always)
    private func forEach(_ e: Event, slot: (FieldKey) -> Int?, _ body: (FieldValue, Event) -> Bool) -> Bool {
        for s in splits {
            guard let i = slot(s.top) else { continue }
            let v = e.fields[i].value
            if s.rest.isEmpty {
                _ = Self.leaf(v, e, body)
                return true
            }
            var found = false
            _ = descend(v, e, s, 0, &found, body)
            if found { return true }
        }
        return false
    }

    /// Emits a leaf value: list elements one by one (nested lists flattened).
    private static func leaf(_ v: FieldValue, _ e: Event, _ body: (FieldValue, Event) -> Bool) -> Bool {
        if case .array(let items) = v {
            for it in items where leaf(it, e, body) { return true }
            return false
        }
        return body(v, e)
    }

    private func descend(_ v: FieldValue, _ e: Event, _ s: Split, _ from: Int, _ found: inout Bool,
                         _ body: (FieldValue, Event) -> Bool) -> Bool {
        switch v {
        case .array(let items):
            for it in items where descend(it, e, s, from, &found, body) { return true }
            return false
        case .object(let members):
            // Longest dotted member name first.
            let row = s.joined[from]
            for len in stride(from: row.count, through: 1, by: -1) {
                let key = row[len - 1]
                for m in members where m.key == key {
                    if from + len == s.rest.count {
                        found = true
                        if Self.leaf(m.value, e, body) { return true }
                    } else if descend(m.value, e, s, from + len, &found, body) { return true }
                }
            }
            return false
        default:
            return false
        }
    }
}

/// How a rule field is looked up (DESIGN.md "Field names"): the logsource table's name,
/// the field's own name, then the vendor namespace of the event's dataset (`github.F`, …).
///
/// Guarantees: the first of those that exists on the event supplies the values; later ones
/// are not consulted. On an alert event (fed back to `product: sluice` rules) a name that is
/// not a field of the alert event is looked up in the alert's group values, then in its
/// evidence events.
///
/// A final class with constant fields (equal and hashed by them): an accessor is passed and
/// copied several times per rule hit, and a copy is then one reference count, not one per
/// name, path list and regex.
final class FieldAccessor: Sendable, Hashable {
    let name: String
    /// `name` as a key: how an alert's group values are named.
    let nameKey: FieldKey
    let paths: [FieldPath]
    /// `paths` flattened for the per-event fast path (see `TopKeyPlan`).
    let plan: TopKeyPlan
    /// Unique to this accessor within the process (never reused): keys the matcher's cache
    /// of vendor plans, so a lookup there hashes a number instead of the name.
    let serial: UInt64
    /// Vendor fallback: the raw name, prefixed per namespace at lookup time.
    let vendorName: String?
    /// For values read by the engine (group keys, first-seen values; never predicates): the
    /// part of the text that the first capture group (else the whole match) of this regex
    /// selects (`sluice: extract:`); no match means no value.
    let capture: RegexTest?

    init(name: String, mapped: String?, vendor: Bool = true, capture: RegexTest? = nil) {
        self.name = name
        nameKey = FieldKey(name)
        var p: [FieldPath] = []
        if let m = mapped, m != name { p.append(FieldPath(m)) }
        p.append(FieldPath(name))
        paths = p
        plan = TopKeyPlan(p)
        serial = Self.nextSerial.add(1, ordering: .relaxed).newValue
        vendorName = vendor ? name : nil
        self.capture = capture
    }

    private static let nextSerial = Atomic<UInt64>(0)

    static func == (a: FieldAccessor, b: FieldAccessor) -> Bool {
        a === b || (a.name == b.name && a.paths == b.paths && a.vendorName == b.vendorName && a.capture == b.capture)
    }

    func hash(into h: inout Hasher) {
        h.combine(name); h.combine(paths); h.combine(vendorName); h.combine(capture)
    }
}

extension RegexTest {
    /// The first capture group of the first match in `text` (the whole match when the
    /// pattern has no group); nil without a match or when the group did not take part.
    func captured(_ text: String) -> String? {
        let ns = text as NSString
        guard let m = regex.firstMatch(in: text, range: NSRange(location: 0, length: ns.length)) else { return nil }
        let r = m.numberOfRanges > 1 ? m.range(at: 1) : m.range
        guard r.location != NSNotFound else { return nil }
        let s = ns.substring(with: r)
        return s.isEmpty ? nil : s
    }
}

/// Field paths flattened into plain numbers, for the fast path of a lookup: which top-level
/// key of the event holds the value, read without reference counting or hashing.
///
/// Layout of `words`, per path in order: the key id of its whole dotted name (the value as
/// a top-level field), the number `n` of shorter top-level keys the value could instead be
/// nested under, then those `n` key ids.
struct TopKeyPlan: Sendable {
    let words: [UInt32]

    init(_ paths: [FieldPath]) {
        var w: [UInt32] = []
        for p in paths {
            w.append(p.splits[0].top.id)
            w.append(UInt32(p.splits.count - 1))
            for sp in p.splits.dropFirst() { w.append(sp.top.id) }
        }
        words = w
    }

    /// The field slot of the first path whose whole name is a top-level key of the event
    /// `index` holds (>= 0); `nested` (-2) when a path may be nested under a shorter top-level
    /// key first (only the general lookup can tell); `absent` (-1) otherwise. The same answer
    /// as walking the paths' splits in order.
    @inline(__always)
    static func find(_ w: UnsafeBufferPointer<UInt32>, _ index: FieldIndex) -> Int {
        var i = 0
        while i + 1 < w.count {
            if let s = index.slot(id: w[i]) { return s }
            let n = Int(w[i + 1])
            for j in 0..<n where index.slot(id: w[i + 2 + j]) != nil { return nested }
            i += 2 + n
        }
        return absent
    }

    static let absent = -1
    static let nested = -2
}

/// Vendor-namespaced paths, created on first use per (namespace set, name).
///
/// Also keeps each (accessor, namespace set)'s vendor paths as a `TopKeyPlan`, found by the
/// accessor's serial in an `LRUTable` (at most `maxPlans`, never evicted; past that the fast
/// path falls back to the general lookup).
final class VendorPaths {
    private var cache: [[String: [FieldPath]]] = []
    private var count = 0
    /// Per (serial << 8 | namespace index): the plan's offset in `planWords`, where the
    /// plan's word count comes first.
    private var planStart = LRUTable<UInt32>(capacity: VendorPaths.maxPlans)
    private var planWords: [UInt32] = []
    static let maxPlans = 1 << 16

    /// `TopKeyPlan.find` over accessor `a`'s vendor paths for namespace set `ns` (an index
    /// into the classifier's table, 1...255); nil when the plan could not be kept (table full).
    @inline(__always)
    func findVendor(_ a: FieldAccessor, _ vn: String, _ namespaces: [String], ns: Int, _ index: FieldIndex) -> Int? {
        let key = a.serial << 8 | UInt64(ns & 0xFF)
        let start: Int
        if let s = planStart.slot(key) {
            start = Int(planStart[s])
        } else {
            guard planStart.count < Self.maxPlans else { return nil }
            start = planWords.count
            let words = TopKeyPlan(paths(vn, namespaces, index: ns)).words
            planWords.append(UInt32(words.count))
            planWords.append(contentsOf: words)
            _ = planStart.insert(key, UInt32(start))
        }
        return planWords.withUnsafeBufferPointer { w in
            TopKeyPlan.find(UnsafeBufferPointer(rebasing: w[(start + 1)..<(start + 1 + Int(w[start]))]), index)
        }
    }

    func paths(_ name: String, _ namespaces: [String], index ns: Int = -1) -> [FieldPath] {
        if ns >= 0 {
            if ns >= cache.count { cache.append(contentsOf: repeatElement([:], count: ns + 1 - cache.count)) }
            if let hit = cache[ns][name] { return hit }
        }
        let p = namespaces.map { FieldPath($0 + "." + name) }
        if ns >= 0, count < 100_000 { cache[ns][name] = p; count += 1 }
        return p
    }
}

extension FieldAccessor {
    /// Fast path: the slot of the field's value in `event.fields` when the field is a
    /// top-level key of `event` (indexed by `index`); `TopKeyPlan.absent` when it is certainly
    /// absent; `TopKeyPlan.nested` when the general lookup (nested objects, vendor namespace,
    /// alert fallbacks) is needed. Used through an `EventView` and, without building one, by
    /// the matcher on its loaded event; callers read the value where it lies.
    @inline(__always)
    func directSlot(in event: Event, index: FieldIndex, namespaces: [String], vendor: VendorPaths,
                    nsIndex: Int) -> Int {
        let r = plan.words.withUnsafeBufferPointer { TopKeyPlan.find($0, index) }
        if r != TopKeyPlan.absent { return r }
        if event.alert != nil { return TopKeyPlan.nested }
        if let vn = vendorName, !namespaces.isEmpty {
            if nsIndex > 0, let v = vendor.findVendor(self, vn, namespaces, ns: nsIndex, index) { return v }
            for p in vendor.paths(vn, namespaces, index: nsIndex) {
                if let i = index.slot(p.splits[0].top) { return i }
                for sp in p.splits.dropFirst() where index.slot(sp.top) != nil { return TopKeyPlan.nested }
            }
        }
        return TopKeyPlan.absent
    }

    /// `directSlot` as a value: (true, value) when the field is a top-level key, (true, nil)
    /// when it is certainly absent, (false, nil) when the general lookup is needed.
    @inline(__always)
    func directValue(in event: Event, index: FieldIndex, namespaces: [String], vendor: VendorPaths,
                     nsIndex: Int) -> (found: Bool, value: FieldValue?) {
        let r = directSlot(in: event, index: index, namespaces: namespaces, vendor: vendor, nsIndex: nsIndex)
        if r >= 0 { return (true, event.fields[r].value) }
        return (r == TopKeyPlan.absent, nil)
    }
}

/// Everything a lookup needs about the current event.
///
/// A view lives within one evaluation: `index` and `vendor` belong to the rule matcher that
/// made it (or to the caller, who keeps them alive while the view is used) and are held
/// without a reference count, so making and copying a view (several per rule hit) does not
/// touch theirs.
struct EventView {
    let event: Event
    unowned(unsafe) let index: FieldIndex
    let namespaces: [String]
    unowned(unsafe) let vendor: VendorPaths
    /// Index of `namespaces` in the classifier's table (-1: unknown).
    var nsIndex: Int = -1
    /// Alert events: their evidence as views (for fields not on the alert itself).
    var evidence: [Event] { event.alert?.evidence ?? [] }

    /// Fast path: see `FieldAccessor.directValue(in:index:namespaces:vendor:nsIndex:)`.
    @inline(__always)
    func directValue(_ a: FieldAccessor) -> (found: Bool, value: FieldValue?) {
        a.directValue(in: event, index: index, namespaces: namespaces, vendor: vendor, nsIndex: nsIndex)
    }

    /// Fast path: see `FieldAccessor.directSlot(in:index:namespaces:vendor:nsIndex:)`.
    @inline(__always)
    func directSlot(_ a: FieldAccessor) -> Int {
        a.directSlot(in: event, index: index, namespaces: namespaces, vendor: vendor, nsIndex: nsIndex)
    }

    /// Visits the values of `a` on this event (see `FieldAccessor`); returns whether the
    /// field exists. `body` returning true stops the visit; on an alert event read through
    /// its evidence it stops the visit of that evidence event only, and the next one is
    /// visited too (so readers of "the first value" keep the last evidence event's: see
    /// `DetectionEngine.withFirstText`).
    @discardableResult
    func forEach(_ a: FieldAccessor, _ body: (FieldValue, Event) -> Bool) -> Bool {
        for p in a.paths where p.forEach(event, index, body) { return true }
        if let vn = a.vendorName, !namespaces.isEmpty {
            for p in vendor.paths(vn, namespaces, index: nsIndex) where p.forEach(event, index, body) { return true }
        }
        if let alert = event.alert {
            for g in alert.group where g.key == a.nameKey { _ = body(g.value, event); return true }
            var found = false
            for ev in alert.evidence {
                for p in a.paths where p.forEachUnindexed(ev, body) { found = true; break }
            }
            return found
        }
        return false
    }
}

/// Text of scalar field values, for matching.
enum ValueText {
    /// Calls `body` with the UTF-8 text of a scalar (numbers in decimal, booleans as
    /// `true`/`false`); nil for null, objects and arrays.
    @inline(__always)
    static func with<R>(_ v: FieldValue, _ e: Event, _ scratch: inout [UInt8], _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        switch v {
        case .string(var s):
            return s.withUTF8(body)
        case .span(let sp):
            return e.withBytes(sp, body)
        case .int(let i):
            scratch.removeAll(keepingCapacity: true)
            appendInt(i, &scratch)
            return scratch.withUnsafeBufferPointer(body)
        case .double(let d):
            var t = d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
            return t.withUTF8(body)
        case .bool(let b):
            return b ? Self.trueText.withUnsafeBufferPointer(body) : Self.falseText.withUnsafeBufferPointer(body)
        case .null, .array, .object:
            return nil
        }
    }

    static let trueText: [UInt8] = Array("true".utf8)
    static let falseText: [UInt8] = Array("false".utf8)

    static func appendInt(_ v: Int64, _ out: inout [UInt8]) {
        if v == 0 { out.append(0x30); return }
        var x = v.magnitude
        var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                  UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &tmp) { buf in
            while x > 0 { buf[n] = UInt8(x % 10) + 0x30; x /= 10; n += 1 }
            if v < 0 { out.append(0x2D) }
            for k in stride(from: n - 1, through: 0, by: -1) { out.append(buf[k]) }
        }
    }

    /// A scalar as a String (for group keys, details and comparisons); nil for non-scalars.
    static func string(_ v: FieldValue, _ e: Event) -> String? {
        var scratch: [UInt8] = []
        return with(v, e, &scratch) { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether the value is null or empty text.
    static func isNullOrEmpty(_ v: FieldValue, _ e: Event) -> Bool {
        switch v {
        case .null: return true
        case .string(let s): return s.isEmpty
        case .span(let sp): return sp.count == 0
        case .array(let a): return a.isEmpty
        default: return false
        }
    }

    /// A number from a numeric value or numeric text.
    static func number(_ v: FieldValue, _ e: Event) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s): return Double(s.trimmingCharacters(in: .whitespaces))
        case .span(let sp): return Double(e.text(sp).trimmingCharacters(in: .whitespaces))
        case .bool, .null, .array, .object: return nil
        }
    }
}
