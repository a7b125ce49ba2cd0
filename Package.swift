// swift-tools-version:6.2
import PackageDescription

/// Swift 6 language mode with strict concurrency everywhere, plus the upcoming features Hummingbird uses,
/// so our code reads like the libraries it sits on.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// Tests reach into NIO and HTTP types through HummingbirdTesting without depending on those packages directly.
let testSwiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "querygate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "querygate", targets: ["querygate"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.29.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.30.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // The domain core: models, validation, the request state machine. No I/O, no dependencies.
        .target(
            name: "QueryGateCore",
            swiftSettings: swiftSettings
        ),
        // The portal database: migrations and repositories on postgres-nio.
        .target(
            name: "PortalStore",
            dependencies: [
                "QueryGateCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // libpq, PostgreSQL's C client (libpq-dev), for target databases.
        .systemLibrary(
            name: "CLibPQ",
            providers: [.apt(["libpq-dev"])]
        ),
        // libmongoc and libbson, MongoDB's C driver (libmongoc-dev), for target databases.
        .systemLibrary(
            name: "CLibMongoc",
            pkgConfig: "libmongoc-1.0",
            providers: [.apt(["libmongoc-dev"])]
        ),
        // The engines that run requests on target databases.
        .target(
            name: "TargetEngines",
            dependencies: [
                "QueryGateCore",
                "CLibPQ",
                "CLibMongoc",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Running approved requests exactly once (claims, leases, outcomes) and expiring the undecided: the workflow's
        // workers, on the store and the engines, with nothing of Slack or HTTP.
        .target(
            name: "RequestExecution",
            dependencies: [
                "QueryGateCore",
                "PortalStore",
                "TargetEngines",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Slack front door: request verification, /query, interactions, messages, the Web API and the outbox worker.
        .target(
            name: "SlackGateway",
            dependencies: [
                "QueryGateCore",
                "PortalStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // A stand-in for Slack's Web API and a browser console over it: for `querygate demo` and the tests, never `serve`.
        .target(
            name: "SlackStandIn",
            dependencies: [
                "QueryGateCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The portal's JSON API: JWT sessions and the request workflow.
        .target(
            name: "PortalAPI",
            dependencies: [
                "QueryGateCore",
                "PortalStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Configuration, the embedded PostgreSQL, and the HTTP application (composition root).
        .target(
            name: "QueryGateServer",
            dependencies: [
                "QueryGateCore",
                "PortalStore",
                "SlackGateway",
                "TargetEngines",
                "RequestExecution",
                "PortalAPI",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // The `querygate` subcommands, in a library so tests can run them exactly as the binary does.
        .target(
            name: "QueryGateCLI",
            dependencies: [
                "QueryGateCore",
                "PortalStore",
                "QueryGateServer",
                "PortalAPI",
                "SlackStandIn",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "querygate",
            dependencies: [
                "QueryGateCLI",
                "PortalStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // `scripts/benchmark`: CSV export through the engine beside psql's \copy.
        .executableTarget(
            name: "querygate-benchmark",
            dependencies: [
                "TargetEngines",
                "QueryGateCore",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/QueryGateBenchmark",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "QueryGateCoreTests",
            dependencies: ["QueryGateCore"],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "PortalStoreTests",
            dependencies: ["PortalStore", "QueryGateServer", "QueryGateTestSupport"],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "QueryGateCLITests",
            dependencies: [
                "QueryGateCLI",
                "QueryGateTestSupport",
                "SlackGateway",
                "PortalAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "QueryGateServerTests",
            dependencies: [
                "QueryGateServer",
                "SlackGateway",
                "TargetEngines",
                "QueryGateTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "SlackGatewayTests",
            dependencies: [
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "SlackGateway",
                "SlackStandIn",
                "QueryGateServer",
                "RequestExecution",
                "TargetEngines",
                .product(name: "NIOPosix", package: "swift-nio"),
                "QueryGateTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: testSwiftSettings
        ),
        // The executor's own rules on a queue in memory, and the queue's contract on PostgreSQL and in memory.
        .testTarget(
            name: "RequestExecutionTests",
            dependencies: ["RequestExecution", "PortalStore", "TargetEngines", "QueryGateTestSupport"],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "PortalAPITests",
            dependencies: [
                "PortalAPI",
                "PortalStore",
                "QueryGateServer",
                "SlackGateway",
                "QueryGateTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: testSwiftSettings
        ),
        // Faults: the portal database stopped and restarted, a lost lease, a killed replica.
        .testTarget(
            name: "FaultTests",
            dependencies: [
                "QueryGateCore",
                "QueryGateServer",
                "SlackGateway",
                "PortalAPI",
                "PortalStore",
                "TargetEngines",
                "QueryGateTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "SlackStandInTests",
            dependencies: ["SlackStandIn", "SlackGateway"],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "TargetEnginesTests",
            dependencies: [
                "TargetEngines",
                "CLibMongoc",
                "QueryGateTestSupport",
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: testSwiftSettings
        ),
        // Shared test helpers: a private database per test, cloned from a migrated template.
        .target(
            name: "QueryGateTestSupport",
            dependencies: [
                "PortalStore",
                "QueryGateServer",
                "SlackGateway",
                "SlackStandIn",
                "PortalAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/QueryGateTestSupport",
            swiftSettings: testSwiftSettings
        ),
    ]
)
