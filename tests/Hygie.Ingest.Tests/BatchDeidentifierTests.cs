using System.Security.Cryptography;
using System.Text;
using Hygie.Core.Deidentification;
using Hygie.Core.Errors;
using Hygie.Core.Pseudonymization;
using Hygie.Ingest.BuiltIn;
using Hygie.Ingest.Columns;
using Hygie.Ingest.Csv;
using Hygie.Ingest.Deidentification;
using Hygie.Ingest.Schemas;

namespace Hygie.Ingest.Tests;

public class BatchDeidentifierTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    private static (List<DeidentifiedBatch> Batches, BatchDeidentifier Plan) Deposit(string table, DeidentificationProfile profile, Pseudonymizer p,
        PersonAliases? aliases = null, DateShifter? shifter = null)
    {
        var schema = BuiltInTables.Find(table)!;
        var reader = new SndsCsvReader(File.OpenRead(Path.Combine(TestData.Synthetic, table + ".csv")), schema);
        reader.ReadHeader();
        var plan = new BatchDeidentifier(schema, reader.Header, profile, p, aliases, shifter, table + ".csv");
        return ([.. reader.ReadAll().Select(plan.Apply)], plan);
    }

    private static HashSet<string> RawValues(string table, params string[] columns)
    {
        var lines = File.ReadAllLines(Path.Combine(TestData.Synthetic, table + ".csv"));
        var header = lines[0].Split(';');
        var idx = columns.Select(c => Array.IndexOf(header, c)).ToArray();
        return [.. lines.Skip(1).SelectMany(l => idx.Select(i => l.Split(';')[i]))];
    }

    [Fact]
    public void Beneficiaries_get_one_person_id_and_lose_their_identifiers_and_quasi_identifiers()
    {
        using var p = new Pseudonymizer(Key, new PseudonymizerOptions { CacheCapacity = 10_000 });
        var aliases = new PersonAliases();
        var (batches, plan) = Deposit("IR_BEN_R", DeidentificationProfile.SndsDefault, p, aliases);
        var names = plan.OutputSchema.Fields.Select(f => f.Name).ToList();
        Assert.Equal("person_id", names[0]);
        foreach (var gone in new[] { "BEN_NIR_PSA", "BEN_IDT_ANO", "BEN_NIR_ANO", "ASS_NIR_ANO", "BEN_NAI_MOI" })
            Assert.DoesNotContain(gone, names);
        Assert.Contains("BEN_RNG_GEM", names);
        Assert.Contains("BEN_RES_COM", names);

        var batch = Assert.Single(batches);
        Assert.Equal(50, batch.PersonIds!.Distinct().Count());
        Assert.Equal(100, aliases.Count); // BEN_IDT_ANO and BEN_NIR_ANO of each row, linked to its person
        var commune = (StringColumn)batch.Columns[plan.OutputSchema.IndexOf("BEN_RES_COM") - 1];
        // first row: BEN_RES_DPT 069, BEN_RES_COM 290 → 69
        Assert.Equal("69", commune.GetString(0));
        var death = (DateColumn)batch.Columns[plan.OutputSchema.IndexOf("BEN_DCD_DTE") - 1];
        Assert.Equal(new DateOnly(1959, 12, 1), death.GetDate(0)); // 06DEC1959 → December 1959
        Assert.Equal(plan.OutputSchema.Fields.Count - 1, batch.Columns.Count);

        // nothing of the raw identifiers is stored
        var raw = RawValues("IR_BEN_R", "BEN_NIR_PSA", "BEN_IDT_ANO", "BEN_NIR_ANO", "ASS_NIR_ANO");
        foreach (var column in batch.Columns.OfType<StringColumn>())
            for (var i = 0; i < batch.Count; i++)
                Assert.DoesNotContain(column.GetString(i) ?? "", raw);
        Assert.DoesNotContain(batch.PersonIds!, id => raw.Contains(id!));

        // stays and deaths land on the same persons
        var persons = batch.PersonIds!.ToHashSet();
        var (stays, _) = Deposit("T_MCOaaC", DeidentificationProfile.SndsDefault, p, aliases);
        Assert.All(stays.SelectMany(b => b.PersonIds!), id => Assert.Contains(id, persons));
        var (deaths, deathPlan) = Deposit("KI_CCI_R", DeidentificationProfile.SndsDefault, p, aliases);
        Assert.All(deaths.SelectMany(b => b.PersonIds!), id => Assert.Contains(id, persons));
        Assert.DoesNotContain("DCD_IDT_ENC", deathPlan.OutputSchema.Fields.Select(f => f.Name));
        Assert.DoesNotContain("DCD_LIE_LIB", deathPlan.OutputSchema.Fields.Select(f => f.Name));
        var claims = Deposit("ER_PRS_F", DeidentificationProfile.SndsDefault, p, aliases).Batches.SelectMany(b => b.PersonIds!).ToList();
        Assert.Equal(238, claims.Count);
        Assert.All(claims, id => Assert.Contains(id, persons));
    }

    [Fact]
    public void Dates_shift_by_one_offset_per_person_and_the_sentinel_stays()
    {
        var schema = new TableSchema("T", [new FieldSchema("BEN_NIR_PSA", FieldType.String) { IsIdentifier = true }, new FieldSchema("D", FieldType.Date), new FieldSchema("E", FieldType.DateTime)]);
        var csv = "BEN_NIR_PSA;D;E\nAAA;01/03/2019;01/03/2019\nAAA;09/03/2019;09MAR2019:10:00:00\nBBB;01/01/1600;01/01/1600\nBBB;01/03/2019;\n";
        using var reader = new SndsCsvReader(new MemoryStream(Encoding.UTF8.GetBytes(csv)), schema);
        reader.ReadHeader();
        var profile = new DeidentificationProfile(new Dictionary<string, ColumnRule>
        {
            ["BEN_NIR_PSA"] = ColumnRule.PersonId(PersonIdentifierKind.SndsBenNirPsa),
            ["D"] = ColumnRule.Shift,
            ["E"] = ColumnRule.Shift,
        }, dateShiftMaxDays: 10);
        using var p = new Pseudonymizer(Key);
        var shifter = new DateShifter(DateShifter.DeriveKey(Key), profile.DateShiftMaxDays);
        var plan = new BatchDeidentifier(schema, reader.Header, profile, p, shifter: shifter);
        using var batch = plan.Apply(reader.ReadBatch()!);
        var d = (DateColumn)batch.Columns[0];
        var e = (TimestampColumn)batch.Columns[1];
        var offsetA = shifter.OffsetDays(batch.PersonIds![0]!);
        Assert.Equal(new DateOnly(2019, 3, 1).AddDays(offsetA), d.GetDate(0));
        Assert.Equal(8, d.GetDate(1).DayNumber - d.GetDate(0).DayNumber);
        Assert.Equal(new DateTime(2019, 3, 9, 10, 0, 0).AddDays(offsetA), e.GetDateTime(1));
        Assert.True(d.IsMissingSentinel(2));
        Assert.True(e.IsMissingSentinel(2));
        Assert.True(e.IsNull(3));
        Assert.Equal(new DateOnly(2019, 3, 1).AddDays(shifter.OffsetDays(batch.PersonIds[3]!)), d.GetDate(3));
    }

    [Fact]
    public void Rules_that_cannot_apply_are_refused_before_any_row()
    {
        var schema = BuiltInTables.Find("IR_BEN_R")!;
        var columns = schema.Fields.Select(f => f.Name).ToList();
        using var p = new Pseudonymizer(Key);
        var e = Assert.Throws<ValidationFailedException>(() => new BatchDeidentifier(schema, columns, DeidentificationProfile.SndsDefault.With("BEN_CDI_NIR", ColumnRule.ToMonth), p));
        Assert.Equal("BEN_CDI_NIR", e.Field);
        var noDpt = Assert.Throws<ValidationFailedException>(() => new BatchDeidentifier(schema, columns.Where(c => c != "BEN_RES_DPT").ToList(), DeidentificationProfile.SndsDefault, p));
        Assert.Contains("BEN_RES_DPT", noDpt.Message);
        var noKey = Assert.Throws<ValidationFailedException>(() => new BatchDeidentifier(schema, columns, DeidentificationProfile.SndsDefault.With("MAX_TRT_DTD", ColumnRule.Shift), p));
        Assert.Contains("date-shift key", noKey.Message);
    }

    [Fact]
    public void An_identifier_that_cannot_be_pseudonymized_refuses_the_row_without_showing_it()
    {
        var schema = new TableSchema("T", [new FieldSchema("NIR", FieldType.String) { IsIdentifier = true }, new FieldSchema("X", FieldType.Integer)]);
        using var reader = new SndsCsvReader(new MemoryStream("NIR;X\n185057800608400;1\n"u8.ToArray()), schema, new CsvReadOptions { FileName = "fhir.csv" });
        reader.ReadHeader();
        using var p = new Pseudonymizer(Key);
        var plan = new BatchDeidentifier(schema, reader.Header, new DeidentificationProfile([new("NIR", ColumnRule.PersonId(PersonIdentifierKind.Nir))]), p, fileName: "fhir.csv");
        var e = Assert.Throws<ValidationFailedException>(() => plan.Apply(reader.ReadBatch()!));
        Assert.Equal("NIR", e.Field);
        Assert.Contains("fhir.csv line 2", e.Message);
        Assert.DoesNotContain("1850578", e.Message);
    }
}
