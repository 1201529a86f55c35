import FuzzDriver

@_cdecl("fuzz_github_audit_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, format: "github-audit") }
