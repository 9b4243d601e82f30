using System.Net;
using System.Text.Json;
using Hygie.Testing;

namespace Hygie.Fhir.Tests;

/// <summary>
/// The 22 batch and transaction Bundles of microsoft/fhir-server's test files, posted byte for byte (BOMs included) to a
/// fresh tenant each, answered as the specification says: valid ones succeed with the right status per entry, invalid
/// ones fail atomically with an OperationOutcome naming the entry, and leave nothing behind.
/// </summary>
public sealed class EdgeCaseTests : IAsyncLifetime
{
    private FhirServer _server = null!;

    public async Task InitializeAsync() => _server = await FhirServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static byte[] File(string name) => System.IO.File.ReadAllBytes(TestData.PathOf("fhir-ms-edgecases", name));

    private async Task<(HttpClient Http, string Tenant)> TenantAsync()
    {
        var tenant = await _server.TenantAsync();
        return (_server.Http(await _server.TokenAsync(tenant, "user/*.*")), tenant);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient http, string tenant, byte[] body)
    {
        var response = await FhirServer.PostRawAsync(http, $"/fhir/{tenant}/", body);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
    }

    private static string[] Statuses(JsonElement bundle) =>
        bundle.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("response").GetProperty("status").GetString()!.Split(' ')[0]).ToArray();

    private static async Task<long> VersionsWrittenAsync(HttpClient http, string tenant)
    {
        var history = JsonDocument.Parse(await http.GetStringAsync($"/fhir/{tenant}/_history?_count=0")).RootElement;
        return history.GetProperty("total").GetInt64();
    }

    private static void AssertNamesEntry(JsonElement outcome, int entry)
    {
        Assert.Equal("OperationOutcome", outcome.GetProperty("resourceType").GetString());
        var issue = outcome.GetProperty("issue")[0];
        Assert.Equal("error", issue.GetProperty("severity").GetString());
        Assert.StartsWith($"entry {entry}", issue.GetProperty("diagnostics").GetString());
        Assert.StartsWith($"Bundle.entry[{entry}]", issue.GetProperty("expression")[0].GetString());
    }

    [Theory]
    [InlineData("Bundle-Batch.json", new[] { "201", "201", "201", "201", "412", "204", "204", "400", "200", "404" })]
    [InlineData("Bundle-BatchWithInvalidEleEnums.json", new[] { "400", "201", "400", "201", "400", "204", "204", "400", "200", "404" })]
    [InlineData("Bundle-BatchWithDuplicatedItems.json", new[] { "201", "201", "200", "200", "204", "204", "400", "200", "404" })]
    // Every Patient there has "system": "" — an empty string is not a valid FHIR value: each entry is refused on its own.
    [InlineData("Bundle-BatchWithConditionalUpdateByIdentifier.json", new[] { "400", "400", "400", "400" })]
    public async Task Batches_answer_each_entry_on_its_own(string file, string[] expected)
    {
        var (http, tenant) = await TenantAsync();
        var (status, body) = await PostAsync(http, tenant, File(file));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("batch-response", body.GetProperty("type").GetString());
        Assert.Equal(expected, Statuses(body));
        foreach (var entry in body.GetProperty("entry").EnumerateArray())
            if (int.Parse(entry.GetProperty("response").GetProperty("status").GetString()![..3]) >= 400)
                Assert.Equal("OperationOutcome", entry.GetProperty("response").GetProperty("outcome").GetProperty("resourceType").GetString());
    }

    [Theory]
    [InlineData("Bundle-TransactionWithAllValidRoutes.json", new[] { "201", "201", "201", "201", "200", "200" })]
    [InlineData("Bundle-TransactionWithValidBundleEntry.json", new[] { "201", "201", "201", "201" })]
    [InlineData("Bundle-TransactionWithForeignReferenceInResourceBody.json", new[] { "201" })]
    [InlineData("Bundle-TransactionWithMetaHistory.json", new[] { "201" })]
    public async Task Valid_transactions_succeed(string file, string[] expected)
    {
        var (http, tenant) = await TenantAsync();
        var (status, body) = await PostAsync(http, tenant, File(file));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("transaction-response", body.GetProperty("type").GetString());
        Assert.Equal(expected, Statuses(body));
    }

    [Theory]
    [InlineData("Bundle-Transaction.json", HttpStatusCode.BadRequest, 7)]
    [InlineData("Bundle-TransactionForRollBack.json", HttpStatusCode.NotFound, 1)]
    [InlineData("Bundle-TransactionWithInvalidProcessingRecord.json", HttpStatusCode.BadRequest, 5)]
    [InlineData("Bundle-TransactionWithInvalidProcessingRoutes.json", HttpStatusCode.BadRequest, 1)]
    [InlineData("Bundle-TransactionWithInvalidResourceType.json", HttpStatusCode.BadRequest, 0)]
    [InlineData("Bundle-TransactionWithConditionalReferenceInResourceBody.json", HttpStatusCode.BadRequest, 0)]
    [InlineData("Bundle-TransactionWithConditionalReferenceReferringToSameResource.json", HttpStatusCode.BadRequest, 1)]
    [InlineData("Bundle-TransactionWithMultipleEntriesModifyingSameResource.json", HttpStatusCode.BadRequest, 2)]
    [InlineData("Bundle-TransactionWithMultipleResourcesWithSameFullUrl.json", HttpStatusCode.BadRequest, 3)]
    [InlineData("Bundle-TransactionWithConditionalCreateAndReference.json", HttpStatusCode.BadRequest, 0)]
    [InlineData("Bundle-TransactionWithConditionalUpdateAndReference.json", HttpStatusCode.BadRequest, 0)]
    [InlineData("Bundle-TransactionWithPOSTFullUrlMatchesWithPUTRequestUrl.json", HttpStatusCode.BadRequest, 1)]
    public async Task Invalid_transactions_fail_atomically_naming_the_entry(string file, HttpStatusCode expected, int entry)
    {
        var (http, tenant) = await TenantAsync();
        var (status, body) = await PostAsync(http, tenant, File(file));
        Assert.Equal(expected, status);
        AssertNamesEntry(body, entry);
        Assert.Equal(0, await VersionsWrittenAsync(http, tenant));
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_refused_400()
    {
        var (http, tenant) = await TenantAsync();
        var (status, body) = await PostAsync(http, tenant, File("Bundle-TransactionWithInvalidBundleEntry.json"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("not valid JSON", body.GetProperty("issue")[0].GetProperty("diagnostics").GetString());
        Assert.Equal(0, await VersionsWrittenAsync(http, tenant));
    }

    [Fact]
    public async Task A_failing_transaction_with_deletes_rolls_everything_back()
    {
        var (http, tenant) = await TenantAsync();
        foreach (var id in new[] { "patient-rollback-0", "patient-rollback-1" })
        {
            var put = await http.PutAsync($"/fhir/{tenant}/Patient/{id}",
                new StringContent($$"""{"resourceType":"Patient","id":"{{id}}","active":true}""", System.Text.Encoding.UTF8, "application/fhir+json"));
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
        var (status, body) = await PostAsync(http, tenant, File("Bundle-TransactionForRollBackWithDelete.json"));
        Assert.Equal(HttpStatusCode.PreconditionFailed, status);
        AssertNamesEntry(body, 1);
        var still = await http.GetAsync($"/fhir/{tenant}/Patient/patient-rollback-0");
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
        Assert.Equal("W/\"1\"", still.Headers.ETag!.ToString());
        Assert.Equal(2, await VersionsWrittenAsync(http, tenant));
    }

    [Fact]
    public async Task Conditional_references_resolve_once_their_target_exists()
    {
        var (http, tenant) = await TenantAsync();
        var file = File("Bundle-TransactionWithConditionalReferenceInResourceBody.json");
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(http, tenant, file)).Status);
        var created = await FhirServer.PostJsonAsync(http, $"/fhir/{tenant}/Patient", """{"resourceType":"Patient","identifier":[{"value":"12345"}]}""");
        var patientId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        var (status, body) = await PostAsync(http, tenant, file);
        Assert.Equal(HttpStatusCode.OK, status);
        foreach (var entry in body.GetProperty("entry").EnumerateArray())
            Assert.Equal($"Patient/{patientId}", entry.GetProperty("resource").GetProperty("subject").GetProperty("reference").GetString());
    }

    /// <summary>
    /// What the two conditional files mean to test, with valid resources (the files themselves carry an empty
    /// identifier system and an ImagingStudy without its mandatory modality and sopClass, so they are refused above).
    /// </summary>
    private static byte[] ConditionalBundle(bool update)
    {
        var request = update
            ? """{"method":"PUT","url":"Patient?identifier=|11788759296811"}"""
            : """{"method":"POST","url":"Patient","ifNoneExist":"identifier=|11788759296811"}""";
        return System.Text.Encoding.UTF8.GetBytes("""
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"fullUrl":"urn:uuid:6fc92493-6bef-402a-bbba-d949f3812cc8","resource":{"resourceType":"Patient","identifier":[{"value":"11788759296811"}]},
               "request":REQUEST},
              {"fullUrl":"urn:uuid:70aedfe9-ad6e-4664-945a-81779945dd90","resource":{"resourceType":"ImagingStudy","status":"available",
               "subject":{"reference":"urn:uuid:6fc92493-6bef-402a-bbba-d949f3812cc8"}},"request":{"method":"POST","url":"ImagingStudy"}}]}
            """.Replace("REQUEST", request));
    }

    [Theory]
    [InlineData(false, "200")]
    [InlineData(true, "200")]
    public async Task Conditional_create_and_update_resolve_references_the_second_time_too(bool update, string secondStatus)
    {
        var (http, tenant) = await TenantAsync();
        var bundle = ConditionalBundle(update);
        var (firstStatus, first) = await PostAsync(http, tenant, bundle);
        Assert.Equal(HttpStatusCode.OK, firstStatus);
        Assert.Equal(["201", "201"], Statuses(first));
        var patient = first.GetProperty("entry")[0].GetProperty("resource").GetProperty("id").GetString();
        Assert.Equal($"Patient/{patient}", first.GetProperty("entry")[1].GetProperty("resource").GetProperty("subject").GetProperty("reference").GetString());
        var (status, second) = await PostAsync(http, tenant, bundle);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(secondStatus, Statuses(second)[0]);
        Assert.Equal(patient, second.GetProperty("entry")[0].GetProperty("resource").GetProperty("id").GetString());
        Assert.Equal($"Patient/{patient}", second.GetProperty("entry")[1].GetProperty("resource").GetProperty("subject").GetProperty("reference").GetString());
    }

    [Fact]
    public async Task Urn_uuid_references_become_the_new_ids_and_foreign_ones_stay()
    {
        var (http, tenant) = await TenantAsync();
        var (_, body) = await PostAsync(http, tenant, File("Bundle-TransactionWithForeignReferenceInResourceBody.json"));
        Assert.Equal("urn:uuid:4a089b8a-b0a0-46a9-92da-c8b653aa2e73",
            body.GetProperty("entry")[0].GetProperty("resource").GetProperty("subject").GetProperty("reference").GetString());

        var bundle = """
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"fullUrl":"urn:uuid:11111111-1111-1111-1111-111111111111","resource":{"resourceType":"Patient","active":true},"request":{"method":"POST","url":"Patient"}},
              {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:11111111-1111-1111-1111-111111111111"}},"request":{"method":"POST","url":"Observation"}}]}
            """;
        var response = await FhirServer.PostJsonAsync(http, $"/fhir/{tenant}/", bundle);
        var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var patient = result.GetProperty("entry")[0].GetProperty("resource").GetProperty("id").GetString();
        Assert.Equal($"Patient/{patient}", result.GetProperty("entry")[1].GetProperty("resource").GetProperty("subject").GetProperty("reference").GetString());
    }
}
