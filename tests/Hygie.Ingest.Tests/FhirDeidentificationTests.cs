// FHIR POCOs are nullable everywhere: the tests dereference what they just asserted.
#nullable disable warnings
using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Hygie.Core.Deidentification;
using Hygie.Core.Errors;
using Hygie.Ingest.Fhir;

namespace Hygie.Ingest.Tests;

public class FhirDeidentificationTests
{
    private static T Parse<T>(string json) where T : Resource => (T)FhirStrictParser.Parse(Encoding.UTF8.GetBytes(json), new FhirLocation("t.json", null, 1, null));

    private static Patient SyntheaPatient() =>
        (Patient)FhirStrictParser.Parse(Encoding.UTF8.GetBytes(FhirFiles.Resources(FhirFiles.SyntheaBundles[0]).First().GetRawText()), new FhirLocation("s", 0, 1, null));

    [Fact]
    public void The_default_profile_drops_direct_identifiers_free_text_and_generalizes_the_birth_date()
    {
        var patient = SyntheaPatient();
        Assert.NotEmpty(patient.Name);
        Assert.NotEmpty(patient.Address);
        var birth = patient.BirthDate!;
        new FhirResourceDeidentifier(FhirDeidentificationProfile.Default, null).Apply(patient, "p");
        Assert.Empty(patient.Name);
        Assert.Empty(patient.Address);
        Assert.Empty(patient.Telecom);
        Assert.Empty(patient.Identifier);
        Assert.Null(patient.Text);
        Assert.Equal(birth[..7], patient.BirthDate);
        Assert.Equal(AdministrativeGender.Male, patient.Gender);
        Assert.NotNull(patient.MaritalStatus?.Coding.Single().Code);
        // US Core race keeps its coded category; the free-text sub-extension, the mother's maiden name and the birth place go
        var race = patient.Extension.Single(e => e.Url.EndsWith("us-core-race"));
        Assert.Equal(["ombCategory"], race.Extension.Select(e => e.Url));
        Assert.DoesNotContain(patient.Extension, e => e.Url.EndsWith("patient-mothersMaidenName") || e.Url.EndsWith("patient-birthPlace"));
        // what is left is still strict FHIR
        var json = FhirStrictParser.Serialize(patient);
        Assert.Equal(patient.BirthDate, ((Patient)FhirStrictParser.Parse(json, default)).BirthDate);
    }

    [Fact]
    public void References_lose_their_display_and_empty_elements_go()
    {
        var encounter = Parse<Encounter>("""
            {"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/1","display":"Jean Dupont"},
             "participant":[{"individual":{"display":"Dr. Martine Leroy"}}],"serviceProvider":{"reference":"Organization/2","display":"CHU de Rennes"}}
            """);
        new FhirResourceDeidentifier(FhirDeidentificationProfile.Default, null).Apply(encounter, "p");
        Assert.Equal("Patient/1", encounter.Subject.Reference);
        Assert.Null(encounter.Subject.Display);
        Assert.Empty(encounter.Participant);
        Assert.Null(encounter.ServiceProvider.Display);
        var json = Encoding.UTF8.GetString(FhirStrictParser.Serialize(encounter));
        Assert.DoesNotContain("Dupont", json);
        Assert.DoesNotContain("Leroy", json);
        Assert.DoesNotContain("Rennes", json);
    }

    [Fact]
    public void A_profile_may_shift_every_date_of_a_person_by_the_same_offset_and_generalize_birth_to_the_year()
    {
        var profile = FhirDeidentificationProfile.FromJson("""
            { "version": 1, "dateShiftMaxDays": 200, "elements": { "dateTime": "shift-date", "Encounter.period": "shift-date", "Patient.birthDate": "date-to-year" } }
            """);
        var shifter = new DateShifter(RandomNumberGenerator.GetBytes(32), 200);
        var person = "0f3c9a";
        var offset = shifter.OffsetDays(person);
        var encounter = Parse<Encounter>("""{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"period":{"start":"2020-03-01T10:00:00+01:00","end":"2020-03-04T11:30:00+01:00"}}""");
        var observation = Parse<Observation>("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"effectiveDateTime":"2020-03-02T08:15:00+01:00","issued":"2020-03-02T09:00:00+01:00"}""");
        var patient = Parse<Patient>("""{"resourceType":"Patient","birthDate":"1961-07-14","deceasedDateTime":"2021"}""");
        var deidentifier = new FhirResourceDeidentifier(profile, shifter);
        deidentifier.Apply(encounter, person);
        deidentifier.Apply(observation, person);
        deidentifier.Apply(patient, person);
        Assert.Equal(DateTimeOffset.Parse("2020-03-01T10:00:00+01:00").AddDays(offset), encounter.Period.StartElement.ToDateTimeOffset(TimeSpan.FromHours(1)));
        Assert.Equal(DateTimeOffset.Parse("2020-03-04T11:30:00+01:00").AddDays(offset), encounter.Period.EndElement.ToDateTimeOffset(TimeSpan.FromHours(1)));
        Assert.Equal(DateTimeOffset.Parse("2020-03-02T08:15:00+01:00").AddDays(offset), ((FhirDateTime)observation.Effective).ToDateTimeOffset(TimeSpan.FromHours(1)));
        Assert.Equal("1961", patient.BirthDate);
        Assert.Equal("2021", ((FhirDateTime)patient.Deceased).Value); // a year alone is not shifted, nor refined
        // an instant has no rule here: kept
        Assert.Equal(DateTimeOffset.Parse("2020-03-02T09:00:00+01:00"), observation.Issued);
        Assert.Throws<InvalidOperationException>(() => new FhirResourceDeidentifier(profile, null).Apply(observation, person));
    }

