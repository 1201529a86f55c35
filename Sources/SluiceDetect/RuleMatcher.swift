import Foundation
import SluiceCore

/// Matches events against every single-event rule of a rule set at once.
///
/// How (DESIGN.md "compile, don't interpret"): rules are grouped by logsource selector, so
/// an event is tested only by rules that can see it; every field a rule names is read once
/// per event, case-folded once, and scanned once by one Aho–Corasick automaton holding the
/// literal parts of all `contains`/`startswith`/`endswith`/wildcard/keyword values (and
/// regex prefilters) of all rules on that field, plus one hash lookup for exact values. Only
/// rules one of whose necessary predicates hit are evaluated; other predicates (numbers,
/// CIDRs, `exists`, `null`, regexes without a literal) are computed lazily, once per event.
///
/// Not thread-safe: one instance per detect stage (it keeps per-event scratch state).
final class RuleMatcher {
    let rules: RuleSet
    private let predicates: [Predicate]
    /// `predicates[p].scanned`, precomputed (reading it copies the predicate).
    private let scannedFlags: [Bool]
    private let classifier = EventClassifier()
    let index = FieldIndex()
    let vendor = VendorPaths()

    private let selectors: [LogsourceSelector]
    /// Per rule: selector bit (0 for correlations).
    private let ruleBit: [UInt64]
    private let accessors: [PredicateTarget]
    private let accessorFast: [FastAccess]
    private let scanners: [ScanTable]
    /// Scanned predicate → rules for which it is necessary.
    private let predRules: [[Int32]]
    /// Rules with no necessary scanned predicate, per selector.
    private let alwaysRules: [[Int32]]
    /// Per selector: accessors its rules read.
    private let selectorAccessors: [[Int]]
    private var plans: [UInt64: Plan] = [:]
    private var lastPlanMask: UInt64 = 0
    private var lastPlan: Plan?
    /// Per selector: its classes and whether it also needs the service test (read per event
    /// without copying the selectors' strings).
    private let selectorClasses: [EventClass]
    private let selectorService: [Bool]
    /// Per predicate: what it tests, in a class (read per event without copying payloads).
    private let predInfo: [PredInfo]
    /// Per rule: its condition compiled into `code` (start index; -1: none).
    private let ruleCode: [Int32]
    /// Per rule: its extension selections (`sluice.when` selections, then the allowlist)
    /// compiled into `code` (start indices; see `selectionHolds`).
    private let selectionCode: [[Int32]]
    /// Per rule: the index in `selectionCode[rule]` of its allowlist (-1: none).
    private let allowlistCode: [Int32]
    private let code: [CondInst]
    /// Per accessor, flattened fast-path tables (plain values: no reference counting):
    /// `fastDirect[fastStart[a]..<fastStart[a+1]]` are the whole names of its lookup paths,
    /// `nestedTops[nestedStart[k]..<nestedStart[k+1]]` the shorter top-level keys path k
    /// could be nested under.
    private let fastStart: [Int32]
    private let fastDirect: [FieldKey]
    private let nestedStart: [Int32]
    private let nestedTops: [FieldKey]
    private let accKeywords: [Bool]
    private let accVendor: [Bool]

    /// One instruction of a compiled condition: `end` is the index after its subtree.
    struct CondInst {
        enum Op: UInt8 { case pred, and, or, not, yes, no }
        var op: Op
        var arg: Int32
        var end: Int32
    }

    /// A predicate's target and test, for the per-event paths.
    final class PredInfo {
        let accessor: FieldAccessor?
        let test: PredicateTest
        let pattern: PatternTest?
        let regex: RegexTest?
        let predicate: Predicate
        let isPattern: Bool
        /// A folded `contains` pattern: the automaton's hit is the match.
        let plainContains: Bool

        /// The pattern test (`isPattern`), read in place.
        @inline(__always)
        func patternMatches(_ folded: UnsafeBufferPointer<UInt8>, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
            pattern.unsafelyUnwrapped.matches(folded: folded, original: text)
        }

        init(_ p: Predicate) {
            if case .pattern(let pt) = p.test { isPattern = true; plainContains = pt.shape == .contains && !pt.cased } else { isPattern = false; plainContains = false }
            predicate = p
            if case .field(let a) = p.target { accessor = a } else { accessor = nil }
            test = p.test
            if case .pattern(let pt) = p.test { pattern = pt } else { pattern = nil }
            if case .regex(let r) = p.test { regex = r } else { regex = nil }
        }
    }

