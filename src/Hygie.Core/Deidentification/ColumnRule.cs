using Hygie.Core.Pseudonymization;

namespace Hygie.Core.Deidentification;

/// <summary>The rule of one column in a <see cref="DeidentificationProfile"/>.</summary>
public sealed record ColumnRule(ColumnAction Action)
{
    /// <summary>For <see cref="ColumnAction.Pseudonymize"/>: the kind of identifier the column holds.</summary>
    public PersonIdentifierKind? Identifier { get; init; }

    /// <summary>For <see cref="ColumnAction.Pseudonymize"/> of BEN_NIR_PSA: the twin-rank column used under
    /// <see cref="SndsLinkage.PsaAndRank"/>.</summary>
    public string? RankColumn { get; init; }

    /// <summary>
    /// For <see cref="ColumnAction.CommuneToDepartement"/> when the commune code is the SNDS 3-character code within its
    /// département (BEN_RES_COM): the column holding the département (BEN_RES_DPT). Without it the column must hold
    /// 5-character INSEE codes.
    /// </summary>
    public string? DepartementColumn { get; init; }

    public static ColumnRule Keep { get; } = new(ColumnAction.Keep);
    public static ColumnRule Drop { get; } = new(ColumnAction.Drop);
    public static ColumnRule ToMonth { get; } = new(ColumnAction.DateToMonth);
    public static ColumnRule ToYear { get; } = new(ColumnAction.DateToYear);
    public static ColumnRule Shift { get; } = new(ColumnAction.ShiftDate);
    public static ColumnRule PersonId(PersonIdentifierKind kind, string? rankColumn = null) => new(ColumnAction.Pseudonymize) { Identifier = kind, RankColumn = rankColumn };
    public static ColumnRule Departement(string? departementColumn = null) => new(ColumnAction.CommuneToDepartement) { DepartementColumn = departementColumn };
}
