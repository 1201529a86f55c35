import FuzzDriver

@_cdecl("fuzz_dnsmasq_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, format: "dnsmasq") }
