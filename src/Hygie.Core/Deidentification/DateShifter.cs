using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Hygie.Core.Deidentification;

/// <summary>
/// Moves all dates of one person by the same offset, in [−maxDays, +maxDays], derived from HMAC-SHA256 under a shift key
/// of the person's hub pseudonym, so intervals within a person are kept while calendar dates are not. The SNDS sentinel
/// 1600-01-01 is never moved. Derive the key from the linkage key with <see cref="DeriveKey"/> so every dataset of a hub
/// shifts a person the same way.
/// </summary>
public sealed class DateShifter
{
    private readonly byte[] _key;

    public DateShifter(ReadOnlySpan<byte> shiftKey, int maxDays)
    {
        if (shiftKey.Length < 16) throw new ArgumentException("the date-shift key must be at least 16 bytes", nameof(shiftKey));
        if (maxDays is < 1 or > 3650) throw new ArgumentOutOfRangeException(nameof(maxDays), "the shift range is 1 to 3650 days");
        _key = shiftKey.ToArray();
        MaxDays = maxDays;
    }

    public int MaxDays { get; }

    /// <summary>The shift key of a hub: HKDF-SHA256 of the linkage key with the info "hygie date-shift v1".</summary>
    public static byte[] DeriveKey(ReadOnlySpan<byte> linkageKey) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, linkageKey.ToArray(), 32, info: Encoding.ASCII.GetBytes("hygie date-shift v1"));

    /// <summary>The person's offset in days, in [−MaxDays, +MaxDays].</summary>
    public int OffsetDays(string personPseudonym)
    {
        ArgumentException.ThrowIfNullOrEmpty(personPseudonym);
        Span<byte> input = stackalloc byte[Encoding.UTF8.GetMaxByteCount(Math.Min(personPseudonym.Length, 256))];
        if (personPseudonym.Length > 256) throw new ArgumentException("not a pseudonym", nameof(personPseudonym));
        var n = Encoding.UTF8.GetBytes(personPseudonym, input);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, input[..n], mac);
        var range = (ulong)(2 * MaxDays + 1);
        // 64 bits modulo a range of at most 7301: the bias is below 2^-50.
        return (int)(BinaryPrimitives.ReadUInt64LittleEndian(mac) % range) - MaxDays;
    }

    public DateOnly Shift(DateOnly date, string personPseudonym) =>
        date == Generalization.SndsMissingDate ? date : date.AddDays(OffsetDays(personPseudonym));

    public DateTime Shift(DateTime value, string personPseudonym) =>
        DateOnly.FromDateTime(value) == Generalization.SndsMissingDate ? value : value.AddDays(OffsetDays(personPseudonym));
}
