using System.Globalization;

namespace Hygie.Web.Console;

/// <summary>Dates, instants and numbers as the page's language writes them (instants in UTC, said so).</summary>
public static class Format
{
    public static string Date(DateOnly? date) => date is { } d ? d.ToString("d MMMM yyyy", CultureInfo.CurrentCulture) : "—";

    public static string Date(DateTimeOffset? instant) => instant is { } t ? t.UtcDateTime.ToString("d MMMM yyyy", CultureInfo.CurrentCulture) : "—";

    /// <summary>The last day of a window whose end is exclusive (a permit runs until the start of the day after its last).</summary>
    public static string LastDay(DateTimeOffset? end) => Date(end?.AddTicks(-1));

    public static string Time(DateTimeOffset? instant) => instant is { } t ? t.UtcDateTime.ToString("d MMM yyyy HH:mm", CultureInfo.CurrentCulture) + " UTC" : "—";

    public static string Number(long value) => value.ToString("N0", CultureInfo.CurrentCulture);

    public static string Number(double? value) => value is { } v
        ? (Math.Abs(v % 1) < 1e-9 ? v.ToString("N0", CultureInfo.CurrentCulture) : v.ToString("N2", CultureInfo.CurrentCulture))
        : "";

    /// <summary>An SVG label (Razor reserves the <c>text</c> element name in code blocks).</summary>
    public static Microsoft.AspNetCore.Html.IHtmlContent SvgText(int x, int y, string text, string anchor) =>
        new Microsoft.AspNetCore.Html.HtmlString($"<text x=\"{x}\" y=\"{y}\" class=\"tick\" text-anchor=\"{anchor}\">{System.Net.WebUtility.HtmlEncode(text)}</text>");

    /// <summary>A cell of a query result: numbers per language, dates as ISO (they are data), the rest as text.</summary>
    public static string Cell(object? value) => value switch
    {
        null => "NULL",
        long or int or short or byte or ulong or uint or sbyte or ushort => Convert.ToDecimal(value, CultureInfo.InvariantCulture).ToString("N0", CultureInfo.CurrentCulture),
        System.Numerics.BigInteger b => b.ToString("N0", CultureInfo.CurrentCulture),
        decimal m => m.ToString("N", CultureInfo.CurrentCulture),
        double d => d.ToString("G", CultureInfo.CurrentCulture),
        float f => f.ToString("G", CultureInfo.CurrentCulture),
        DateTime dt => dt.TimeOfDay == TimeSpan.Zero ? dt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : dt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        System.Text.Json.JsonElement e => e.ToString(),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
