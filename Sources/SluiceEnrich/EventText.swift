import SluiceCore

/// A field an enricher reads, resolved once at build time: the dotted key itself, and the
/// ways the same path can be nested (`dns.answers.data` is the member `data` of each object
/// in the list `dns.answers`).
public struct FieldPath: Sendable {
    public let path: String
    public let key: FieldKey
    /// (parent key, member keys below it), longest parent first.
    @usableFromInline let nested: [(parent: FieldKey, members: [FieldKey])]

    public init(_ path: String) {
        self.path = path
        key = FieldKey(path)
        let comps = path.split(separator: ".").map(String.init)
        var n: [(FieldKey, [FieldKey])] = []
        if comps.count > 1 {
            for split in stride(from: comps.count - 1, through: 1, by: -1) {
                n.append((FieldKey(comps[0..<split].joined(separator: ".")), comps[split...].map { FieldKey($0) }))
            }
        }
        nested = n
    }
}

/// Reads text values out of events without copying them: `.span`s as bytes of the record,
/// `.string`s through their UTF-8 storage; lists (and lists of objects) element by element.
///
/// Guarantees: allocates nothing for native Swift strings and spans; numbers, booleans and
/// nulls are not text and are skipped.
public enum EventText {
    /// Calls `body` with the bytes of every text value at `path` in `event`.
    @inlinable
    public static func forEach(_ event: Event, _ path: FieldPath, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        forEach(event, path, position: { event.fields.firstIndex(of: $0) }, body)
    }

    /// `forEach` for an event whose keys `index` holds (`FieldIndex.begin` on its fields,
    /// unchanged since): finds the path's key and its parents without scanning the fields.
    @inlinable
    public static func forEach(_ event: Event, _ path: FieldPath, in index: FieldIndex, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        forEach(event, path, position: { index.position(of: $0) }, body)
    }

    /// `forEach` with the top-level position of a key found by `position`: the path's own
    /// key, else its longest parent present.
    @inlinable
    static func forEach(_ event: Event, _ path: FieldPath, position: (FieldKey) -> Int?, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        if let i = position(path.key) {
            visit(event, event.fields[i].value, body)
            return
        }
        for (parent, members) in path.nested {
            if let i = position(parent) {
                descend(event, event.fields[i].value, members[...], body)
                return
            }
        }
    }

    @usableFromInline
    static func descend(_ event: Event, _ v: FieldValue, _ members: ArraySlice<FieldKey>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard let first = members.first else { visit(event, v, body); return }
        switch v {
        case .object(let fields):
            for m in fields where m.key == first { descend(event, m.value, members.dropFirst(), body); return }
        case .array(let items):
            for item in items { descend(event, item, members, body) }
        default: return
        }
    }

    /// Calls `body` with the text of `v`, or of each element when it is a list.
    @inlinable
    public static func visit(_ event: Event, _ v: FieldValue, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        switch v {
        case .span(let sp): event.withBytes(sp, body)
        case .string(let s): withBytes(s, body)
        case .array(let items): for item in items { visit(event, item, body) }
        default: return
        }
    }

    /// The first text value at `key` (top level only), through `body`; false when absent.
    @inlinable @discardableResult
    public static func first(_ event: Event, _ key: FieldKey, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> Bool {
        first(event, at: event.fields.firstIndex(of: key), body)
    }

    /// `first` for an event whose keys `index` holds (see `forEach(_:_:in:_:)`).
    @inlinable @discardableResult
    public static func first(_ event: Event, _ key: FieldKey, in index: FieldIndex, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> Bool {
        first(event, at: index.position(of: key), body)
    }

    /// The first text value of the field at `position` (nil: absent), through `body`.
    @inlinable @discardableResult
    static func first(_ event: Event, at position: Int?, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> Bool {
        if let i = position {
            switch event.fields[i].value {
            case .span(let sp): event.withBytes(sp, body); return true
            case .string(let s): withBytes(s, body); return true
            case .array(let items):
                for item in items {
                    switch item {
                    case .span(let sp): event.withBytes(sp, body); return true
                    case .string(let s): withBytes(s, body); return true
                    default: continue
                    }
                }
                return false
            default: return false
            }
        }
        return false
    }

    @inlinable @inline(__always)
    public static func withBytes(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        if s.utf8.withContiguousStorageIfAvailable(body) == nil {
            let copy = Array(s.utf8)
            copy.withUnsafeBufferPointer(body)
        }
    }
}
