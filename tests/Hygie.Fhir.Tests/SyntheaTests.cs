using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Hygie.Testing;

namespace Hygie.Fhir.Tests;

/// <summary>
/// The 30 Synthea transaction bundles loaded through FhirClient (two clients at once), then searches whose expected
/// counts are computed here, independently, by reading the same files with System.Text.Json.
/// </summary>
public sealed class SyntheaFixture : IAsyncLifetime
{
    public FhirServer Server { get; private set; } = null!;
    public string Tenant { get; private set; } = null!;
    public string Token { get; private set; } = null!;
    public TimeSpan LoadTime { get; private set; }
    public int Resources { get; private set; }

    /// <summary>Each file's resources, parsed with System.Text.Json (not the SDK).</summary>
    public List<JsonElement> Files { get; } = [];

    /// <summary>The id a resource had in its file → the id the server gave it (Organizations and Practitioners repeat across files).</summary>
    public Dictionary<string, string> ServerId { get; } = [];

    public async Task InitializeAsync()
    {
        Server = await FhirServer.StartAsync();
        Tenant = await Server.TenantAsync("synthea", nameSearch: true);
        Token = await Server.TokenAsync(Tenant, "user/*.*");
        var files = Directory.GetFiles(TestData.PathOf("fhir-synthea-r4"), "*.json").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(30, files.Count);
        foreach (var file in files) Files.Add(JsonDocument.Parse(await File.ReadAllBytesAsync(file)).RootElement);

        var parser = new FhirJsonDeserializer(new DeserializerSettings().UsingMode(DeserializationMode.Strict));
        var clock = Stopwatch.StartNew();
        var queue = new Queue<string>(files);
        var map = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        var created = 0;
        async Task Worker()
        {
            using var client = Server.Client(Tenant, Token, s => s.ReturnPreference = Hl7.Fhir.Rest.ReturnPreference.Minimal);
            while (true)
            {
                string file;
                lock (queue)
                {
                    if (queue.Count == 0) return;
                    file = queue.Dequeue();
                }
                var bundle = parser.Deserialize<Bundle>(await File.ReadAllTextAsync(file));
                var response = await client.TransactionAsync(bundle);
                Assert.Equal(bundle.Entry.Count, response!.Entry.Count);
                for (var i = 0; i < bundle.Entry.Count; i++)
                {
                    Assert.Equal("201 Created", response.Entry[i].Response.Status);
                    var location = response.Entry[i].Response.Location.Split('/');
                    map[bundle.Entry[i].Resource.Id] = location[1];
                }
                Interlocked.Add(ref created, bundle.Entry.Count);
            }
        }
        await Task.WhenAll(Worker(), Worker());
        LoadTime = clock.Elapsed;
        foreach (var (k, v) in map) ServerId[k] = v;
        Resources = created;
    }

