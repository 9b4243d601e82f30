using System.Net;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;

namespace Hygie.Fhir.Tests;

/// <summary>The REST interactions, driven by the Firely SDK's FhirClient against the real server.</summary>
public sealed class RestTests : IAsyncLifetime
{
    private FhirServer _server = null!;
    private string _tenant = null!;
    private FhirClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await FhirServer.StartAsync(new FhirOptions { MaxBodyBytes = 256 * 1024 });
        _tenant = await _server.TenantAsync();
        _client = _server.Client(_tenant, await _server.TokenAsync(_tenant, "user/*.*"));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private static Patient NewPatient(string family, string? identifier = null) => new()
    {
        Name = [new HumanName { Family = family, Given = ["Jeanne"] }],
        Gender = AdministrativeGender.Female,
        BirthDate = "1980-05-17",
        Identifier = identifier is null ? [] : [new Identifier("urn:oid:1.2.250.1.213.1.4.8", identifier)],
    };

    [Fact]
    public async Task Create_read_update_vread_and_history()
    {
        var created = await _client.CreateAsync(NewPatient("Martin"));
        Assert.NotNull(created!.Id);
        Assert.Equal("1", created.Meta.VersionId);

        var read = await _client.ReadAsync<Patient>($"Patient/{created.Id}");
        Assert.Equal("Martin", read!.Name[0].Family);

        read.Gender = AdministrativeGender.Other;
        var updated = await _client.UpdateAsync(read, versionAware: true);
        Assert.Equal("2", updated!.Meta.VersionId);

        var v1 = await _client.ReadAsync<Patient>($"Patient/{created.Id}/_history/1");
        Assert.Equal(AdministrativeGender.Female, v1!.Gender);
        var v2 = await _client.ReadAsync<Patient>($"Patient/{created.Id}/_history/2");
        Assert.Equal(AdministrativeGender.Other, v2!.Gender);

        var history = await _client.HistoryAsync($"Patient/{created.Id}");
        Assert.Equal(2, history!.Total);
        Assert.Equal(["2", "1"], history.Entry.Select(e => e.Resource.Meta.VersionId));

        var typeHistory = await _client.TypeHistoryAsync("Patient");
        Assert.True(typeHistory!.Total >= 2);
    }

    [Fact]
    public async Task An_update_with_a_stale_If_Match_is_refused_412()
    {
        var created = await _client.CreateAsync(NewPatient("Bernard"));
        created!.Gender = AdministrativeGender.Male;
        await _client.UpdateAsync(created, versionAware: true);
        created.Meta.VersionId = "1";
        created.Gender = AdministrativeGender.Unknown;
        var e = await Assert.ThrowsAsync<FhirOperationException>(() => _client.UpdateAsync(created, versionAware: true));
        Assert.Equal(HttpStatusCode.PreconditionFailed, e.Status);
        Assert.Contains("If-Match", e.Outcome!.Issue[0].Diagnostics);
        var current = await _client.ReadAsync<Patient>($"Patient/{created.Id}");
        Assert.Equal("2", current!.Meta.VersionId);
    }

