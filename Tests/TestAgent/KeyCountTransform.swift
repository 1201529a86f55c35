import SluiceCore

/// `count_per_key` (tests only): counts events per value of `key` and stamps each event with
/// the running count of its key (`test.count`). State absorbs every event, so a crash that
/// lost state (or counted a replayed event twice) shows as a wrong highest count per key.
final class KeyCountTransform: StatefulTransform {
    static let countKey = FieldKey("test.count")
    let key: FieldKey
    var counts: [String: Int64] = [:]

    init(key: FieldKey) { self.key = key }

    func process(_ events: [Event], into output: inout [Event], failures: inout [DeadLetter]) {
        for var e in events {
            let k = e.string(key) ?? e[key]?.text ?? "-"
            let c = (counts[k] ?? 0) + 1
            counts[k] = c
            e[Self.countKey] = .int(c)
            output.append(e)
        }
    }

    func snapshot() throws -> [UInt8] {
        var w = BinaryWriter()
        w.uvarint(UInt64(counts.count))
        for (k, v) in counts.sorted(by: { $0.key < $1.key }) { w.string(k); w.varint(v) }
        return w.bytes
    }

    func restore(_ snapshot: [UInt8]) throws {
        var r = BinaryReader(snapshot)
        var c: [String: Int64] = [:]
        for _ in 0..<(try r.uvarint()) { let k = try r.string(); c[k] = try r.varint() }
        counts = c
    }
}

/// `window_count` (tests only): counts events per `key` in tumbling event-time windows of
/// `window` seconds and emits one event per (window, key) once the stage's event time has
/// passed the window's end by `lateness` seconds (or at the end of input). Out-of-order
/// events within the lateness land in their own window, so a replay and a live run emit the
/// same counts.
final class WindowCountTransform: StatefulTransform {
    static let windowStart = FieldKey("test.window_start")
    static let windowKey = FieldKey("test.key")
    static let windowCount = FieldKey("test.count")
    let key: FieldKey
    let window: Int64
    let lateness: Int64
    /// window start → key → count
    var open: [Int64: [String: Int64]] = [:]

    init(key: FieldKey, window: Int64, lateness: Int64) { self.key = key; self.window = window; self.lateness = lateness }

    func process(_ events: [Event], into output: inout [Event], failures: inout [DeadLetter]) {
        for e in events {
            let start = e.timestamp - ((e.timestamp % window) + window) % window
            open[start, default: [:]][e.string(key) ?? "-", default: 0] += 1
        }
    }

    func tick(_ time: StageTime, into output: inout [Event]) {
        let watermark = time.final ? Int64.max : time.watermark(lateness: lateness)
        for start in open.keys.sorted() where start + window <= watermark {
            for (k, c) in open[start]!.sorted(by: { $0.key < $1.key }) {
                var e = Event(timestamp: start)
                e.append(Self.windowStart, .int(start / 1_000_000_000))
                e.append(Self.windowKey, .string(k))
                e.append(Self.windowCount, .int(c))
                output.append(e)
            }
            open[start] = nil
        }
    }

    func snapshot() throws -> [UInt8] {
        var w = BinaryWriter()
        w.uvarint(UInt64(open.count))
        for (start, keys) in open.sorted(by: { $0.key < $1.key }) {
            w.varint(start)
            w.uvarint(UInt64(keys.count))
            for (k, c) in keys.sorted(by: { $0.key < $1.key }) { w.string(k); w.varint(c) }
        }
        return w.bytes
    }

    func restore(_ snapshot: [UInt8]) throws {
        var r = BinaryReader(snapshot)
        var o: [Int64: [String: Int64]] = [:]
        for _ in 0..<(try r.uvarint()) {
            let start = try r.varint()
            var keys: [String: Int64] = [:]
            for _ in 0..<(try r.uvarint()) { let k = try r.string(); keys[k] = try r.varint() }
            o[start] = keys
        }
        open = o
    }
}

/// The test transforms, addressable by `type:`.
enum TestTransforms {
    static var registry: ComponentRegistry {
        var r = ComponentRegistry()
        r.transforms["count_per_key"] = { o, _ in KeyCountTransform(key: FieldKey(o.requiredString("key"))) }
        r.transforms["window_count"] = { o, _ in
            WindowCountTransform(key: FieldKey(o.requiredString("key")),
                                 window: Int64(o.seconds("window", default: 60) * 1e9),
                                 lateness: Int64(o.seconds("lateness", default: 120) * 1e9))
        }
        return r
    }
}
