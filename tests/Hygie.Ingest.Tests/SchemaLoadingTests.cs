using System.Text.Json.Nodes;
using Hygie.Core.Errors;
using Hygie.Ingest.Schemas;

namespace Hygie.Ingest.Tests;

public class SchemaLoadingTests
{
    private static IEnumerable<string> SchemaFiles() =>
        Directory.EnumerateFiles(TestData.Schemas, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    [Fact]
    public void All_191_published_schemas_load()
    {
        var files = SchemaFiles().ToList();
        Assert.Equal(191, files.Count);
        foreach (var file in files)
        {
            var schema = TableSchemaReader.Load(file);
            Assert.False(string.IsNullOrWhiteSpace(schema.Name));
            Assert.NotEmpty(schema.Fields);
            Assert.Equal(file, schema.Source);
        }
        var catalog = SchemaCatalog.LoadDirectory(TestData.Schemas);
        Assert.Equal(191, catalog.Tables.Count);
    }

    [Fact]
    public void Primary_key_as_a_plain_string_or_an_array()
    {
        var asString = TableSchemaReader.Load(TestData.PathOf("snds-schemas", "PMSI", "PMSI HAD", "T_HADaaE.json"));
        Assert.Equal(["ETA_NUM"], asString.PrimaryKey);
        var asArray = TableSchemaReader.Load(TestData.PathOf("snds-schemas", "BENEFICIAIRE", "IR_BEN_R.json"));
        Assert.Equal(["BEN_NIR_PSA", "BEN_RNG_GEM"], asArray.PrimaryKey);
    }

    [Fact]
    public void Non_standard_members_lengths_formats_and_foreign_keys_are_read()
    {
        var prs = TableSchemaReader.Load(TestData.PathOf("snds-schemas", "DCIR", "ER_PRS_F.json"));
        Assert.Equal("ER_PRS_F", prs.Name);
        Assert.Equal("DCIR", prs.Product);
        Assert.Equal([""], prs.MissingValues);
        var psa = prs.Field("BEN_NIR_PSA")!;
        Assert.Equal((FieldType.String, 17, true), (psa.Type, psa.Length, psa.IsIdentifier));
        var amount = prs.Field("PRS_MNT_MAJ")!;
        Assert.Equal((FieldType.Number, 7, 2), (amount.Type, amount.Length, amount.Scale));
        Assert.Equal(FieldType.YearMonth, prs.Field("EXE_SOI_AMD")!.Type);
        Assert.Contains(prs.ForeignKeys, fk => fk.Fields.SequenceEqual(["PRS_CRD_OPT"]) && fk.ReferenceResource == "IR_TOC_V");

        var ben = TableSchemaReader.Load(TestData.PathOf("snds-schemas", "BENEFICIAIRE", "IR_BEN_R.json"));
        Assert.Equal(FieldType.Month, ben.Field("BEN_NAI_MOI")!.Type);
        Assert.Equal(FieldType.Year, ben.Field("BEN_NAI_ANN")!.Type);
        Assert.Equal(0, ben.Field("BEN_RNG_GEM")!.Minimum);

        var mcoC = TableSchemaReader.Load(TestData.PathOf("snds-schemas", "PMSI", "PMSI MCO", "T_MCOaaC.json"));
        var soins = mcoC.Field("EXE_SOI_DTD")!;
        Assert.Equal((FieldType.DateTime, "%d%b%Y:%H:%M:%S"), (soins.Type, soins.Format));
        Assert.Equal("%d%m%Y", mcoC.Field("ENT_DAT")!.Format);
        Assert.Equal(["0"], mcoC.Field("SEJ_RET")!.TrueValues);
        Assert.Equal(["9"], mcoC.Field("SEJ_RET")!.FalseValues);

        var damir = TableSchemaReader.Load(TestData.PathOf("snds-schemas", "DAMIR", "OPEN_DAMIR.json"));
        Assert.Empty(damir.MissingValues);
    }

    [Theory]
    [InlineData("T_MCOaaB", "T_MCO19B", true)]
    [InlineData("T_MCOaaB", "t_mco09b", true)]
    [InlineData("T_MCOaaB", "T_MCOaaB", true)]
    [InlineData("T_MCOaaB", "T_MCO9B", false)]
    [InlineData("T_MCOaaB", "T_MCO19BB", false)]
    [InlineData("T_MCOaaB", "T_SSR19B", false)]
    [InlineData("T_MCOaaSUP_BPHNA", "T_MCO21SUP_BPHNA", true)]
    [InlineData("CT_DEP_AAAA_GN", "CT_DEP_2019_GN", true)]
    [InlineData("CT_DEP_AAAA_GN", "CT_DEP_19_GN", false)]
    [InlineData("T_MCOaaGVxx", "T_MCO19GV07", true)]
    [InlineData("ER_PRS_F", "ER_PRS_F", true)]
    public void Year_placeholders_in_table_names(string schemaName, string table, bool matches)
    {
        var schema = new TableSchema(schemaName, [new FieldSchema("A", FieldType.String)]);
        Assert.Equal(matches, schema.Matches(table));
    }

    [Fact]
    public void The_catalog_finds_a_pmsi_table_of_a_given_year_and_refuses_an_unknown_one()
    {
        var catalog = SchemaCatalog.LoadDirectory(TestData.Schemas);
        Assert.Equal("T_MCOaaB", catalog.Find("T_MCO19B")!.Name);
        Assert.Equal("T_MCOaaBPHN", catalog.Find("T_MCO22BPHN")!.Name);
        Assert.Equal("ER_PRS_F", catalog.Find("er_prs_f")!.Name);
        Assert.Null(catalog.Find("ER_XYZ_F"));
        var e = Assert.Throws<NotFoundException>(() => catalog.Get("ER_XYZ_F"));
        Assert.Contains("ER_XYZ_F", e.Message);
    }

    public static TheoryData<string, string, string> BadSchemas => new()
    {
        { """{"name":"T","fields":[{"name":"A","type":"strnig"}]}""", "A", "unknown type" },
        { """{"name":"T","fields":[{"name":"A","type":"string","length":"ten"}]}""", "A", "length" },
        { """{"name":"T","fields":[{"name":"A","type":"number","length":"10;2"}]}""", "A", "length" },
        { """{"name":"T","fields":[{"name":"A"},{"name":"A"}]}""", "A", "twice" },
        { """{"name":"T","fields":[{"name":"A"}],"primaryKey":"B"}""", "B", "primary key" },
        { """{"name":"T","fields":[{"name":"A"}],"foreignKeys":[{"fields":"C","reference":{"resource":"X","fields":"D"}}]}""", "C", "foreignKeys" },
        { """{"name":"T","fields":[{"name":"A","constraints":{"maxLength":"x"}}]}""", "A", "maxLength" },
        { """{"name":"T","fields":[{"name":"A","constraints":[1]}]}""", "A", "constraints" },
        { """{"name":"T","fields":[{"type":"string"}]}""", "fields[0]", "no name" },
        { """{"name":"T","fields":{}}""", "fields", "fields" },
        { """{"name":"T","fields":[{"name":"A","trueValues":"1"}]}""", "A", "trueValues" },
    };

    [Theory]
    [MemberData(nameof(BadSchemas))]
    public void A_bad_schema_is_refused_naming_the_file_and_the_field(string json, string field, string what)
    {
        var e = Assert.Throws<ValidationFailedException>(() => TableSchemaReader.Parse(json, "/some/where/BAD_TABLE.json"));
        Assert.Equal(field, e.Field);
        Assert.Contains("BAD_TABLE.json", e.Message);
        Assert.Contains(field, e.Message);
        Assert.Contains(what, e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("schema", e.Code);
    }

    [Fact]
    public void A_schema_that_is_not_json_is_refused_naming_the_file()
    {
        var e = Assert.Throws<ValidationFailedException>(() => TableSchemaReader.Parse("{\"name\": \"T\", \"fields\": [", "X.json"));
        Assert.Contains("X.json", e.Message);
        Assert.Contains("not valid JSON", e.Message);
    }

    [Fact]
    public void A_published_schema_with_one_field_broken_is_refused_naming_that_field()
    {
        var root = JsonNode.Parse(File.ReadAllText(TestData.PathOf("snds-schemas", "DCIR", "ER_PHA_F.json")))!;
        var field = root["fields"]!.AsArray().Single(f => (string?)f!["name"] == "PHA_ACT_QSN")!;
        field["type"] = "decimal";
        var e = Assert.Throws<ValidationFailedException>(() => TableSchemaReader.Parse(root.ToJsonString(), "DCIR/ER_PHA_F.json"));
        Assert.Equal("PHA_ACT_QSN", e.Field);
        Assert.Contains("ER_PHA_F.json", e.Message);
        Assert.Contains("decimal", e.Message);
    }
}