    // Per-event state.
    private var bits: [UInt64]
    private var setList: [Int32] = []
    private var lazyStamp: [UInt32]
    private var lazyValue: [Bool]
    private var ruleStamp: [UInt32]
    private var generation: UInt32 = 0
    private var folded: [UInt8] = []
    /// The folded text of one field of the loaded event, for the direct pattern tests: the
    /// slot it was read from and the generation it belongs to (several predicates on one
    /// field fold it once).
    private var slotFolded: [UInt8] = []
    private var slotFoldedSlot = -1
    private var slotFoldedStamp: UInt32 = 0
    private var scratch: [UInt8] = []
    /// `directGeneral`'s buffers (a number's text, the case-folded text), kept between calls.
    private var generalScratch: [UInt8] = []
    private var generalFold: [UInt8] = []
    private var candidates: [Int32] = []
    private(set) var currentNamespaces: [String] = []
    private(set) var currentNS = 0
    /// Incremented by every `load`: tells the engine whether the loaded event is still its own.
    private(set) var loads: UInt64 = 0
    /// The vendor-namespace paths of (namespace index, accessor), flattened on first use:
    /// `vendorRange[ns * accessors + a]` is 0 when not computed yet, else 1 + an entry `k`
    /// whose paths are `vendorTop[vendorStart[k]..<vendorStart[k+1]]`, path `j`'s shorter
    /// top-level keys `vendorNest[vendorNestStart[j]..<vendorNestStart[j+1]]`.
    private var vendorRange: [Int32] = []
    private var vendorStart: [Int32] = [0]
    private var vendorTop: [FieldKey] = []
    private var vendorNestStart: [Int32] = [0]
    private var vendorNest: [FieldKey] = []

    /// What events of one selector mask need: the accessors to scan and the rules to run
    /// without a scanned hit. A class, so the plan of the last mask is kept at hand.
    final class Plan {
        let accessors: [Int]
        let always: [Int32]
        init(accessors: [Int], always: [Int32]) { self.accessors = accessors; self.always = always }
    }

    /// Scan tables of one field (or of keywords).
    final class Scanner {
        var literals: [[UInt8]] = []
        var literalPreds: [[Int32]] = []
        var literalIndex: [[UInt8]: Int] = [:]
        var automaton = MultiPattern([])
        /// Exact values: hash of folded value → predicates.
        var exact: [UInt64: [Int32]] = [:]
        var always: [Int32] = []

        func addLiteral(_ l: [UInt8], _ p: Int32) {
            if let i = literalIndex[l] { literalPreds[i].append(p); return }
            literalIndex[l] = literals.count
            literals.append(l); literalPreds.append([p])
        }
    }

