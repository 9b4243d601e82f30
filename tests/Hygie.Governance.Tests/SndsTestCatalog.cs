using Hygie.Core.Catalog;

namespace Hygie.Governance.Tests;

/// <summary>A small catalogue as deposit would describe it: DCIR claims and pharmacy, PMSI MCO stays, the beneficiary referential.</summary>
public sealed class SndsTestCatalog : IDatasetCatalog
{
    public static readonly SndsTestCatalog Instance = new();

    private static ColumnDescription Person => new("person_id", "VARCHAR", "hub pseudonym of the beneficiary", IsPersonKey: true);

    private readonly List<DatasetDescription> _datasets =
    [
        new("dcir", "snds", "snds", "Données de consommation inter-régimes (claims)", new DateOnly(2015, 1, 1), new DateOnly(2024, 12, 31),
        [
            new TableDescription("ER_PRS_F", "Prestations (claims lines)", 1_234_567, 45_678,
            [
                Person,
                new("EXE_SOI_DTD", "DATE", "start date of care", DateColumn: true),
                new("PRS_NAT_REF", "INTEGER", "nature of the service"),
                new("PRS_ACT_QTE", "INTEGER", "quantity"),
                new("PRS_PAI_MNT", "DECIMAL", "amount paid"),
                new("BEN_SEX_COD", "INTEGER", "sex"),
                new("BEN_NAI_ANN", "INTEGER", "year of birth"),
                new("BEN_RES_DPT", "VARCHAR", "département of residence"),
            ]),
            new TableDescription("ER_PHA_F", "Pharmacy", 345_678, 23_456,
            [
                Person,
                new("EXE_SOI_DTD", "DATE", "dispensing date", DateColumn: true),
                new("PHA_PRS_C13", "VARCHAR", "CIP13 code of the drug"),
                new("PHA_ACT_QSN", "INTEGER", "quantity dispensed"),
            ]),
        ]),
        new("pmsi-mco", "snds", "snds", "PMSI médecine, chirurgie, obstétrique", new DateOnly(2018, 1, 1), new DateOnly(2023, 12, 31),
        [
            new TableDescription("T_MCOaaB", "Stays", 87_654, 40_321,
            [
                new("ETA_NUM", "VARCHAR", "FINESS of the hospital"), new("RSA_NUM", "VARCHAR", "stay number"),
                new("GRG_GHM", "VARCHAR", "GHM"), new("DGN_PAL", "VARCHAR", "main diagnosis (ICD-10)"), new("SEJ_NBJ", "INTEGER", "length of stay"),
            ]),
            new TableDescription("T_MCOaaC", "Linkage of stays to persons", 87_654, 40_321,
            [
                Person, new("ETA_NUM", "VARCHAR", null), new("RSA_NUM", "VARCHAR", null), new("EXE_SOI_DTD", "DATE", "admission date", DateColumn: true),
            ]),
        ]),
        new("ir-ben-r", "snds", "snds", "Référentiel des bénéficiaires (sample)", null, null,
        [
            new TableDescription("IR_BEN_R", "Beneficiaries", 420, 420,
                [Person, new("BEN_SEX_COD", "INTEGER", "sex"), new("BEN_NAI_ANN", "INTEGER", "year of birth"), new("BEN_RES_DPT", "VARCHAR", null)]),
        ]),
    ];

    public Task<DatasetDescription?> FindAsync(string dataset, CancellationToken ct = default) =>
        Task.FromResult(_datasets.FirstOrDefault(d => string.Equals(d.Name, dataset, StringComparison.OrdinalIgnoreCase)));

    public Task<IReadOnlyList<DatasetDescription>> ListAsync(CancellationToken ct = default) => Task.FromResult<IReadOnlyList<DatasetDescription>>(_datasets);
}
