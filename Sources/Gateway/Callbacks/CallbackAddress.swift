import Foundation

/// Whether a caller's `callback_url` may be posted to from the gateway's host. The gateway
/// posts where the provider used to (from the internet), so by default it refuses addresses
/// that only make sense inside the operator's network: loopback, link-local (cloud metadata),
/// private ranges, and names that resolve to them. `serve --allow-private-callbacks` lifts
/// it, for gateways whose callers live on the same private network.
enum CallbackAddress {
    /// `nil` when the URL may be used; else why not.
    static func refusal(_ url: String) -> String? {
        guard let host = URLComponents(string: url)?.host, !host.isEmpty else { return "it has no host" }
        let addresses = resolve(host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")))
        guard !addresses.isEmpty else { return "its host \(host) does not resolve" }
        if let inside = addresses.first(where: isPrivate) {
            return "its host \(host) is \(inside), an address inside the gateway's own network"
        }
        return nil
    }

    private static func resolve(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0 else { return [] }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        var entry = list
        while let current = entry {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                addresses.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            entry = current.pointee.ai_next
        }
        return addresses
    }

    static func isPrivate(_ address: String) -> Bool {
        let lower = address.lowercased()
        if lower.contains(":") {
            return lower == "::1" || lower == "::" || lower.hasPrefix("fe8") || lower.hasPrefix("fe9") || lower.hasPrefix("fea")
                || lower.hasPrefix("feb") || lower.hasPrefix("fc") || lower.hasPrefix("fd") || lower.hasPrefix("::ffff:")
        }
        let parts = lower.split(separator: ".").compactMap { Int($0) }
        guard parts.count == 4 else { return true }
        switch (parts[0], parts[1]) {
        case (127, _), (10, _), (0, _), (169, 254), (192, 168), (100, 64...127): return true
        case (172, 16...31): return true
        default: return parts[0] >= 224
        }
    }
}