    [Fact]
    public async Task Update_creates_with_the_client_id_and_refuses_a_mismatched_id()
    {
        var patient = NewPatient("Petit");
        patient.Id = "client-chosen-1";
        var created = await _client.UpdateAsync(patient);
        Assert.Equal("client-chosen-1", created!.Id);
        Assert.Equal("1", created.Meta.VersionId);

        using var http = _server.Http(await _server.TokenAsync(_tenant));
        var content = new StringContent("""{"resourceType":"Patient","id":"other"}""", Encoding.UTF8, "application/fhir+json");
        var response = await http.PutAsync($"/fhir/{_tenant}/Patient/client-chosen-1", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("OperationOutcome", (await Outcome(response)).GetProperty("resourceType").GetString());
    }

    [Fact]
    public async Task Conditional_create_and_update_select_by_identifier()
    {
        var condition = new SearchParams().Where("identifier=urn:oid:1.2.250.1.213.1.4.8|INS-777");
        var first = await _client.ConditionalCreateAsync(NewPatient("Durand", "INS-777"), condition);
        var again = await _client.ConditionalCreateAsync(NewPatient("Durand", "INS-777"), condition);
        Assert.Equal(first!.Id, again!.Id);
        Assert.Equal("1", again.Meta.VersionId);

        var changed = NewPatient("Durand-Leroy", "INS-777");
        var updated = await _client.ConditionalUpdateAsync(changed, condition);
        Assert.Equal(first.Id, updated!.Id);
        Assert.Equal("2", updated.Meta.VersionId);

        var created = await _client.ConditionalUpdateAsync(NewPatient("Nouveau", "INS-778"), new SearchParams().Where("identifier=urn:oid:1.2.250.1.213.1.4.8|INS-778"));
        Assert.Equal("1", created!.Meta.VersionId);

        // Two matches: a conditional update cannot choose.
        await _client.CreateAsync(NewPatient("Twin", "TWIN"));
        await _client.CreateAsync(NewPatient("Twin", "TWIN"));
        var e = await Assert.ThrowsAsync<FhirOperationException>(() =>
            _client.ConditionalUpdateAsync(NewPatient("Twin", "TWIN"), new SearchParams().Where("identifier=urn:oid:1.2.250.1.213.1.4.8|TWIN")));
        Assert.Equal(HttpStatusCode.PreconditionFailed, e.Status);
    }

    [Fact]
    public async Task Delete_leaves_a_tombstone_410_and_a_history_entry()
    {
        var created = await _client.CreateAsync(NewPatient("Roux"));
        await _client.DeleteAsync($"Patient/{created!.Id}");
        var e = await Assert.ThrowsAsync<FhirOperationException>(() => _client.ReadAsync<Patient>($"Patient/{created.Id}"));
        Assert.Equal(HttpStatusCode.Gone, e.Status);
        var history = await _client.HistoryAsync($"Patient/{created.Id}");
        Assert.Equal(2, history!.Total);
        Assert.Equal("DELETE", history.Entry[0].Request.Method.ToString()!.ToUpperInvariant());
        var search = await _client.SearchAsync<Patient>([$"_id={created.Id}"]);
        Assert.Equal(0, search!.Total);
        // Deleting again has no effect.
        await _client.DeleteAsync($"Patient/{created.Id}");
    }

    [Fact]
    public async Task Unknown_resources_answer_404_and_malformed_bodies_400()
    {
        var e = await Assert.ThrowsAsync<FhirOperationException>(() => _client.ReadAsync<Patient>("Patient/does-not-exist"));
        Assert.Equal(HttpStatusCode.NotFound, e.Status);
        Assert.NotNull(e.Outcome);

        using var http = _server.Http(await _server.TokenAsync(_tenant));
        var bad = await FhirServer.PostJsonAsync(http, $"/fhir/{_tenant}/Patient", """{"resourceType":"Patient", "name": [""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("not valid JSON", Diagnostics(await Outcome(bad)));

        var unknownElement = await FhirServer.PostJsonAsync(http, $"/fhir/{_tenant}/Patient", """{"resourceType":"Patient","gender1":"male"}""");
        Assert.Equal(HttpStatusCode.BadRequest, unknownElement.StatusCode);
        Assert.Contains("gender1", Diagnostics(await Outcome(unknownElement)));

        var badCode = await FhirServer.PostJsonAsync(http, $"/fhir/{_tenant}/Patient", """{"resourceType":"Patient","gender":"mail"}""");
        Assert.Equal(HttpStatusCode.BadRequest, badCode.StatusCode);

        var unknownType = await FhirServer.PostJsonAsync(http, $"/fhir/{_tenant}/Patientt", """{"resourceType":"Patientt"}""");
        Assert.Equal(HttpStatusCode.BadRequest, unknownType.StatusCode);
        Assert.Contains("Patientt", Diagnostics(await Outcome(unknownType)));

        var wrongType = await FhirServer.PostJsonAsync(http, $"/fhir/{_tenant}/Observation", """{"resourceType":"Patient"}""");
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);

        var noRoute = await http.GetAsync($"/fhir/{_tenant}/Patient/x/y/z");
        Assert.Equal(HttpStatusCode.NotFound, noRoute.StatusCode);
        Assert.Equal("OperationOutcome", (await Outcome(noRoute)).GetProperty("resourceType").GetString());
    }

    [Fact]
    public async Task An_oversized_body_is_refused_413_and_nothing_is_written()
    {
        using var http = _server.Http(await _server.TokenAsync(_tenant));
        var before = (await _client.SearchAsync<Patient>(["_summary=count"]))!.Total;
        var big = new Patient { Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = $"<div xmlns=\"http://www.w3.org/1999/xhtml\">{new string('x', 300 * 1024)}</div>" } };
        var response = await FhirServer.PostRawAsync(http, $"/fhir/{_tenant}/Patient", Encoding.UTF8.GetBytes(big.ToJson()));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("OperationOutcome", (await Outcome(response)).GetProperty("resourceType").GetString());
        Assert.NotNull(before);
        Assert.Equal(before, (await _client.SearchAsync<Patient>(["_summary=count"]))!.Total);

        // A body within the limit is written, and the count sees it: the comparison above can fail.
        var small = new Patient { Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>" } };
        Assert.Equal(HttpStatusCode.Created, (await FhirServer.PostRawAsync(http, $"/fhir/{_tenant}/Patient", Encoding.UTF8.GetBytes(small.ToJson()))).StatusCode);
        Assert.Equal(before + 1, (await _client.SearchAsync<Patient>(["_summary=count"]))!.Total);
    }

    [Fact]
    public async Task Unknown_search_parameters_are_refused_when_strict_and_reported_when_lenient()
    {
        using var http = _server.Http(await _server.TokenAsync(_tenant));
        var lenient = await http.GetAsync($"/fhir/{_tenant}/Patient?foo=bar&gender=female");
        Assert.Equal(HttpStatusCode.OK, lenient.StatusCode);
        var bundle = await Outcome(lenient);
        var self = bundle.GetProperty("link").EnumerateArray().First(l => l.GetProperty("relation").GetString() == "self").GetProperty("url").GetString()!;
        Assert.DoesNotContain("foo", self);
        Assert.Contains("gender=female", self);
        var outcome = bundle.GetProperty("entry").EnumerateArray().Last();
        Assert.Equal("outcome", outcome.GetProperty("search").GetProperty("mode").GetString());
        Assert.Contains("foo", outcome.GetProperty("resource").GetProperty("issue")[0].GetProperty("diagnostics").GetString());

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/fhir/{_tenant}/Patient?foo=bar");
        request.Headers.Add("Prefer", "handling=strict");
        var strict = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, strict.StatusCode);
        Assert.Contains("foo", Diagnostics(await Outcome(strict)));

        var badDate = await http.GetAsync($"/fhir/{_tenant}/Patient?birthdate=gt1980-13");
        Assert.Equal(HttpStatusCode.BadRequest, badDate.StatusCode);
    }

    [Fact]
    public async Task Search_by_token_string_date_and_paging_with_next_links()
    {
        for (var i = 0; i < 7; i++)
            await _client.CreateAsync(NewPatient($"Paging{i}", $"PG-{i}"));
        var page = await _client.SearchAsync<Patient>(["family=Paging0"]);
        Assert.Equal(1, page!.Total);
        var byIdentifier = await _client.SearchAsync<Patient>(["identifier=urn:oid:1.2.250.1.213.1.4.8|PG-3"]);
        Assert.Equal("Paging3", ((Patient)byIdentifier!.Entry.Single().Resource).Name[0].Family);
        var byBirth = await _client.SearchAsync<Patient>(["birthdate=1980-05", "identifier=urn:oid:1.2.250.1.213.1.4.8|PG-1,urn:oid:1.2.250.1.213.1.4.8|PG-2"]);
        Assert.Equal(2, byBirth!.Total);
        var none = await _client.SearchAsync<Patient>(["birthdate=lt1980-05-17", "identifier=urn:oid:1.2.250.1.213.1.4.8|PG-1"]);
        Assert.Equal(0, none!.Total);

        var ids = new HashSet<string>();
        var bundle = await _client.SearchAsync<Patient>(["given=jeanne"], pageSize: 3);
        var pages = 0;
        while (bundle is not null)
        {
            pages++;
            foreach (var e in bundle.Entry) Assert.True(ids.Add(e.Resource.Id));
            bundle = await _client.ContinueAsync(bundle);
        }
        Assert.Equal(ids.Count, (await _client.SearchAsync<Patient>(["given=jeanne", "_summary=count"]))!.Total);
        Assert.True(pages >= 3);

        var byPost = await _client.SearchUsingPostAsync<Patient>(["identifier=urn:oid:1.2.250.1.213.1.4.8|PG-4"]);
        Assert.Equal("Paging4", ((Patient)byPost!.Entry.Single().Resource).Name[0].Family);
    }

    [Fact]
    public async Task Devices_practitioners_and_organizations_are_searchable_too()
    {
        var organization = await _client.CreateAsync(new Organization { Name = "Centre Hospitalier de Test", Identifier = [new Identifier("urn:oid:1.2.250.1.71.4.2.2", "FINESS-1")] });
        var practitioner = await _client.CreateAsync(new Practitioner { Name = [new HumanName { Family = "Médecin", Given = ["Anne"] }] });
        var device = await _client.CreateAsync(new Device { Status = Device.FHIRDeviceStatus.Active, Manufacturer = "Omron", Patient = new ResourceReference("Patient/p1") });
        Assert.Equal(organization!.Id, (await _client.SearchAsync<Organization>(["name=centre hosp"]))!.Entry.Single().Resource.Id);
        Assert.Equal(organization.Id, (await _client.SearchAsync<Organization>(["identifier=urn:oid:1.2.250.1.71.4.2.2|FINESS-1"]))!.Entry.Single().Resource.Id);
        Assert.Equal(practitioner!.Id, (await _client.SearchAsync<Practitioner>(["family=medecin"]))!.Entry.Single().Resource.Id);
        Assert.Equal(device!.Id, (await _client.SearchAsync<Device>(["manufacturer=omron", "patient=p1"]))!.Entry.Single().Resource.Id);
    }

    [Fact]
    public async Task Patch_with_json_patch_and_fhirpath_patch()
    {
        var created = await _client.CreateAsync(NewPatient("Patch"));
        var parameters = new Parameters();
        parameters.Parameter.Add(new Parameters.ParameterComponent
        {
            Name = "operation",
            Part =
            [
                new() { Name = "type", Value = new Code("replace") },
                new() { Name = "path", Value = new FhirString("Patient.birthDate") },
                new() { Name = "value", Value = new Date("1975-12-25") },
            ],
        });
        var patched = await _client.PatchAsync(new Uri($"Patient/{created!.Id}", UriKind.Relative), parameters);
        Assert.Equal("1975-12-25", ((Patient)patched!).BirthDate);

        using var http = _server.Http(await _server.TokenAsync(_tenant));
        var request = new HttpRequestMessage(HttpMethod.Patch, $"/fhir/{_tenant}/Patient/{created.Id}")
        {
            Content = new StringContent("""[{"op":"replace","path":"/gender","value":"male"}]""", Encoding.UTF8, "application/json-patch+json"),
        };
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("male", (await Outcome(response)).GetProperty("gender").GetString());
        Assert.Equal("3", (await _client.ReadAsync<Patient>($"Patient/{created.Id}"))!.Meta.VersionId);

        var invalid = new HttpRequestMessage(HttpMethod.Patch, $"/fhir/{_tenant}/Patient/{created.Id}")
        {
            Content = new StringContent("""[{"op":"replace","path":"/gender","value":"mail"}]""", Encoding.UTF8, "application/json-patch+json"),
        };
        Assert.Equal(HttpStatusCode.BadRequest, (await http.SendAsync(invalid)).StatusCode);
    }

    [Fact]
    public async Task Metadata_is_a_capability_statement_of_the_supported_types_and_parameters()
    {
        var capability = await _client.CapabilityStatementAsync();
        Assert.Equal(FHIRVersion.N4_0_1, capability!.FhirVersion);
        var rest = capability.Rest.Single();
        foreach (var type in new[] { "Patient", "Observation", "Encounter", "Condition", "MedicationRequest", "Procedure", "Immunization", "Practitioner", "Organization", "Device" })
            Assert.Contains(rest.Resource, r => r.Type == type);
        var observation = rest.Resource.Single(r => r.Type == "Observation");
        Assert.Contains(observation.SearchParam, p => p.Name == "code-value-quantity" && p.Type == SearchParamType.Composite);
        Assert.Contains(observation.SearchParam, p => p.Name == "date" && p.Type == SearchParamType.Date);
        Assert.Contains(rest.Operation, o => o.Name == "export");
    }

    [Fact]
    public async Task Xml_requested_is_answered_in_json()
    {
        using var http = _server.Http(await _server.TokenAsync(_tenant));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/fhir/{_tenant}/metadata");
        request.Headers.Add("Accept", "application/fhir+xml");
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType!.MediaType);
    }

    internal static async Task<JsonElement> Outcome(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    internal static string Diagnostics(JsonElement outcome) =>
        string.Join(" | ", outcome.GetProperty("issue").EnumerateArray().Select(i => i.TryGetProperty("diagnostics", out var d) ? d.GetString() : ""));
}
