import SluiceCore

/// One Linux audit record split into its parts: `node=`, `type=`, the
/// `msg=audit(seconds.millis:serial):` id and the `key=value` pairs after it (including the
/// `ENRICHED` part after the 0x1D separator). Values keep their raw bytes; quoted values are
/// stored without their quotes and flagged `quoted`.
///
/// Guarantees: ranges point into the record; at most `maxPairs` pairs are kept (the rest are
/// counted in `droppedPairs`); never reads out of bounds.
struct AuditRecord {
    struct Pair {
        var key: Range<Int>
        var value: Range<Int>
        /// The value was written in `"…"` or `'…'` (never hex-encoded then).
        var quoted: Bool
    }

    static let maxPairs = 512

    var node: Range<Int>?
    var type: String = ""
    var timestamp: Int64 = 0
    var serial: UInt64 = 0
    var pairs: [Pair] = []
    var droppedPairs = 0

    /// Parses `b`; throws `ParseFailure` (`not_audit`, `missing_audit_id`) when it is not an
    /// audit record. `journal` is the id journald stores beside its audit messages
    /// (`_AUDIT_ID` and the source time), used for the journald form `SYSCALL arch=… …`,
    /// which carries neither `type=` nor `audit(…)`.
    init(_ b: UnsafeBufferPointer<UInt8>, journal: (serial: UInt64, timestamp: Int64)? = nil) throws {
        var c = RecordCursor(b)
        // Find `type=` at the start or after a space (a syslog or journald prefix may precede).
        var at = 0
        var typePos: Int?
        while let p = ByteText.find("type=", in: b, from: at, to: c.end) {
            if p == 0 || b[p - 1] == 0x20 { typePos = p; break }
            at = p + 1
        }
        guard let tp = typePos else {
            // journald: `TYPENAME key=value …` with the id in the journal entry's fields.
            c.skipSpaces()
            guard let journal, let nameR = c.token(), AuditRecord.isTypeName(b, nameR) else {
                throw ParseFailure("not_audit", "no type= in the record")
            }
            type = ByteText.string(b, nameR)
            if type.hasPrefix("AUDIT"), let n = Int(type.dropFirst(5)), let name = AuditRecord.numericTypes[n] { type = name }
            timestamp = journal.timestamp
            serial = journal.serial
            AuditRecord.scanPairs(b, from: c.index, to: c.end, into: &pairs, dropped: &droppedPairs)
            return
        }
        if let np = ByteText.find("node=", in: b, from: 0, to: tp), np == 0 || b[np - 1] == 0x20 {
            var e = np + 5
            while e < tp, b[e] != 0x20 { e += 1 }
            if e > np + 5 { node = (np + 5)..<e }
        }
        c.index = tp + 5
        guard let typeR = c.token() else { throw ParseFailure("not_audit", "empty type=") }
        type = AuditRecord.typeName(b, typeR)
        c.skipSpaces()
        _ = c.consume("msg=")
        guard c.consume("audit("), let idR = c.upTo(UInt8(ascii: ")")) else {
            throw ParseFailure("missing_audit_id", "expected msg=audit(seconds:serial)")
        }
        var colon = idR.lowerBound
        while colon < idR.upperBound, b[colon] != UInt8(ascii: ":") { colon += 1 }
        guard colon < idR.upperBound, let ts = ByteText.decimalSeconds(b, idR.lowerBound..<colon),
              let serial = ByteText.uint(b, (colon + 1)..<idR.upperBound) else {
            throw ParseFailure("missing_audit_id", "unreadable audit(…) id")
        }
        self.timestamp = ts
        self.serial = UInt64(serial)
        _ = c.consume(":")
        AuditRecord.scanPairs(b, from: c.index, to: c.end, into: &pairs, dropped: &droppedPairs)
    }

