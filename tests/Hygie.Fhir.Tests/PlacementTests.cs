using System.Net;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hygie.Cli;
using Hygie.Server.Modules;
using Hygie.Storage.Hub;
using Hygie.Storage.Locations;
using Hygie.Testing;

namespace Hygie.Fhir.Tests;

/// <summary>
/// A tenant holds clinical data: the hub's placement policy is asked before a tenant is created and before any FHIR
/// data is written, and a refusal names the rule and leaves nothing behind.
/// </summary>
public sealed class PlacementTests
{
    private static async Task<(int Code, string Out, string Error)> CliAsync(FhirServer server, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await HygieCli.RunAsync([.. args, "--server", server.BaseAddress.ToString(), "--token", server.Server.Hub.OperatorToken], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Re-declares the hub's object store where it is, with <paramref name="qualifications"/>, as 'hygie locations add --replace' does.</summary>
    private static async Task DeclareObjectStoreAsync(Hub hub, string country, params string[] qualifications)
    {
        var current = await hub.Locations.GetAsync(hub.Locations.HubStores[LocationKinds.Objects]);
        await hub.Locations.DeclareAsync(current with { Country = country, Jurisdiction = "eu-only", Qualifications = qualifications }, "operator-cli", replace: true);
    }

    [Fact]
    public async Task A_hub_whose_site_is_undeclared_refuses_tenants_under_the_default_policy()
    {
        await using var server = await FhirServer.StartAsync(site: new HubSite());
        var refused = await CliAsync(server, "tenants", "add", "clinic-a");
        Assert.Equal(1, refused.Code);
        Assert.Single(refused.Error.Trim().Split('\n'));
        Assert.Contains("rule 'clinical' requires the HDS qualification", refused.Error);

        using var op = server.Http(server.Server.Hub.OperatorToken);
        var api = await op.PostAsync("/api/fhir/tenants", new StringContent("""{"name":"clinic-a"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, api.StatusCode);
        Assert.Equal("application/problem+json", api.Content.Headers.ContentType!.MediaType);
        var problem = JsonDocument.Parse(await api.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("urn:hygie:problem:placement-refused", problem.GetProperty("type").GetString());
        Assert.Contains("may not hold 'clinical' data", problem.GetProperty("detail").GetString());

        // Nothing was created: no tenant, no key.
        Assert.Empty(await server.Store.Tenants.ListAsync());
        Assert.DoesNotContain(await server.Server.Hub.Hub.Keys.ListAsync(), k => k.Owner == "clinic-a");

        // Once the operator declares where the stores really are (HDS, in the EEA), the same command succeeds.
        await DeclareObjectStoreAsync(server.Server.Hub.Hub, "FR", "HDS");
        var metadata = await server.Server.Hub.Hub.Locations.GetAsync(server.Server.Hub.Hub.Locations.HubStores[LocationKinds.Metadata]);
        await server.Server.Hub.Hub.Locations.DeclareAsync(metadata with { Country = "FR", Qualifications = ["HDS"] }, "operator-cli", replace: true);
        Assert.Equal(0, (await CliAsync(server, "tenants", "add", "clinic-a")).Code);
    }

    [Fact]
    public async Task The_development_policy_accepts_an_undeclared_site()
    {
        await using var server = await FhirServer.StartAsync(site: new HubSite(), policy: PolicyDocument.DevelopmentPolicy);
        Assert.Equal(0, (await CliAsync(server, "tenants", "add", "demo")).Code);
        using var client = server.Client("demo", await server.TokenAsync("demo"));
        Assert.NotNull((await client.CreateAsync(new Patient { Active = true }))!.Id);
    }

    [Fact]
    public async Task Writes_are_refused_naming_the_rule_once_the_stores_may_no_longer_hold_clinical_data()
    {
        await using var server = await FhirServer.StartAsync();
        var hub = server.Server.Hub.Hub;
        var tenant = await server.TenantAsync();
        using var client = server.Client(tenant, await server.TokenAsync(tenant));
        var patient = await client.CreateAsync(new Patient { Active = true });
        async Task<int?> Patients() => (await client.SearchAsync<Patient>(["_summary=count"]))!.Total;
        Assert.Equal(1, await Patients());

        // The object store is now declared outside the EEA: clinical data may not be written there.
        await DeclareObjectStoreAsync(hub, "US", "HDS");
        var create = await Assert.ThrowsAsync<FhirOperationException>(() => client.CreateAsync(new Patient { Active = true }));
        Assert.Equal(HttpStatusCode.Forbidden, create.Status);
        Assert.Contains("rule 'clinical' requires storage in the EEA", create.Outcome!.Issue[0].Diagnostics);
        Assert.Contains("local-objects", create.Outcome.Issue[0].Diagnostics);
        var update = await Assert.ThrowsAsync<FhirOperationException>(() => client.UpdateAsync(new Patient { Id = patient!.Id, Active = false }));
        Assert.Equal(HttpStatusCode.Forbidden, update.Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Assert.ThrowsAsync<FhirOperationException>(() => client.DeleteAsync($"Patient/{patient.Id}"))).Status);

        var transaction = new Bundle { Type = Bundle.BundleType.Transaction };
        transaction.Entry.Add(new Bundle.EntryComponent { FullUrl = "urn:uuid:0d6c8a52-95a1-4f53-8a8e-5f3b1c7d2e90", Resource = new Patient { Active = true }, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient" } });
        var refusedTransaction = await Assert.ThrowsAsync<FhirOperationException>(() => client.TransactionAsync(transaction));
        Assert.True(refusedTransaction.Status == HttpStatusCode.Forbidden, refusedTransaction.Outcome?.Issue[0].Diagnostics);
        Assert.Contains("may not hold 'clinical' data", refusedTransaction.Outcome!.Issue[0].Diagnostics);
        transaction.Type = Bundle.BundleType.Batch;
        var batch = await client.TransactionAsync(transaction);
        Assert.StartsWith("403", batch!.Entry.Single().Response.Status);

        using var http = server.Http(await server.TokenAsync(tenant));
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync($"/fhir/{tenant}/$export")).StatusCode);

        // Nothing was written; reads still work, and the refusal is audited.
        Assert.Equal(1, await Patients());
        Assert.True((await client.ReadAsync<Patient>($"Patient/{patient.Id}"))!.Active);
        var audited = await hub.Audit.QueryAsync(new Hygie.Storage.Audit.AuditQuery(ActionPrefix: "fhir.post", Outcome: "refused"));
        Assert.Contains(audited, e => e.Entry.Reason == "403 forbidden");

        // The policy is the operator's: the development policy lets the same write through at once.
        await hub.Locations.SetPolicyAsync(PolicyDocument.DevelopmentPolicy, "operator-cli");
        Assert.NotNull(await client.CreateAsync(new Patient { Active = true }));
        Assert.Equal(2, await Patients());
    }

    [Fact]
    public async Task A_policy_changed_by_another_process_is_seen_within_the_recheck_interval()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await FhirServer.StartAsync(clock: clock);
        var tenant = await server.TenantAsync();
        using var client = server.Client(tenant, await server.TokenAsync(tenant));
        Assert.NotNull(await client.CreateAsync(new Patient { Active = true }));

        // 'hygie policy set' from another process, on the same stores, while the server runs: a policy this site misses.
        var strict = PolicyDocument.Default with
        {
            Name = "snds-everywhere",
            Rules = [.. PolicyDocument.Default.Rules.Select(r => r with { Requires = ["HDS", "SecNumCloud"] })],
        };
        await using (var operatorVerb = await Hub.OpenAsync(server.Server.Hub.DataDirectory,
                         new HubOpenOptions { Clock = clock, Migrations = [.. new GovernanceModule().Migrations, .. FhirSchema.Migrations] }))
            await operatorVerb.Locations.SetPolicyAsync(strict, "operator-cli");

        clock.Advance(Placement.RecheckInterval);
        var refused = await Assert.ThrowsAsync<FhirOperationException>(() => client.CreateAsync(new Patient { Active = true }));
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Contains("requires the SecNumCloud qualification", refused.Outcome!.Issue[0].Diagnostics);
    }
}
