import Foundation

/// A tool the test needs is missing. Thrown (a failure, not a skip): `make test` installs
/// every tool listed in .ci/apt-packages, so a missing one is a broken setup to see.
struct MissingTestDependency: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
