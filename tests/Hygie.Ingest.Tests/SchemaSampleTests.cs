using Hygie.Ingest.Csv;
using Hygie.Ingest.Schemas;

namespace Hygie.Ingest.Tests;

/// <summary>Each published schema against the 10-row extract published beside it (comma-separated).</summary>
public class SchemaSampleTests
{
    /// <summary>
    /// The rows the reader refuses, and why. Each is a real contradiction between a published schema and the published
    /// extract beside it, not a parsing gap: text codes in columns typed integer, and codes longer than the schema's
    /// <c>length</c> (some because the schema is out of date: ATC level-5 codes have 7 characters, UCD codes 13 digits).
    /// </summary>
    private static readonly Dictionary<string, string[]> KnownContradictions = new()
    {
        // integer columns holding codes
        ["T_MCOaaB"] = ["ETA_NUM:Integer", "ENT_MOD:MaxLength", "SOR_MOD:MaxLength"], // FINESS with letters; "-9" for a 1-char mode
        ["T_MCOaaC"] = ["ETA_NUM:Integer"],                                           // FINESS with letters
        ["ER_CPT_F"] = ["GES_GRG_COD:Integer"],                                       // "MB1"
        ["ER_ARO_F"] = ["ARO_THE_TAU:Integer"],                                       // a rate with decimals (40.00 passes, 12.5 cannot)
        ["OPEN_LPP"] = ["sc1:Integer", "sc2:Integer"],                                // hierarchical codes "1_5", "1_1_4"
        ["OPEN_MEDIC"] = ["TOP_GEN:Integer", "ATC5:MaxLength"],                       // "G"/"S"; ATC5 has 7 chars, not 6
        // text longer than the schema's length
        ["MA_REM_FT"] = ["ORG_CAI_NUM:MaxLength"],                                    // 6-char organism codes for 3
        ["DA_PRA_R"] = ["EXC_EXC_NAT:MaxLength"],                                     // labels in a 2-char code
        ["EB_PHA_F"] = ["PHA_CPA_PCP:MaxLength"],                                     // 13-digit CIP codes for 3
        ["NS_BIO_F"] = ["CAI_LIQ_COD:MaxLength", "CAI_AFF_COD:MaxLength"],            // 6-char fund codes for 3 (all DCIRS NS_*)
        ["NS_CAM_F"] = ["CAI_LIQ_COD:MaxLength", "CAI_AFF_COD:MaxLength"],
        ["NS_DTR_F"] = ["CAI_LIQ_COD:MaxLength", "CAI_AFF_COD:MaxLength"],
        ["NS_INV_F"] = ["CAI_LIQ_COD:MaxLength", "CAI_AFF_COD:MaxLength"],
        ["NS_PHA_F"] = ["CAI_LIQ_COD:MaxLength", "CAI_AFF_COD:MaxLength"],
        ["NS_PRS_F"] = ["CAI_LIQ_COD:MaxLength", "CAI_AFF_COD:MaxLength"],
        ["NS_RAT_F"] = ["CAI_LIQ_COD:MaxLength", "CAI_AFF_COD:MaxLength"],
        ["NS_TIP_F"] = ["CAI_LIQ_COD:MaxLength", "CAI_AFF_COD:MaxLength"],
        ["NS_TRS_F"] = ["CAI_LIQ_COD:MaxLength", "CAI_AFF_COD:MaxLength"],
        ["NS_UCD_F"] = ["CAI_LIQ_COD:MaxLength", "CAI_AFF_COD:MaxLength"],
        ["T_HADaaFH"] = ["COD_UCD:MaxLength"],                                        // 13-digit UCD codes for 7
        ["T_MCOaaFH"] = ["COD_UCD:MaxLength"],
        ["T_RIPaaFH"] = ["COD_UCD:MaxLength"],
        ["T_MCOaaFHSTC"] = ["UCD_COD:MaxLength"],
        ["T_HADaaA"] = ["ACT_COD:MaxLength"],                                         // 3–5 char act codes for 1
        ["T_MCOaaBPHN"] = ["ACT_COD:MaxLength"],                                      // 5 chars for 4
        ["T_MCOaaSUP_BPHNA"] = ["ACT_COD:MaxLength"],
        ["T_SUPaaBPHN"] = ["ACT_COD:MaxLength"],
        ["T_HADaaB"] = ["ENT_MOD:MaxLength", "SOR_MOD:MaxLength"],                    // "-9" for 1-char modes
        ["T_HADaaS"] = ["ENT_MOD:MaxLength", "SOR_MOD:MaxLength"],
        ["T_RIPaaRSA"] = ["ENT_MOD:MaxLength", "SOR_MOD:MaxLength"],
        ["T_RIPaaS"] = ["ENT_MOD:MaxLength", "SOR_MOD:MaxLength"],
        ["T_SSRaaB"] = ["ENT_MOD:MaxLength", "SOR_MOD:MaxLength"],
        ["T_SSRaaS"] = ["ENT_MOD:MaxLength", "SOR_MOD:MaxLength"],
    };

