namespace Hygie.Core.Disclosure;

/// <summary>
/// Statistical disclosure control settings, per hub and overridable per dataset (in the spirit of DataSHIELD's
/// <c>nfilter</c> options). Defaults follow the national platform: no cell from fewer than 11 persons.
/// </summary>
public sealed record DisclosureSettings
{
    /// <summary>A cell from fewer persons than this is suppressed.</summary>
    public int Threshold { get; init; } = 11;

    /// <summary>p% rule: a magnitude cell is sensitive when the others, less the second largest, are below p × the largest.</summary>
    public double DominanceP { get; init; } = 0.10;

    /// <summary>(N, K) rule: a magnitude cell is sensitive when its N largest contributors make more than K of it.</summary>
    public int DominanceN { get; init; } = 2;
    public double DominanceK { get; init; } = 0.90;

    /// <summary>Suppress more cells so that no suppressed one can be recomputed from the totals of its lines.</summary>
    public bool SecondarySuppression { get; init; } = true;

    /// <summary>Rounds released counts to this base after suppression (null: no rounding).</summary>
    public int? RoundingBase { get; init; }

    /// <summary>Treat zero cells as disclosive (they reveal that nobody in the group has the property).</summary>
    public bool ZerosDisclosive { get; init; }

    public int MaxRows { get; init; } = 5000;
    public long MaxBytes { get; init; } = 16L << 20;

    /// <summary>Column types an output may hold.</summary>
    public IReadOnlySet<string> AllowedTypes { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "VARCHAR", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER", "DOUBLE", "FLOAT", "DECIMAL",
        "DATE", "BOOLEAN",
    };

    public static DisclosureSettings Default { get; } = new();
}
