import XCTest
final class PlaceholderSluiceIngestTests: XCTestCase { func testNothing() {} }
