import FuzzDriver

@_cdecl("fuzz_w3c_proxy_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, format: "w3c-proxy") }
