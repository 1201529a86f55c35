import XCTest
@testable import SluiceCore

/// `FieldList`: value semantics, order, and that every stored value is freed exactly once.
final class FieldListTests: XCTestCase {
    let a = FieldKey("test.fl.a"), b = FieldKey("test.fl.b"), c = FieldKey("test.fl.c")

    /// Encoders and packing read values in place at offset 0 of a `Field`
    /// (`UnsafeBufferPointer<Field>.value(at:)`), and a field is 24 bytes.
    func testValueIsTheFirstStoredPropertyOfAField() {
        XCTAssertEqual(MemoryLayout<Field>.offset(of: \Field.value), 0)
        XCTAssertEqual(MemoryLayout<Field>.stride, 24)
        let list: FieldList = [Field(FieldKey("a"), .int(7)), Field(FieldKey("b"), .string("text that is not small"))]
        list.withUnsafeFields { fields in
            XCTAssertEqual(fields.value(at: 0).pointee, .int(7))
            XCTAssertEqual(fields.value(at: 1).pointee, .string("text that is not small"))
        }
    }

    func testAppendKeepsOrderAndGrows() {
        var l = FieldList()
        XCTAssertTrue(l.isEmpty)
        XCTAssertEqual(l.capacity, 0, "an empty list allocates nothing")
        for i in 0..<100 { l.append(Field(a, .int(Int64(i)))) }
        XCTAssertEqual(l.count, 100)
        XCTAssertEqual(l.map { $0.value.intValue! }, (0..<100).map(Int64.init))
        XCTAssertGreaterThanOrEqual(l.capacity, 100)
    }

    func testCopiesAreIndependent() {
        var x: FieldList = [Field(a, .string("one")), Field(b, .int(2))]
        let y = x
        x[0].value = .string("changed")
        x.append(Field(c, .bool(true)))
        XCTAssertEqual(y.count, 2)
        XCTAssertEqual(y[0].value, .string("one"), "a copy must not see the other's writes")
        XCTAssertEqual(x[0].value, .string("changed"))
        XCTAssertEqual(x.count, 3)

        var z = y
        z.reserveCapacity(64)
        z.removeAll(keepingCapacity: true)
        XCTAssertEqual(y.count, 2, "removeAll on a shared copy leaves the other intact")
        XCTAssertTrue(z.isEmpty)
    }

    func testRemoveAndRemoveSubrange() {
        var l: FieldList = [Field(a, .int(1)), Field(b, .string(String(repeating: "x", count: 40))), Field(c, .int(3))]
        let removed = l.remove(at: 1)
        XCTAssertEqual(removed.key, b)
        XCTAssertEqual(l.map(\.key), [a, c])
        l.append(Field(b, .int(4)))
        l.removeSubrange(0..<2)
        XCTAssertEqual(l.map(\.key), [b])
        l.removeAll(where: { $0.key == b })
        XCTAssertTrue(l.isEmpty)
    }

    func testEqualityAndLiteral() {
        let x: FieldList = [Field(a, .int(1)), Field(b, .span(RecordSpan(start: 0, count: 3)))]
        var y = FieldList()
        y.append(Field(a, .int(1)))
        y.append(Field(b, .span(RecordSpan(start: 0, count: 3))))
        XCTAssertEqual(x, y)
        y[1].value = .null
        XCTAssertNotEqual(x, y)
    }

    /// Values holding references (arrays, objects, long strings) are released exactly when
    /// the list and its copies go away, also after moves by growth and removals: watched
    /// through the uniqueness of an array buffer the values share.
    func testReferencedValuesAreReleased() {
        let long = String(repeating: "evil.example.com/", count: 8)
        var shared: [FieldValue] = [.string(long)]
        do {
            var l = FieldList()
            for i in 0..<50 {
                l.append(Field(a, i % 2 == 0 ? .array(shared) : .span(RecordSpan(start: 0, count: 1))))
                if i == 10 { l.append(Field(b, .object([Field(c, .array(shared))]))) }
            }
            l.append(Field(c, .string(long)))
            var copy = l
            copy.remove(at: 3)
            copy.removeSubrange(0..<5)
            _ = copy.remove(at: 0)
            copy.removeAll(keepingCapacity: true)
            XCTAssertEqual(l.count, 52)
        }
        // A leaked reference would make the buffer shared (and reserving would copy it); an
        // extra release would crash.
        XCTAssertTrue(isUnique(&shared), "every value was released")
    }

    /// Whether `a`'s buffer has no other owner (reserving its own size does not move it).
    private func isUnique(_ a: inout [FieldValue]) -> Bool {
        let before = a.withUnsafeBufferPointer { $0.baseAddress }
        a.reserveCapacity(a.count)
        let unique = a.withUnsafeBufferPointer { $0.baseAddress } == before
        return unique
    }

    func testEventBuildsOnFieldList() {
        var e = Event(original: ArraySlice(Array("alice 10.0.0.1".utf8)))
        e.fields.reserveCapacity(4)
        e.append(a, .span(RecordSpan(start: 0, count: 5)))
        e[b] = .string("x")
        e[b] = .string("y")
        XCTAssertEqual(e.fields.count, 2)
        XCTAssertEqual(e.string(a), "alice")
        XCTAssertEqual(e.string(b), "y")
        e[a] = nil
        XCTAssertEqual(e.fields.map(\.key), [b])
    }
}
