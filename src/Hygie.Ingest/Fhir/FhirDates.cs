using System.Globalization;
using Hl7.Fhir.Model;

namespace Hygie.Ingest.Fhir;

/// <summary>
/// Generalizing and shifting FHIR <c>date</c>, <c>dateTime</c> and <c>instant</c> values in place, keeping them valid
/// FHIR: a date or dateTime generalized to its month becomes the partial date <c>2009-11</c>, to its year <c>2009</c>;
/// an instant (which is never partial) becomes the first moment of its month or year. A shift moves a value of at
/// least day precision by whole days; a partial date (year, year-month) is left as it is, since a shift of days has no
/// meaning at that precision.
/// </summary>
internal static class FhirDates
{
    public static bool IsDate(Base value) => value is Date or FhirDateTime or Instant;

    public static void ToMonth(Base value) => Generalize(value, 7);

    public static void ToYear(Base value) => Generalize(value, 4);

    private static void Generalize(Base value, int length)
    {
        switch (value)
        {
            case Date d when d.Value is { Length: > 0 } text:
                d.Value = text.Length > length ? text[..length] : text;
                break;
            case FhirDateTime t when t.Value is { Length: > 0 } text:
                t.Value = text.Length > length ? text[..length] : text;
                break;
            case Instant i when i.Value is { } at:
                i.Value = new DateTimeOffset(at.Year, length == 4 ? 1 : at.Month, 1, 0, 0, 0, at.Offset);
                break;
        }
    }

    public static void Shift(Base value, int days)
    {
        if (days == 0) return;
        switch (value)
        {
            case Date d when d.Value is { Length: 10 } text && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date):
                d.Value = date.AddDays(days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                break;
            case FhirDateTime t when t.Value is { Length: >= 10 } text:
                if (text.Length == 10)
                {
                    if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                        t.Value = day.AddDays(days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                }
                else if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
                {
                    // keeps the time and offset as written: only the calendar day moves
                    var shifted = at.AddDays(days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                    t.Value = shifted + text[10..];
                }
                break;
            case Instant i when i.Value is { } instant:
                i.Value = instant.AddDays(days);
                break;
        }
    }

    /// <summary>A FHIR date or dateTime literal as the first day it covers (<c>2009</c> → 2009-01-01).</summary>
    public static DateOnly? FirstDay(string literal)
    {
        if (literal.Length >= 10 && DateOnly.TryParseExact(literal[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
        if (literal.Length == 7 && DateOnly.TryParseExact(literal + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out d)) return d;
        if (literal.Length == 4 && int.TryParse(literal, NumberStyles.None, CultureInfo.InvariantCulture, out var y) && y >= 1) return new DateOnly(y, 1, 1);
        return null;
    }

    /// <summary>A FHIR dateTime or instant literal as a UTC timestamp (a date alone is its midnight; a partial date its
    /// first day). FHIR requires an offset once a time is given.</summary>
    public static DateTime? Timestamp(string literal)
    {
        if (literal.Length > 10)
            return DateTimeOffset.TryParse(literal, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at.UtcDateTime : null;
        return FirstDay(literal) is { } day ? day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) : null;
    }
}
