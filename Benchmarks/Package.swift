// swift-tools-version:6.0
import PackageDescription

// The performance harness, a package of its own so the main build stays lean.
// Run: cd Benchmarks && swift run -c release items-report-benchmark [rows]
let package = Package(
    name: "KlingLedgerBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "KlingLedger", path: "../")],
    targets: [
        .executableTarget(
            name: "items-report-benchmark",
            dependencies: [.product(name: "Ledger", package: "KlingLedger"), .product(name: "Reports", package: "KlingLedger")],
            path: "Sources/ItemsReportBenchmark"
        )
    ]
)
