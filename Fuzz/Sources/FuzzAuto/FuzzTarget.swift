import SluiceCore
import SluiceParse

// libFuzzer entry point: parse one input; a crash, trap or hang is a finding. A failure
// must be a ParseFailure with a non-empty reason (anything else traps here).
let parser: Parser = AutoParser(now: { 1_795_392_000_000_000_000 })

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = ArraySlice(UnsafeBufferPointer(start: data, count: size))
    var out: [Event] = []
    do {
        try parser.parse(bytes, event: Event(original: bytes), into: &out)

    } catch let f as ParseFailure {
        precondition(!f.reason.isEmpty, "ParseFailure without a reason")
    } catch {
        preconditionFailure("non-ParseFailure error: \(error)")
    }
    return 0
}
