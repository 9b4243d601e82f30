using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Hygie.Testing;

namespace Hygie.Fhir.Tests;

/// <summary>Bulk Data export: kick-off, status, NDJSON files — sealed at rest and served to their requester only.</summary>
public sealed class ExportTests : IAsyncLifetime
{
    private FhirServer _server = null!;
    private string _tenant = null!;
    private string _token = null!;
    private JsonElement _file;

    public async Task InitializeAsync()
    {
        _server = await FhirServer.StartAsync(new FhirOptions { WorkerPollInterval = TimeSpan.FromMilliseconds(100) });
        _tenant = await _server.TenantAsync();
        _token = await _server.TokenAsync(_tenant);
        var path = Directory.GetFiles(TestData.PathOf("fhir-synthea-r4"), "*.json").Order(StringComparer.Ordinal).First();
        var bytes = await File.ReadAllBytesAsync(path);
        _file = JsonDocument.Parse(bytes).RootElement;
        using var http = _server.Http(_token);
        Assert.Equal(HttpStatusCode.OK, (await FhirServer.PostRawAsync(http, $"/fhir/{_tenant}/", bytes)).StatusCode);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private int CountInFile(string type) => _file.GetProperty("entry").EnumerateArray().Count(e => e.GetProperty("resource").GetProperty("resourceType").GetString() == type);

    private static async Task<JsonElement> RunAsync(HttpClient http, string kickOff)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, kickOff);
        request.Headers.Add("Prefer", "respond-async");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
        var accepted = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var status = accepted.Content.Headers.ContentLocation ?? accepted.Headers.Location ?? new Uri(accepted.Headers.GetValues("Content-Location").Single());
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var poll = await http.GetAsync(status);
            if (poll.StatusCode == HttpStatusCode.OK)
                return JsonDocument.Parse(await poll.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(HttpStatusCode.Accepted, poll.StatusCode);
            Assert.True(DateTime.UtcNow < deadline, "the export did not finish");
            await Task.Delay(100);
        }
    }

    private static async Task<List<Resource>> LinesAsync(HttpClient http, string url)
    {
        var response = await http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+ndjson", response.Content.Headers.ContentType!.MediaType);
        var parser = new FhirJsonDeserializer();
        return (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => parser.DeserializeResource(line)).ToList();
    }

    [Fact]
    public async Task A_system_export_of_some_types_gives_one_ndjson_file_per_type()
    {
        using var http = _server.Http(_token);
        var manifest = await RunAsync(http, $"/fhir/{_tenant}/$export?_type=Patient,Observation,Encounter&_outputFormat=application/fhir%2Bndjson");
        Assert.True(manifest.GetProperty("requiresAccessToken").GetBoolean());
        var output = manifest.GetProperty("output").EnumerateArray().ToList();
        Assert.Equal(["Encounter", "Observation", "Patient"], output.Select(o => o.GetProperty("type").GetString()).Order());
        foreach (var file in output)
        {
            var type = file.GetProperty("type").GetString()!;
            var resources = await LinesAsync(http, file.GetProperty("url").GetString()!);
            Assert.Equal(CountInFile(type), resources.Count);
            Assert.Equal(CountInFile(type), file.GetProperty("count").GetInt32());
            Assert.All(resources, r => Assert.Equal(type, r.TypeName));
        }
    }

    [Fact]
    public async Task Files_are_served_to_their_requester_only_and_sealed_at_rest()
    {
        using var http = _server.Http(_token);
        var manifest = await RunAsync(http, $"/fhir/{_tenant}/$export?_type=Patient");
        var url = manifest.GetProperty("output")[0].GetProperty("url").GetString()!;

        using var colleague = _server.Http(await _server.TokenAsync("someone-else", _tenant, ["user/*.*"]));
        Assert.Equal(HttpStatusCode.NotFound, (await colleague.GetAsync(url)).StatusCode);
        using var otherTenant = _server.Http(await _server.TokenAsync(await _server.TenantAsync()));
        Assert.Equal(HttpStatusCode.Forbidden, (await otherTenant.GetAsync(url)).StatusCode);

        var family = _file.GetProperty("entry")[0].GetProperty("resource").GetProperty("name")[0].GetProperty("family").GetString()!;
        Assert.Contains(family, await http.GetStringAsync(url));
        var exported = Directory.GetFiles(Path.Combine(_server.Server.Hub.DataDirectory, "objects"), "*", SearchOption.AllDirectories);
        Assert.NotEmpty(exported);
        foreach (var stored in exported)
            Assert.DoesNotContain(family, Encoding.UTF8.GetString(await File.ReadAllBytesAsync(stored)));

        var audit = await _server.Server.Hub.Hub.Audit.QueryAsync(new Hygie.Storage.Audit.AuditQuery(ActionPrefix: "fhir.export.download"));
        Assert.Single(audit);
    }

    [Fact]
    public async Task Patient_and_group_exports_hold_the_patients_compartments()
    {
        using var http = _server.Http(_token);
        var manifest = await RunAsync(http, $"/fhir/{_tenant}/Patient/$export");
        var types = manifest.GetProperty("output").EnumerateArray().Select(o => o.GetProperty("type").GetString()).ToList();
        Assert.Contains("Patient", types);
        Assert.Contains("Observation", types);
        Assert.DoesNotContain("Organization", types);
        Assert.DoesNotContain("Practitioner", types);

        using var client = _server.Client(_tenant, _token);
        var patient = (await client.SearchAsync<Patient>([]))!.Entry.Single().Resource;
        var other = await client.CreateAsync(new Patient { Active = true });
        await client.CreateAsync(new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8867-4"), Subject = new ResourceReference($"Patient/{other!.Id}") });
        var group = await client.CreateAsync(new Group { Type = Group.GroupType.Person, Actual = true, Member = [new Group.MemberComponent { Entity = new ResourceReference($"Patient/{other.Id}") }] });
        var groupManifest = await RunAsync(http, $"/fhir/{_tenant}/Group/{group!.Id}/$export");
        var groupFiles = groupManifest.GetProperty("output").EnumerateArray().ToDictionary(o => o.GetProperty("type").GetString()!, o => o.GetProperty("count").GetInt32());
        Assert.Equal(1, groupFiles["Patient"]);
        Assert.Equal(1, groupFiles["Observation"]);
        _ = patient;
    }

    [Fact]
    public async Task Since_limits_the_export_to_later_changes_and_bad_parameters_are_refused()
    {
        using var http = _server.Http(_token);
        var later = DateTimeOffset.UtcNow.AddMinutes(5).ToString("yyyy-MM-ddTHH:mm:ssZ");
        var manifest = await RunAsync(http, $"/fhir/{_tenant}/$export?_since={Uri.EscapeDataString(later)}");
        Assert.Empty(manifest.GetProperty("output").EnumerateArray());
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"/fhir/{_tenant}/$export?_type=Patientt")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"/fhir/{_tenant}/$export?_outputFormat=text/csv")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/fhir/{_tenant}/$export-status/nope")).StatusCode);
    }

    [Fact]
    public async Task A_finished_export_streams_parsed_resources_for_the_deposit_pipeline()
    {
        using var http = _server.Http(_token);
        var accepted = await http.GetAsync($"/fhir/{_tenant}/$export?_type=Observation");
        var job = accepted.Content.Headers.ContentLocation!.ToString().Split('/').Last();
        await RunAsync(http, $"/fhir/{_tenant}/$export?_type=Immunization");
        // The export worker runs every queued job in a pass: after a whole pass begun now, this one has run.
        using (var patience = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
            await _server.Store.ExportPasses.WaitForFullPassAsync(patience.Token);
        Assert.Equal("completed", (await _server.Store.Exports.FindAsync(job))!.Status);
        var count = 0;
        await foreach (var resource in _server.Store.Exports.ReadResourcesAsync(job, "operator"))
        {
            Assert.IsType<Observation>(resource);
            count++;
        }
        Assert.Equal(CountInFile("Observation"), count);

        // Without the deposit module in the host, there is no deposit route (the full server's is tested in Hygie.Ingest.Tests).
        using var op = _server.Http(_server.Server.Hub.OperatorToken);
        var deposit = await op.PostAsync($"/api/fhir/tenants/{_tenant}/deposits", new StringContent("""{"dataset":"cohort"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, deposit.StatusCode);
    }
}
