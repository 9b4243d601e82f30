using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Hygie.Fhir.Search;

/// <summary>
/// Keyed hashes for the search index: HMAC-SHA256 under the tenant's index key, truncated to 128 bits. The same value
/// gives the same hash within a tenant (exact-match search works) and different hashes across tenants; without the
/// key, the index reveals no name, identifier, telecom or address.
/// </summary>
public sealed class IndexHasher(byte[] key)
{
    /// <summary>An identifier value, telecom value or other token code.</summary>
    public string Token(string value) => "h:" + Mac("t|", value);

    /// <summary>A string after normalization (case, accents, spaces): the default match.</summary>
    public string Normalized(string value) => "h:" + Mac("s|", Normalize(value));

    /// <summary>A string as written, for <c>:exact</c>.</summary>
    public string Exact(string value) => "e:" + Mac("x|", value);

    /// <summary>A normalized prefix, for name search when the tenant allows it.</summary>
    public string Prefix(string normalizedPrefix) => "p:" + Mac("p|", normalizedPrefix);

    public const int MaxPrefix = 32;

    private string Mac(string domain, string value)
    {
        Span<byte> mac = stackalloc byte[32];
        var data = Encoding.UTF8.GetBytes(domain + value);
        HMACSHA256.HashData(key, data, mac);
        return Convert.ToBase64String(mac[..16]).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>FHIR string matching: case-insensitive, accent-insensitive, whitespace collapsed.</summary>
    public static string Normalize(string value)
    {
        var decomposed = value.Trim().Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length);
        var space = false;
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark) continue;
            if (char.IsWhiteSpace(c))
            {
                if (!space) builder.Append(' ');
                space = true;
                continue;
            }
            space = false;
            builder.Append(char.ToLowerInvariant(c));
        }
        return builder.ToString().Normalize(NormalizationForm.FormC);
    }
}