    init(rules: RuleSet) {
        var l_selectors: [LogsourceSelector] = []
        var l_ruleBit: [UInt64] = []
        var l_accessors: [PredicateTarget] = []
        var l_accessorFast: [FastAccess] = []
        var l_scanners: [Scanner] = []
        var l_predRules: [[Int32]] = []
        var l_alwaysRules: [[Int32]] = []
        var l_selectorAccessors: [[Int]] = []
        var l_selectorClasses: [EventClass] = []
        var l_selectorService: [Bool] = []
        var l_ruleCode: [Int32] = []
        var l_code: [CondInst] = []
        var l_fastStart: [Int32] = [0]
        var l_fastDirect: [FieldKey] = []
        var l_nestedStart: [Int32] = [0]
        var l_nestedTops: [FieldKey] = []
        var l_accKeywords: [Bool] = []
        var l_accVendor: [Bool] = []
        self.rules = rules
        predicates = rules.predicates
        let scanned = rules.predicates.map(\.scanned)
        scannedFlags = scanned
        predInfo = rules.predicates.map(PredInfo.init)
        l_ruleCode = Array(repeating: -1, count: rules.rules.count)
        l_ruleBit = Array(repeating: 0, count: rules.rules.count)
        l_predRules = Array(repeating: [], count: predicates.count)
        bits = Array(repeating: 0, count: (predicates.count + 63) / 64 + 1)
        lazyStamp = Array(repeating: 0, count: predicates.count)
        lazyValue = Array(repeating: false, count: predicates.count)
        ruleStamp = Array(repeating: 0, count: rules.rules.count)
        l_alwaysRules = []
        l_selectorAccessors = []
        var selIndex: [LogsourceSelector: Int] = [:]
        var accIndex: [PredicateTarget: Int] = [:]
        func acc(_ t: PredicateTarget) -> Int {
            if let i = accIndex[t] { return i }
            accIndex[t] = l_accessors.count; l_accessors.append(t); l_scanners.append(Scanner())
            let f = FastAccess()
            switch t {
            case .keywords: f.keywords = true
            case .field(let a):
                for p in a.paths {
                    f.direct.append(p.splits[0].top)
                    f.nestedTops.append(p.splits.dropFirst().map(\.top))
                }
                f.vendor = a.vendorName != nil
            }
            l_accessorFast.append(f)
            l_fastDirect.append(contentsOf: f.direct)
            l_fastStart.append(Int32(l_fastDirect.count))
            for tops in f.nestedTops { l_nestedTops.append(contentsOf: tops); l_nestedStart.append(Int32(l_nestedTops.count)) }
            l_accKeywords.append(f.keywords)
            l_accVendor.append(f.vendor)
            return l_accessors.count - 1
        }
        // Register scanned predicates with their field's scanner.
        var predAccessor = Array(repeating: -1, count: predicates.count)
        for (i, p) in predicates.enumerated() where p.scanned {
            let a = acc(p.target)
            predAccessor[i] = a
            let sc = l_scanners[a]
            switch p.test {
            case .pattern(let pt):
                if pt.shape == .exact && !pt.cased {
                    var h = StableHash(); h.combine(bytes: pt.literal)
                    sc.exact[h.value, default: []].append(Int32(i))
                } else if let k = pt.key, !k.isEmpty {
                    sc.addLiteral(k, Int32(i))
                } else if pt.shape == .exact, let k = pt.key {   // cased exact: hash of the folded value
                    var h = StableHash(); h.combine(bytes: k)
                    sc.exact[h.value, default: []].append(Int32(i))
                } else {
                    sc.always.append(Int32(i))
                }
            case .regex(let r):
                sc.addLiteral(r.prefilter!, Int32(i))
            default: break
            }
        }
        for sc in l_scanners { sc.automaton = MultiPattern(sc.literals) }
        var l_selectionCode: [[Int32]] = []
        var l_allowlistCode: [Int32] = []
        for r in rules.rules {
            var starts: [Int32] = []
            for sel in r.ext.whenSelections { starts.append(Int32(l_code.count)); Self.compile(sel, into: &l_code) }
            if let allow = r.ext.allowlist {
                l_allowlistCode.append(Int32(starts.count))
                starts.append(Int32(l_code.count)); Self.compile(allow, into: &l_code)
            } else {
                l_allowlistCode.append(-1)
            }
            l_selectionCode.append(starts)
        }
        for r in rules.rules {
            guard let first = r.selector, let cond = r.condition else { continue }
            l_ruleCode[r.index] = Int32(l_code.count)
            Self.compile(cond, into: &l_code)
            var used = Set<Int>()
            Self.collectPreds(cond) { p in
                let a = predAccessor[p] >= 0 ? predAccessor[p] : -1
                if a >= 0 { used.insert(a) }
            }
            let nec = Self.necessary(cond, scanned)
            if let nec { for p in Set(nec) { l_predRules[p].append(Int32(r.index)) } }
            // A rule sees the events of each of its l_selectors (its logsource and any
            // `also_logsources`): one bit per selector in its mask.
            for sel in [first] + r.extraSelectors {
                let si: Int
                if let s = selIndex[sel] { si = s } else {
                    si = l_selectors.count; selIndex[sel] = si; l_selectors.append(sel)
                    l_selectorClasses.append(sel.classes); l_selectorService.append(sel.service != nil || sel.authFacility)
                    l_alwaysRules.append([]); l_selectorAccessors.append([])
                }
                l_ruleBit[r.index] |= si < 64 ? 1 << UInt64(si) : 0
                for a in used where !l_selectorAccessors[si].contains(a) { l_selectorAccessors[si].append(a) }
                if nec == nil { l_alwaysRules[si].append(Int32(r.index)) }
            }
        }
    selectors = l_selectors
        ruleBit = l_ruleBit
        accessors = l_accessors
        accessorFast = l_accessorFast
        scanners = l_scanners.map(ScanTable.init)
        predRules = l_predRules
        alwaysRules = l_alwaysRules
        selectorAccessors = l_selectorAccessors
        selectorClasses = l_selectorClasses
        selectorService = l_selectorService
        ruleCode = l_ruleCode
        selectionCode = l_selectionCode
        allowlistCode = l_allowlistCode
        code = l_code
        fastStart = l_fastStart
        fastDirect = l_fastDirect
        nestedStart = l_nestedStart
        nestedTops = l_nestedTops
        accKeywords = l_accKeywords
        accVendor = l_accVendor
    }

    var selectorCount: Int { selectors.count }

