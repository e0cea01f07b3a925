// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "KlingLedger",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kling-ledger", targets: ["kling-ledger"]),
        .library(name: "KlingCore", targets: ["KlingCore"]),
        .library(name: "Pricing", targets: ["Pricing"]),
        .library(name: "Ledger", targets: ["Ledger"]),
        .library(name: "KlingAPI", targets: ["KlingAPI"]),
        .library(name: "Gate", targets: ["Gate"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "Gateway", targets: ["Gateway"]),
        .library(name: "Dashboard", targets: ["Dashboard"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Reads resellers' usage exports; in the tests, a parser that is not our writer's inverse.
        .package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0"),
        // The shared ledger's second backend.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // The system SQLite, linked directly: no wrapper package between the ledger and libsqlite3.
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // Money, exact decimals and the providers' vocabulary, shared by every other target.
        .target(name: "KlingCore"),
        // The price tables in the top-level `pricing/` folder, bundled so the tool finds them
        // wherever it is run from.
        .target(
            name: "PricingTables",
            dependencies: ["KlingCore"],
            path: "pricing",
            resources: [.copy("kling.json"), .copy("pixazo.json"), .copy("acedata.json"), .copy("kkiai.json")]
        ),
        .target(name: "Pricing", dependencies: ["KlingCore", "PricingTables"]),
        .target(
            name: "Ledger",
            dependencies: [
                "CSQLite", "KlingCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]),
        // The embedded client: the provider-neutral job, its validation and each provider's wire format.
        // HTTP through AsyncHTTPClient, JWTs signed with swift-crypto's HMAC, logs through swift-log.
        .target(
            name: "KlingAPI",
            dependencies: [
                "KlingCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The official API's bearer credentials (static key or HS256 JWT), checked as the API
        // checks them: by the sandbox, and by the gateway that answers as the API.
        .target(name: "KlingAuth", dependencies: ["KlingCore", .product(name: "Crypto", package: "swift-crypto")]),
        // The report definitions in the top-level `reports/` folder, bundled like the price tables.
        .target(
            name: "ReportDefinitions",
            dependencies: ["KlingCore"],
            path: "reports",
            resources: [.copy("monthly.sql"), .copy("items.sql"), .copy("budgets.sql"), .copy("focus.sql"), .copy("reconciliation.sql")]
        ),
        // Runs report definitions against the ledger and streams their rows out as CSV.
        .target(name: "Reports", dependencies: ["Ledger", "ReportDefinitions"]),
        // The budget gate: quote → reserve → send → record → settle, and reconciliation.
        .target(
            name: "Gate",
            dependencies: [
                "KlingCore", "Pricing", "Ledger", "KlingAPI", .product(name: "Crypto", package: "swift-crypto"),
                // Reads resellers' usage exports for reconciliation.
                .product(name: "SwiftCSV", package: "SwiftCSV"),
            ]),
        // A loopback server speaking all four providers' protocols: the providers' test double.
        .target(
            name: "KlingSandbox",
            dependencies: [
                "KlingCore", "Pricing", "KlingAuth",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // `kling-ledger serve`: the official API's surface in front of the gate, for callers
        // holding keys we issued; Prometheus metrics, graceful shutdown.
        .target(
            name: "Gateway",
            dependencies: [
                "Dashboard", "KlingCore", "KlingAPI", "KlingAuth", "Ledger", "Gate", "Pricing",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "kling-ledger",
            dependencies: [
                "KlingCore", "Pricing", "Ledger", "KlingAPI", "KlingSandbox", "Gate", "Reports", "Gateway", "Dashboard",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The spend dashboard: Mustache templates (bundled) and SVG charts drawn here.
        .target(
            name: "Dashboard",
            dependencies: [
                "KlingCore", "Ledger", "Reports",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Templates")]
        ),
        .testTarget(name: "KlingCoreTests", dependencies: ["KlingCore"]),
        .testTarget(name: "PricingTests", dependencies: ["Pricing", "KlingCore"]),
        // Both backends as test arguments, with a scratch ledger on each.
        .target(
            name: "LedgerTestSupport",
            dependencies: [
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/LedgerTestSupport"
        ),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "KlingCore", "CSQLite", "LedgerTestSupport"]),
        .testTarget(
            name: "KlingAPITests",
            dependencies: ["KlingAPI", "KlingCore", "KlingSandbox", .product(name: "Logging", package: "swift-log")],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "KlingSandboxTests",
            dependencies: [
                "KlingSandbox", "KlingCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "GateTests",
            dependencies: ["Gate", "Ledger", "KlingAPI", "KlingCore", "KlingSandbox", "Pricing", "CSQLite", "Reports", "LedgerTestSupport"]
        ),
        .testTarget(
            name: "ReportsTests",
            dependencies: ["Reports", "Ledger", "KlingCore", "LedgerTestSupport", .product(name: "SwiftCSV", package: "SwiftCSV")]),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "Gate", "Ledger", "KlingCore", "KlingSandbox", "Pricing",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            exclude: ["Client"]
        ),
        .testTarget(
            name: "KlingLedgerCLITests",
            dependencies: [
                "kling-ledger", "KlingSandbox", "KlingCore", "Ledger", "LedgerTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
    ]
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
