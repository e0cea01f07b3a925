import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import NIOPosix

// The least a gateway built on `serve`'s libraries can do: Hummingbird receives a create,
// AsyncHTTPClient (configured as `serve`'s) forwards it to the provider, and the answer goes
// back as it came. No key, no validation, no price, no ledger. The gateway goal measures it
// next to `serve` and the direct route: what no gateway on these libraries can beat.
//
//   forwarding-floor UPSTREAM AUTHORIZATION   prints its base URL, then serves until killed

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    print("usage: forwarding-floor UPSTREAM-BASE-URL AUTHORIZATION-HEADER")
    exit(64)
}
let (upstream, authorization) = (arguments[1], arguments[2])

let client = HTTPClient(
    eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
    configuration: HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10))))

let router = Router()
router.post("/v1/videos/text2video") { request, _ -> Response in
    var forwarded = HTTPClientRequest(url: upstream + "/v1/videos/text2video")
    forwarded.method = .POST
    forwarded.headers.add(name: "Authorization", value: authorization)
    forwarded.headers.add(name: "Content-Type", value: "application/json")
    forwarded.body = .bytes(try await request.body.collect(upTo: 1 << 20))
    let answer = try await client.execute(forwarded, timeout: .seconds(30))
    let body = try await answer.body.collect(upTo: 1 << 20)
    return Response(
        status: .init(code: Int(answer.status.code)), headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
}

let app = Application(
    router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
    onServerRunning: { channel in
        FileHandle.standardOutput.write(Data("http://127.0.0.1:\(channel.localAddress?.port ?? 0)\n".utf8))
    })
try await app.runService()
