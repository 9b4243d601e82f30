using System.Globalization;
using System.Text.RegularExpressions;

namespace Hygie.Fhir.Search;

/// <summary>
/// The instants a FHIR date, dateTime or instant covers, as Unix milliseconds (both ends inclusive): <c>2020</c> is the
/// whole year, <c>2020-03-01T10:00</c> the whole minute. Values without a time zone are read as UTC.
/// </summary>
public readonly partial record struct DateRange(long Low, long High)
{
    public static readonly long Min = new DateTimeOffset(1, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    public static readonly long Max = new DateTimeOffset(9999, 12, 31, 23, 59, 59, 999, TimeSpan.Zero).ToUnixTimeMilliseconds();

    [GeneratedRegex(@"^(?<y>\d{4})(-(?<m>\d{2})(-(?<d>\d{2})(T(?<h>\d{2}):(?<mi>\d{2})(:(?<s>\d{2})(\.(?<f>\d+))?)?(?<z>Z|[+-]\d{2}:\d{2})?)?)?)?$")]
    private static partial Regex Pattern();

    public static bool TryParse(string? text, out DateRange range)
    {
        range = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var m = Pattern().Match(text.Trim());
        if (!m.Success) return false;
        try
        {
            var offset = TimeSpan.Zero;
            if (m.Groups["z"].Success && m.Groups["z"].Value != "Z")
                offset = TimeSpan.ParseExact(m.Groups["z"].Value[1..], @"hh\:mm", CultureInfo.InvariantCulture) * (m.Groups["z"].Value[0] == '-' ? -1 : 1);
            int year = int.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture);
            if (!m.Groups["m"].Success)
                return Set(new DateTimeOffset(year, 1, 1, 0, 0, 0, offset), d => d.AddYears(1), out range);
            int month = int.Parse(m.Groups["m"].Value, CultureInfo.InvariantCulture);
            if (!m.Groups["d"].Success)
                return Set(new DateTimeOffset(year, month, 1, 0, 0, 0, offset), d => d.AddMonths(1), out range);
            int day = int.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture);
            if (!m.Groups["h"].Success)
                return Set(new DateTimeOffset(year, month, day, 0, 0, 0, offset), d => d.AddDays(1), out range);
            int hour = int.Parse(m.Groups["h"].Value, CultureInfo.InvariantCulture), minute = int.Parse(m.Groups["mi"].Value, CultureInfo.InvariantCulture);
            if (!m.Groups["s"].Success)
                return Set(new DateTimeOffset(year, month, day, hour, minute, 0, offset), d => d.AddMinutes(1), out range);
            int second = int.Parse(m.Groups["s"].Value, CultureInfo.InvariantCulture);
            var start = new DateTimeOffset(year, month, day, hour, minute, second, offset);
            if (!m.Groups["f"].Success)
                return Set(start, d => d.AddSeconds(1), out range);
            var fraction = m.Groups["f"].Value;
            var digits = Math.Min(fraction.Length, 3);
            var ms = int.Parse(fraction[..digits], CultureInfo.InvariantCulture) * (int)Math.Pow(10, 3 - digits);
            start = start.AddMilliseconds(ms);
            return Set(start, d => d.AddMilliseconds(Math.Pow(10, 3 - digits)), out range);
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    public static DateRange Of(DateTimeOffset instant)
    {
        var ms = instant.ToUnixTimeMilliseconds();
        return new DateRange(ms, ms);
    }

    private static bool Set(DateTimeOffset start, Func<DateTimeOffset, DateTimeOffset> next, out DateRange range)
    {
        range = new DateRange(start.ToUnixTimeMilliseconds(), next(start).ToUnixTimeMilliseconds() - 1);
        return true;
    }
}
