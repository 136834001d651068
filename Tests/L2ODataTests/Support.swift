import Foundation
import XCTest

/// `Data/<component>` at the package root (where `make data` puts fetched datasets).
func realDataDirectory(_ component: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Data").appendingPathComponent(component).path
}
