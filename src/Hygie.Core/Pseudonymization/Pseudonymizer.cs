using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace Hygie.Core.Pseudonymization;

/// <summary>How a 32-byte pseudonym is written.</summary>
public enum PseudonymEncoding
{
    /// <summary>64 lowercase hexadecimal characters (default).</summary>
    Hex,
    /// <summary>52 lowercase RFC 4648 base32 characters, no padding.</summary>
    Base32,
}

public sealed record PseudonymizerOptions
{
    public PseudonymEncoding Encoding { get; init; } = PseudonymEncoding.Hex;

    /// <summary>How SNDS BEN_NIR_PSA and BEN_RNG_GEM make a person (see <see cref="SndsLinkage"/>).</summary>
    public SndsLinkage SndsLinkage { get; init; } = SndsLinkage.Psa;

    /// <summary>
    /// Bound on the identifiers remembered (0: no cache). A deposit of 10M rows with a few hundred thousand persons
    /// computes each HMAC once with a cache of about 1M entries. Two generations approximate LRU: the recent half is kept
    /// when the cache is full.
    /// </summary>
    public int CacheCapacity { get; init; }

    public static PseudonymizerOptions Default { get; } = new();
}

/// <summary>
/// Hub pseudonyms: <c>person_id = HMAC-SHA256(linkage key, canonical identifier)</c> (see <see cref="PersonIdentifier"/>
/// for the canonical forms), so one person's records link across tables and sources while nobody without the key can
/// compute or reverse them. Projects get <see cref="ProjectPseudonym"/>, a second HMAC under their own key, so two projects
/// cannot link their extracts. An instance is not thread-safe (its cache is not): use one per deposit pipeline.
/// </summary>
public sealed class Pseudonymizer : IDisposable
{
    public const int KeyLength = 32;
    private const int MaxCanonicalBytes = 16 + PersonIdentifier.MaxValueLength + 4;

    private readonly byte[] _key;
    private readonly IncrementalHash _hmac;
    private readonly PseudonymCache? _cache;
    private byte[] _lastInput = [];
    private string? _lastId;
    private bool _disposed;

