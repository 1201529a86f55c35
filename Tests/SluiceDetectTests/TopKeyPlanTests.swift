import SluiceCore
import SluiceTestSupport
import XCTest
@testable import SluiceDetect

/// The fast path of a rule field lookup (`FieldAccessor.directSlot`: the accessor's paths and
/// its vendor paths flattened into `TopKeyPlan`s, the vendor ones kept per accessor and
/// namespace set in `VendorPaths`' `LRUTable`) gives what walking the paths'
/// splits gives, for many accessors (the table grows several times) and namespace sets.
final class TopKeyPlanTests: XCTestCase {
    /// The walk the plans replace: whole names first, then whether a shorter top-level key
    /// could hold the value nested, per path; then the vendor paths the same way.
    static func reference(_ a: FieldAccessor, _ e: Event, _ index: FieldIndex, _ namespaces: [String]) -> Int {
        func walk(_ paths: [FieldPath]) -> Int? {
            for p in paths {
                if let i = index.slot(p.splits[0].top) { return i }
                for sp in p.splits.dropFirst() where index.slot(sp.top) != nil { return TopKeyPlan.nested }
            }
            return nil
        }
        if let r = walk(a.paths) { return r }
        if e.alert != nil { return TopKeyPlan.nested }
        if let vn = a.vendorName, !namespaces.isEmpty {
            if let r = walk(namespaces.map { FieldPath($0 + "." + vn) }) { return r }
        }
        return TopKeyPlan.absent
    }

    func testPlansAgreeWithTheSplitWalk() {
        var rng = SplitMix(seed: 0x70_9e_c5)
        let parts = ["user", "name", "source", "ip", "repo", "data", "exe", "a", "b"]
        func name() -> String { (0..<Int(1 + rng.next() % 3)).map { _ in parts[Int(rng.next() % UInt64(parts.count))] }.joined(separator: ".") }
        // 700 accessors (some mapped to another name, some without a vendor fallback), picked
        // from 20,000 so that their serials are not consecutive: consecutive keys spread
        // evenly over the table and would never make its probe sequences collide.
        var accessors: [FieldAccessor] = []
        for _ in 0..<20_000 {
            let n = name()
            let a = FieldAccessor(name: n, mapped: rng.next() % 4 == 0 ? name() : nil, vendor: rng.next() % 5 != 0)
            if rng.next() % 28 == 0 { accessors.append(a) }
        }
        let namespaceSets: [[String]] = [[], ["github"], ["auditd", "auditd.data"], ["zeek"]]
        let vendor = VendorPaths()
        let index = FieldIndex()
        var outcomes: [Int: Int] = [:]
        for _ in 0..<300 {
            var e = Event(timestamp: 0)
            for _ in 0..<Int(rng.next() % 24) {
                let ns = namespaceSets[Int(rng.next() % UInt64(namespaceSets.count))]
                let key = (rng.next() % 4 != 0 && !ns.isEmpty ? ns[0] + "." : "") + name()
                e.append(FieldKey(key), rng.next() % 3 == 0 ? .object([Field(FieldKey(parts[0]), .string("x"))]) : .string("v"))
            }
            index.load(e)
            let nsIndex = Int(1 + rng.next() % UInt64(namespaceSets.count - 1))   // 1...3
            for a in accessors {
                let want = Self.reference(a, e, index, namespaceSets[nsIndex])
                let got = a.directSlot(in: e, index: index, namespaces: namespaceSets[nsIndex], vendor: vendor, nsIndex: nsIndex)
                XCTAssertEqual(got, want, "\(a.name) on \(e.fields.map(\.key.path))")
                let viaVendor = got >= 0 && Self.reference(a, e, index, []) != got
                outcomes[got < 0 ? got : viaVendor ? 1 : 0, default: 0] += 1
            }
        }
        // Found by name, found under a vendor namespace, absent and nested all occurred.
        XCTAssertEqual(Set(outcomes.keys), [0, 1, TopKeyPlan.absent, TopKeyPlan.nested], "\(outcomes)")
        XCTAssertGreaterThan(outcomes[1] ?? 0, 1000, "\(outcomes)")
    }

    func testSerialsAreUnique() {
        let a = (0..<100).map { _ in FieldAccessor(name: "user.name", mapped: nil) }
        XCTAssertEqual(Set(a.map(\.serial)).count, 100)
    }
}