    public IEnumerable<JsonElement> All(string type) =>
        Files.SelectMany(f => f.GetProperty("entry").EnumerateArray()).Select(e => e.GetProperty("resource"))
            .Where(r => r.GetProperty("resourceType").GetString() == type);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class SyntheaTests(SyntheaFixture data) : IClassFixture<SyntheaFixture>
{
    private FhirClient Client() => data.Server.Client(data.Tenant, data.Token);

    private static bool HasCoding(JsonElement concept, string system, string code) =>
        concept.TryGetProperty("coding", out var codings) && codings.EnumerateArray().Any(c =>
            c.TryGetProperty("system", out var s) && s.GetString() == system && c.TryGetProperty("code", out var k) && k.GetString() == code);

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetString() : null;

    private static string PatientOf(JsonElement resource, string element) => resource.GetProperty(element).GetProperty("reference").GetString()!["urn:uuid:".Length..];

    private async Task<int> CountAsync(string type, params string[] criteria)
    {
        using var client = Client();
        var bundle = await client.SearchAsync(type, [.. criteria, "_summary=count"]);
        return bundle!.Total!.Value;
    }

    [Fact]
    public async Task All_resources_of_the_30_bundles_loaded()
    {
        Assert.Equal(4604, data.Resources);
        Assert.Equal(30, await CountAsync("Patient"));
        Assert.Equal(data.All("Observation").Count(), await CountAsync("Observation"));
        Assert.Equal(data.All("ExplanationOfBenefit").Count(), await CountAsync("ExplanationOfBenefit"));
    }

    [Fact]
    public async Task Patient_searches_by_gender_birthdate_identifier_and_name()
    {
        var patients = data.All("Patient").ToList();
        Assert.Equal(patients.Count(p => Str(p, "gender") == "female"), await CountAsync("Patient", "gender=female"));
        Assert.Equal(patients.Count(p => string.CompareOrdinal(Str(p, "birthDate"), "1950-01-01") < 0), await CountAsync("Patient", "birthdate=lt1950-01-01"));
        Assert.Equal(patients.Count(p => p.TryGetProperty("deceasedDateTime", out _)), await CountAsync("Patient", "deceased=true"));

        var first = patients[0];
        var identifier = first.GetProperty("identifier").EnumerateArray().First(i => Str(i, "system") == "https://github.com/synthetichealth/synthea");
        using var client = Client();
        var found = await client.SearchAsync<Patient>([$"identifier=https://github.com/synthetichealth/synthea|{Str(identifier, "value")}"]);
        Assert.Equal(data.ServerId[Str(first, "id")!], found!.Entry.Single().Resource.Id);

        var family = first.GetProperty("name")[0].GetProperty("family").GetString()!;
        var expected = patients.Count(p => p.GetProperty("name").EnumerateArray().Any(n =>
            (Str(n, "family") ?? "").StartsWith(family[..3], StringComparison.OrdinalIgnoreCase)
            || n.TryGetProperty("given", out var g) && g.EnumerateArray().Any(x => x.GetString()!.StartsWith(family[..3], StringComparison.OrdinalIgnoreCase))
            || n.TryGetProperty("prefix", out var pr) && pr.EnumerateArray().Any(x => x.GetString()!.StartsWith(family[..3], StringComparison.OrdinalIgnoreCase))));
        Assert.Equal(expected, await CountAsync("Patient", $"name={family[..3].ToLowerInvariant()}"));
        Assert.Equal(1, await CountAsync("Patient", $"family:exact={family}"));
        Assert.Equal(0, await CountAsync("Patient", $"family:exact={family.ToUpperInvariant()}"));
    }

    [Fact]
    public async Task Observation_searches_by_code_date_and_code_value_quantity()
    {
        var observations = data.All("Observation").ToList();
        const string loinc = "http://loinc.org";
        foreach (var code in new[] { "8867-4", "8302-2", "29463-7", "72514-3" })
            Assert.Equal(observations.Count(o => HasCoding(o.GetProperty("code"), loinc, code)), await CountAsync("Observation", $"code={loinc}|{code}"));

        var since = new DateTimeOffset(2015, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(
            observations.Count(o => HasCoding(o.GetProperty("code"), loinc, "8867-4") && DateTimeOffset.Parse(Str(o, "effectiveDateTime")!, CultureInfo.InvariantCulture) >= since),
            await CountAsync("Observation", $"code={loinc}|8867-4", "date=ge2015-01-01"));

        Assert.Equal(
            observations.Count(o => HasCoding(o.GetProperty("code"), loinc, "8302-2") && o.GetProperty("valueQuantity").GetProperty("value").GetDouble() > 170),
            await CountAsync("Observation", $"code-value-quantity={loinc}|8302-2$gt170"));
        Assert.Equal(
            observations.Count(o => o.TryGetProperty("valueQuantity", out var q) && q.GetProperty("value").GetDouble() > 100 && Str(q, "code") == "mg/dL"),
            await CountAsync("Observation", "value-quantity=gt100||mg/dL"));

        // Blood pressure: the systolic value is a component.
        Assert.Equal(
            observations.Count(o => o.TryGetProperty("component", out var cs) && cs.EnumerateArray().Any(c =>
                HasCoding(c.GetProperty("code"), loinc, "8480-6") && c.GetProperty("valueQuantity").GetProperty("value").GetDouble() >= 130)),
            await CountAsync("Observation", $"component-code-value-quantity={loinc}|8480-6$ge130"));

        var patient = data.All("Patient").First();
        var patientId = Str(patient, "id")!;
        Assert.Equal(
            observations.Count(o => PatientOf(o, "subject") == patientId && o.GetProperty("category").EnumerateArray().Any(c => HasCoding(c, "http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs"))),
            await CountAsync("Observation", $"subject=Patient/{data.ServerId[patientId]}", "category=vital-signs"));
    }

    [Fact]
    public async Task Clinical_types_search_by_their_standard_parameters()
    {
        var conditions = data.All("Condition").ToList();
        var common = conditions.GroupBy(c => c.GetProperty("code").GetProperty("coding")[0].GetProperty("code").GetString()).OrderByDescending(g => g.Count()).First();
        Assert.Equal(common.Count(), await CountAsync("Condition", $"code=http://snomed.info/sct|{common.Key}"));
        Assert.Equal(conditions.Count(c => c.TryGetProperty("abatementDateTime", out _)), await CountAsync("Condition", "abatement-date:missing=false"));

        var requests = data.All("MedicationRequest").ToList();
        foreach (var status in new[] { "active", "stopped" })
            Assert.Equal(requests.Count(m => Str(m, "status") == status), await CountAsync("MedicationRequest", $"status={status}"));

        var immunizations = data.All("Immunization").ToList();
        Assert.Equal(immunizations.Count(i => string.CompareOrdinal(Str(i, "occurrenceDateTime"), "2017-01-01") >= 0),
            await CountAsync("Immunization", "date=ge2017-01-01"));
        Assert.Equal(immunizations.Count(i => HasCoding(i.GetProperty("vaccineCode"), "http://hl7.org/fhir/sid/cvx", "140")),
            await CountAsync("Immunization", "vaccine-code=http://hl7.org/fhir/sid/cvx|140"));

        var procedures = data.All("Procedure").ToList();
        Assert.Equal(procedures.Count(p => string.CompareOrdinal(p.TryGetProperty("performedPeriod", out var pp) ? Str(pp, "start") : Str(p, "performedDateTime"), "2000-01-01") < 0),
            await CountAsync("Procedure", "date=lt2000-01-01"));

        var patient = Str(data.All("Patient").Skip(3).First(), "id")!;
        Assert.Equal(data.All("Encounter").Count(e => PatientOf(e, "subject") == patient), await CountAsync("Encounter", $"patient=Patient/{data.ServerId[patient]}"));
        Assert.Equal(data.All("Encounter").Count(e => PatientOf(e, "subject") == patient), await CountAsync("Encounter", $"subject:Patient={data.ServerId[patient]}"));

        Assert.Equal(data.All("Practitioner").Count(), await CountAsync("Practitioner"));
        Assert.Equal(data.All("Organization").Count(o => (Str(o, "name") ?? "").Contains("HOSPITAL", StringComparison.OrdinalIgnoreCase)),
            await CountAsync("Organization", "name:contains=hospital"));
    }

    [Fact]
    public async Task Include_revinclude_and_sort()
    {
        using var client = Client();
        var patient = Str(data.All("Patient").Skip(5).First(), "id")!;
        var serverPatient = data.ServerId[patient];
        var encounters = data.All("Encounter").Where(e => PatientOf(e, "subject") == patient).ToList();

        var withEncounters = await client.SearchAsync<Patient>([$"_id={serverPatient}", "_revinclude=Encounter:patient"], pageSize: 1000);
        Assert.Equal(1, withEncounters!.Total);
        Assert.Equal(encounters.Count, withEncounters.Entry.Count(e => e.Search.Mode == Bundle.SearchEntryMode.Include && e.Resource is Encounter));

        var encounter = data.ServerId[Str(encounters[0], "id")!];
        var withPatient = await client.SearchAsync<Encounter>([$"_id={encounter}", "_include=Encounter:patient"]);
        Assert.Equal(serverPatient, withPatient!.Entry.Single(e => e.Search.Mode == Bundle.SearchEntryMode.Include).Resource.Id);

        var heights = await client.SearchAsync<Observation>([$"subject=Patient/{serverPatient}", "code=http://loinc.org|29463-7", "_sort=-date"], pageSize: 100);
        var dates = heights!.Entry.Select(e => ((FhirDateTime)((Observation)e.Resource).Effective).ToDateTimeOffset(TimeSpan.Zero)).ToList();
        Assert.NotEmpty(dates);
        Assert.Equal(dates.OrderByDescending(d => d), dates);
        var ascending = await client.SearchAsync<Observation>([$"subject=Patient/{serverPatient}", "code=http://loinc.org|29463-7", "_sort=date"], pageSize: 100);
        Assert.Equal(dates.AsEnumerable().Reverse(), ascending!.Entry.Select(e => ((FhirDateTime)((Observation)e.Resource).Effective).ToDateTimeOffset(TimeSpan.Zero)));
    }

    [Fact]
    public async Task Paging_walks_every_match_once_through_next_links()
    {
        using var client = Client();
        var expected = data.All("Observation").Count(o => HasCoding(o.GetProperty("code"), "http://loinc.org", "8302-2"));
        var bundle = await client.SearchAsync<Observation>(["code=http://loinc.org|8302-2"], pageSize: 17);
        Assert.Equal(expected, bundle!.Total);
        var seen = new HashSet<string>();
        while (bundle is not null)
        {
            Assert.True(bundle.Entry.Count <= 17);
            foreach (var e in bundle.Entry) Assert.True(seen.Add(e.Resource.Id));
            bundle = await client.ContinueAsync(bundle);
        }
        Assert.Equal(expected, seen.Count);
    }

    [Fact]
    public async Task The_store_holds_no_name_or_identifier_in_clear()
    {
        var hub = data.Server.Server.Hub;
        await hub.Hub.Audit.CheckpointAsync();
        var bytes = Directory.GetFiles(hub.DataDirectory, "*", SearchOption.AllDirectories)
            .Where(f => f.Contains("metadata.db", StringComparison.Ordinal)).Select(File.ReadAllBytes).ToList();
        Assert.NotEmpty(bytes);
        foreach (var patient in data.All("Patient"))
        {
            var family = patient.GetProperty("name")[0].GetProperty("family").GetString()!;
            var identifier = patient.GetProperty("identifier")[0].GetProperty("value").GetString()!;
            var phone = patient.GetProperty("telecom")[0].GetProperty("value").GetString()!;
            foreach (var secret in new[] { family, family.ToLowerInvariant(), identifier, phone })
                foreach (var file in bytes)
                    Assert.True(file.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, "a direct identifier is stored in clear");
        }
    }
}
