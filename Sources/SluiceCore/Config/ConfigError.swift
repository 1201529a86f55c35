/// One configuration problem, located in its file.
public struct ConfigIssue: Error, Sendable, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int
    public var column: Int
    public var component: String?
    public var message: String

    public init(file: String, line: Int, column: Int, component: String? = nil, message: String) {
        self.file = file; self.line = line; self.column = column; self.component = component; self.message = message
    }

    /// `file:line:col: component 'name': message` (the compiler-style form editors jump to).
    public var description: String {
        let where_ = "\(file):\(line):\(column)"
        if let c = component { return "\(where_): component '\(c)': \(message)" }
        return "\(where_): \(message)"
    }
}

/// Every problem found in a configuration; thrown together so the operator fixes them in one go.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var issues: [ConfigIssue]
    public init(_ issues: [ConfigIssue]) { self.issues = issues }
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
