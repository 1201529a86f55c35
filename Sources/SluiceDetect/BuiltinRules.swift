import SluiceCore

/// The rule pack built into the `sluice` binary (the files of `Pipelines/rules/`, embedded at
/// build time), which rule paths name as `builtin`.
///
/// Guarantees: `RuleSet.load(paths:)` reads the registered texts for a path that is exactly
/// `builtin` (a file of that name is reached as `./builtin`); their file names read
/// `builtin/<file>` in messages. Registration is thread-safe; nothing is registered unless the
/// executable does it.
public enum BuiltinRules {
    /// The path that names the built-in pack.
    public static let path = "builtin"

    private static let registered = Locked<[(file: String, yaml: String)]>([])

    /// Registers the built-in pack (file name, YAML text), replacing any earlier one.
    public static func register(_ files: [(file: String, yaml: String)]) {
        registered.withLock { r in r = files.map { ("builtin/" + $0.file, $0.yaml) } }
    }

    /// The registered files, in name order.
    public static var files: [(file: String, yaml: String)] {
        registered.withLock { r in r.sorted { $0.file < $1.file } }
    }
}
