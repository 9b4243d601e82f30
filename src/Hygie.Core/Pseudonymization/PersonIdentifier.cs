using System.Text;
using Hygie.Core.Errors;

namespace Hygie.Core.Pseudonymization;

/// <summary>
/// A direct person identifier in its normalized (canonical) form, the exact input of the linkage HMAC.
/// <para>Canonical forms, in ASCII:</para>
/// <list type="bullet">
/// <item><c>snds-psa:{BEN_NIR_PSA}</c> for <c>BEN_NIR_PSA</c> and for <c>NIR_ANO_17</c> (same pseudonymized person in the
/// SNDS: in the synthetic data every <c>NIR_ANO_17</c> is a <c>BEN_NIR_PSA</c>); <c>snds-psa:{BEN_NIR_PSA}#{rank}</c> under
/// <see cref="SndsLinkage.PsaAndRank"/>.</item>
/// <item><c>snds-idt:{BEN_IDT_ANO}</c> and <c>snds-nirano:{BEN_NIR_ANO}</c>: other pseudonym spaces of the SNDS, which no
/// function of the value alone can map to a PSA; they link through <see cref="PersonAliases"/> (IR_BEN_R carries them
/// beside <c>BEN_NIR_PSA</c> on one row).</item>
/// <item><c>nir:{13 characters}</c> for a raw NIR and for an INS matricule (which is the NIR or NIA), key checked and
/// dropped, separators removed, 2A/2B upper-cased, so a NIR and an INS of the same person link.</item>
/// <item><c>local:{scope}|{id}</c> for a producer's own identifier (<see cref="Local"/>): a FHIR Patient without
/// national or SNDS identifier, under its tenant or producer, so it links within that producer's data only.</item>
/// </list>
/// SNDS values are trimmed of ASCII spaces but keep their case (SNDS pseudonyms are case-sensitive).
/// <see cref="ToString"/> never shows the value.
/// </summary>
public readonly struct PersonIdentifier : IEquatable<PersonIdentifier>
{
    public const int MaxValueLength = 128;

    private PersonIdentifier(PersonIdentifierKind kind, string canonical)
    {
        Kind = kind;
        Canonical = canonical;
    }

    public PersonIdentifierKind Kind { get; }

    /// <summary>The HMAC input. Holds the raw identifier: never log or store it.</summary>
    public string Canonical { get; }

    public static PersonIdentifier SndsBenNirPsa(string benNirPsa, int? benRngGem = null, SndsLinkage linkage = SndsLinkage.Psa)
    {
        var psa = SndsValue(benNirPsa, "BEN_NIR_PSA");
        if (linkage == SndsLinkage.PsaAndRank)
        {
            if (benRngGem is null) throw new ValidationFailedException("BEN_RNG_GEM is required to link persons by (BEN_NIR_PSA, BEN_RNG_GEM)", "BEN_RNG_GEM", "pseudonymization");
            if (benRngGem is < 0 or > 99) throw new ValidationFailedException("BEN_RNG_GEM is a rank from 0 to 99", "BEN_RNG_GEM", "pseudonymization");
            return new(PersonIdentifierKind.SndsBenNirPsa, $"snds-psa:{psa}#{benRngGem.Value}");
        }
        return new(PersonIdentifierKind.SndsBenNirPsa, "snds-psa:" + psa);
    }

    public static PersonIdentifier SndsNirAno17(string nirAno17) =>
        new(PersonIdentifierKind.SndsNirAno17, "snds-psa:" + SndsValue(nirAno17, "NIR_ANO_17"));

    public static PersonIdentifier SndsBenIdtAno(string benIdtAno) =>
        new(PersonIdentifierKind.SndsBenIdtAno, "snds-idt:" + SndsValue(benIdtAno, "BEN_IDT_ANO"));

    public static PersonIdentifier SndsBenNirAno(string benNirAno) =>
        new(PersonIdentifierKind.SndsBenNirAno, "snds-nirano:" + SndsValue(benNirAno, "BEN_NIR_ANO"));

    public static PersonIdentifier Nir(string nir) => FromNir(nir, PersonIdentifierKind.Nir, "NIR");

    public static PersonIdentifier Ins(string insMatricule) => FromNir(insMatricule, PersonIdentifierKind.Ins, "INS");

    public const int MaxLocalLength = 1024;

    /// <summary>A producer-scoped identifier: <paramref name="scope"/> names the producer (e.g. <c>tenant:clinic-a</c>),
    /// <paramref name="localId"/> the person within it (e.g. <c>Patient/123</c>).</summary>
    public static PersonIdentifier Local(string scope, string localId)
    {
        if (string.IsNullOrWhiteSpace(scope) || scope.Contains('|'))
            throw new ValidationFailedException("a local person identifier needs a scope without '|'", "scope", "pseudonymization");
        if (string.IsNullOrWhiteSpace(localId))
            throw new ValidationFailedException("a local person identifier is empty", "id", "pseudonymization");
        if (scope.Length + localId.Length > MaxLocalLength)
            throw new ValidationFailedException($"a local person identifier is longer than {MaxLocalLength} characters", "id", "pseudonymization");
        return new(PersonIdentifierKind.Local, $"local:{scope}|{localId}");
    }

    /// <summary>Builds the identifier of a kind from its raw text (rank only for <see cref="PersonIdentifierKind.SndsBenNirPsa"/>;
    /// <see cref="PersonIdentifierKind.Local"/> needs its scope: use <see cref="Local"/>).</summary>
    public static PersonIdentifier Of(PersonIdentifierKind kind, string value, int? rank = null, SndsLinkage linkage = SndsLinkage.Psa) => kind switch
    {
        PersonIdentifierKind.SndsBenNirPsa => SndsBenNirPsa(value, rank, linkage),
        PersonIdentifierKind.SndsNirAno17 => SndsNirAno17(value),
        PersonIdentifierKind.SndsBenIdtAno => SndsBenIdtAno(value),
        PersonIdentifierKind.SndsBenNirAno => SndsBenNirAno(value),
        PersonIdentifierKind.Nir => Nir(value),
        PersonIdentifierKind.Ins => Ins(value),
        PersonIdentifierKind.Local => throw new ArgumentException("a local identifier needs its scope: use PersonIdentifier.Local", nameof(kind)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The canonical prefix of a kind (the namespace that keeps kinds apart).</summary>
    public static string PrefixOf(PersonIdentifierKind kind) => kind switch
    {
        PersonIdentifierKind.SndsBenNirPsa or PersonIdentifierKind.SndsNirAno17 => "snds-psa:",
        PersonIdentifierKind.SndsBenIdtAno => "snds-idt:",
        PersonIdentifierKind.SndsBenNirAno => "snds-nirano:",
        PersonIdentifierKind.Nir or PersonIdentifierKind.Ins => "nir:",
        PersonIdentifierKind.Local => "local:",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>
    /// Writes the canonical UTF-8 form of an SNDS identifier read as bytes (the allocation-free path of deposits) into
    /// <paramref name="destination"/>; returns the bytes written, or −1 when the value is not a valid SNDS identifier
    /// (empty, too long, or not printable ASCII). NIR and INS go through <see cref="NirValidator"/> instead.
    /// </summary>
    public static int WriteSndsCanonical(PersonIdentifierKind kind, ReadOnlySpan<byte> valueUtf8, int? rank, SndsLinkage linkage, Span<byte> destination)
    {
        if (kind is PersonIdentifierKind.Nir or PersonIdentifierKind.Ins or PersonIdentifierKind.Local)
            throw new ArgumentException("NIR, INS and local identifiers are not SNDS pseudonyms", nameof(kind));
        var value = valueUtf8.Trim((byte)' ');
        if (value.IsEmpty || value.Length > MaxValueLength) return -1;
        if (value.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7e) >= 0) return -1;
        var prefix = kind switch
        {
            PersonIdentifierKind.SndsBenIdtAno => "snds-idt:"u8,
            PersonIdentifierKind.SndsBenNirAno => "snds-nirano:"u8,
            _ => "snds-psa:"u8,
        };
        prefix.CopyTo(destination);
        var n = prefix.Length;
        value.CopyTo(destination[n..]);
        n += value.Length;
        if (kind == PersonIdentifierKind.SndsBenNirPsa && linkage == SndsLinkage.PsaAndRank)
        {
            if (rank is not (>= 0 and <= 99)) return -1;
            destination[n++] = (byte)'#';
            if (rank >= 10) destination[n++] = (byte)('0' + rank.Value / 10);
            destination[n++] = (byte)('0' + rank.Value % 10);
        }
        return n;
    }

    private static PersonIdentifier FromNir(string value, PersonIdentifierKind kind, string label)
    {
        var v = NirValidator.Validate(value);
        if (!v.IsValid) throw new ValidationFailedException($"{label}: {v.Describe()}", label, "pseudonymization");
        return new(kind, "nir:" + v.Number);
    }

    private static string SndsValue(string? value, string column)
    {
        var v = (value ?? "").Trim(' ');
        if (v.Length == 0) throw new ValidationFailedException($"{column} is empty: a person identifier is required", column, "pseudonymization");
        if (v.Length > MaxValueLength) throw new ValidationFailedException($"{column}: text of {v.Length} chars is longer than an SNDS identifier ({MaxValueLength})", column, "pseudonymization");
        foreach (var c in v)
            if (c is < '!' or > '~') throw new ValidationFailedException($"{column}: an SNDS identifier holds printable ASCII only", column, "pseudonymization");
        return v;
    }

    public bool Equals(PersonIdentifier other) => Kind == other.Kind && string.Equals(Canonical, other.Canonical, StringComparison.Ordinal);
    public override bool Equals(object? obj) => obj is PersonIdentifier o && Equals(o);
    public override int GetHashCode() => HashCode.Combine(Kind, Canonical);
    public static bool operator ==(PersonIdentifier a, PersonIdentifier b) => a.Equals(b);
    public static bool operator !=(PersonIdentifier a, PersonIdentifier b) => !a.Equals(b);

    public override string ToString() => $"PersonIdentifier({Kind})";
}
