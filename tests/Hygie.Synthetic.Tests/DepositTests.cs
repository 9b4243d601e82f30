using Hygie.Ingest.Deposit;
using Hygie.Synthetic.Snds;
using Hygie.Testing;

namespace Hygie.Synthetic.Tests;

/// <summary>The generated tables go through the hub's real deposit pipeline: parsed, pseudonymized, sealed.</summary>
public sealed class DepositTests
{
    [Fact]
    public async Task Every_generated_table_deposits_through_the_pipeline_with_no_rejected_row()
    {
        var extract = await Extract.GenerateAsync(seed: 5, persons: 1500, year: 2021);
        await using var hub = await TestHub.CreateAsync(migrations: DepositSchema.Migrations);
        var service = new DatasetService(hub.Hub);
        await service.CreateAsync("operator", new NewDataset("synthetic", "snds", "snds"));
        foreach (var table in SndsExtract.Tables)
        {
            var rows = extract.Table(table).Rows.Count;
            Assert.True(rows > 0, $"{table} has rows");
            var report = await service.DepositSndsAsync("producer", "synthetic",
                new SndsDepositRequest(SndsExtract.NameFor(table, 2021), FileName: SndsExtract.FileName(table, 2021)), new MemoryStream(extract.Files[table]));
            Assert.Equal("stored", report.Status);
            Assert.Equal(0, report.RowsRejected);
            Assert.Empty(report.Errors);
            Assert.Equal(rows, report.RowsRead);
            Assert.Equal(rows, report.RowsStored);
        }
        var tables = (await service.FindAsync("synthetic"))!.Tables.ToDictionary(t => t.Name);
        Assert.Equal(SndsExtract.Tables.Order(), tables.Keys.Order());
        Assert.Equal(1500, tables["IR_BEN_R"].Persons);
        Assert.Equal(extract.Table("ER_PRS_F").Column("BEN_NIR_PSA").Distinct().Count(), tables["ER_PRS_F"].Persons);
        Assert.Equal(extract.Table("T_MCOaaC").Column("NIR_ANO_17").Distinct().Count(), tables["T_MCOaaC"].Persons);
        Assert.Equal(extract.Table("KI_CCI_R").Rows.Count, tables["KI_CCI_R"].Persons);
        Assert.NotNull(tables["ER_PRS_F"].Column("person_id"));
        Assert.Null(tables["ER_PRS_F"].Column("BEN_NIR_PSA"));
    }
}