    /// Appends `e` as instructions (pre-order; each knows where its subtree ends).
    static func compile(_ e: Expr, into code: inout [CondInst]) {
        let at = code.count
        switch e {
        case .pred(let p): code.append(CondInst(op: .pred, arg: Int32(p), end: 0))
        case .and(let xs), .or(let xs):
            if case .and = e { code.append(CondInst(op: .and, arg: 0, end: 0)) } else { code.append(CondInst(op: .or, arg: 0, end: 0)) }
            for x in xs { compile(x, into: &code) }
        case .not(let x):
            code.append(CondInst(op: .not, arg: 0, end: 0))
            compile(x, into: &code)
        case .const(let b): code.append(CondInst(op: b ? .yes : .no, arg: 0, end: 0))
        }
        code[at].end = Int32(code.count)
    }

    static func collectPreds(_ e: Expr, _ f: (Int) -> Void) {
        switch e {
        case .pred(let p): f(p)
        case .and(let xs), .or(let xs): for x in xs { collectPreds(x, f) }
        case .not(let x): collectPreds(x, f)
        case .const: break
        }
    }

    /// Scanned predicates at least one of which is true whenever `e` is (nil: none known).
    private static func necessary(_ e: Expr, _ scanned: [Bool]) -> [Int]? {
        switch e {
        case .pred(let p): return scanned[p] ? [p] : nil
        case .and(let xs):
            var best: [Int]? = nil
            for x in xs { if let n = necessary(x, scanned), n.count < (best?.count ?? Int.max) { best = n } }
            return best
        case .or(let xs):
            var all: [Int] = []
            for x in xs { guard let n = necessary(x, scanned) else { return nil }; all.append(contentsOf: n) }
            return all
        case .not: return nil
        case .const(let b): return b ? nil : []
        }
    }

    /// Prepares per-event state; returns the applicable selectors' mask.
    @discardableResult
    func load(_ e: Event) -> UInt64 {
        index.load(e)
        loads &+= 1
        generation &+= 1
        if generation == 0 {
            for i in lazyStamp.indices { lazyStamp[i] = 0 }
            for i in ruleStamp.indices { ruleStamp[i] = 0 }
            slotFoldedStamp = 0
            generation = 1
        }
        for w in setList { bits[Int(w) >> 6] = 0 }
        setList.removeAll(keepingCapacity: true)
        let (cls, ns) = classifier.classify(e, index: index)
        currentNamespaces = classifier.namespaces[ns]
        currentNS = ns
        var mask: UInt64 = 0
        for i in 0..<Swift.min(selectorClasses.count, 64) where cls.isSuperset(of: selectorClasses[i]) {
            if selectorService[i] { if !EventClassifier.serviceMatches(selectors[i], e, index) { continue } }
            mask |= 1 << UInt64(i)
        }
        return mask
    }

    var view: (Event) -> EventView { { EventView(event: $0, index: self.index, namespaces: self.currentNamespaces, vendor: self.vendor, nsIndex: self.currentNS) } }

    /// Appends the indices of the single-event rules `e` matches (ascending).
    func match(_ e: Event, into matched: inout [Int]) {
        let mask = load(e)
        guard mask != 0 else { return }
        let plan = self.plan(mask)
        for a in plan.accessors { scan(a, e) }
        candidates.removeAll(keepingCapacity: true)
        let g = generation
        for w in setList {
            var word = bits[Int(w) >> 6]
            while word != 0 {
                let b = word.trailingZeroBitCount
                word &= word - 1
                let p = (Int(w) >> 6) << 6 | b
                for r in predRules[p] where ruleBit[Int(r)] & mask != 0 && ruleStamp[Int(r)] != g {
                    ruleStamp[Int(r)] = g
                    candidates.append(r)
                }
            }
        }
        candidates.append(contentsOf: plan.always)
        if candidates.count > 1 { candidates.sort() }
        let start = matched.count
        code.withUnsafeBufferPointer { code in
            for r in candidates where run(code, Int(ruleCode[Int(r)]), e) { matched.append(Int(r)) }
        }
        if matched.count - start > 1 { matched[start...].sort() }
    }

    private func plan(_ mask: UInt64) -> Plan {
        // Events of one source come with the same mask, run after run: no hashing then.
        if mask == lastPlanMask, let p = lastPlan { return p }
        let p = planSlow(mask)
        lastPlanMask = mask; lastPlan = p
        return p
    }

    private func planSlow(_ mask: UInt64) -> Plan {
        if let p = plans[mask] { return p }
        var acc: [Int] = [], always: [Int32] = []
        for i in 0..<selectors.count where i < 64 && mask & (1 << UInt64(i)) != 0 {
            for a in selectorAccessors[i] where !acc.contains(a) { acc.append(a) }
            for r in alwaysRules[i] where !always.contains(r) { always.append(r) }
        }
        let p = Plan(accessors: acc, always: always)
        if plans.count < 4096 { plans[mask] = p }
        return p
    }

