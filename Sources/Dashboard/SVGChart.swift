import Foundation
import KlingCore

/// Inline SVG charts, drawn here: no script, no external font, readable at any width (they
/// scale to their container). Each carries a title for screen readers, and every page shows the
/// same figures as a table beside it. Lengths are integer pixels scaled from the integer
/// micro-dollars, so no amount ever passes through floating point.
enum SVGChart {
    /// `pixels` × `part` / `whole`, in integers (a chart's amounts stay far below overflow).
    static func scaled(_ part: Int64, of whole: Int64, to pixels: Int) -> Int {
        Int(max(0, part).multipliedReportingOverflow(by: Int64(pixels)).partialValue / max(1, whole))
    }

    /// One labelled amount.
    struct Bar {
        let label: String
        let amount: USD
    }

    /// Horizontal bars, largest first, each labelled with its amount.
    static func bars(_ bars: [Bar], title: String) -> String {
        let rowHeight = 28, labelWidth = 150, width = 640
        let height = max(1, bars.count) * rowHeight + 8
        let largest = max(1, bars.map(\.amount.micros).max() ?? 1)
        var svg = svgOpen(width: width, height: height, title: title, kind: "bars")
        for (index, bar) in bars.enumerated() {
            let y = 4 + index * rowHeight
            let length = scaled(bar.amount.micros, of: largest, to: width - labelWidth - 90)
            svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 18)\" text-anchor=\"end\" class=\"label\">\(escape(short(bar.label)))</text>"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y + 4)\" width=\"\(max(1, length))\" height=\"\(rowHeight - 10)\" class=\"bar\"><title>\(escape(bar.label)): $\(bar.amount.decimalString)</title></rect>"
            svg += "<text x=\"\(labelWidth + max(1, length) + 6)\" y=\"\(y + 18)\" class=\"value\">$\(bar.amount.decimalString)</text>"
        }
        return svg + "</svg>"
    }

    /// Spend so far in the month, day by day (cumulative), the forecast continuing it to the
    /// month's end, and each budget's limit as a horizontal line.
    static func cumulative(days: [USD], forecastEnd: USD?, dayCount: Int, today: Int?, limits: [(name: String, limit: USD)], title: String) -> String {
        let width = 640, height = 260, left = 60, right = 16, top = 16, bottom = 28
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let candidates: [Int64] = [days.last?.micros ?? 0, forecastEnd?.micros ?? 0, 1] + limits.map { $0.limit.micros }
        let top100: Int64 = candidates.max() ?? 1
        func x(_ day: Int) -> Int { left + scaled(Int64(day), of: Int64(dayCount), to: plotWidth) }
        func y(_ micros: Int64) -> Int { top + plotHeight - scaled(micros, of: top100, to: plotHeight) }
        var svg = svgOpen(width: width, height: height, title: title, kind: "cumulative")
        svg += "<line x1=\"\(left)\" y1=\"\(top + plotHeight)\" x2=\"\(width - right)\" y2=\"\(top + plotHeight)\" class=\"axis\"/>"
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotHeight)\" class=\"axis\"/>"
        svg += "<text x=\"\(left - 6)\" y=\"\(top + 10)\" text-anchor=\"end\" class=\"label\">$\(USD(micros: top100).decimalString)</text>"
        svg += "<text x=\"\(left - 6)\" y=\"\(top + plotHeight)\" text-anchor=\"end\" class=\"label\">$0</text>"
        svg += "<text x=\"\(left)\" y=\"\(height - 8)\" class=\"label\">day 1</text>"
        svg += "<text x=\"\(width - right)\" y=\"\(height - 8)\" text-anchor=\"end\" class=\"label\">day \(dayCount)</text>"
        for (name, limit) in limits {
            svg += "<line x1=\"\(left)\" y1=\"\(y(limit.micros))\" x2=\"\(width - right)\" y2=\"\(y(limit.micros))\" class=\"limit\"><title>\(escape(name)): limit $\(limit.decimalString)</title></line>"
            svg += "<text x=\"\(width - right)\" y=\"\(y(limit.micros) - 4)\" text-anchor=\"end\" class=\"label\">\(escape(short(name))) $\(limit.decimalString)</text>"
        }
        if !days.isEmpty {
            let points = days.enumerated().map { "\(x($0.offset + 1)),\(y($0.element.micros))" }
            svg += "<polyline points=\"\(x(0)),\(y(0)) \(points.joined(separator: " "))\" class=\"spend\"><title>spend so far: $\(days.last?.decimalString ?? "0.00")</title></polyline>"
        }
        if let forecastEnd, let today, let last = days.last {
            svg += "<polyline points=\"\(x(today)),\(y(last.micros)) \(x(dayCount)),\(y(forecastEnd.micros))\" class=\"forecast\"><title>forecast at month end: $\(forecastEnd.decimalString)</title></polyline>"
        }
        return svg + "</svg>"
    }

    /// A budget's usage: charged, then held, then what remains.
    static func usage(charged: USD, held: USD, limit: USD, title: String) -> String {
        let width = 300, height = 18
        func part(_ micros: Int64) -> Int { scaled(micros, of: limit.micros, to: width) }
        let chargedWidth = min(width, part(charged.micros)), heldWidth = min(width - chargedWidth, part(held.micros))
        var svg = svgOpen(width: width, height: height, title: title, kind: "usage")
        svg += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" class=\"remaining\"/>"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(chargedWidth)\" height=\"\(height)\" class=\"charged\"/>"
        svg += "<rect x=\"\(chargedWidth)\" y=\"0\" width=\"\(heldWidth)\" height=\"\(height)\" class=\"held\"/>"
        return svg + "</svg>"
    }

    private static func svgOpen(width: Int, height: Int, title: String, kind: String) -> String {
        "<svg class=\"chart \(kind)\" viewBox=\"0 0 \(width) \(height)\" width=\"100%\" role=\"img\" aria-label=\"\(escape(title))\" "
            + "preserveAspectRatio=\"xMinYMin meet\" xmlns=\"http://www.w3.org/2000/svg\"><title>\(escape(title))</title>"
    }

    private static func short(_ text: String) -> String { text.count > 22 ? String(text.prefix(21)) + "…" : text }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
