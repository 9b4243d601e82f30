using Hygie.Core.Errors;
using Hygie.Ingest.BuiltIn;
using Hygie.Ingest.Columns;
using Hygie.Ingest.Csv;
using Hygie.Ingest.Schemas;

namespace Hygie.Ingest.Tests;

public class BuiltInTablesTests
{
    private static readonly string[] Core = ["IR_BEN_R", "ER_PRS_F", "ER_PHA_F", "T_MCOaaB", "T_MCOaaC", "T_MCOaaD", "KI_CCI_R"];

    public static TheoryData<string> CoreTables => [.. Core];

    [Fact]
    public void The_hub_defines_the_seven_core_tables()
    {
        Assert.Equal(Core.Order(), BuiltInTables.Names.Order());
        Assert.All(BuiltInTables.Catalog.Tables, t => Assert.Equal("built-in", t.Source));
        Assert.Equal("T_MCOaaB", BuiltInTables.Find("T_MCO19B")!.Name);
        Assert.Null(BuiltInTables.Find("ER_XYZ_F"));
    }

    [Theory]
    [MemberData(nameof(CoreTables))]
    public void Each_definition_accepts_the_synthetic_extract_of_its_table(string table)
    {
        var schema = BuiltInTables.Find(table)!;
        var path = Path.Combine(TestData.Synthetic, table + ".csv");
        using var reader = new SndsCsvReader(File.OpenRead(path), schema, new CsvReadOptions { FileName = table + ".csv" });
        var rows = reader.ReadAll().Sum(b => b.Count);
        Assert.Equal(';', reader.Delimiter);
        Assert.Equal(File.ReadLines(path).Count() - 1, rows);
        Assert.Equal(rows, reader.RowsAccepted);
        Assert.Empty(reader.Errors);
        Assert.Equal(schema.Fields.Count, reader.Header.Count);
    }

    [Fact]
    public void Built_in_types_follow_the_data()
    {
        var ben = BuiltInTables.Find("IR_BEN_R")!;
        Assert.Equal(["BEN_NIR_PSA", "BEN_RNG_GEM"], ben.PrimaryKey);
        Assert.True(ben.Field("BEN_NIR_PSA")!.IsIdentifier);
        Assert.True(ben.Field("BEN_NIR_PSA")!.Required);
        Assert.True(ben.Field("ASS_NIR_ANO")!.IsIdentifier);
        Assert.Equal(FieldType.Month, ben.Field("BEN_NAI_MOI")!.Type);
        Assert.Equal(FieldType.DateTime, ben.Field("BEN_IDT_MAJ")!.Type);
        Assert.Equal(FieldType.Boolean, BuiltInTables.Find("ER_PRS_F")!.Field("BEN_CMU_TOP")!.Type);
        Assert.Equal(FieldType.String, BuiltInTables.Find("T_MCOaaB")!.Field("ETA_NUM")!.Type);
        Assert.Equal(FieldType.String, BuiltInTables.Find("T_MCOaaD")!.Field("ETA_NUM")!.Type);
        Assert.True(BuiltInTables.Find("T_MCOaaC")!.Field("NIR_ANO_17")!.IsIdentifier);

        using var reader = new SndsCsvReader(File.OpenRead(Path.Combine(TestData.Synthetic, "IR_BEN_R.csv")), ben);
        var batch = Assert.Single(reader.ReadAll());
        // first row: ...;11Jun1990:15:47:24;03;1962;12;2;06DEC1959:00:00:00;200911;...;12/06/1981;...
        Assert.Equal(new DateTime(1990, 6, 11, 15, 47, 24), batch.Column<TimestampColumn>("BEN_IDT_MAJ").GetDateTime(0));
        Assert.Equal(new DateOnly(1959, 12, 6), batch.Column<DateColumn>("BEN_DCD_DTE").GetDate(0));
        Assert.Equal(new DateOnly(1981, 6, 12), batch.Column<DateColumn>("MAX_TRT_DTD").GetDate(0));
        Assert.Equal(200911, batch.Column<Int32Column>("BEN_DCD_AME").Values[0]);
        Assert.Equal(12, batch.Column<Int32Column>("BEN_NAI_MOI").Values[0]);
        Assert.False(batch.Column<BooleanColumn>("BEN_IDT_TOP").Values[0]);
    }

    [Fact]
    public void The_definitions_format_refuses_what_it_does_not_know()
    {
        var e = Assert.Throws<ValidationFailedException>(() => BuiltInTables.Parse("table T\n  A strnig\n", "defs.txt"));
        Assert.Contains("line 2", e.Message);
        Assert.Throws<ValidationFailedException>(() => BuiltInTables.Parse("  A string\n", "defs.txt"));
        Assert.Throws<ValidationFailedException>(() => BuiltInTables.Parse("table T key B\n  A string\n", "defs.txt"));
        Assert.Throws<ValidationFailedException>(() => BuiltInTables.Parse("table T\n  A string wide\n", "defs.txt"));
        var ok = BuiltInTables.Parse("table T_Xaa key A   # comment\n  A string 3 id required\n  B month\n", "defs.txt");
        var t = ok.Get("T_X21");
        Assert.Equal((3, true, true), (t.Field("A")!.Length, t.Field("A")!.IsIdentifier, t.Field("A")!.Required));
    }
}