    @inline(__always)
    private func setBit(_ p: Int) {
        let w = p >> 6, m: UInt64 = 1 << UInt64(p & 63)
        if bits[w] & m == 0 {
            if bits[w] == 0 { setList.append(Int32(w << 6)) }
            bits[w] |= m
        }
    }

    @inline(__always)
    private func bit(_ p: Int) -> Bool { bits[p >> 6] & (1 << UInt64(p & 63)) != 0 }

    /// Scans every value of accessor `a`, setting the bits of the scanned predicates it satisfies.
    private func scan(_ a: Int, _ e: Event) {
        let sc = scanners[a]
        // Fast path: the field is a top-level key (as parsers write it); no closures.
        if !accKeywords[a] {
            var nested = false
            let lo = Int(fastStart[a]), hi = Int(fastStart[a + 1])
            for pi in lo..<hi {
                if let i = index.slot(fastDirect[pi]) {
                    e.fields.withUnsafeFields { scanValue(sc, $0[i].value, e) }
                    return
                }
                for t in Int(nestedStart[pi])..<Int(nestedStart[pi + 1]) where index.slot(nestedTops[t]) != nil { nested = true; break }
                if nested { break }
            }
            if !nested && e.alert == nil {
                guard accVendor[a], currentNS != 0 else { return }
                let k = vendorEntry(a)
                guard k >= 0 else { return }
                var nestedVendor = false
                for j in Int(vendorStart[k])..<Int(vendorStart[k + 1]) {
                    if let i = index.slot(vendorTop[j]) {
                        e.fields.withUnsafeFields { scanValue(sc, $0[i].value, e) }
                        return
                    }
                    for t in Int(vendorNestStart[j])..<Int(vendorNestStart[j + 1]) where index.slot(vendorNest[t]) != nil { nestedVendor = true }
                }
                if !nestedVendor { return }
            }
        }
        let v = EventView(event: e, index: index, namespaces: currentNamespaces, vendor: vendor, nsIndex: currentNS)
        let visit: (FieldValue, Event) -> Bool = { value, ev in
            _ = ValueText.with(value, ev, &self.scratch) { text in self.scanText(sc, text) }
            return false
        }
        switch accessors[a] {
        case .field(let acc): v.forEach(acc, visit)
        case .keywords: Self.forEachKeywordText(v.event, visit)
        }
    }

    /// The flattened vendor paths of accessor `a` for the current namespace (see
    /// `vendorRange`); -1 when the accessor has no vendor fallback.
    @inline(__always)
    private func vendorEntry(_ a: Int) -> Int {
        let n = accessors.count
        let at = currentNS * n + a
        if at < vendorRange.count, vendorRange[at] != 0 { return Int(vendorRange[at]) - 1 }
        return vendorEntrySlow(a, at)
    }

    @inline(never)
    private func vendorEntrySlow(_ a: Int, _ at: Int) -> Int {
        if at >= vendorRange.count { vendorRange.append(contentsOf: repeatElement(0, count: at + 1 - vendorRange.count)) }
        guard case .field(let acc) = accessors[a], let vn = acc.vendorName else { return -1 }
        for p in vendor.paths(vn, currentNamespaces, index: currentNS) {
            vendorTop.append(p.splits[0].top)
            for sp in p.splits.dropFirst() { vendorNest.append(sp.top) }
            vendorNestStart.append(Int32(vendorNest.count))
        }
        vendorStart.append(Int32(vendorTop.count))
        vendorRange[at] = Int32(vendorStart.count - 1)   // entry index + 1
        return vendorStart.count - 2
    }

    @inline(__always)
    private func scanValue(_ sc: ScanTable, _ value: FieldValue, _ e: Event) {
        switch value {
        case .string(let s):
            if s.utf8.withContiguousStorageIfAvailable({ scanText(sc, $0) }) == nil { var t = s; t.withUTF8 { scanText(sc, $0) } }
        case .span(let sp):
            // `spanStorage`, not `original`: a dropped original still holds the spans' bytes.
            e.spanStorage.withUnsafeBufferPointer { buf in
                let lo = Int(sp.start), hi = lo + Int(sp.count)
                guard hi <= buf.count else { return }
                scanText(sc, UnsafeBufferPointer(rebasing: buf[lo..<hi]))
            }
        case .array(let items): for it in items { scanValue(sc, it, e) }
        default: _ = ValueText.with(value, e, &scratch) { scanText(sc, $0) }
        }
    }

