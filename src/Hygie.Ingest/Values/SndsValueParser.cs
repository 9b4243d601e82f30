using System.Globalization;
using System.Text;
using System.Runtime.CompilerServices;

namespace Hygie.Ingest.Values;

/// <summary>
/// Typed parsing of UTF-8 cell values as the SNDS writes them, without allocating. All methods take the raw value and
/// answer false when it is not of the type; callers have already turned empty and missing values into null.
/// <para>Dates are recognized by their shape, whatever the schema's format says:
/// <c>24/11/1991</c> (%d/%m/%Y), <c>24111991</c> (%d%m%Y; <c>19911124</c> is read as yyyyMMdd when the first reading is
/// no date), <c>06DEC1959</c> and <c>11Jun1990:15:47:24</c> (%d%b%Y:%H:%M:%S, English month abbreviations, any case),
/// ISO <c>1991-11-24</c> and <c>1991-11-24T15:47:24</c> (a space instead of T, fractions of a second and a final
/// <c>Z</c> accepted). A date column given a datetime keeps its date (SAS exports write dates as datetimes).
/// Years run from 1000 to 9999.</para>
/// </summary>
public static class SndsValueParser
{
    /// <summary>Integer: optional sign, digits, and an all-zero fraction (<c>40.00</c>); spaces around are ignored.</summary>
    public static bool TryParseInt64(ReadOnlySpan<byte> s, out long value)
    {
        s = TrimSpaces(s);
        value = 0;
        if (s.IsEmpty) return false;
        var i = 0;
        var negative = false;
        if (s[0] is (byte)'-' or (byte)'+') { negative = s[0] == '-'; i = 1; if (s.Length == 1) return false; }
        ulong acc = 0;
        var start = i;
        for (; i < s.Length; i++)
        {
            var d = (uint)(s[i] - '0');
            if (d > 9) break;
            if (acc > (ulong.MaxValue - d) / 10) return false;
            acc = acc * 10 + d;
        }
        if (i == start) return false;
        if (i < s.Length)
        {
            // an integral value written as a decimal: 40.00 or 40,0
            if (s[i] is not ((byte)'.' or (byte)',') || i + 1 == s.Length) return false;
            for (i++; i < s.Length; i++) if (s[i] != '0') return false;
        }
        if (negative)
        {
            if (acc > (ulong)long.MaxValue + 1) return false;
            value = (long)(0 - acc);
        }
        else
        {
            if (acc > long.MaxValue) return false;
            value = (long)acc;
        }
        return true;
    }

