namespace Hygie.Core.Pseudonymization;

/// <summary>Why a NIR (or NIA / INS matricule) was refused. Never carries the value.</summary>
public enum NirError
{
    None,
    /// <summary>No value (null, empty or only separators).</summary>
    Empty,
    /// <summary>Not 13 characters (number alone) or 15 (number and key) once spaces, dots and dashes are removed.</summary>
    Length,
    /// <summary>A character that cannot appear at its place (digits only, except 2A/2B for Corsica).</summary>
    Characters,
    /// <summary>The first digit is not a sex code (1, 2, 3, 4, 7 or 8).</summary>
    Sex,
    /// <summary>The two-digit key is not 97 − (number mod 97).</summary>
    CheckKey,
}

/// <summary>The outcome of <see cref="NirValidator.Validate(string?)"/>. <see cref="Number"/> is the normalized 13-character
/// number (2A/2B kept) when valid; do not log it.</summary>
public readonly record struct NirValidation(NirError Error, string? Number)
{
    public bool IsValid => Error == NirError.None;

    /// <summary>A message safe to show: it names the rule, never the value.</summary>
    public string Describe() => Error switch
    {
        NirError.None => "valid",
        NirError.Empty => "the NIR is empty",
        NirError.Length => "a NIR has 13 characters, or 15 with its key",
        NirError.Characters => "a NIR holds digits only (2A or 2B in place of the department for Corsica)",
        NirError.Sex => "a NIR starts with 1, 2, 3, 4, 7 or 8",
        NirError.CheckKey => "the NIR's key does not match its number (97 − number mod 97)",
        _ => Error.ToString(),
    };

    public override string ToString() => $"NirValidation({Error})";
}

/// <summary>
/// The French social security number (NIR, and the temporary NIA, which has the same shape): 13 characters — sex,
/// year, month, department (2A/2B for Corsica), commune, order — and a two-digit key, 97 − (number mod 97), where
/// Corsica's 2A and 2B count as 19 and 18. The INS matricule of a person is their NIR (or NIA).
/// Separators (spaces, dots, dashes) are ignored; 2a/2b are upper-cased.
/// </summary>
public static class NirValidator
{
    public static NirValidation Validate(string? value) => Validate((value ?? "").AsSpan());

    public static NirValidation Validate(ReadOnlySpan<char> value)
    {
        Span<char> buf = stackalloc char[15];
        var n = 0;
        foreach (var c in value)
        {
            if (c is ' ' or '.' or '-' or '\t' or '\u00a0') continue;
            if (n == 15) return new(NirError.Length, null);
            buf[n++] = char.ToUpperInvariant(c);
        }
        if (n == 0) return new(NirError.Empty, null);
        if (n != 13 && n != 15) return new(NirError.Length, null);

        var s = buf[..n];
        for (var i = 0; i < n; i++)
        {
            var c = s[i];
            var corsica = i == 6 && s[5] == '2' && (c == 'A' || c == 'B');
            if (!char.IsAsciiDigit(c) && !corsica) return new(NirError.Characters, null);
        }
        if (s[0] is not ('1' or '2' or '3' or '4' or '7' or '8')) return new(NirError.Sex, null);

        if (n == 15)
        {
            var key = (s[13] - '0') * 10 + (s[14] - '0');
            if (key != ComputeKey(s[..13])) return new(NirError.CheckKey, null);
        }
        return new(NirError.None, new string(s[..13]));
    }

    /// <summary>The key of a 13-character NIR number (no separators; 2A/2B allowed at the department's place).</summary>
    public static int ComputeKey(ReadOnlySpan<char> number13)
    {
        if (number13.Length != 13) throw new ArgumentException("a NIR number has 13 characters", nameof(number13));
        long number = 0;
        for (var i = 0; i < 13; i++)
        {
            var c = char.ToUpperInvariant(number13[i]);
            int digit;
            if (i == 6 && number13[5] == '2' && c is 'A' or 'B')
            {
                // 2A → 19, 2B → 18: the department's first digit becomes 1, its second 9 or 8.
                number = number / 10 * 10 + 1;
                digit = c == 'A' ? 9 : 8;
            }
            else if (char.IsAsciiDigit(c)) digit = c - '0';
            else throw new ArgumentException("a NIR number holds digits only (and 2A/2B)", nameof(number13));
            number = number * 10 + digit;
        }
        return (int)(97 - number % 97);
    }
}