    /// A field's scan tables, frozen after compilation (immutable: read per event without
    /// copying): the automaton, the predicates of each literal, and the exact values in an
    /// open-addressing table keyed by their stable hash (no second hashing per value).
    final class ScanTable {
        let automaton: MultiPattern
        /// Predicates of literal i: `litPreds[litStart[i]..<litStart[i+1]]`.
        let litStart: [Int32]
        let litPreds: [Int32]
        let hasExact: Bool
        let exactMask: Int
        let exactKeys: [UInt64]
        /// Slot → entry index + 1 (0: empty).
        let exactEntry: [Int32]
        /// Predicates of entry j: `exactPreds[exactStart[j]..<exactStart[j+1]]`.
        let exactStart: [Int32]
        let exactPreds: [Int32]
        let always: [Int32]

        init(_ b: Scanner) {
            automaton = b.automaton
            var ls: [Int32] = [0], lp: [Int32] = []
            for list in b.literalPreds { lp.append(contentsOf: list); ls.append(Int32(lp.count)) }
            litStart = ls; litPreds = lp
            hasExact = !b.exact.isEmpty
            var cap = 4
            while cap < b.exact.count * 2 { cap *= 2 }
            exactMask = cap - 1
            var keys = [UInt64](repeating: 0, count: cap), entry = [Int32](repeating: 0, count: cap)
            var es: [Int32] = [0], ep: [Int32] = []
            for (h, list) in b.exact.sorted(by: { $0.key < $1.key }) {
                var i = Int(truncatingIfNeeded: h) & (cap - 1)
                while entry[i] != 0 { i = (i + 1) & (cap - 1) }
                keys[i] = h
                ep.append(contentsOf: list); es.append(Int32(ep.count))
                entry[i] = Int32(es.count - 1)
            }
            exactKeys = keys; exactEntry = entry; exactStart = es; exactPreds = ep
            always = b.always
        }

        /// The entry index of hash `h` (index into `exactStart`), or -1.
        @inline(__always)
        func exactSlot(_ h: UInt64) -> Int {
            var i = Int(truncatingIfNeeded: h) & exactMask
            while true {
                let e = exactEntry[i]
                if e == 0 { return -1 }
                if exactKeys[i] == h { return Int(e) - 1 }
                i = (i + 1) & exactMask
            }
        }
    }

    /// What the fast path needs of an accessor (a class: read per event without copying its
    /// arrays).
    final class FastAccess {
        var keywords = false
        /// Per lookup path: its whole name as one top-level key.
        var direct: [FieldKey] = []
        /// Per lookup path: the shorter top-level keys it could be nested under.
        var nestedTops: [[FieldKey]] = []
        /// Whether the vendor namespace fallback applies.
        var vendor = false
    }

    static func forEachKeywordText(_ e: Event, _ body: (FieldValue, Event) -> Bool) {
        if let m = e[ECS.message] { if body(m, e) { return } }
        if !e.original.isEmpty { _ = body(.string(e.originalText), e) }
    }

    private func scanText(_ sc: ScanTable, _ text: UnsafeBufferPointer<UInt8>) {
        folded.removeAll(keepingCapacity: true)
        CaseFold.fold(text, into: &folded)
        folded.withUnsafeBufferPointer { f in
            if sc.hasExact {
                var h = StableHash(); h.combine(bytes: f)
                let slot = sc.exactSlot(h.value)
                if slot >= 0 {
                    for k in Int(sc.exactStart[slot])..<Int(sc.exactStart[slot + 1]) where !bit(Int(sc.exactPreds[k])) {
                        let p = sc.exactPreds[k]
                        let info = predInfo[Int(p)]
                        if info.isPattern, info.patternMatches(f, text) { setBit(Int(p)) }
                    }
                }
            }
            sc.automaton.scan(f) { pid, _ in
                for k in Int(sc.litStart[pid])..<Int(sc.litStart[pid + 1]) where !self.bit(Int(sc.litPreds[k])) {
                    let p = sc.litPreds[k]
                    let info = self.predInfo[Int(p)]
                    if info.isPattern {
                        if info.plainContains || info.patternMatches(f, text) { self.setBit(Int(p)) }
                    } else if let r = info.regex {
                        if r.matches(text) { self.setBit(Int(p)) }
                    }
                }
            }
            for p in sc.always where !bit(Int(p)) {
                let info = predInfo[Int(p)]
                if info.isPattern, info.patternMatches(f, text) { setBit(Int(p)) }
            }
        }
    }

