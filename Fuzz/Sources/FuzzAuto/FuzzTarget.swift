import Logging
import SluiceCore
import SluiceParse

// libFuzzer entry point: parse one input; a crash, trap or hang is a finding. A failure
// must be a ParseFailure with a non-empty reason (anything else traps here).
// Built from the registry like a pipeline does: every registered format takes part.
let parser: Parser = {
    let o = ComponentOptions(component: "fuzz", node: try! ConfigNode.load(yaml: "{}", file: "fuzz", environment: [:]))
    let ctx = BuildContext(name: "fuzz", mode: .toEnd, dataDir: nil, logger: Logger(label: "fuzz"), registry: ParseComponents.registry)
    return try! ParseComponents.registry.makeParser(format: "auto", options: o, context: ctx)!
}()

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

// SwiftPM links executables with `main` aliased to `<module>_main` (testable executables), so
// libFuzzer's own `main` is not used: this entry point starts libFuzzer's driver instead.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@_cdecl("fuzz_auto_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v) { data, size in
        guard let data else { return fuzzOne(UnsafePointer(bitPattern: 1)!, 0) }
        return fuzzOne(data, size)
    }
}
