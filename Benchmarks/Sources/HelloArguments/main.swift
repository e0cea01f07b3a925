import ArgumentParser
import Foundation

// The start goal's floor: the hello world plus swift-argument-parser reading `quote`'s options
// (the same names, kinds and parsing), and nothing else — no price tables, no ledger, none of
// the server libraries. What the argument parser alone costs a process, built the same way.

enum Provider: String, CaseIterable, ExpressibleByArgument { case kling, pixazo, acedata, kkiai }
enum Kind: String, CaseIterable, ExpressibleByArgument { case text2video, image2video, extend }
enum Mode: String, CaseIterable, ExpressibleByArgument { case std, pro }

struct PricingOptions: ParsableArguments {
    @Option(name: .customLong("pricing"), help: "A folder of price tables.") var pricingFolder: String?
}

struct InstantOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Price at this instant.", valueName: "date")) var at: String?
}

struct JobOptions: ParsableArguments {
    @Option(help: "What the video is made from.") var kind: Kind = .text2video
    @Option(help: "The model.") var model: String?
    @Option(help: "std or pro.") var mode: Mode?
    @Option(parsing: .unconditional, help: ArgumentHelp("The length.", valueName: "seconds")) var duration: Int = 5
    @Flag(inversion: .prefixedNo, help: "Generate sound.") var sound = false
    @Option(help: ArgumentHelp("Dollars per unit.", valueName: "usd")) var unitPrice: String?
}

struct Quote: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "quote", abstract: "Price one job.")
    @OptionGroup var pricing: PricingOptions
    @OptionGroup var instant: InstantOptions
    @Option(help: "The gateway.") var provider: Provider = .kling
    @OptionGroup var job: JobOptions
    @Flag(help: "As JSON.") var json = false

    func run() {
        print("\(provider.rawValue) \(job.model ?? "kling-v1") \(job.mode?.rawValue ?? "std") \(job.duration) s \(job.kind.rawValue)")
    }
}

@main
struct HelloArguments: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hello-arguments", abstract: "The start floor.", subcommands: [Quote.self])
}
