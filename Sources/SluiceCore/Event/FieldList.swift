/// The fields of an event: an ordered, copy-on-write array of `Field`, like `[Field]` but
/// built for the parsers' hot path.
///
/// Guarantees: value semantics (copies share storage until one of them is changed); order
/// is insertion order; an empty list allocates nothing. Why not `[Field]`: freeing an array
/// of a non-trivial element destroys each element through the runtime's generic
/// value-witness calls, which cost more than filling the event for many-field line formats.
/// `FieldList`'s storage frees its elements in one specialized loop that skips the values
/// holding no reference (spans, numbers, booleans, null), and a parser filling the event it
/// reserved room in can append without the uniqueness check (`appendAssumingUnique`).
public struct FieldList: @unchecked Sendable {
    // SAFETY (@unchecked Sendable): a value type over a copy-on-write buffer, like Array:
    // every mutation first makes the storage unique (`isKnownUniquelyReferenced`), so two
    // threads never write the same storage, and shared storage is only read.
    @usableFromInline var storage: FieldStorage?

    @inlinable public init() { storage = nil }

    @inlinable
    public init<S: Sequence>(_ fields: S) where S.Element == Field {
        self.init()
        append(contentsOf: fields)
    }

    @inlinable public var count: Int { storage?.count ?? 0 }
    @inlinable public var isEmpty: Bool { count == 0 }
    @inlinable public var capacity: Int { storage?.slots ?? 0 }

    /// Makes the storage unique and able to hold `minimumCapacity` fields.
    @inlinable
    public mutating func reserveCapacity(_ minimumCapacity: Int) {
        if storage != nil, isKnownUniquelyReferenced(&storage!), storage.unsafelyUnwrapped.slots >= minimumCapacity { return }
        grow(to: minimumCapacity)
    }

    /// Replaces the storage with a unique one of at least `minimumCapacity` (and at least
    /// double the current count), holding the current fields: moved out of the old storage
    /// when nothing else shares it, copied otherwise.
    @usableFromInline @inline(never)
    mutating func grow(to minimumCapacity: Int) {
        let n = count
        let new = FieldStorage.make(capacity: Swift.max(minimumCapacity, n * 2, 8))
        if storage != nil {
            if isKnownUniquelyReferenced(&storage!) {
                // Move the fields: the old storage is left empty and freed without a destroy.
                let old = storage.unsafelyUnwrapped
                new.elements.moveInitialize(from: old.elements, count: n)
                old.count = 0
            } else {
                new.elements.initialize(from: storage.unsafelyUnwrapped.elements, count: n)
            }
        }
        new.count = n
        storage = new
    }

    @inlinable @inline(__always)
    public mutating func append(_ field: __owned Field) {
        let n = count
        if _slowPath(storage == nil || !isKnownUniquelyReferenced(&storage!) || n == storage!.slots) {
            grow(to: n + 1)
        }
        storage.unsafelyUnwrapped.store(field, at: n)
    }

    /// `append` for a parser filling the event it just reserved room in: the caller promises
    /// that this list's storage is not shared, that is, `reserveCapacity` was called on this
    /// very value and no copy of it was made since. Skips the uniqueness check (a runtime call
    /// per field) but not the capacity check. Debug builds verify the promise.
    @inlinable @inline(__always)
    public mutating func appendAssumingUnique(_ field: __owned Field) {
        let n = count
        if _slowPath(storage == nil || n == storage.unsafelyUnwrapped.slots) {
            grow(to: n + 1)
        }
        assert(isKnownUniquelyReferenced(&storage!), "appendAssumingUnique on shared FieldList storage")
        storage.unsafelyUnwrapped.store(field, at: n)
    }

    @inlinable
    public mutating func append<S: Sequence>(contentsOf fields: S) where S.Element == Field {
        let extra = fields.underestimatedCount
        if extra > 0 { reserveCapacity(count + extra) }
        for f in fields { append(f) }
    }

    @inlinable
    public mutating func removeAll(keepingCapacity: Bool = false) {
        guard storage != nil else { return }
        if keepingCapacity && isKnownUniquelyReferenced(&storage!) {
            storage.unsafelyUnwrapped.destroyElements()
        } else {
            storage = nil
        }
    }

    /// Removes and returns the field at `index`, keeping the order of the rest.
    @discardableResult
    public mutating func remove(at index: Int) -> Field {
        precondition(index >= 0 && index < count, "FieldList index out of range")
        makeUnique()
        let s = storage.unsafelyUnwrapped
        let removed = (s.elements + index).move()
        (s.elements + index).moveInitialize(from: s.elements + index + 1, count: s.count - index - 1)
        s.count -= 1
        return removed
    }

    /// Removes the fields in `range`, keeping the order of the rest.
    public mutating func removeSubrange(_ range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "FieldList range out of bounds")
        guard !range.isEmpty else { return }
        makeUnique()
        let s = storage.unsafelyUnwrapped
        (s.elements + range.lowerBound).deinitialize(count: range.count)
        (s.elements + range.lowerBound).moveInitialize(from: s.elements + range.upperBound, count: s.count - range.upperBound)
        s.count -= range.count
    }

    /// Removes the fields for which `remove` is true, keeping the order of the rest.
    public mutating func removeAll(where remove: (Field) throws -> Bool) rethrows {
        guard !isEmpty else { return }
        var kept = FieldList()
        kept.reserveCapacity(count)
        for f in self where try !remove(f) { kept.append(f) }
        self = kept
    }

    @inlinable
    mutating func makeUnique() {
        if storage != nil, !isKnownUniquelyReferenced(&storage!) { grow(to: count) }
    }
}

