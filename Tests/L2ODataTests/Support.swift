import Foundation
import XCTest

/// `Data/<component>` at the package root (where `make data` puts fetched datasets).
func realDataDirectory(_ component: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Data").appendingPathComponent(component).path
}

/// A test case with a fresh temporary directory for each test, removed afterwards.
class TemporaryDirectoryTestCase: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("l2o-\(type(of: self))-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// `name` inside the directory.
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}
