import XCTest
final class PlaceholderSluiceParseTests: XCTestCase { func testNothing() {} }
