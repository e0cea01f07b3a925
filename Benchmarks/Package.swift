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
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.24.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
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
        // The gateway's floor: a bare forward on the libraries `serve` is built on.
        .executableTarget(
            name: "forwarding-floor",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Sources/ForwardingFloor"
        ),
        // The baseline of a process's start: a Swift + Foundation hello world, built the same way.
        .executableTarget(name: "hello", path: "Sources/Hello"),
        // Its floor: the hello world plus swift-argument-parser reading `quote`'s options.
        .executableTarget(
            name: "hello-arguments", dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/HelloArguments"),
    ]
)
