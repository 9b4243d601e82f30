using System.Text;
using System.Text.Unicode;

namespace Hygie.Ingest.Csv;

/// <summary>Describes a value's shape for error reports without revealing it.</summary>
public static class ValueClass
{
    /// <param name="identifier">an identifier column: only emptiness and length are told.</param>
    public static string Describe(ReadOnlySpan<byte> value, bool identifier)
    {
        if (value.IsEmpty) return "empty";
        if (value.IndexOfAnyExcept((byte)' ') < 0) return $"blank ({value.Length} spaces)";
        if (!Utf8.IsValid(value)) return $"{value.Length} bytes, not UTF-8";
        var chars = Encoding.UTF8.GetCharCount(value);
        if (identifier) return $"text of {chars} chars";
        if (value.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0) return $"digits ({value.Length})";
        if (chars > 32) return $"text of {chars} chars";
        // a mask: digits → 9, letters → A/a, other ASCII kept, anything else → ?
        Span<char> mask = stackalloc char[chars];
        var i = 0;
        foreach (var rune in Encoding.UTF8.GetString(value).EnumerateRunes())
        {
            if (i >= mask.Length) break;
            var v = rune.Value;
            mask[i++] = v switch
            {
                >= '0' and <= '9' => '9',
                >= 'A' and <= 'Z' => 'A',
                >= 'a' and <= 'z' => 'a',
                >= 0x20 and < 0x7f => (char)v,
                _ => Rune.IsLetter(rune) ? 'a' : '?',
            };
        }
        return $"text of {chars} chars shaped {new string(mask[..i])}";
    }
}