extension FieldList: RandomAccessCollection, MutableCollection {
    public typealias Index = Int
    public typealias Indices = Range<Int>

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { count }
    @inlinable public var indices: Range<Int> { 0..<count }
    @inlinable public func index(after i: Int) -> Int { i + 1 }
    @inlinable public func index(before i: Int) -> Int { i - 1 }

    @inlinable
    public subscript(position: Int) -> Field {
        get {
            precondition(position >= 0 && position < count, "FieldList index out of range")
            return storage.unsafelyUnwrapped.elements[position]
        }
        set {
            precondition(position >= 0 && position < count, "FieldList index out of range")
            makeUnique()
            storage.unsafelyUnwrapped.elements[position] = newValue
        }
        _modify {
            precondition(position >= 0 && position < count, "FieldList index out of range")
            makeUnique()
            yield &storage.unsafelyUnwrapped.elements[position]
        }
    }

    @inlinable
    public func makeIterator() -> IndexingIterator<FieldList> { IndexingIterator(_elements: self) }

    /// Calls `body` with the fields in place: reading through the buffer copies nothing and
    /// does no reference counting per field (the hot loops of encoders). The buffer is valid
    /// only inside `body`, and the list must not be changed meanwhile.
    @inlinable
    public func withUnsafeFields<R>(_ body: (UnsafeBufferPointer<Field>) throws -> R) rethrows -> R {
        guard storage != nil else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        // `self` is borrowed for the whole call, and with it the storage: no reference count
        // is taken on it (a retain and a release per call, on storage other threads touched).
        unowned(unsafe) let s = storage.unsafelyUnwrapped
        return try body(UnsafeBufferPointer(start: s.elements, count: s.count))
    }
}

extension FieldList {
    /// The index of the first field with `key`, found without copying the fields passed over
    /// (iterating copies each one, and retains the strings, lists and objects among them).
    @inlinable
    public func firstIndex(of key: FieldKey) -> Int? {
        withUnsafeFields { fields in
            for i in fields.indices where fields[i].key == key { return i }
            return nil
        }
    }
}

extension UnsafeBufferPointer where Element == Field {
    /// The value of the field at `i` where it lies, for code that walks many values (encoders,
    /// packing): switching on `pointee` copies no value and retains nothing. `value` is
    /// `Field`'s first stored property, at offset 0 (FieldListTests checks it).
    @inlinable @inline(__always)
    public func value(at i: Int) -> UnsafePointer<FieldValue> {
        UnsafeRawPointer(baseAddress! + i).assumingMemoryBound(to: FieldValue.self)
    }
}

extension FieldList: ExpressibleByArrayLiteral, Equatable, CustomStringConvertible {
    @inlinable
    public init(arrayLiteral fields: Field...) { self.init(fields) }

    public static func == (a: FieldList, b: FieldList) -> Bool {
        a.count == b.count && a.elementsEqual(b)
    }

    public var description: String { Array(self).description }
}

/// The heap storage of a `FieldList`: a header (count, capacity) and the fields in line.
///
/// Guarantees: frees the fields it holds exactly once, in one loop that only calls into the
/// runtime for values that hold a reference.
public final class FieldStorage: ManagedBuffer<FieldStorage.Header, Field> {
    public struct Header {
        @usableFromInline var count: Int
        @usableFromInline var capacity: Int
        @inlinable init(count: Int, capacity: Int) { self.count = count; self.capacity = capacity }
    }

    @inlinable
    static func make(capacity: Int) -> FieldStorage {
        let b = FieldStorage.create(minimumCapacity: capacity) { _ in Header(count: 0, capacity: capacity) }
        return unsafeDowncast(b, to: FieldStorage.self)
    }

    @inlinable var count: Int {
        get { withUnsafeMutablePointerToHeader { $0.pointee.count } }
        set { withUnsafeMutablePointerToHeader { $0.pointee.count = newValue } }
    }

    @inlinable var slots: Int { withUnsafeMutablePointerToHeader { $0.pointee.capacity } }

    @inlinable var elements: UnsafeMutablePointer<Field> { withUnsafeMutablePointerToElements { $0 } }

    /// Puts `field` in the free slot `n` (the current count, below capacity) and counts it.
    @inlinable @inline(__always)
    func store(_ field: __owned Field, at n: Int) {
        (elements + n).initialize(to: field)
        count = n + 1
    }

    /// Destroys the fields (count becomes 0), skipping those whose value holds no reference.
    /// The payload is released as what it is: destroying the `Field` went through the
    /// enum's generic value witness (about 200 instructions a field).
    @usableFromInline
    func destroyElements() {
        let n = count
        let e = elements
        for i in 0..<n {
            switch e[i].value {
            case .span, .int, .double, .bool, .null: continue
            case .string, .array, .object: Self.release((e + i).move().value)
            }
        }
        count = 0
    }

    /// Ends a value that holds a reference by releasing its payload.
    @inline(__always)
    private static func release(_ value: consuming FieldValue) {
        switch consume value {
        case .string(let s): _ = consume s
        case .array(let a): _ = consume a
        case .object(let o): _ = consume o
        default: break
        }
    }

    deinit { destroyElements() }
}
