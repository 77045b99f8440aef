using System.Globalization;
using System.Net;
using System.Text;

namespace Rescind.Server.OperatorConsole;

/// <summary>A bar chart as inline SVG, drawn on the server: no script, readable by screen readers through its
/// title, description and a table of the same numbers beside it.</summary>
public static class ConsoleChart
{
    /// <param name="counts">One bar per hour, oldest first.</param>
    /// <param name="lastHourStart">The start of the last bar's hour, for the axis labels.</param>
    public static string HourlyBars(IReadOnlyList<long> counts, DateTimeOffset lastHourStart, string title)
    {
        const int width = 720, height = 200, left = 36, bottom = 24, top = 12;
        var max = Math.Max(1, counts.Count == 0 ? 1 : counts.Max());
        var slot = (double)(width - left) / Math.Max(1, counts.Count);
        var plot = height - bottom - top;
        var inv = CultureInfo.InvariantCulture;
        var svg = new StringBuilder();
        svg.Append(inv, $"""<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title chart-desc">""");
        svg.Append(inv, $"""<title id="chart-title">{WebUtility.HtmlEncode(title)}</title>""");
        svg.Append(inv, $"""<desc id="chart-desc">{counts.Sum()} in total; most in one hour: {counts.DefaultIfEmpty().Max()}.</desc>""");
        svg.Append(inv, $"""<line class="axis" x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}"/>""");
        svg.Append(inv, $"""<text class="label" x="{left - 4}" y="{top + 4}" text-anchor="end">{max}</text>""");
        svg.Append(inv, $"""<text class="label" x="{left - 4}" y="{height - bottom}" text-anchor="end">0</text>""");
        for (var i = 0; i < counts.Count; i++)
        {
            var h = counts[i] * (double)plot / max;
            var x = left + (i * slot) + 1;
            var hourStart = lastHourStart.AddHours(i - counts.Count + 1);
            svg.Append(inv, $"""<rect class="bar" x="{x:0.##}" y="{height - bottom - h:0.##}" width="{Math.Max(1, slot - 2):0.##}" height="{h:0.##}"><title>{hourStart:HH}:00 UTC: {counts[i]}</title></rect>""");
            if (i % 3 == 0)
            {
                svg.Append(inv, $"""<text class="label" x="{x + (slot / 2):0.##}" y="{height - 6}" text-anchor="middle">{hourStart:HH}h</text>""");
            }
        }
        svg.Append("</svg>");
        return svg.ToString();
    }
}
