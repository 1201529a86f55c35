/// A tool the test needs is missing. Thrown (a failure, not a skip): `make test` installs
/// every tool listed in .ci/apt-packages, so a missing one is a broken setup to see.
public struct MissingTestDependency: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ d: String) { description = d }
}

/// A helper found the system under test in a state the test did not expect (thrown by
/// helpers that cannot assert themselves: this target does not link XCTest).
public struct TestExpectationFailure: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ d: String) { description = d }
}