    /// <param name="linkageKey">the hub's 32-byte linkage key, as the vault supplies it (copied; wiped on dispose).</param>
    public Pseudonymizer(ReadOnlySpan<byte> linkageKey, PseudonymizerOptions? options = null)
    {
        if (linkageKey.Length != KeyLength) throw new ArgumentException($"the linkage key must be {KeyLength} bytes", nameof(linkageKey));
        _key = linkageKey.ToArray();
        _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key); // reused: a third of a one-shot HMAC's cost
        Options = options ?? PseudonymizerOptions.Default;
        if (Options.CacheCapacity < 0) throw new ArgumentOutOfRangeException(nameof(options), "CacheCapacity must be ≥ 0");
        if (Options.CacheCapacity > 0) _cache = new PseudonymCache(Options.CacheCapacity);
    }

    public PseudonymizerOptions Options { get; }

    public long CacheHits => _cache?.Hits ?? 0;
    public long CacheMisses => _cache?.Misses ?? 0;

    /// <summary>The hub pseudonym (<c>person_id</c>) of an identifier.</summary>
    public string PersonId(PersonIdentifier identifier)
    {
        if (identifier.Canonical is null) throw new ArgumentException("default PersonIdentifier", nameof(identifier));
        var max = Encoding.UTF8.GetMaxByteCount(identifier.Canonical.Length);
        Span<byte> buf = max <= 512 ? stackalloc byte[max] : new byte[max];
        var n = Encoding.UTF8.GetBytes(identifier.Canonical, buf);
        return PersonIdOfCanonical(buf[..n]);
    }

    /// <summary>The hub pseudonym of a raw identifier of a kind (validated and normalized first).</summary>
    public string PersonId(PersonIdentifierKind kind, string value, int? rank = null) =>
        PersonId(PersonIdentifier.Of(kind, value, rank, Options.SndsLinkage));

    /// <summary>
    /// Allocation-free path for deposits: the hub pseudonym of an SNDS identifier given as UTF-8 bytes. False when the
    /// value is not a valid SNDS identifier (empty, over 128 bytes, not printable ASCII, or a missing rank under
    /// <see cref="SndsLinkage.PsaAndRank"/>).
    /// </summary>
    [SkipLocalsInit]
    public bool TryPersonIdOfSnds(PersonIdentifierKind kind, ReadOnlySpan<byte> valueUtf8, int? rank, [NotNullWhen(true)] out string? personId)
    {
        Span<byte> buf = stackalloc byte[MaxCanonicalBytes];
        var n = PersonIdentifier.WriteSndsCanonical(kind, valueUtf8, rank, Options.SndsLinkage, buf);
        if (n < 0) { personId = null; return false; }
        personId = PersonIdOfCanonical(buf[..n]);
        return true;
    }

    /// <summary>The hub pseudonym of an already canonical identifier (see <see cref="PersonIdentifier"/>).</summary>
    [SkipLocalsInit]
    public string PersonIdOfCanonical(ReadOnlySpan<byte> canonicalUtf8)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // rows of one person often follow each other
        if (_lastId is not null && canonicalUtf8.SequenceEqual(_lastInput)) return _lastId;
        if (_cache is null || !_cache.TryGet(canonicalUtf8, out var id))
        {
            Span<byte> mac = stackalloc byte[32];
            _hmac.AppendData(canonicalUtf8);
            _hmac.GetHashAndReset(mac);
            id = Encode(mac, Options.Encoding);
            _cache?.Add(canonicalUtf8, id);
        }
        if (_lastInput.Length != canonicalUtf8.Length) _lastInput = new byte[canonicalUtf8.Length];
        canonicalUtf8.CopyTo(_lastInput);
        _lastId = id;
        return id;
    }

    /// <summary>
    /// The project's own pseudonym of a hub pseudonym: HMAC-SHA256 under the project's key of
    /// <c>"hygie-project:" + hubPseudonym</c>. Two projects' keys give unlinkable pseudonyms; destroying a project's key
    /// makes its pseudonyms meaningless.
    /// </summary>
    public static string ProjectPseudonym(ReadOnlySpan<byte> projectKey, string hubPseudonym, PseudonymEncoding encoding = PseudonymEncoding.Hex)
    {
        if (projectKey.Length != KeyLength) throw new ArgumentException($"a project key must be {KeyLength} bytes", nameof(projectKey));
        ArgumentException.ThrowIfNullOrEmpty(hubPseudonym);
        const string prefix = "hygie-project:";
        Span<byte> input = stackalloc byte[prefix.Length + Encoding.UTF8.GetMaxByteCount(Math.Min(hubPseudonym.Length, 256))];
        if (hubPseudonym.Length > 256) throw new ArgumentException("not a hub pseudonym", nameof(hubPseudonym));
        var n = Encoding.ASCII.GetBytes(prefix, input);
        n += Encoding.UTF8.GetBytes(hubPseudonym, input[n..]);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(projectKey, input[..n], mac);
        return Encode(mac, encoding);
    }

    /// <summary>A project-pseudonym function bound to one key, for workspaces (copy of the key kept). Safe to call from
    /// several threads: each keeps its own keyed HMAC, which saves the key schedule of a one-shot HMAC per person.</summary>
    public static Func<string, string> ProjectPseudonymizer(ReadOnlySpan<byte> projectKey, PseudonymEncoding encoding = PseudonymEncoding.Hex)
    {
        var key = projectKey.ToArray();
        if (key.Length != KeyLength) throw new ArgumentException($"a project key must be {KeyLength} bytes", nameof(projectKey));
        var hmacs = new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key));
        return hub => ProjectPseudonym(hmacs.Value!, hub, encoding);
    }

    [SkipLocalsInit]
    private static string ProjectPseudonym(IncrementalHash hmac, string hubPseudonym, PseudonymEncoding encoding)
    {
        ArgumentException.ThrowIfNullOrEmpty(hubPseudonym);
        if (hubPseudonym.Length > 256) throw new ArgumentException("not a hub pseudonym", nameof(hubPseudonym));
        const string prefix = "hygie-project:";
        Span<byte> input = stackalloc byte[prefix.Length + Encoding.UTF8.GetMaxByteCount(hubPseudonym.Length)];
        var n = Encoding.ASCII.GetBytes(prefix, input);
        n += Encoding.UTF8.GetBytes(hubPseudonym, input[n..]);
        Span<byte> mac = stackalloc byte[32];
        hmac.AppendData(input[..n]);
        hmac.GetHashAndReset(mac);
        return Encode(mac, encoding);
    }

    public static string Encode(ReadOnlySpan<byte> digest, PseudonymEncoding encoding) => encoding switch
    {
        PseudonymEncoding.Hex => Convert.ToHexStringLower(digest),
        PseudonymEncoding.Base32 => Base32(digest),
        _ => throw new ArgumentOutOfRangeException(nameof(encoding)),
    };

    private static string Base32(ReadOnlySpan<byte> data)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var chars = new char[(data.Length * 8 + 4) / 5];
        int buffer = 0, bits = 0, o = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                chars[o++] = alphabet[(buffer >> (bits - 5)) & 31];
                bits -= 5;
            }
        }
        if (bits > 0) chars[o++] = alphabet[(buffer << (5 - bits)) & 31];
        return new string(chars, 0, o);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        CryptographicOperations.ZeroMemory(_key);
        CryptographicOperations.ZeroMemory(_lastInput);
        _lastId = null;
        _hmac.Dispose();
        _cache?.Clear();
    }
}