    /// Runs a compiled condition (at `pc`) on the loaded event `e`: scanned predicates from
    /// the scan bits (when `useScan`), the others directly (cached per event). The same
    /// result as the condition's expression with every predicate computed directly.
    private func run(_ code: UnsafeBufferPointer<CondInst>, _ pc: Int, _ e: Event, useScan: Bool = true) -> Bool {
        let inst = code[pc]
        switch inst.op {
        case .pred:
            let p = Int(inst.arg)
            if useScan && scannedFlags[p] { return bit(p) }
            if lazyStamp[p] == generation { return lazyValue[p] }
            let r = direct(predInfo[p], e)
            lazyStamp[p] = generation; lazyValue[p] = r
            return r
        case .and:
            var c = pc + 1
            let end = Int(inst.end)
            while c < end { if !run(code, c, e, useScan: useScan) { return false }; c = Int(code[c].end) }
            return true
        case .or:
            var c = pc + 1
            let end = Int(inst.end)
            while c < end { if run(code, c, e, useScan: useScan) { return true }; c = Int(code[c].end) }
            return false
        case .not: return !run(code, pc + 1, e, useScan: useScan)
        case .yes: return true
        case .no: return false
        }
    }

    /// A predicate computed directly on the loaded event: the fast path on a top-level value,
    /// else the general lookup through a view of the event.
    private func direct(_ info: PredInfo, _ e: Event) -> Bool {
        if let acc = info.accessor {
            let r = acc.directSlot(in: e, index: index, namespaces: currentNamespaces, vendor: vendor, nsIndex: currentNS)
            if let hit = fastTest(info.test, r, e) { return hit }
        }
        return directGeneral(info.predicate, EventView(event: e, index: index, namespaces: currentNamespaces, vendor: vendor, nsIndex: currentNS))
    }

    /// `scalarTest` at a `directSlot` result: the value read where it lies in `e`'s fields
    /// (no copy), absent, or nil when only the general lookup can decide.
    @inline(__always)
    private func fastTest(_ test: PredicateTest, _ slot: Int, _ e: Event) -> Bool? {
        if slot >= 0 { return e.fields.withUnsafeFields { scalarTest(test, $0.value(at: slot).pointee, e, slot: slot) } }
        if slot == TopKeyPlan.absent { return absentTest(test) }
        return nil
    }

    /// Whether rule `rule`'s extension selection holds for the loaded event `e`: `when`
    /// selection `i` (`i >= 0`, an index into its `whenSelections`) or its allowlist (`i ==
    /// -1`; false when it has none). Compiled like rule conditions and run with every
    /// predicate computed directly (cached per event), without walking the expression tree.
    func selectionHolds(rule: Int, _ i: Int, on e: Event) -> Bool {
        let k = i >= 0 ? i : Int(allowlistCode[rule])
        guard k >= 0 else { return false }
        let pc = Int(selectionCode[rule][k])
        return code.withUnsafeBufferPointer { run($0, pc, e, useScan: false) }
    }

    /// Evaluates `e` on the loaded event by walking the expression, every predicate computed
    /// directly (cached per event). The reference the compiled paths (`match`,
    /// `selectionHolds`) are tested against.
    func evaluate(_ e: Expr, _ v: EventView) -> Bool {
        switch e {
        case .pred(let p):
            if lazyStamp[p] == generation { return lazyValue[p] }
            let r = direct(predInfo[p], v.event)   // `v` is a view of the loaded event
            lazyStamp[p] = generation; lazyValue[p] = r
            return r
        case .and(let xs):
            for x in xs where !evaluate(x, v) { return false }
            return true
        case .or(let xs):
            for x in xs where evaluate(x, v) { return true }
            return false
        case .not(let x): return !evaluate(x, v)
        case .const(let b): return b
        }
    }

    /// `evaluate` of an expression on `event` (loaded first), every predicate directly.
    func evaluateStandalone(_ e: Expr, on event: Event) -> Bool {
        load(event)
        return evaluate(e, EventView(event: event, index: index, namespaces: currentNamespaces, vendor: vendor, nsIndex: currentNS))
    }

    /// A predicate's test on a field found directly; nil when only the general lookup can
    /// decide (lists, nested objects, other types).
    @inline(__always)
    private func scalarTest(_ test: PredicateTest, _ value: FieldValue, _ e: Event, slot: Int) -> Bool? {
        switch test {
        case .exists(let want): return want
        case .null:
            switch value {
            case .string(let s): return s.isEmpty
            case .int, .double, .bool: return false
            default: return nil
            }
        case .compare(let op, let x):
            guard case .int(let i) = value else { return nil }
            let n = Double(i)
            switch op { case .gt: return n > x; case .gte: return n >= x; case .lt: return n < x; case .lte: return n <= x }
        case .cidr(let net):
            guard case .string(let s) = value else { return nil }
            return net.contains(s)
        case .pattern(let pt): return directPattern(pt, value, e, slot: slot)
        default: return nil
        }
    }

