namespace Hygie.Core.Deidentification;

/// <summary>Pure generalizations of quasi-identifiers. The SNDS missing-date sentinel (1600-01-01) maps to itself.</summary>
public static class Generalization
{
    /// <summary>The SNDS sentinel for a missing date: 1600-01-01. Kept as it is by every transformation.</summary>
    public static readonly DateOnly SndsMissingDate = new(1600, 1, 1);

    public static DateOnly ToMonth(DateOnly date) => date == SndsMissingDate ? date : new DateOnly(date.Year, date.Month, 1);

    public static DateOnly ToYear(DateOnly date) => date == SndsMissingDate ? date : new DateOnly(date.Year, 1, 1);

    public static DateTime ToMonth(DateTime value) => new(value.Year, value.Month, 1, 0, 0, 0, value.Kind);

    public static DateTime ToYear(DateTime value) => new(value.Year, 1, 1, 0, 0, 0, value.Kind);

    /// <summary>
    /// The département of a 5-character INSEE commune code: the first two characters (01–95, 2A, 2B), or three for the
    /// overseas départements and collectivities (971–976, 975, 977, 978, 98x). Null when the code is not one.
    /// </summary>
    public static string? CommuneToDepartement(ReadOnlySpan<char> communeCode)
    {
        var code = communeCode.Trim();
        if (code.Length != 5) return null;
        Span<char> c = stackalloc char[5];
        code.ToUpperInvariant(c);
        if (!char.IsAsciiDigit(c[0])) return null;
        for (var i = 2; i < 5; i++) if (!char.IsAsciiDigit(c[i])) return null;
        if (c[0] == '2' && c[1] is 'A' or 'B') return new string(c[..2]);
        if (!char.IsAsciiDigit(c[1])) return null;
        if (c[0] == '9' && c[1] is '7' or '8') return new string(c[..3]);
        if (c[0] == '0' && c[1] == '0') return null;
        return new string(c[..2]);
    }

    /// <summary>
    /// A département code in its usual form from the ways the SNDS writes it: <c>075</c> → <c>75</c>, <c>02A</c> →
    /// <c>2A</c>, <c>971</c> stays, <c>20</c>/<c>020</c> (Corsica before 1976) stays <c>20</c>, <c>099</c>/<c>99</c>
    /// (abroad) → <c>99</c>. Null when it is not a département code.
    /// </summary>
    public static string? NormalizeDepartement(ReadOnlySpan<char> departement)
    {
        var d = departement.Trim();
        if (d.Length is < 1 or > 3) return null;
        Span<char> c = stackalloc char[d.Length];
        d.ToUpperInvariant(c);
        if (c.Length == 3 && c[0] == '0') c = c[1..];
        if (c.Length == 1) return char.IsAsciiDigit(c[0]) && c[0] != '0' ? "0" + c[0] : null;
        if (c.Length == 2)
        {
            if (c[0] == '2' && c[1] is 'A' or 'B') return new string(c);
            if (!char.IsAsciiDigit(c[0]) || !char.IsAsciiDigit(c[1]) || (c[0] == '0' && c[1] == '0')) return null;
            return new string(c);
        }
        // three characters, not starting with 0: overseas (97x, 98x)
        if (c[0] == '9' && c[1] is '7' or '8' && char.IsAsciiDigit(c[2])) return new string(c);
        return null;
    }
}
