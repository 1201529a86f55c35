import XCTest
final class PlaceholderSluiceEnrichTests: XCTestCase { func testNothing() {} }