    /// A predicate's test on a field that is certainly absent.
    @inline(__always)
    private func absentTest(_ test: PredicateTest) -> Bool {
        switch test {
        case .exists(let want): return !want
        case .null: return true
        default: return false
        }
    }

    /// A string pattern on a scalar value, folded into the matcher's scratch buffer (what
    /// `directGeneral` computes for it, without closures or allocation); nil for lists. The
    /// value at field slot `slot` of the loaded event is folded once per event, however many
    /// predicates test it.
    @inline(__always)
    private func directPattern(_ pt: PatternTest, _ value: FieldValue, _ e: Event, slot: Int) -> Bool? {
        if case .array = value { return nil }
        return ValueText.with(value, e, &scratch) { text in
            if slotFoldedStamp != generation || slotFoldedSlot != slot {
                slotFolded.removeAll(keepingCapacity: true)
                CaseFold.fold(text, into: &slotFolded)
                slotFoldedStamp = generation
                slotFoldedSlot = slot
            }
            return slotFolded.withUnsafeBufferPointer { pt.matches(folded: $0, original: text) }
        } ?? false
    }

    func directGeneral(_ p: Predicate, _ v: EventView) -> Bool {
        // The matcher's buffers, taken for this call (nothing here calls back into it) and
        // handed back with their room: no allocation per call once they have grown.
        var scratch: [UInt8] = [], fold: [UInt8] = []
        swap(&scratch, &generalScratch); swap(&fold, &generalFold)
        defer { swap(&scratch, &generalScratch); swap(&fold, &generalFold) }
        func textTest(_ value: FieldValue, _ ev: Event, _ f: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
            ValueText.with(value, ev, &scratch) { text in
                fold.removeAll(keepingCapacity: true)
                CaseFold.fold(text, into: &fold)
                return fold.withUnsafeBufferPointer { f($0, text) }
            } ?? false
        }
        /// Visits the target's values until `f` holds for one: whether the target exists,
        /// and whether `f` held.
        func any(_ f: (FieldValue, Event) -> Bool) -> (found: Bool, hit: Bool) {
            var hit = false
            // Not escaping (nor is `f`): `hit` stays on the stack, no box or context per call.
            func visit(_ value: FieldValue, _ ev: Event) -> Bool {
                if f(value, ev) { hit = true; return true }
                return false
            }
            switch p.target {
            case .field(let a):
                let found = v.forEach(a, visit)
                return (found, hit)
            case .keywords:
                var found = false
                Self.forEachKeywordText(v.event) { value, ev in found = true; return visit(value, ev) }
                return (found, hit)
            }
        }
        switch p.test {
        case .pattern(let pt):
            return any { value, ev in textTest(value, ev) { pt.matches(folded: $0, original: $1) } }.hit
        case .regex(let r):
            return any { value, ev in textTest(value, ev) { f, t in
                if let k = r.prefilter, !ByteSearch.contains(f, k) { return false }
                return r.matches(t)
            } }.hit
        case .cidr(let net):
            return any { value, ev in ValueText.string(value, ev).map { net.contains($0) } ?? false }.hit
        case .compare(let op, let x):
            return any { value, ev in
                guard let n = ValueText.number(value, ev) else { return false }
                switch op { case .gt: return n > x; case .gte: return n >= x; case .lt: return n < x; case .lte: return n <= x }
            }.hit
        case .exists(let want):
            return any { _, _ in true }.found == want
        case .null:
            let r = any { value, ev in ValueText.isNullOrEmpty(value, ev) }
            return !r.found || r.hit
        case .notEqual(let pt):
            var found = false, equal = false
            _ = any { value, ev in
                found = true
                if textTest(value, ev, { pt.matches(folded: $0, original: $1) }) { equal = true; return true }
                return false
            }
            return found && !equal
        case .fieldRef(let other, let placement, let cased):
            var others: [[UInt8]] = []
            v.forEach(other) { value, ev in
                if let s = ValueText.string(value, ev) { others.append(cased ? Array(s.utf8) : CaseFold.fold(Array(s.utf8))) }
                return false
            }
            guard !others.isEmpty else { return false }
            return any { value, ev in
                textTest(value, ev) { f, t in
                    let text = cased ? t : f
                    for o in others {
                        switch placement {
                        case .equals: if text.count == o.count && PatternTest.equal(text, 0, o) { return true }
                        case .startswith: if text.count >= o.count && PatternTest.equal(text, 0, o) { return true }
                        case .endswith: if text.count >= o.count && PatternTest.equal(text, text.count - o.count, o) { return true }
                        case .contains: if ByteSearch.contains(text, o) { return true }
                        }
                    }
                    return false
                }
            }.hit
        }
    }
}