    private static ReadOnlySpan<double> Pow10 => [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

    /// <summary>Number: <c>.</c> or <c>,</c> as decimal separator, optional exponent; no thousands separators.</summary>
    public static bool TryParseDouble(ReadOnlySpan<byte> s, out double value)
    {
        s = TrimSpaces(s);
        value = 0;
        if (s.IsEmpty) return false;
        // Fast path, exact (Clinger): up to 15 significant digits and a short fraction are exact doubles, and one
        // IEEE division is correctly rounded.
        var i = 0;
        var negative = false;
        if (s[0] is (byte)'-' or (byte)'+') { negative = s[0] == '-'; i = 1; }
        ulong mantissa = 0;
        int digits = 0, fraction = 0;
        var sawPoint = false;
        var anyDigit = false;
        var fast = true;
        for (; i < s.Length; i++)
        {
            var c = s[i];
            var d = (uint)(c - '0');
            if (d <= 9)
            {
                if (mantissa != 0 || d != 0) digits++;
                mantissa = mantissa * 10 + d;
                anyDigit = true;
                if (sawPoint) fraction++;
                if (digits > 15 || fraction > 22) { fast = false; break; }
            }
            else if ((c == '.' || c == ',') && !sawPoint) sawPoint = true;
            else { fast = false; break; }
        }
        if (fast)
        {
            if (!anyDigit) return false;
            var v = (double)mantissa;
            if (fraction > 0) v /= Pow10[fraction];
            value = negative ? -v : v;
            return true;
        }
        return SlowDouble(s, out value);
    }

    private static bool SlowDouble(ReadOnlySpan<byte> s, out double value)
    {
        Span<byte> copy = s.Length <= 256 ? stackalloc byte[s.Length] : new byte[s.Length];
        s.CopyTo(copy);
        var commas = 0;
        for (var i = 0; i < copy.Length; i++)
            if (copy[i] == ',') { copy[i] = (byte)'.'; commas++; }
        if (commas > 1) { value = 0; return false; }
        if (!double.TryParse(copy, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out value)) return false;
        return double.IsFinite(value);
    }

    /// <summary>Boolean: the field's own true/false values when it declares them, else <c>True/False</c> in any case
    /// and <c>1/0</c>.</summary>
    public static bool TryParseBoolean(ReadOnlySpan<byte> s, out bool value)
    {
        s = TrimSpaces(s);
        value = false;
        switch (s.Length)
        {
            case 1:
                if (s[0] == '1') { value = true; return true; }
                if (s[0] == '0') return true;
                return false;
            case 4: value = true; return Ascii.EqualsIgnoreCase(s, "true"u8);
            case 5: return Ascii.EqualsIgnoreCase(s, "false"u8);
            default: return false;
        }
    }

    /// <summary>Year: four digits, 1000–9999.</summary>
    public static bool TryParseYear(ReadOnlySpan<byte> s, out int year)
    {
        s = TrimSpaces(s);
        year = 0;
        return s.Length == 4 && Digits(s, 0, 4, out year) && year >= 1000;
    }

    /// <summary>Year-month: <c>yyyyMM</c> or <c>yyyy-MM</c>, stored as the integer yyyyMM.</summary>
    public static bool TryParseYearMonth(ReadOnlySpan<byte> s, out int yearMonth)
    {
        s = TrimSpaces(s);
        yearMonth = 0;
        int year, month;
        if (s.Length == 6) { if (!Digits(s, 0, 4, out year) || !Digits(s, 4, 2, out month)) return false; }
        else if (s.Length == 7 && s[4] is (byte)'-' or (byte)'/') { if (!Digits(s, 0, 4, out year) || !Digits(s, 5, 2, out month)) return false; }
        else return false;
        if (year < 1000 || month is < 1 or > 12) return false;
        yearMonth = year * 100 + month;
        return true;
    }

    /// <summary>Month number: 1 or 2 digits, 1–12.</summary>
    public static bool TryParseMonth(ReadOnlySpan<byte> s, out int month)
    {
        s = TrimSpaces(s);
        month = 0;
        return s.Length is 1 or 2 && Digits(s, 0, s.Length, out month) && month is >= 1 and <= 12;
    }

    /// <summary>A date in any SNDS format (see the type's remarks), as days since 1970-01-01.</summary>
    /// <param name="yearFirst">for 8 digits: read yyyyMMdd first (a schema format <c>%Y%m%d</c>), else ddMMyyyy first.</param>
    public static bool TryParseDate(ReadOnlySpan<byte> s, out int epochDays, bool yearFirst = false)
    {
        epochDays = 0;
        if (!TryParseParts(TrimSpaces(s), yearFirst, out var p)) return false;
        epochDays = p.EpochDays;
        return true;
    }

    /// <summary>A datetime in any SNDS format, as microseconds since 1970-01-01 (a date alone is midnight).</summary>
    public static bool TryParseDateTime(ReadOnlySpan<byte> s, out long epochMicros, bool yearFirst = false)
    {
        epochMicros = 0;
        if (!TryParseParts(TrimSpaces(s), yearFirst, out var p)) return false;
        epochMicros = p.EpochDays * SndsDates.MicrosPerDay + p.MicrosOfDay;
        return true;
    }

    public static bool TryParseDate(string s, out DateOnly date)
    {
        Span<byte> buf = stackalloc byte[64];
        date = default;
        if (s.Length > 64 || !TryAscii(s, buf, out var n) || !TryParseDate(buf[..n], out var days)) return false;
        date = SndsDates.ToDate(days);
        return true;
    }

    public static bool TryParseDateTime(string s, out DateTime value)
    {
        Span<byte> buf = stackalloc byte[64];
        value = default;
        if (s.Length > 64 || !TryAscii(s, buf, out var n) || !TryParseDateTime(buf[..n], out var micros)) return false;
        value = SndsDates.ToDateTime(micros);
        return true;
    }

    private static bool TryAscii(string s, Span<byte> buf, out int n)
    {
        n = 0;
        foreach (var c in s)
        {
            if (c > 0x7f) return false;
            buf[n++] = (byte)c;
        }
        return true;
    }

    private readonly record struct Parts(int EpochDays, long MicrosOfDay);

    private static bool TryParseParts(ReadOnlySpan<byte> s, bool yearFirst, out Parts parts)
    {
        parts = default;
        int day, month, year, rest;
        if (s.Length < 8) return false;

        if (s[2] == '/' || s[1] == '/')
        {
            // d/m/yyyy, dd/mm/yyyy [time]
            var p = 0;
            if (!Number(s, ref p, 1, 2, out day) || !Expect(s, ref p, '/') || !Number(s, ref p, 1, 2, out month)
                || !Expect(s, ref p, '/') || !Number(s, ref p, 4, 4, out year)) return false;
            rest = p;
        }
        else if (s.Length >= 10 && s[4] == '-' && s[7] == '-')
        {
            if (!Digits(s, 0, 4, out year) || !Digits(s, 5, 2, out month) || !Digits(s, 8, 2, out day)) return false;
            rest = 10;
        }
        else if (s.Length >= 9 && IsAsciiLetter(s[2]) && IsAsciiLetter(s[3]) && IsAsciiLetter(s[4]))
        {
            // ddMMMyyyy[:HH:mm:ss] (SAS DATE9. / DATETIME20.)
            if (!Digits(s, 0, 2, out day) || !MonthAbbreviation(s.Slice(2, 3), out month) || !Digits(s, 5, 4, out year)) return false;
            rest = 9;
        }
        else if (s.Length == 8)
        {
            if (!Digits(s, 0, 8, out _)) return false;
            // ddMMyyyy, or yyyyMMdd when that is no date (or when the schema says year first)
            if (yearFirst ? !TryCompact(s, true, out parts) && !TryCompact(s, false, out parts) : !TryCompact(s, false, out parts) && !TryCompact(s, true, out parts))
                return false;
            return true;
        }
        else return false;

        if (!TryEpochDays(year, month, day, out var epochDays)) return false;
        long micros = 0;
        if (rest < s.Length && !TryTime(s[rest..], out micros)) return false;
        parts = new Parts(epochDays, micros);
        return true;
    }

    private static bool TryCompact(ReadOnlySpan<byte> s, bool yearFirst, out Parts parts)
    {
        parts = default;
        int day, month, year;
        if (yearFirst) { Digits(s, 0, 4, out year); Digits(s, 4, 2, out month); Digits(s, 6, 2, out day); }
        else { Digits(s, 0, 2, out day); Digits(s, 2, 2, out month); Digits(s, 4, 4, out year); }
        if (!TryEpochDays(year, month, day, out var d)) return false;
        parts = new Parts(d, 0);
        return true;
    }

    /// <summary>The time part after a date: <c>:HH:mm:ss</c> (SAS), <c>THH:mm[:ss[.f…]][Z]</c> or <c> HH:mm[:ss]</c>.</summary>
    private static bool TryTime(ReadOnlySpan<byte> t, out long micros)
    {
        micros = 0;
        if (t[0] is not ((byte)':' or (byte)'T' or (byte)'t' or (byte)' ')) return false;
        var p = 1;
        if (!Number(t, ref p, 1, 2, out var hh) || !Expect(t, ref p, ':') || !Number(t, ref p, 2, 2, out var mm)) return false;
        var ss = 0;
        long fraction = 0;
        if (p < t.Length && t[p] == ':')
        {
            p++;
            if (!Number(t, ref p, 2, 2, out ss)) return false;
            if (p < t.Length && t[p] is (byte)'.' or (byte)',')
            {
                p++;
                var start = p;
                long scale = 100_000;
                for (; p < t.Length && (uint)(t[p] - '0') <= 9; p++)
                {
                    fraction += (t[p] - '0') * scale;
                    scale /= 10;
                }
                if (p == start) return false;
            }
        }
        if (p < t.Length && t[p] is (byte)'Z' or (byte)'z') p++;
        if (p != t.Length || hh > 23 || mm > 59 || ss > 59) return false;
        micros = ((hh * 60L + mm) * 60 + ss) * 1_000_000 + fraction;
        return true;
    }

    private static bool TryEpochDays(int year, int month, int day, out int epochDays)
    {
        epochDays = 0;
        if (year is < 1000 or > 9999 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
        epochDays = new DateOnly(year, month, day).DayNumber - SndsDates.EpochDayNumber;
        return true;
    }

    private static bool MonthAbbreviation(ReadOnlySpan<byte> m, out int month)
    {
        // lower-case the three letters into one integer
        var key = ((m[0] | 0x20) << 16) | ((m[1] | 0x20) << 8) | (m[2] | 0x20);
        month = key switch
        {
            ('j' << 16) | ('a' << 8) | 'n' => 1,
            ('f' << 16) | ('e' << 8) | 'b' => 2,
            ('m' << 16) | ('a' << 8) | 'r' => 3,
            ('a' << 16) | ('p' << 8) | 'r' => 4,
            ('m' << 16) | ('a' << 8) | 'y' => 5,
            ('j' << 16) | ('u' << 8) | 'n' => 6,
            ('j' << 16) | ('u' << 8) | 'l' => 7,
            ('a' << 16) | ('u' << 8) | 'g' => 8,
            ('s' << 16) | ('e' << 8) | 'p' => 9,
            ('o' << 16) | ('c' << 8) | 't' => 10,
            ('n' << 16) | ('o' << 8) | 'v' => 11,
            ('d' << 16) | ('e' << 8) | 'c' => 12,
            _ => 0,
        };
        return month != 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsAsciiLetter(byte b) => (uint)((b | 0x20) - 'a') <= 'z' - 'a';

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Digits(ReadOnlySpan<byte> s, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var d = (uint)(s[i] - '0');
            if (d > 9) return false;
            value = value * 10 + (int)d;
        }
        return true;
    }

    private static bool Number(ReadOnlySpan<byte> s, ref int p, int min, int max, out int value)
    {
        value = 0;
        var start = p;
        while (p < s.Length && p - start < max && (uint)(s[p] - '0') <= 9) value = value * 10 + (s[p++] - '0');
        return p - start >= min;
    }

    private static bool Expect(ReadOnlySpan<byte> s, ref int p, char c)
    {
        if (p >= s.Length || s[p] != c) return false;
        p++;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> TrimSpaces(ReadOnlySpan<byte> s)
    {
        if (s.IsEmpty || (s[0] != ' ' && s[^1] != ' ')) return s;
        return s.Trim((byte)' ');
    }
}