    [Fact]
    public void Every_published_extract_parses_against_its_schema_except_the_known_contradictions()
    {
        var files = Directory.EnumerateFiles(TestData.Schemas, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(191, files.Count);
        var found = new Dictionary<string, string[]>();
        long rows = 0, values = 0;
        foreach (var json in files)
        {
            var schema = TableSchemaReader.Load(json);
            using var reader = new SndsCsvReader(File.OpenRead(Path.ChangeExtension(json, ".csv")), schema,
                new CsvReadOptions { FileName = Path.GetFileName(json), OnError = RowErrorMode.Quarantine, MaxErrors = 1000 });
            var batches = reader.ReadAll().ToList();
            Assert.Equal(',', reader.Delimiter);
            Assert.Equal(10, reader.RowsRead);
            Assert.Equal(reader.RowsRead, reader.RowsAccepted + reader.RowsRejected);
            Assert.Equal(reader.RowsRejected, batches.Sum(b => b.Quarantined.Count));
            if (!KnownContradictions.ContainsKey(schema.Name)) Assert.Equal(10, reader.RowsAccepted);
            rows += reader.RowsAccepted;
            values += batches.Sum(b => b.Count * b.Columns.Count);
            if (reader.Errors.Count > 0)
                found[schema.Name] = [.. reader.Errors.Select(e => $"{e.Column}:{e.Rule}").Distinct().Order(StringComparer.Ordinal)];
        }

        Assert.Equal(KnownContradictions.Keys.Order(StringComparer.Ordinal), found.Keys.Order(StringComparer.Ordinal));
        foreach (var (table, expected) in KnownContradictions)
            Assert.Equal(expected.Order(StringComparer.Ordinal), found[table]);
        // the 158 other tables: all 10 rows typed
        Assert.True(rows >= 1580, $"{rows} rows accepted");
        Assert.True(values > 35_000, $"{values} values typed");
    }

    [Fact]
    public void Published_extract_values_come_out_typed()
    {
        var schema = TableSchemaReader.Load(TestData.PathOf("snds-schemas", "PMSI", "PMSI RIM-P", "T_RIPaaC.json"));
        using var reader = new SndsCsvReader(File.OpenRead(TestData.PathOf("snds-schemas", "PMSI", "PMSI RIM-P", "T_RIPaaC.csv")), schema);
        var batch = Assert.Single(reader.ReadAll());
        var start = batch.Column<Columns.TimestampColumn>("EXE_SOI_DTD");
        // first row: 1904-05-22T17:47:16Z
        Assert.Equal(new DateTime(1904, 5, 22, 17, 47, 16), start.GetDateTime(0));

        var damirSchema = TableSchemaReader.Load(TestData.PathOf("snds-schemas", "DAMIR", "OPEN_DAMIR.json"));
        using var damir = new SndsCsvReader(File.OpenRead(TestData.PathOf("snds-schemas", "DAMIR", "OPEN_DAMIR.csv")), damirSchema);
        var amounts = Assert.Single(damir.ReadAll()).Column<Columns.DoubleColumn>("FLT_PAI_MNT");
        Assert.Equal(2.026069536288905e+16, amounts.Values[0]);
    }
}
