using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hygie.Core.Deidentification;
using Hygie.Core.Identity;
using Hygie.Ingest.Deposit;
using Hygie.Ingest.Schemas;
using Hygie.Testing;

namespace Hygie.Ingest.Tests;

/// <summary>An SNDS table deposited against the Table Schema its producer gives, sent before the CSV in one request.</summary>
public class SndsSchemaDepositTests
{
    private static string Published(string table) => Path.Combine(TestData.Schemas, "DCIR", table);

    private static MultipartFormDataContent Form(Stream? schema, string schemaName, Stream csv, string csvName)
    {
        var form = new MultipartFormDataContent();
        if (schema is not null)
        {
            var s = new StreamContent(schema);
            s.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            form.Add(s, "schema", schemaName);
        }
        var c = new StreamContent(csv);
        c.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(c, "file", csvName);
        return form;
    }

    private static async Task<(RunningServer, HttpClient)> StartAsync()
    {
        var server = await RunningServer.StartAsync();
        var created = await server.Operator().PostAsJsonAsync("/api/datasets", new { name = "dcir-published", kind = "snds", classification = "snds" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (server, server.Client(await server.IssueTokenAsync("cnam", Roles.Producer)));
    }

    private static List<string> DepositObjects(RunningServer server) =>
        [.. Directory.EnumerateFiles(server.Hub.DataDirectory, "*", SearchOption.AllDirectories).Where(f => f.Contains("datasets"))];

    [Fact]
    public async Task A_table_is_deposited_against_the_producers_schema_and_the_catalogue_records_its_columns()
    {
        var (server, producer) = await StartAsync();
        await using var _ = server;
        using var response = await producer.PostAsync("/api/datasets/dcir-published/deposits?table=ER_PRS_F",
            Form(File.OpenRead(Published("ER_PRS_F.json")), "ER_PRS_F.json", File.OpenRead(Published("ER_PRS_F.csv")), "ER_PRS_F.csv"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var report = JsonSerializer.Deserialize<DepositReport>(text, JsonSerializerOptions.Web)!;
        Assert.Equal(File.ReadAllLines(Published("ER_PRS_F.csv")).Count(l => l.Length > 0) - 1, report.RowsStored);

        // the columns are the published schema's (not the built-in definition's), de-identified by the SNDS profile
        var schema = TableSchemaReader.Load(Published("ER_PRS_F.json"));
        var expected = schema.Fields.Where(f => DeidentificationProfile.SndsDefault.RuleFor(f.Name).Action is not (ColumnAction.Drop or ColumnAction.Pseudonymize))
            .Select(f => f.Name).Prepend("person_id").ToList();
        var catalogued = (await server.Operator().GetFromJsonAsync<DatasetDetails>("/api/datasets/dcir-published", JsonSerializerOptions.Web))!.Dataset.Table("ER_PRS_F")!;
        Assert.Equal(expected, catalogued.Columns.Select(c => c.Name));
        Assert.NotEqual(BuiltIn.BuiltInTables.Find("ER_PRS_F")!.Fields.Select(f => f.Name), schema.Fields.Select(f => f.Name));
        Assert.True(catalogued.Column("EXE_SOI_DTD")!.DateColumn);

        // the next deposit of the table must bring the same columns: the built-in definition's do not match
        using var other = await producer.PostAsync("/api/datasets/dcir-published/deposits?table=ER_PRS_F",
            new StreamContent(File.OpenRead(Path.Combine(TestData.Synthetic, "ER_PRS_F.csv"))));
        var problem = JsonDocument.Parse(await other.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
        Assert.Equal("urn:hygie:problem:schema-mismatch", problem.GetProperty("type").GetString());
        Assert.Single(await FhirDepositServerTests.Service(server).PartsAsync("dcir-published", "ER_PRS_F"));
    }

    [Theory]
    [InlineData("{ \"fields\": [ { \"name\": \"A\", \"type\": \"integer\" }, ", "schema.json", "urn:hygie:problem:schema", "schema.json")]
    [InlineData(null, "IR_BEN_R.json", "urn:hygie:problem:schema-table-mismatch", "describes table IR_BEN_R, not ER_PRS_F")]
    public async Task A_schema_that_does_not_parse_or_describes_another_table_is_refused_and_nothing_is_stored(string? schemaText, string schemaName, string type, string detail)
    {
        var (server, producer) = await StartAsync();
        await using var _ = server;
        Stream schema = schemaText is null
            ? File.OpenRead(Path.Combine(TestData.Schemas, "BENEFICIAIRE", schemaName))
            : new MemoryStream(Encoding.UTF8.GetBytes(schemaText));
        using var response = await producer.PostAsync("/api/datasets/dcir-published/deposits?table=ER_PRS_F",
            Form(schema, schemaName, File.OpenRead(Published("ER_PRS_F.csv")), "ER_PRS_F.csv"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(type, problem.GetProperty("type").GetString());
        Assert.Contains(detail, problem.GetProperty("detail").GetString());
        Assert.Empty(DepositObjects(server));
        Assert.Empty((await server.Operator().GetFromJsonAsync<DatasetDetails>("/api/datasets/dcir-published", JsonSerializerOptions.Web))!.Dataset.Tables);
    }
}