    /// Scans `key=value` pairs separated by spaces or 0x1D; a value is `"…"`, `'…'` or runs to
    /// the next separator.
    static func scanPairs(_ b: UnsafeBufferPointer<UInt8>, from: Int, to end: Int, into pairs: inout [Pair], dropped: inout Int) {
        var i = from
        while i < end {
            while i < end, b[i] == 0x20 || b[i] == 0x1D || b[i] == 0x09 { i += 1 }
            guard i < end else { break }
            let ks = i
            while i < end, b[i] != UInt8(ascii: "="), b[i] != 0x20, b[i] != 0x1D { i += 1 }
            guard i < end, b[i] == UInt8(ascii: "=") else { continue }  // a bare word: skip it
            let key = ks..<i
            i += 1
            var value: Range<Int>
            var quoted = false
            if i < end, b[i] == UInt8(ascii: "\"") || b[i] == UInt8(ascii: "'") {
                let q = b[i]
                let vs = i + 1
                var j = vs
                while j < end, b[j] != q { j += 1 }
                value = vs..<j
                quoted = true
                i = min(j + 1, end)
            } else {
                let vs = i
                while i < end, b[i] != 0x20, b[i] != 0x1D { i += 1 }
                value = vs..<i
            }
            if key.isEmpty { continue }
            if pairs.count < maxPairs { pairs.append(Pair(key: key, value: value, quoted: quoted)) } else { dropped += 1 }
        }
    }

    /// `SYSCALL`, `USER_LOGIN`, `AUDIT1334`: upper-case letters, digits and `_`, at least 3.
    static func isTypeName(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        guard r.count >= 3, r.count <= 32, b[r.lowerBound] >= 65, b[r.lowerBound] <= 90 else { return false }
        for i in r {
            let c = b[i]
            guard (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == UInt8(ascii: "_") else { return false }
        }
        return true
    }

    /// The record type name; numeric types (as the kernel writes them to journald/syslog)
    /// are mapped to their names.
    static func typeName(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        if let n = ByteText.uint(b, r) {
            if let name = numericTypes[Int(n)] { return name }
            return "UNKNOWN[\(n)]"
        }
        return ByteText.string(b, r)
    }

    static let numericTypes: [Int: String] = [
        1006: "LOGIN", 1100: "USER_AUTH", 1101: "USER_ACCT", 1102: "USER_MGMT", 1103: "CRED_ACQ",
        1104: "CRED_DISP", 1105: "USER_START", 1106: "USER_END", 1108: "USER_CHAUTHTOK",
        1109: "USER_ERR", 1110: "CRED_REFR", 1112: "USER_LOGIN", 1113: "USER_LOGOUT",
        1123: "USER_CMD", 1130: "SERVICE_START", 1131: "SERVICE_STOP", 1305: "CONFIG_CHANGE",
        1300: "SYSCALL", 1302: "PATH", 1303: "IPC", 1304: "SOCKETCALL", 1306: "SOCKADDR",
        1307: "CWD", 1309: "EXECVE", 1317: "FD_PAIR", 1318: "OBJ_PID", 1320: "EOE",
        1321: "BPRM_FCAPS", 1322: "CAPSET", 1323: "MMAP", 1325: "NETFILTER_CFG",
        1327: "PROCTITLE", 1330: "KERN_MODULE", 1400: "AVC", 1326: "SECCOMP",
        1700: "ANOM_PROMISCUOUS", 1701: "ANOM_ABEND",
    ]

    /// Record types that belong to a multi-record syscall event and are assembled by id.
    static let syscallParts: Set<String> = [
        "SYSCALL", "EXECVE", "CWD", "PATH", "PROCTITLE", "EOE", "SOCKADDR", "IPC", "SOCKETCALL",
        "FD_PAIR", "OBJ_PID", "BPRM_FCAPS", "CAPSET", "MMAP", "KERN_MODULE",
    ]

    /// The value of `key`, decoded: quoted values as they are; a bare value that is all hex
    /// (even length) hex-decoded when `hexAllowed` (the kernel's encoding of untrusted
    /// strings); `(null)` and empty as nil.
    static func decoded(_ b: UnsafeBufferPointer<UInt8>, _ p: Pair, hexAllowed: Bool) -> [UInt8]? {
        if p.quoted { return Array(UnsafeBufferPointer(rebasing: b[p.value])) }
        if p.value.isEmpty || ByteText.equals(b, p.value, "(null)") || ByteText.equals(b, p.value, "(none)") { return nil }
        if hexAllowed, let d = ByteText.hexDecode(b, p.value) { return d }
        return Array(UnsafeBufferPointer(rebasing: b[p.value]))
    }
}
