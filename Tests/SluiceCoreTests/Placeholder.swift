import XCTest
final class PlaceholderSluiceCoreTests: XCTestCase { func testNothing() {} }
