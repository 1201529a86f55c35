import XCTest
final class PlaceholderSluiceDetectTests: XCTestCase { func testNothing() {} }
