import Foundation
import HTTPTypes
import Hummingbird
import KlingCore
import Ledger
import Mustache
import NIOCore
import Reports

/// The spend dashboard: server-rendered pages (Mustache templates, inline SVG charts, no
/// script), served by `kling-ledger dashboard` on a local ledger and by `serve` under `/ui` for
/// key holders. Every figure is the ledger's, for one scope: a team sees its own team only.
public struct Dashboard: Sendable {
    private let library: MustacheLibrary

    /// Who is asking: the ledger to read and the scope they may see.
    public typealias Access = @Sendable (Request) async throws -> (Ledger, DashboardScope)

    public init() throws {
        guard let folder = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw DashboardError.templatesMissing
        }
        var templates: [String: MustacheTemplate] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".mustache") {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            templates[String(file.dropLast(".mustache".count))] = try MustacheTemplate(string: text)
        }
        library = MustacheLibrary(templates: templates)
    }

    /// The pages under `prefix` (`/ui`, or "" for the dashboard of its own).
    public func register<Context: RequestContext>(on router: Router<Context>, prefix: String, now: @escaping @Sendable () -> Date = Date.init, access: @escaping Access) {
        let base = prefix
        router.get(RouterPath(prefix.isEmpty ? "/" : prefix)) { request, _ in try await page(request, base: base, now: now(), access: access) { pages, month, context in
            let overview = try pages.overview(month: month)
            context["onOverview"] = true
            context.merge(Self.fields(of: overview)) { $1 }
            context["downloads"] = Self.downloads(base: base, month: month, reports: ["monthly", "items", "budgets"])
            return ("overview", "Overview \(month)")
        } }
        router.get("\(prefix)/budgets") { request, _ in try await page(request, base: base, now: now(), access: access) { pages, month, context in
            let budgets = try pages.budgets()
            context["onBudgets"] = true
            context["budgets"] = budgets
            context["downloads"] = Self.downloads(base: base, month: month, reports: ["budgets"])
            return ("budgets", "Budgets")
        } }
        router.get("\(prefix)/attention") { request, _ in try await page(request, base: base, now: now(), access: access) { pages, month, context in
            let items = try pages.attention(month: month)
            context["onAttention"] = true
            context["items"] = items
            context["hasItems"] = !items.isEmpty
            return ("attention", "Needs attention")
        } }
        router.get("\(prefix)/reconciliation") { request, _ in try await page(request, base: base, now: now(), access: access) { pages, month, context in
            context["onReconciliation"] = true
            if let reconciliation = try pages.reconciliation(month: month) {
                context["lines"] = reconciliation.lines
                context["hasLines"] = !reconciliation.lines.isEmpty
                context["packAlerts"] = reconciliation.packAlerts
                context["organisation"] = true
            }
            return ("reconciliation", "Packs and reconciliation \(month)")
        } }
        router.get("\(prefix)/submissions") { request, _ in try await page(request, base: base, now: now(), access: access) { pages, month, context in
            let query = request.uri.queryParameters
            let provider: Provider? = query.get("provider").flatMap { text in Provider(rawValue: String(text)) }
            let state: SubmissionState? = query.get("state").flatMap { text in SubmissionState(rawValue: String(text)) }
            let team: String? = query.get("team").flatMap { text in text.isEmpty ? nil : String(text) }
            let rows = try pages.submissions(.init(team: team, provider: provider, state: state, month: month))
            context["onSubmissions"] = true
            context["rows"] = rows
            context["count"] = rows.count
            context["team"] = team ?? ""
            context["providers"] = [Option(value: "", label: "any", selected: provider == nil)]
                + Provider.allCases.map { Option(value: $0.rawValue, label: $0.rawValue, selected: $0 == provider) }
            context["states"] = [Option(value: "", label: "any", selected: state == nil)]
                + SubmissionState.allCases.map { Option(value: $0.rawValue, label: $0.rawValue, selected: $0 == state) }
            context["downloads"] = Self.downloads(base: base, month: month, reports: ["items"])
            return ("submissions", "Submissions \(month)")
        } }
        router.get("\(prefix)/submissions/:id") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await page(request, base: base, now: now(), access: access) { pages, _, context in
                guard let detail = try pages.detail(id) else { throw HTTPError(.notFound, message: "no submission \(id) here") }
                context["onSubmissions"] = true
                context.merge(Self.fields(of: detail)) { $1 }
                return ("submission", "Submission \(id)")
            }
        }
        router.get("\(prefix)/reports/:name") { request, context in
            let name = String((context.parameters.get("name") ?? "").split(separator: ".").first ?? "")
            return try await csv(request, name: name, now: now(), access: access)
        }
    }

    // MARK: Rendering

    /// `?month=YYYY-MM`, if given; a bad one is the caller's mistake (400), said as such.
    private static func month(_ request: Request) throws -> ReportMonth? {
        guard let text = request.uri.queryParameters.get("month"), !text.isEmpty else { return nil }
        do {
            return try ReportMonth(String(text))
        } catch {
            throw HTTPError(.badRequest, message: "month=\(text): \(error.localizedDescription)")
        }
    }

    private struct Option {
        let value: String
        let label: String
        let selected: Bool
    }

    private struct Download {
        let name: String
        let href: String
    }

    private static func downloads(base: String, month: ReportMonth, reports: [String]) -> [Download] {
        reports.map { Download(name: $0, href: "\(base)/reports/\($0).csv?month=\(month)") }
    }

    /// A value's stored properties by name, so a page's model fills the template's context.
    private static func fields(of value: Any) -> [String: Any] {
        Dictionary(Mirror(reflecting: value).children.compactMap { child in child.label.map { ($0, child.value) } }, uniquingKeysWith: { $1 })
    }

    private func page(
        _ request: Request, base: String, now: Date, access: Access,
        _ fill: (DashboardPages, ReportMonth, inout [String: Any]) throws -> (template: String, title: String)
    ) async throws -> Response {
        let (ledger, scope) = try await access(request)
        let zone = try ledger.timeZone()
        let month = try Self.month(request)
            ?? ReportMonth(containing: now, in: zone)
        var context: [String: Any] = [
            "base": base, "month": month.description, "scope": "Showing \(scope.label)", "teamScope": scope.team != nil,
        ]
        let (template, title) = try fill(DashboardPages(ledger: ledger, scope: scope, now: now), month, &context)
        context["title"] = title
        let html = library.render(context, withTemplate: template) ?? ""
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A bundled report as CSV, for the page's month; a team's key gets its team's rows only.
    private func csv(_ request: Request, name: String, now: Date, access: Access) async throws -> Response {
        let (ledger, scope) = try await access(request)
        guard ["monthly", "items", "budgets"].contains(name) else {
            throw HTTPError(.notFound, message: "the dashboard offers monthly, items and budgets; `kling-ledger report` runs the others")
        }
        let month = try Self.month(request)
            ?? ReportMonth(containing: now, in: try ledger.timeZone())
        let grouping = name == "monthly" ? try Grouping(parsing: "team,provider,model") : nil
        let csv = try DashboardPages(ledger: ledger, scope: scope, now: now).report(name, month: month, grouping: grouping)
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name)-\(month).csv\""],
            body: .init(byteBuffer: ByteBuffer(bytes: csv)))
    }
}

public enum DashboardError: Error, CustomStringConvertible {
    case templatesMissing

    public var description: String { "the dashboard's templates are missing from the build; rebuild kling-ledger" }
}
