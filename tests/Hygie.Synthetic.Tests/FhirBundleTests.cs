using System.Globalization;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hygie.Core.Pseudonymization;
using Hygie.Fhir;
using Hygie.Fhir.Rest;
using Hygie.Synthetic.Cohort;
using Hygie.Synthetic.Fhir;
using Hygie.Testing;

namespace Hygie.Synthetic.Tests;

public sealed class FhirBundleTests
{
    private static readonly CohortOptions Options = new() { Seed = 11, Persons = 600, Year = 2019 };

    [Fact]
    public async Task Bundles_pass_the_hubs_strict_parsing_and_load_as_transactions()
    {
        var bundles = new PatientBundles(new SyntheticCohort(Options)).Take(30).ToList();
        Assert.Equal(30, bundles.Count);
        await using var hub = await TestHub.CreateAsync(migrations: FhirSchema.Migrations);
        var store = new FhirStore(hub.Hub);
        await store.Tenants.CreateAsync("clinic", nameSearch: false, "operator");
        var ctx = new FhirRequestContext(await store.OpenTenantAsync("clinic"), new FhirCaller("loader", "clinic", new SmartScopes(["system/*.*"])),
            "urn:hygie:fhir/clinic/", strictHandling: true, ReturnPreference.Minimal);
        var strict = new FhirJsonDeserializer(new DeserializerSettings().UsingMode(DeserializationMode.Strict));
        var types = new HashSet<string>();
        foreach (var b in bundles)
        {
            var bytes = PatientBundles.Serialize(b.Bundle);
            var parsed = strict.Deserialize<Bundle>(System.Text.Encoding.UTF8.GetString(bytes));
            Assert.Equal(Bundle.BundleType.Transaction, parsed.Type);
            foreach (var e in parsed.Entry) types.Add(e.Resource.TypeName);
            var result = await store.BundleAsync(ctx, bytes);
            Assert.True(result.Status == 200, System.Text.Encoding.UTF8.GetString(result.Body ?? []));
            using var response = JsonDocument.Parse(result.Body!);
            Assert.All(response.RootElement.GetProperty("entry").EnumerateArray(), e => Assert.StartsWith("201", e.GetProperty("response").GetProperty("status").GetString()));
        }
        Assert.Superset(new HashSet<string> { "Patient", "Encounter", "Condition", "Observation", "MedicationRequest", "Procedure", "Immunization" }, types);

        // the hub finds a patient by the BEN_NIR_PSA identifier a FHIR deposit links on
        var search = new EntryOperation { Method = "GET", Url = $"Patient?identifier={PatientBundles.BenNirPsaSystem}|{bundles[3].BenNirPsa}" };
        search.ParseUrl(ctx.BaseUrl);
        var found = await store.ExecuteAsync(ctx, search);
        using var page = JsonDocument.Parse(found.Body!);
        Assert.Equal(1, page.RootElement.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Linked_patients_are_snds_persons_with_their_sex_birth_death_and_a_valid_ins()
    {
        var extract = await Extract.GenerateAsync(Options.Seed, Options.Persons, Options.Year);
        var ben = extract.Table("IR_BEN_R");
        var persons = ben.Rows.ToDictionary(r => r[ben.Index("BEN_NIR_PSA")]);
        var stays = extract.Table("T_MCOaaC").Column("NIR_ANO_17").ToHashSet();
        var bundles = new PatientBundles(new SyntheticCohort(Options)).Take(1000).ToList();
        Assert.InRange(bundles.Count, 50, 600);
        foreach (var b in bundles)
        {
            var patient = b.Bundle.Entry.Select(e => e.Resource).OfType<Patient>().Single();
            var psa = patient.Identifier.Single(i => i.System == PatientBundles.BenNirPsaSystem).Value;
            Assert.Equal(b.BenNirPsa, psa);
            Assert.True(persons.TryGetValue(psa, out var row), "the patient is a person of IR_BEN_R");
            Assert.Equal(row[ben.Index("BEN_SEX_COD")] == "1" ? AdministrativeGender.Male : AdministrativeGender.Female, patient.Gender);
            var birth = DateOnly.ParseExact(patient.BirthDate, "yyyy-MM-dd", CultureInfo.InvariantCulture);
            Assert.Equal(row[ben.Index("BEN_NAI_ANN")], birth.Year.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(row[ben.Index("BEN_NAI_MOI")], birth.Month.ToString("D2", CultureInfo.InvariantCulture));
            var death = row[ben.Index("BEN_DCD_DTE")];
            if (death.Length == 0) Assert.Null(patient.Deceased);
            else Assert.Equal(SndsDate.Parse(death).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ((FhirDateTime)patient.Deceased).Value);

            var ins = patient.Identifier.Single(i => i.System == PatientBundles.InsNirSystem).Value;
            Assert.Equal(15, ins.Length);
            Assert.True(NirValidator.Validate(ins).IsValid, "the INS-NIR carries a valid key");
            Assert.Equal(row[ben.Index("BEN_SEX_COD")], ins[..1]);

            // a stay in the PMSI is an inpatient or ambulatory encounter at the clinic
            var encounters = b.Bundle.Entry.Select(e => e.Resource).OfType<Encounter>().ToList();
            Assert.NotEmpty(encounters);
            if (stays.Contains(psa)) Assert.Contains(encounters, e => e.Type[0].Coding[0].Code == "32485007");
        }
        Assert.Equal(bundles.Count, bundles.Select(b => b.BenNirPsa).Distinct().Count());
    }
}
