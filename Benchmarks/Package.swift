// swift-tools-version:6.0
import PackageDescription

// The performance harness, a package of its own so the main build stays lean.
// Run: swift build -c release (in ../, for the kling-ledger binary), then
//      cd Benchmarks && swift run -c release ledger-benchmarks [--rows N] [--runs N] [goal …]
//      (goals: gate budget reports start submit concurrency gateway)
let package = Package(
    name: "KlingLedgerBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "KlingLedger", path: "../"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.24.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
    ],
    targets: [
        .target(name: "BenchmarkSupport", dependencies: [.product(name: "Ledger", package: "KlingLedger")]),
        .executableTarget(
            name: "ledger-benchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Ledger", package: "KlingLedger"), .product(name: "Reports", package: "KlingLedger"),
                .product(name: "Gate", package: "KlingLedger"), .product(name: "KlingAPI", package: "KlingLedger"),
                .product(name: "Pricing", package: "KlingLedger"), .product(name: "KlingCore", package: "KlingLedger"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/LedgerBenchmarks"
        ),
        // The baseline of a process's start: a Swift + Foundation hello world, built the same way.
        .executableTarget(name: "hello", path: "Sources/Hello"),
    ]
)
