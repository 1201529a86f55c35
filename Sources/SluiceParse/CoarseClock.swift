import SluiceCore

/// Wall-clock time for year inference, read once per 4096 uses (a clock call per line costs
/// more than parsing a syslog timestamp on some virtual machines).
struct CoarseClock {
    private var value: Int64 = 0
    private var uses = 0
    mutating func now() -> Int64 {
        if uses == 0 { value = Timestamp.now() }
        uses = (uses + 1) & 4095
        return value
    }
}
