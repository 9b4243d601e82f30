namespace Hygie.Synthetic.Cohort;

/// <summary>Health professionals and establishments, numbered per département.</summary>
public static class Professionals
{
    public const int Physician = 1, Pharmacy = 2, Nurse = 6;

    /// <summary>A PS number: département (2 digits), profession, 5 digits, a check digit — 9 characters like PFS_EXE_NUM.</summary>
    public static string Number(Departement departement, int profession, int serial)
    {
        var dept = departement.Code switch { "02A" or "02B" => "20", _ => departement.Short[..2] };
        var body = FormattableString.Invariant($"{dept}{profession}{10000 + serial % 90000:D5}");
        return body + CheckDigit(body);
    }

    /// <summary>A FINESS-shaped establishment number (9 characters, <c>ETA_NUM</c>), one of <paramref name="serial"/> per département.</summary>
    public static string Hospital(Departement departement, int serial)
    {
        var body = FormattableString.Invariant($"{departement.Short}00{101 + serial}").PadRight(8, '0');
        return body + CheckDigit(body);
    }

    private static char CheckDigit(string body)
    {
        var sum = 0;
        foreach (var c in body) sum += char.IsAsciiDigit(c) ? c - '0' : 0;
        return (char)('0' + sum % 10);
    }
}
