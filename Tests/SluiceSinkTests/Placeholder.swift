import XCTest
final class PlaceholderSluiceSinkTests: XCTestCase { func testNothing() {} }
