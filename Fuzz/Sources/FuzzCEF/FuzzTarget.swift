import SluiceCore
import SluiceParse

// libFuzzer entry point: parse one input; a crash, trap or hang is a finding. A failure
// must be a ParseFailure with a non-empty reason (anything else traps here).
let parser: Parser = CEFParser(now: { 1_795_392_000_000_000_000 })

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = ArraySlice(UnsafeBufferPointer(start: data, count: size))
    var out: [Event] = []
    do {
        try parser.parse(bytes, event: Event(original: bytes), into: &out)
        precondition(out.count == 1)
    } catch let f as ParseFailure {
        precondition(!f.reason.isEmpty, "ParseFailure without a reason")
    } catch {
        preconditionFailure("non-ParseFailure error: \(error)")
    }
    return 0
}

// SwiftPM links executables with `main` aliased to `<module>_main` (testable executables), so
// libFuzzer's own `main` is not used: this entry point starts libFuzzer's driver instead.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@_cdecl("fuzz_cef_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v) { data, size in
        guard let data else { return fuzzOne(UnsafePointer(bitPattern: 1)!, 0) }
        return fuzzOne(data, size)
    }
}
