using System.Net;
using System.Net.Http.Headers;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hygie.Storage.Audit;
using Hygie.Storage.Metadata;

namespace Hygie.Fhir.Tests;

/// <summary>Tenants are walled off from each other; tokens reach only their tenant and only what their scopes say; every access is audited.</summary>
public sealed class SecurityTests : IAsyncLifetime
{
    private FhirServer _server = null!;
    private string _a = null!, _b = null!;

    public async Task InitializeAsync()
    {
        _server = await FhirServer.StartAsync();
        _a = await _server.TenantAsync();
        _b = await _server.TenantAsync();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Without_a_token_fhir_answers_401_operation_outcome()
    {
        using var http = _server.Http();
        var response = await http.GetAsync($"/fhir/{_a}/Patient");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("OperationOutcome", (await RestTests.Outcome(response)).GetProperty("resourceType").GetString());
        // The capability statement is public.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/fhir/{_a}/metadata")).StatusCode);
    }

    [Fact]
    public async Task A_token_of_another_tenant_or_the_operator_token_is_refused_403()
    {
        using var clientA = _server.Client(_a, await _server.TokenAsync(_a));
        var patient = await clientA.CreateAsync(new Patient { Active = true });

        using var clientB = _server.Client(_a, await _server.TokenAsync(_b));
        var e = await Assert.ThrowsAsync<FhirOperationException>(() => clientB.ReadAsync<Patient>($"Patient/{patient!.Id}"));
        Assert.Equal(HttpStatusCode.Forbidden, e.Status);
        Assert.Contains("another tenant", e.Outcome!.Issue[0].Diagnostics);

        using var ownB = _server.Client(_b, await _server.TokenAsync(_b));
        var notThere = await Assert.ThrowsAsync<FhirOperationException>(() => ownB.ReadAsync<Patient>($"Patient/{patient!.Id}"));
        Assert.Equal(HttpStatusCode.NotFound, notThere.Status);

        using var operatorClient = _server.Client(_a, _server.Server.Hub.OperatorToken);
        var op = await Assert.ThrowsAsync<FhirOperationException>(() => operatorClient.ReadAsync<Patient>($"Patient/{patient!.Id}"));
        Assert.Equal(HttpStatusCode.Forbidden, op.Status);
    }

    [Fact]
    public async Task Scopes_decide_which_types_and_actions_a_token_may_use()
    {
        using var full = _server.Client(_a, await _server.TokenAsync(_a, "user/*.*"));
        var patient = await full.CreateAsync(new Patient { Active = true });

        using var reader = _server.Client(_a, await _server.TokenAsync(_a, "user/*.read"));
        Assert.NotNull(await reader.ReadAsync<Patient>($"Patient/{patient!.Id}"));
        var write = await Assert.ThrowsAsync<FhirOperationException>(() => reader.CreateAsync(new Patient()));
        Assert.Equal(HttpStatusCode.Forbidden, write.Status);
        Assert.Contains("user/Patient.write", write.Outcome!.Issue[0].Diagnostics);

        using var device = _server.Client(_a, await _server.TokenAsync(_a, "patient/Observation.write"));
        var observation = await device.CreateAsync(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "8867-4"),
            Subject = new ResourceReference($"Patient/{patient.Id}"),
            Value = new Quantity(72, "/min"),
        });
        Assert.NotNull(observation!.Id);
        Assert.Equal(HttpStatusCode.Forbidden, (await Assert.ThrowsAsync<FhirOperationException>(() => device.ReadAsync<Observation>($"Observation/{observation.Id}"))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Assert.ThrowsAsync<FhirOperationException>(() => device.CreateAsync(new Patient()))).Status);

        using var v2 = _server.Client(_a, await _server.TokenAsync(_a, "user/Patient.rs"));
        Assert.NotNull(await v2.SearchAsync<Patient>(["active=true"]));
        Assert.Equal(HttpStatusCode.Forbidden, (await Assert.ThrowsAsync<FhirOperationException>(() => v2.SearchAsync<Observation>([]))).Status);

