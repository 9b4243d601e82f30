using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hygie.Testing;

namespace Hygie.Cli.Tests;

/// <summary><c>serve --demo</c> as a user runs it: the real process on an empty directory, then again on the same one.</summary>
public partial class DemoServeTests
{
    [GeneratedRegex(@"^\s*(?<user>demo-[a-z-]+)\s+(?<role>researcher|reviewer|producer|auditor)\s+(?<token>hyg_\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex AccountLine();

    [GeneratedRegex(@"Operator token \(shown once, only its hash is kept\): (?<token>hyg_\S+)")]
    private static partial Regex OperatorLine();

    [GeneratedRegex(@"FHIR token for /fhir/demo-clinic/ \(user/\*\.\*\): (?<token>hyg_\S+)")]
    private static partial Regex FhirLine();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static HttpClient Client(string url, string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<HygieProcess> ServeAsync(string data, string url)
    {
        var process = HygieProcess.Start("serve", "--demo", "--data", data, "--urls", url);
        var up = await process.WaitUntilAsync(() => process.Out.Contains("listening on", StringComparison.Ordinal), TimeSpan.FromMinutes(4));
        Assert.True(up, $"the hub did not start.\nout:\n{process.Out}\nerr:\n{process.Error}");
        return process;
    }

    [Fact]
    public async Task Serve_demo_fills_a_new_hub_once_and_a_researcher_can_query_at_once()
    {
        using var dir = new TempDirectory("hygie-demo");
        var data = dir.Combine("data");
        var url = $"http://127.0.0.1:{FreePort()}";
        string firstOut;
        long claimRows;
        using (var serve = await ServeAsync(data, url))
        {
            firstOut = serve.Out;
            Assert.Contains("Demo data (synthetic", firstOut);
            var accounts = AccountLine().Matches(firstOut).ToDictionary(m => m.Groups["user"].Value, m => (Role: m.Groups["role"].Value, Token: m.Groups["token"].Value));
            Assert.Equal(["demo-auditor", "demo-producer", "demo-researcher", "demo-reviewer-a", "demo-reviewer-b"], accounts.Keys.Order());
            using var op = Client(url, OperatorLine().Match(firstOut).Groups["token"].Value);

            // the dataset, deposited through the pipeline: every core table, pseudonymized (no BEN_NIR_PSA column)
            using var dataset = JsonDocument.Parse(await op.GetStringAsync("/api/datasets/snds-demo"));
            var tables = dataset.RootElement.GetProperty("dataset").GetProperty("tables").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);
            Assert.Equal(["ER_PHA_F", "ER_PRS_F", "IR_BEN_R", "KI_CCI_R", "T_MCOaaB", "T_MCOaaC", "T_MCOaaD"], tables.Keys.Order());
            Assert.Equal(2000, tables["IR_BEN_R"].GetProperty("rows").GetInt64());
            claimRows = tables["ER_PRS_F"].GetProperty("rows").GetInt64();
            Assert.True(claimRows > 10_000);
            Assert.DoesNotContain(tables["ER_PRS_F"].GetProperty("columns").EnumerateArray(), c => c.GetProperty("name").GetString() == "BEN_NIR_PSA");
            Assert.All(dataset.RootElement.GetProperty("deposits").EnumerateArray(), d =>
            {
                Assert.Equal("stored", d.GetProperty("status").GetString());
                Assert.Equal(0, d.GetProperty("rowsRejected").GetInt64());
                Assert.Equal("demo-producer", d.GetProperty("producer").GetString());
            });

            // the researcher queries the approved project's workspace straight away
            using var researcher = Client(url, accounts["demo-researcher"].Token);
            using var answer = await researcher.PostAsJsonAsync("/api/projects/demo-cohort/query", new { sql = "SELECT COUNT(*) AS n FROM IR_BEN_R" });
            var body = await answer.Content.ReadAsStringAsync();
            Assert.True(answer.IsSuccessStatusCode, body);
            using (var page = JsonDocument.Parse(body))
                Assert.Equal(2000, page.RootElement.GetProperty("rows")[0][0].GetInt64());
            using var claims = await researcher.PostAsJsonAsync("/api/projects/demo-cohort/query", new { sql = "SELECT COUNT(*) FROM ER_PRS_F" });
            using (var page = JsonDocument.Parse(await claims.Content.ReadAsStringAsync()))
                Assert.Equal(claimRows, page.RootElement.GetProperty("rows")[0][0].GetInt64());

            // a reviewer finds the application waiting; accounts exist with their roles
            using var reviewer = Client(url, accounts["demo-reviewer-b"].Token);
            using (var queue = JsonDocument.Parse(await reviewer.GetStringAsync("/api/reviews")))
                Assert.Contains(queue.RootElement.EnumerateArray(), p => p.GetProperty("id").GetString() == "demo-mortality");
            using (var users = JsonDocument.Parse(await op.GetStringAsync("/api/users")))
                Assert.Equal(5, users.RootElement.EnumerateArray().Count(u => u.GetProperty("name").GetString()!.StartsWith("demo-", StringComparison.Ordinal)));

            // the FHIR tenant holds the synthetic patients, identified by their BEN_NIR_PSA
            using var fhir = Client(url, FhirLine().Match(firstOut).Groups["token"].Value);
            using (var patients = JsonDocument.Parse(await fhir.GetStringAsync("/fhir/demo-clinic/Patient?_summary=count")))
                Assert.Equal(40, patients.RootElement.GetProperty("total").GetInt32());
            using (var linked = JsonDocument.Parse(await fhir.GetStringAsync("/fhir/demo-clinic/Patient?_count=100")))
            {
                var systems = linked.RootElement.GetProperty("entry").EnumerateArray()
                    .Select(e => e.GetProperty("resource").GetProperty("identifier").EnumerateArray().Select(i => i.GetProperty("system").GetString()).ToList()).ToList();
                Assert.Equal(40, systems.Count);
                Assert.All(systems, s => Assert.Contains("urn:hygie:snds:ben-nir-psa", s));
                Assert.All(systems, s => Assert.Contains("urn:oid:1.2.250.1.213.1.4.8", s));
            }

            // every step was audited under its actor
            using (var events = JsonDocument.Parse(await op.GetStringAsync("/api/audit/events?action=dataset.deposit")))
                Assert.Equal(7, events.RootElement.EnumerateArray().Count(e => e.GetProperty("actor").GetString() == "demo-producer"));
        }

        // the second start finds the hub and adds nothing
        using (var again = await ServeAsync(data, url))
        {
            Assert.DoesNotContain("Demo data", again.Out);
            Assert.DoesNotContain("hyg_", again.Out);
            using var op = Client(url, OperatorLine().Match(firstOut).Groups["token"].Value);
            using var dataset = JsonDocument.Parse(await op.GetStringAsync("/api/datasets/snds-demo"));
            Assert.Equal(7, dataset.RootElement.GetProperty("deposits").GetArrayLength());
            var tables = dataset.RootElement.GetProperty("dataset").GetProperty("tables").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);
            Assert.Equal(claimRows, tables["ER_PRS_F"].GetProperty("rows").GetInt64());
        }
    }

    [Fact]
    public async Task Serve_demo_on_a_busy_port_fails_before_creating_a_hub()
    {
        using var dir = new TempDirectory("hygie-demo");
        var data = dir.Combine("data");
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)other.LocalEndpoint).Port}";
        var run = await CliRunner.RunAsync("serve", "--demo", "--data", data, "--urls", url);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"cannot listen on {url}: the address is already in use", run.Error);
        Assert.False(Directory.Exists(data) && Directory.EnumerateFileSystemEntries(data).Any(), "nothing is created in the data directory");
    }

    [Fact]
    public async Task Serve_json_says_where_it_listens_as_json()
    {
        using var dir = new TempDirectory("hygie-serve");
        var data = dir.Combine("data");
        Assert.Equal(0, (await CliRunner.RunAsync("init", "--data", data)).ExitCode);
        var url = $"http://127.0.0.1:{FreePort()}";
        using var serve = HygieProcess.Start("serve", "--data", data, "--urls", url, "--json");
        Assert.True(await serve.WaitUntilAsync(() => serve.Out.Contains("\"listening\"", StringComparison.Ordinal), TimeSpan.FromMinutes(1)), serve.Error);
        using var line = JsonDocument.Parse(serve.Out.Split('\n').First(l => l.Contains("\"listening\"", StringComparison.Ordinal)));
        Assert.Equal(url, line.RootElement.GetProperty("listening")[0].GetString());
        Assert.Equal(Path.GetFullPath(data), line.RootElement.GetProperty("dataDirectory").GetString());
    }
}
