import Logging
import SluiceCore
import SluiceParse

// The libFuzzer driver shared by every parser's fuzz target (`fuzz-<format>`).
//
// One input is one record. A crash, trap or hang is a finding. Besides not crashing, each
// input must keep these invariants:
// - a refusal is a `ParseFailure` with a non-empty reason (any other error traps);
// - every event the parser emits encodes to JSON, and its zero-copy fields (spans of the
//   record) encode exactly like the same fields turned into strings;
// - assembling parsers (auditd) are ticked now and then, so timeouts and evictions run too.

nonisolated(unsafe) var parser: Parser?
nonisolated(unsafe) var inputs = 0
let encoder = EventJSONEncoder(includeOriginal: true)

/// The parser of `format`, built from the registry with default options, as a pipeline does.
func makeParser(_ format: String) -> Parser {
    let o = ComponentOptions(component: "fuzz", node: try! ConfigNode.load(yaml: "{}", file: "fuzz", environment: [:]))
    let ctx = BuildContext(name: "fuzz", mode: .toEnd, dataDir: nil, logger: Logger(label: "fuzz"), registry: ParseComponents.registry)
    guard let p = try! ParseComponents.registry.makeParser(format: format, options: o, context: ctx) else {
        preconditionFailure("unknown format \(format)")
    }
    return p
}

func check(_ events: [Event]) {
    for e in events {
        var spans: [UInt8] = [], strings: [UInt8] = []
        encoder.encode(e, into: &spans)
        var m = e
        m.materializeSpans()
        encoder.encode(m, into: &strings)
        precondition(spans == strings, "a span encodes differently from its string")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let parser else { return 0 }
    let bytes = ArraySlice(UnsafeBufferPointer(start: data, count: size))
    var out: [Event] = []
    do {
        try parser.parse(bytes, event: Event(original: bytes), into: &out)
    } catch let f as ParseFailure {
        precondition(!f.reason.isEmpty, "ParseFailure without a reason")
    } catch {
        preconditionFailure("non-ParseFailure error: \(error)")
    }
    inputs += 1
    if inputs % 64 == 0 { parser.tick(StageTime(wallClock: Int64(inputs) * 1_000_000_000, eventTime: Int64(inputs) * 1_000_000_000, final: inputs % 4096 == 0), into: &out) }
    check(out)
    return 0
}

// SwiftPM links executables with `main` aliased to `<module>_main`, so libFuzzer's own `main`
// is not used: each target's `fuzz_<format>_main` calls `runFuzzer`, which starts libFuzzer's
// driver with this file's entry point.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// Runs libFuzzer over the parser of `format` with the command line's options.
public func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, format: String) -> CInt {
    parser = makeParser(format)
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v) { data, size in
        guard let data else { return fuzzOne(UnsafePointer(bitPattern: 1)!, 0) }
        return fuzzOne(data, size)
    }
}