    [Fact]
    public void The_profile_reads_back_what_it_writes_and_refuses_what_does_not_apply_naming_it()
    {
        Hygie.Ingest.Deposit.FhirDeposit.Validate(FhirDeidentificationProfile.Default); // every default rule names an R4 type
        var custom = FhirDeidentificationProfile.FromJson("""{ "resourceTypes": { "Claim": "drop" }, "elements": { "Patient.birthDate": "date-to-year", "Observation.value": "drop" } }""");
        Assert.Equal(ColumnAction.DateToYear, custom.Elements["Patient.birthDate"]);
        Assert.Equal(ColumnAction.Drop, custom.Elements["HumanName"]); // defaults kept
        Assert.False(custom.Keeps("Claim", hasPatient: true));
        Assert.True(custom.Keeps("Observation", hasPatient: true));
        Assert.False(custom.Keeps("Organization", hasPatient: false));
        var again = FhirDeidentificationProfile.FromJson(custom.ToJson());
        Assert.Equal(custom.Elements.OrderBy(e => e.Key), again.Elements.OrderBy(e => e.Key));
        Assert.Equal(custom.ResourceTypes, again.ResourceTypes);
        Assert.Equal(ColumnAction.Keep, FhirDeidentificationProfile.FromJson("""{ "replaceDefaults": true }""").ActionFor("Patient.name", ["DomainResource.name"], "HumanName"));

        foreach (var (json, field) in new[]
        {
            ("""{ "elements": { "HumanName": "pseudonymize" } }""", "HumanName"),
            ("""{ "elements": { "HumanName": "commune-to-departement" } }""", "HumanName"),
            ("""{ "elements": { "Patient..name": "drop" } }""", "elements"),
            ("""{ "resourceTypes": { "Claim": "maybe" } }""", "Claim"),
            ("""{ "version": 2 }""", "version"),
            ("""{ "colour": "blue" }""", "colour"),
        })
        {
            var e = Assert.Throws<ValidationFailedException>(() => FhirDeidentificationProfile.FromJson(json));
            Assert.Equal(field, e.Field);
            Assert.Equal("deidentification-profile", e.Code);
        }
    }

    [Fact]
    public async Task A_dataset_is_created_with_its_own_profile_and_a_profile_naming_what_r4_lacks_is_refused()
    {
        await using var server = await Hygie.Testing.RunningServer.StartAsync();
        var op = server.Operator();
        var created = await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(op, "/api/datasets", new
        {
            name = "strict", kind = "fhir", classification = "clinical",
            profile = new { elements = new Dictionary<string, string> { ["Patient.birthDate"] = "date-to-year" }, resourceTypes = new Dictionary<string, string> { ["Claim"] = "drop" } },
        });
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var details = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<Hygie.Ingest.Deposit.DatasetDetails>(op, "/api/datasets/strict",
            System.Text.Json.JsonSerializerOptions.Web);
        var profile = FhirDeidentificationProfile.FromJson(details!.Profile!);
        Assert.Equal(ColumnAction.DateToYear, profile.Elements["Patient.birthDate"]);
        Assert.False(profile.Keeps("Claim", true));
        foreach (var bad in new object[]
        {
            new { elements = new Dictionary<string, string> { ["Patientt.birthDate"] = "drop" } },
            new { resourceTypes = new Dictionary<string, string> { ["Organization"] = "keep" } },
            new { resourceTypes = new Dictionary<string, string> { ["claim"] = "drop" } },
            new { elements = new Dictionary<string, string> { ["HumanName"] = "shift" } },
        })
        {
            var refused = await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(op, "/api/datasets", new { name = "bad", kind = "fhir", classification = "clinical", profile = bad });
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("deidentification-profile", await refused.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public void Views_are_valid_and_refuse_what_they_cannot_evaluate()
    {
        Assert.Equal(["condition", "encounter", "immunization", "medication_request", "observation", "patient", "procedure"], FhirView.BuiltIn.Select(v => v.Name));
        Assert.All(FhirView.BuiltIn.Where(v => v.Name != "patient"), v => Assert.Single(v.Columns, c => c.IsDate));
        Assert.DoesNotContain(FhirView.BuiltIn.Single(v => v.Name == "patient").Columns, c => c.IsDate || c.Name == "id");
        var e = Assert.Throws<ValidationFailedException>(() => FhirView.Parse("""
            {"resourceType":"ViewDefinition","name":"x","resource":"Observation","select":[{"forEach":"component","column":[{"name":"v","path":"value"}]}]}
            """, "x.json"));
        Assert.Contains("forEach", e.Message);
        Assert.Throws<ValidationFailedException>(() => FhirView.Parse("""{"resourceType":"ViewDefinition","name":"x","resource":"Observationn","select":[]}""", "x.json"));
    }
}
