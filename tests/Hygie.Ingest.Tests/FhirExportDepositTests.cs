using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Hygie.Ingest.Deposit;
using Hygie.Testing;

namespace Hygie.Ingest.Tests;

/// <summary>A FHIR tenant's data deposited into a research dataset through <c>POST /api/fhir/tenants/{tenant}/deposits</c>.</summary>
public class FhirExportDepositTests
{
    private static async Task<JsonElement> Expect(HttpStatusCode expected, HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != expected) Assert.Fail($"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task A_tenants_export_is_pseudonymized_into_a_dataset_and_a_bad_request_is_refused_with_nothing_deposited()
    {
        await using var server = await RunningServer.StartAsync();
        var op = server.Operator();
        await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/fhir/tenants", new { name = "clinic-a" }));
        var token = (await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/tokens", new { tenant = "clinic-a", scopes = new[] { "user/*.*" } })))
            .GetProperty("secret").GetString()!;
        using var app = server.Client(token);
        var bundles = FhirFiles.SyntheaBundles[..3];
        foreach (var bundle in bundles)
        {
            var content = new ByteArrayContent(await File.ReadAllBytesAsync(bundle));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
            using var posted = await app.PostAsync("/fhir/clinic-a/", content);
            Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync());
        }
        await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/datasets", new { name = "clinic-research", kind = "fhir", classification = "clinical" }));
        await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/datasets", new { name = "claims", kind = "snds", classification = "snds" }));

        // refusals first: nothing is deposited by any of them
        var unknown = await op.PostAsJsonAsync("/api/fhir/tenants/clinic-a/deposits", new { dataset = "nope" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        var wrongKind = await Expect(HttpStatusCode.BadRequest, await op.PostAsJsonAsync("/api/fhir/tenants/clinic-a/deposits", new { dataset = "claims" }));
        Assert.Equal("urn:hygie:problem:wrong-kind", wrongKind.GetProperty("type").GetString());
        // observations without their patients cannot be attached to persons: the export alone is refused
        var partial = await Expect(HttpStatusCode.BadRequest, await op.PostAsJsonAsync("/api/fhir/tenants/clinic-a/deposits",
            new { dataset = "clinic-research", types = new[] { "Observation" } }));
        Assert.Equal("urn:hygie:problem:fhir-reference", partial.GetProperty("type").GetString());
        Assert.Contains("Observation.subject: refers to a Patient that is not in the deposit", partial.GetProperty("detail").GetString());
        Assert.Equal("export of tenant clinic-a", partial.GetProperty("file").GetString());
        var producerOnly = server.Client(await server.IssueTokenAsync("someone", "producer"));
        Assert.Equal(HttpStatusCode.Forbidden, (await producerOnly.PostAsJsonAsync("/api/fhir/tenants/clinic-a/deposits", new { dataset = "clinic-research" })).StatusCode);
        var service = FhirDepositServerTests.Service(server);
        Assert.Empty(await service.PartsAsync("clinic-research", "observation"));

        var done = await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/fhir/tenants/clinic-a/deposits", new { dataset = "clinic-research" }));
        var depositId = done.GetProperty("deposit").GetString()!;
        var show = (await op.GetFromJsonAsync<DatasetDetails>("/api/datasets/clinic-research", JsonSerializerOptions.Web))!;
        var deposit = show.Deposits.Single(d => d.Id == depositId);
        Assert.Equal("stored", deposit.Status);
        Assert.Equal(3, deposit.Persons);
        var expected = FhirFiles.DistinctResources(bundles);
        Assert.Equal(expected["Patient"], show.Dataset.Table("patient")!.Rows);
        Assert.Equal(expected["Observation"], show.Dataset.Table("observation")!.Rows);
        Assert.Equal(expected["Encounter"], show.Dataset.Table("encounter")!.Rows);
        Assert.Contains(show.Deposits, d => d.Status == "refused");

        var audit = await server.Hub.Hub.Audit.QueryAsync(new Hygie.Storage.Audit.AuditQuery(Limit: 10_000));
        Assert.Contains(audit, e => e.Entry.Action == "fhir.export.read");
        Assert.Contains(audit, e => e.Entry.Action == "dataset.deposit" && e.Entry.Outcome == "success" && e.Entry.Details!["deposit"] == depositId);
    }
}
