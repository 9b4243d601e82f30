using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hygie.Core.Identity;
using Hygie.Ingest.Deposit;
using Hygie.Testing;

namespace Hygie.Ingest.Tests;

public class DepositServerTests
{
    private static async Task<(RunningServer Server, HttpClient Producer)> StartAsync()
    {
        var server = await RunningServer.StartAsync();
        var op = server.Operator();
        var created = await op.PostAsJsonAsync("/api/datasets", new { name = "snds-2019", kind = "snds", classification = "snds", description = "test" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (server, server.Client(await server.IssueTokenAsync("cnam", Roles.Producer)));
    }

    private static Task<HttpResponseMessage> DepositAsync(HttpClient client, string table, Stream body, string query = "") =>
        client.PostAsync($"/api/datasets/snds-2019/deposits?table={table}{query}", new StreamContent(body));

    private static Stream Synthetic(string table) => File.OpenRead(Path.Combine(TestData.Synthetic, table + ".csv"));

    private static IEnumerable<string> Identifiers(string table)
    {
        var lines = File.ReadAllLines(Path.Combine(TestData.Synthetic, table + ".csv"));
        var i = Array.IndexOf(lines[0].Split(';'), "BEN_NIR_PSA");
        return lines.Skip(1).Select(l => l.Split(';')[i]).Where(v => v.Length >= 8).Distinct();
    }

    private static List<string> ObjectFiles(RunningServer server) =>
        [.. Directory.EnumerateFiles(server.Hub.DataDirectory, "*", SearchOption.AllDirectories).Where(f => f.Contains("datasets"))];

    [Fact]
    public async Task Synthetic_tables_are_deposited_catalogued_and_hold_no_raw_identifier()
    {
        var (server, producer) = await StartAsync();
        await using var _ = server;
        var outputs = new StringBuilder();
        foreach (var table in new[] { "IR_BEN_R", "ER_PRS_F" })
        {
            using var response = await DepositAsync(producer, table, Synthetic(table));
            var text = await response.Content.ReadAsStringAsync();
            outputs.AppendLine(text);
            Assert.True(response.IsSuccessStatusCode, text);
            var report = JsonSerializer.Deserialize<DepositReport>(text, JsonSerializerOptions.Web)!;
            Assert.Equal("stored", report.Status);
            Assert.True(report.RowsStored > 0);
            Assert.Equal(report.RowsRead, report.RowsStored);
            Assert.True(report.Persons > 0);
            Assert.Single(report.Parts);
        }
        var show = await server.Operator().GetStringAsync("/api/datasets/snds-2019");
        outputs.AppendLine(show);
        Assert.Contains("\"person_id\"", show);
        Assert.Contains("ER_PRS_F", show);
        var list = await server.Operator().GetStringAsync("/api/datasets");
        Assert.Contains("snds-2019", list);

        var service = (DatasetService)server.App.Services.GetService(typeof(DatasetService))!;
        var catalog = (Core.Catalog.IDatasetCatalog)server.App.Services.GetService(typeof(Core.Catalog.IDatasetCatalog))!;
        Assert.Same(service, catalog);
        var parts = await service.PartsAsync("snds-2019", "ER_PRS_F");
        Assert.Single(parts);
        Assert.Equal(parts[0].SealDigest, await server.Hub.Hub.Sealed.VerifyAsync(parts[0].ObjectId));
        var prs = (await catalog.FindAsync("snds-2019"))!.Table("ER_PRS_F")!;
        Assert.True(prs.Column("person_id")!.IsPersonKey);
        Assert.Null(prs.Column("BEN_NIR_PSA"));

        // no raw identifier anywhere in the data directory or the responses
        var ids = Identifiers("IR_BEN_R").Concat(Identifiers("ER_PRS_F")).Distinct().ToList();
        Assert.NotEmpty(ids);
        var all = outputs.ToString();
        foreach (var file in Directory.EnumerateFiles(server.Hub.DataDirectory, "*", SearchOption.AllDirectories))
        {
            string content;
            try { content = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)); } catch (IOException) { continue; }
            foreach (var id in ids) Assert.DoesNotContain(id, content);
        }
        foreach (var id in ids) Assert.DoesNotContain(id, all);
    }

