/// An Aho–Corasick automaton over byte strings: finds every occurrence of every pattern in
/// one pass over the text.
///
/// Guarantees: a full DFA over byte classes (bytes that occur in no pattern share one
/// class), so the scan is one table load per text byte whatever the number of patterns;
/// reports each (pattern, end offset) once, in text order.
final class MultiPattern {
    private let classOf: [UInt16]         // byte → class
    private let classes: Int
    private let delta: [Int32]            // state * classes + class → next state
    private let outStart: [Int32]         // per state: range in `outputs`
    private let outputs: [Int32]          // pattern ids
    let patternLengths: [Int]
    var isEmpty: Bool { patternLengths.isEmpty }

    init(_ patterns: [[UInt8]]) {
        patternLengths = patterns.map(\.count)
        var cls = [UInt16](repeating: 0, count: 256)
        var next: UInt16 = 1
        for p in patterns { for b in p where cls[Int(b)] == 0 { cls[Int(b)] = next; next += 1 } }
        classOf = cls
        classes = Int(next)
        // Trie.
        var goto: [[Int32]] = [[Int32](repeating: -1, count: classes)]
        var out: [[Int32]] = [[]]
        for (pid, p) in patterns.enumerated() where !p.isEmpty {
            var s = 0
            for b in p {
                let c = Int(cls[Int(b)])
                if goto[s][c] < 0 {
                    goto.append([Int32](repeating: -1, count: classes)); out.append([])
                    goto[s][c] = Int32(goto.count - 1)
                }
                s = Int(goto[s][c])
            }
            out[s].append(Int32(pid))
        }
        // Failure links, breadth first; complete the transition function.
        var fail = [Int](repeating: 0, count: goto.count)
        var queue: [Int] = []
        for c in 0..<classes {
            if goto[0][c] >= 0 { let t = Int(goto[0][c]); fail[t] = 0; queue.append(t) } else { goto[0][c] = 0 }
        }
        var qi = 0
        while qi < queue.count {
            let s = queue[qi]; qi += 1
            out[s].append(contentsOf: out[fail[s]])
            for c in 0..<classes {
                let t = goto[s][c]
                if t >= 0 {
                    fail[Int(t)] = Int(goto[fail[s]][c])
                    queue.append(Int(t))
                } else {
                    goto[s][c] = goto[fail[s]][c]
                }
            }
        }
        var d: [Int32] = []
        d.reserveCapacity(goto.count * classes)
        for row in goto { d.append(contentsOf: row) }
        delta = d
        var os: [Int32] = [], o: [Int32] = []
        for list in out { os.append(Int32(o.count)); o.append(contentsOf: list) }
        os.append(Int32(o.count))
        outStart = os
        outputs = o
    }

    /// Calls `hit(patternID, endOffset)` (end exclusive) for every occurrence.
    @inline(__always)
    func scan(_ text: UnsafeBufferPointer<UInt8>, _ hit: (Int, Int) -> Void) {
        guard !patternLengths.isEmpty else { return }
        classOf.withUnsafeBufferPointer { cls in
            delta.withUnsafeBufferPointer { dt in
                outStart.withUnsafeBufferPointer { os in
                    outputs.withUnsafeBufferPointer { op in
                        var s = 0
                        let k = classes
                        for i in 0..<text.count {
                            s = Int(dt[s &* k &+ Int(cls[Int(text[i])])])
                            let a = Int(os[s]), b = Int(os[s + 1])
                            if a != b {
                                for j in a..<b { hit(Int(op[j]), i + 1) }
                            }
                        }
                    }
                }
            }
        }
    }
}