        // _revinclude of a type the token may not search is refused; _include of one is left out.
        var revinclude = await Assert.ThrowsAsync<FhirOperationException>(() => v2.SearchAsync<Patient>([$"_id={patient.Id}", "_revinclude=Observation:subject"]));
        Assert.Equal(HttpStatusCode.Forbidden, revinclude.Status);
    }

    [Fact]
    public async Task References_into_another_tenant_are_refused_and_own_base_references_made_relative()
    {
        using var client = _server.Client(_a, await _server.TokenAsync(_a));
        var patient = await client.CreateAsync(new Patient { Active = true });
        var foreign = new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "8867-4"),
            Subject = new ResourceReference($"{_server.Base(_b)}Patient/{patient!.Id}"),
        };
        var e = await Assert.ThrowsAsync<FhirOperationException>(() => client.CreateAsync(foreign));
        Assert.Equal((HttpStatusCode)422, e.Status);
        Assert.Contains(_b, e.Outcome!.Issue[0].Diagnostics);

        foreign.Subject = new ResourceReference($"{_server.Base(_a)}Patient/{patient.Id}");
        var stored = await client.CreateAsync(foreign);
        Assert.Equal($"Patient/{patient.Id}", stored!.Subject.Reference);
        var found = await client.SearchAsync<Observation>([$"subject=Patient/{patient.Id}"]);
        Assert.Equal(1, found!.Total);
    }

    [Fact]
    public async Task Reads_and_writes_are_audited_with_type_id_and_patient_compartment()
    {
        using var client = _server.Client(_a, await _server.TokenAsync(_a));
        var patient = await client.CreateAsync(new Patient { Active = true });
        var observation = await client.CreateAsync(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "8867-4"),
            Subject = new ResourceReference($"Patient/{patient!.Id}"),
        });
        await client.ReadAsync<Observation>($"Observation/{observation!.Id}");
        await client.SearchAsync<Observation>([$"subject=Patient/{patient.Id}"]);

        var audit = _server.Server.Hub.Hub.Audit;
        var create = (await audit.QueryAsync(new AuditQuery(ActionPrefix: "fhir.create", Target: $"fhir:{_a}/Observation/{observation.Id}"))).Single();
        Assert.Equal($"Patient/{patient.Id}", create.Entry.Details!["patient"]);
        Assert.Equal($"app@{_a}", create.Actor);
        var read = (await audit.QueryAsync(new AuditQuery(ActionPrefix: "fhir.read", Target: $"fhir:{_a}/Observation/{observation.Id}"))).Single();
        Assert.Equal($"Patient/{patient.Id}", read.Entry.Details!["patient"]);
        var search = (await audit.QueryAsync(new AuditQuery(ActionPrefix: "fhir.search", Target: $"fhir:{_a}/Observation"))).First();
        Assert.Contains($"Observation/{observation.Id}", search.Entry.Details!["resources"]);
        Assert.Contains($"Patient/{patient.Id}", search.Entry.Details!["patients"]);

        // A refused write leaves a trace too, without the submitted data.
        await Assert.ThrowsAsync<FhirOperationException>(() => client.CreateAsync(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "8867-4"),
            Subject = new ResourceReference($"{_server.Base(_b)}Patient/x"),
        }));
        var failed = (await audit.QueryAsync(new AuditQuery(ActionPrefix: "fhir.post", Outcome: "failed"))).First();
        Assert.Equal("422 business-rule", failed.Entry.Reason);
    }

    [Fact]
    public async Task A_record_in_clear_slipped_into_the_store_is_refused_not_served()
    {
        using var client = _server.Client(_a, await _server.TokenAsync(_a));
        var patient = await client.CreateAsync(new Patient { Active = true, Name = [new HumanName { Family = "Clearwater" }] });
        var hub = _server.Server.Hub.Hub;
        await using (var connection = await hub.Metadata.OpenConnectionAsync())
        {
            await using var cmd = connection.Command(
                "UPDATE fhir_versions SET body = @b WHERE rid = (SELECT rid FROM fhir_resources WHERE tenant = @t AND type = 'Patient' AND id = @id)");
            cmd.AddParameter("b", Storage.ResourceSealer.Plaintext(System.Text.Encoding.UTF8.GetBytes(
                    $$"""{"resourceType":"Patient","id":"{{patient!.Id}}","meta":{"versionId":"1"},"active":false,"name":[{"family":"Forged"}]}""")))
               .AddParameter("t", _a).AddParameter("id", patient.Id);
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }
        using var http = _server.Http(await _server.TokenAsync(_a));
        var response = await http.GetAsync($"/fhir/{_a}/Patient/{patient.Id}");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("not sealed", body);
        Assert.DoesNotContain("Forged", body);
    }

    [Fact]
    public async Task The_operator_creates_tenants_and_a_duplicate_is_a_409()
    {
        using var http = _server.Http(_server.Server.Hub.OperatorToken);
        var created = await http.PostAsync("/api/fhir/tenants", new StringContent("""{"name":"clinic-x"}""", MediaTypeHeaderValue.Parse("application/json")));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var again = await http.PostAsync("/api/fhir/tenants", new StringContent("""{"name":"clinic-x"}""", MediaTypeHeaderValue.Parse("application/json")));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var bad = await http.PostAsync("/api/fhir/tenants", new StringContent("""{"name":"Clinic X"}""", MediaTypeHeaderValue.Parse("application/json")));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using var tenantToken = _server.Http(await _server.TokenAsync(_a));
        Assert.Equal(HttpStatusCode.Forbidden, (await tenantToken.GetAsync("/api/fhir/tenants")).StatusCode);
        var keys = await _server.Server.Hub.Hub.Keys.ListAsync();
        Assert.Contains(keys, k => k.Purpose == "tenant" && k.Owner == "clinic-x");
        Assert.Contains(keys, k => k.Purpose == "tenant-index" && k.Owner == "clinic-x");
    }
}