    [Fact]
    public async Task A_bad_row_refuses_the_deposit_naming_line_and_column_without_the_value()
    {
        var (server, producer) = await StartAsync();
        await using var _ = server;
        var lines = File.ReadAllLines(Path.Combine(TestData.Synthetic, "ER_PRS_F.csv"));
        var header = lines[0].Split(';');
        var col = Array.IndexOf(header, "PRS_ACT_QTE") is var q and >= 0 ? q : Array.IndexOf(header, "BEN_RNG_GEM");
        var fields = lines[5].Split(';');
        fields[col] = "notanumberXYZ";
        lines[5] = string.Join(';', fields);
        using var response = await DepositAsync(producer, "ER_PRS_F", new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n")));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"line\":6", text);
        Assert.Contains(header[col], text);
        Assert.DoesNotContain("notanumberXYZ", text);
        Assert.Empty(ObjectFiles(server));
        var show = await server.Operator().GetStringAsync("/api/datasets/snds-2019");
        Assert.Contains("refused", show);
        Assert.Empty(await ((DatasetService)server.App.Services.GetService(typeof(DatasetService))!).PartsAsync("snds-2019", "ER_PRS_F"));

        // quarantine mode stores the good rows and seals the bad one aside
        using var q2 = await DepositAsync(producer, "ER_PRS_F", new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n")), "&onError=quarantine");
        var report = (await q2.Content.ReadFromJsonAsync<DepositReport>())!;
        Assert.Equal(1, report.RowsRejected);
        Assert.Equal(lines.Length - 2, report.RowsStored);
        Assert.NotNull(report.QuarantineObject);
        Assert.Single(report.Errors);
    }

    [Theory]
    [InlineData("ER_PRS_F", "A;B;C\n1;2;3\n")]
    [InlineData("ER_PRS_F", "")]
    [InlineData("NO_SUCH_TABLE", "A\n1\n")]
    public async Task Bad_inputs_are_refused_and_nothing_is_stored(string table, string body)
    {
        var (server, producer) = await StartAsync();
        await using var _ = server;
        using var response = await DepositAsync(producer, table, new MemoryStream(Encoding.UTF8.GetBytes(body)));
        Assert.False(response.IsSuccessStatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(ObjectFiles(server));
    }

    private sealed class AbortingStream(Stream inner, long after) : Stream
    {
        private long _read;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_read >= after) throw new IOException("client gone");
            var n = inner.Read(buffer, offset, (int)Math.Min(count, after - _read));
            _read += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task An_interrupted_deposit_leaves_nothing_and_the_next_one_works()
    {
        var (server, producer) = await StartAsync();
        await using var _ = server;
        var service = (DatasetService)server.App.Services.GetService(typeof(DatasetService))!;
        var bytes = File.ReadAllBytes(Path.Combine(TestData.Synthetic, "ER_PRS_F.csv"));
        await Assert.ThrowsAnyAsync<Exception>(() => service.DepositSndsAsync("cnam", "snds-2019", new SndsDepositRequest("ER_PRS_F"),
            new AbortingStream(new MemoryStream(bytes), bytes.Length / 2)));
        Assert.Empty(ObjectFiles(server));
        Assert.Empty(await service.PartsAsync("snds-2019", "ER_PRS_F"));
        using var ok = await DepositAsync(producer, "ER_PRS_F", new MemoryStream(bytes));
        Assert.True(ok.IsSuccessStatusCode, await ok.Content.ReadAsStringAsync());
        Assert.Single(await service.PartsAsync("snds-2019", "ER_PRS_F"));
    }
}
