import XCTest
final class PlaceholdersluiceTests: XCTestCase { func testNothing() {} }
