using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hygie.Core.Identity;
using Hygie.Ingest.Deposit;
using Hygie.Testing;

namespace Hygie.Ingest.Tests;

/// <summary>FHIR deposits through the real server: the Synthea bundles, refusals, interruptions, what is (not) stored.</summary>
public class FhirDepositServerTests
{
    internal static async Task<(RunningServer Server, HttpClient Producer)> StartAsync(string dataset = "clinical", object? profile = null)
    {
        var server = await RunningServer.StartAsync();
        var created = await server.Operator().PostAsJsonAsync("/api/datasets", new { name = dataset, kind = "fhir", classification = "clinical", description = "hospital", profile });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        return (server, server.Client(await server.IssueTokenAsync("chu-rennes", Roles.Producer)));
    }

    internal static async Task<(HttpStatusCode Status, string Body)> DepositAsync(HttpClient producer, string dataset, HttpContent content, string query = "")
    {
        using var response = await producer.PostAsync($"/api/datasets/{dataset}/deposits{query}", content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    internal static DatasetService Service(RunningServer server) => (DatasetService)server.App.Services.GetService(typeof(DatasetService))!;

    private static List<string> DepositObjects(RunningServer server) =>
        [.. Directory.EnumerateFiles(server.Hub.DataDirectory, "*", SearchOption.AllDirectories).Where(f => f.Contains("datasets"))];

    [Fact]
    public async Task The_synthea_bundles_deposit_in_one_deposit_and_each_table_has_one_row_per_resource()
    {
        var (server, producer) = await StartAsync();
        await using var _ = server;
        var files = FhirFiles.SyntheaBundles;
        var (status, body) = await DepositAsync(producer, "clinical", FhirFiles.Multipart(files));
        Assert.True(status == HttpStatusCode.OK, body);
        var report = JsonSerializer.Deserialize<FhirDepositReport>(body, JsonSerializerOptions.Web)!;

        var expected = FhirFiles.DistinctResources(files);
        Assert.Equal("stored", report.Status);
        Assert.Equal(30, report.Files.Count);
        Assert.Equal(30, report.Persons);
        Assert.Equal(0, report.Rejected);
        foreach (var (table, type) in new[] { ("patient", "Patient"), ("encounter", "Encounter"), ("condition", "Condition"), ("observation", "Observation"),
                     ("medication_request", "MedicationRequest"), ("procedure", "Procedure"), ("immunization", "Immunization") })
        {
            Assert.Equal(expected[type], report.Tables[table].Rows);
            Assert.Equal(expected[type], report.ResourcesStored[type]);
        }
        // Organizations and Practitioners belong to no patient: not stored; Synthea repeats them across bundles
        Assert.Equal(expected["Organization"], report.ResourcesDropped["Organization"]);
        Assert.Equal(expected["Practitioner"], report.ResourcesDropped["Practitioner"]);
        Assert.True(report.Duplicates > 0);
        Assert.Equal(expected["Claim"], report.ResourcesStored["Claim"]);

        var show = await server.Operator().GetFromJsonAsync<DatasetDetails>("/api/datasets/clinical", JsonSerializerOptions.Web);
        var observation = show!.Dataset.Table("observation")!;
        Assert.Equal(expected["Observation"], observation.Rows);
        Assert.True(observation.Column("person_id")!.IsPersonKey);
        Assert.True(observation.Column("effective_date")!.DateColumn);
        Assert.Equal("date", observation.Column("effective_date")!.Type);
        Assert.Null(show.Dataset.Table("patient")!.Column("id"));
        Assert.Single(show.Deposits);
        Assert.Contains("Observation", show.Deposits[0].Report);

        // the public catalogue lists the tables and their columns, no data
        using var anonymous = server.Client();
        var published = await anonymous.GetStringAsync("/public/datasets");
        Assert.Contains("medication_request", published);
        Assert.Contains("effective_date", published);

        var service = Service(server);
        foreach (var part in await service.PartsAsync("clinical", "observation"))
            Assert.Equal(part.SealDigest, await server.Hub.Hub.Sealed.VerifyAsync(part.ObjectId));
        Assert.Single(await service.PartsAsync("clinical", DatasetService.FhirResourcesTable("Observation")));
        Assert.DoesNotContain(DepositObjects(server), f => f.Contains("staging"));
    }

    [Theory]
    [InlineData("Bundle-Batch.json", 5, "fhir-invalid", "DELETE request")]
    [InlineData("Bundle-BatchWithConditionalUpdateByIdentifier.json", 0, "fhir-invalid", "Patient.identifier[0].system")]
    [InlineData("Bundle-BatchWithDuplicatedItems.json", 2, "fhir-invalid", "PATCH request")]
    [InlineData("Bundle-BatchWithInvalidEleEnums.json", 0, "fhir-invalid", "Patient.gender1")]
    [InlineData("Bundle-Transaction.json", 5, "fhir-invalid", "DELETE request")]
    [InlineData("Bundle-TransactionForRollBack.json", 1, "fhir-invalid", "GET request")]
    [InlineData("Bundle-TransactionForRollBackWithDelete.json", 0, "fhir-invalid", "DELETE request")]
    [InlineData("Bundle-TransactionWithAllValidRoutes.json", 2, "fhir-invalid", "does not agree with the resource's type and id")]
    [InlineData("Bundle-TransactionWithConditionalCreateAndReference.json", 0, "fhir-invalid", "Patient.identifier[0].system")]
    [InlineData("Bundle-TransactionWithConditionalReferenceInResourceBody.json", 0, "fhir-reference", "conditional reference")]
    [InlineData("Bundle-TransactionWithConditionalUpdateAndReference.json", 0, "fhir-invalid", "Patient.identifier[0].system")]
    [InlineData("Bundle-TransactionWithForeignReferenceInResourceBody.json", 0, "fhir-reference", "Observation.subject: refers to a urn:uuid")]
    [InlineData("Bundle-TransactionWithInvalidBundleEntry.json", 0, "fhir-invalid", "not valid JSON (line 39)")]
    [InlineData("Bundle-TransactionWithInvalidProcessingRecord.json", 6, "fhir-invalid", "Bundle.entry[6].fullUrl")]
    [InlineData("Bundle-TransactionWithInvalidProcessingRoutes.json", 0, "fhir-invalid", "DELETE request")]
    [InlineData("Bundle-TransactionWithInvalidResourceType.json", 0, "fhir-reference", "Patientt, which is not an R4 resource type")]
    [InlineData("Bundle-TransactionWithMetaHistory.json", 0, "fhir-reference", "MedicationRequest.subject: refers to a Patient that is not in the deposit")]
    [InlineData("Bundle-TransactionWithMultipleEntriesModifyingSameResource.json", 2, "fhir-invalid", "DELETE request")]
    [InlineData("Bundle-TransactionWithMultipleResourcesWithSameFullUrl.json", 3, "fhir-invalid", "operation request")]
    [InlineData("Bundle-TransactionWithPOSTFullUrlMatchesWithPUTRequestUrl.json", 1, "fhir-invalid", "a fullUrl is absolute")]
    public async Task An_invalid_edge_case_bundle_is_refused_with_a_valid_one_naming_file_and_entry_and_nothing_is_stored(string file, int entry, string code, string reason)
    {
        var (server, producer) = await StartAsync();
        await using var _ = server;
        // a valid bundle first: the refusal is of the whole deposit
        var (status, body) = await DepositAsync(producer, "clinical", FhirFiles.Multipart([FhirFiles.SyntheaBundles[0], Path.Combine(FhirFiles.EdgeCases, file)]));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal($"urn:hygie:problem:{code}", problem.GetProperty("type").GetString());
        Assert.Equal(file, problem.GetProperty("file").GetString());
        Assert.Equal(entry, problem.GetProperty("entry").GetInt32());
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.StartsWith($"{file}, entry {entry}", detail);
        Assert.Contains(reason, detail);
        Assert.Empty(DepositObjects(server));
        var show = await server.Operator().GetFromJsonAsync<DatasetDetails>("/api/datasets/clinical", JsonSerializerOptions.Web);
        Assert.Empty(show!.Dataset.Tables);
        Assert.Equal("refused", Assert.Single(show.Deposits).Status);
        Assert.Empty(await Service(server).PartsAsync("clinical", "patient"));
    }

    [Theory]
    [InlineData("Bundle-TransactionWithValidBundleEntry.json", 4)]
    [InlineData("Bundle-TransactionWithConditionalReferenceReferringToSameResource.json", 2)]
    public async Task Edge_case_bundles_that_carry_plain_resources_are_deposited(string file, int patients)
    {
        var (server, producer) = await StartAsync();
        await using var _ = server;
        var (status, body) = await DepositAsync(producer, "clinical", FhirFiles.Multipart([Path.Combine(FhirFiles.EdgeCases, file)]));
        Assert.True(status == HttpStatusCode.OK, body);
        var report = JsonSerializer.Deserialize<FhirDepositReport>(body, JsonSerializerOptions.Web)!;
        Assert.Equal(patients, report.Tables["patient"].Rows);
        Assert.Equal(patients, report.Persons);
    }

    internal static string Patient(string id, params (string System, string Value)[] identifiers) =>
        $$"""{"resourceType":"Patient","id":"{{id}}","gender":"female","birthDate":"1961-07-14","identifier":[{{string.Join(",", identifiers.Select(i => $$"""{"system":"{{i.System}}","value":"{{i.Value}}"}"""))}}]}""";

    internal static string Observation(string id, string patient, string date, double value) =>
        $$$"""{"resourceType":"Observation","id":"{{{id}}}","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},"subject":{"reference":"Patient/{{{patient}}}"},"effectiveDateTime":"{{{date}}}","valueQuantity":{"value":{{{value.ToString(System.Globalization.CultureInfo.InvariantCulture)}}},"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}""";

    internal static StreamContent Ndjson(params string[] lines)
    {
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n")));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/fhir+ndjson");
        return content;
    }

    [Fact]
    public async Task A_patient_with_an_invalid_nir_is_refused_naming_entry_and_field_never_the_value()
    {
        var (server, producer) = await StartAsync();
        await using var _ = server;
        const string badNir = "185057800608499"; // the key of 1850578006084 is 91
        var (status, body) = await DepositAsync(producer, "clinical",
            Ndjson(Patient("p1", ("urn:oid:1.2.250.1.213.1.4.8", "185057800608491")), Patient("p2", ("http://hospital/ipp", "42"), ("urn:oid:1.2.250.1.213.1.4.8", badNir))),
            "?file=patients.ndjson");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal("urn:hygie:problem:pseudonymization", problem.GetProperty("type").GetString());
        Assert.Equal("Patient.identifier[1].value", problem.GetProperty("element").GetString());
        Assert.Equal(2, problem.GetProperty("line").GetInt64());
        Assert.Contains("patients.ndjson, line 2 (Patient)", problem.GetProperty("detail").GetString());
        Assert.Contains("key", problem.GetProperty("detail").GetString());
        Assert.DoesNotContain(badNir, body);
        Assert.DoesNotContain(badNir[..13], body);
        Assert.Empty(DepositObjects(server));
    }

    [Fact]
    public async Task Patients_link_by_ins_nir_nss_and_snds_pseudonym_and_otherwise_by_their_id_under_the_producer()
    {
        var (server, producer) = await StartAsync();
        await using var _ = server;
        var nss = """{"resourceType":"Patient","id":"b","identifier":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"NH"}]},"system":"urn:oid:1.2.250.1.213.1.4.8","value":"1 85 05 78 006 084"}]}""";
        var (status, body) = await DepositAsync(producer, "clinical", Ndjson(
            Patient("a", ("urn:oid:1.2.250.1.213.1.4.8", "185057800608491")),  // INS-NIR with its key
            nss,                                                               // the same NIR, as the NSS slice writes it
            Patient("c", ("https://chu/ipp", "1"), ("urn:hygie:snds:ben-nir-psa", "WzaLKmWVyVPvZUkvM"), ("urn:oid:1.2.250.1.213.1.4.8", "269029934173285")),
            Patient("d", ("urn:hygie:snds:ben-nir-psa", "WzaLKmWVyVPvZUkvM")), // the same SNDS person as c (the pseudonym wins over c's INS)
            Patient("e", ("https://chu/ipp", "2"))),                           // no national identifier: Patient/e of this producer
            "?file=p.ndjson");
        Assert.True(status == HttpStatusCode.OK, body);
        var report = JsonSerializer.Deserialize<FhirDepositReport>(body, JsonSerializerOptions.Web)!;
        Assert.Equal(5, report.Tables["patient"].Rows);
        Assert.Equal(3, report.Persons);

        // the same producer's Patient/e later is the same person; another producer's is not
        var again = await DepositAsync(producer, "clinical", Ndjson(Patient("e", ("https://chu/ipp", "2"))), "?file=e.ndjson");
        var other = server.Client(await server.IssueTokenAsync("clinique-b", Roles.Producer));
        var elsewhere = await DepositAsync(other, "clinical", Ndjson(Patient("e", ("https://clinique-b/ipp", "2"))), "?file=e.ndjson");
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(HttpStatusCode.OK, elsewhere.Status);
        var persons = new HashSet<string>();
        foreach (var part in await Service(server).PartsAsync("clinical", "patient"))
        {
            await using var sealedPart = await server.Hub.Hub.Sealed.OpenReadAsync(part.ObjectId);
            using var copy = new MemoryStream();
            await sealedPart.CopyToAsync(copy);
            copy.Position = 0;
            await using var parquet = await Parquet.ParquetReader.CreateAsync(copy);
            Assert.Equal("person_id", parquet.Schema.DataFields[0].Name);
            for (var g = 0; g < parquet.RowGroupCount; g++)
            {
                using var group = parquet.OpenRowGroupReader(g);
                var ids = new string?[group.RowCount];
                await group.ReadAsync(parquet.Schema.DataFields[0], ids.AsMemory(), null, default);
                persons.UnionWith(ids.OfType<string>());
            }
        }
        Assert.Equal(4, persons.Count); // a, c, e of chu, and e of clinique-b
    }

    /// <summary>A stream that fails after some bytes, as a client that goes away.</summary>
    private sealed class AbortingStream(Stream inner, long after) : Stream
    {
        private long _read;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_read >= after) throw new IOException("client gone");
            var n = inner.Read(buffer, offset, (int)Math.Min(count, after - _read));
            _read += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static async IAsyncEnumerable<DepositFile> Files(params (string Name, Stream Content)[] files)
    {
        foreach (var (name, content) in files)
        {
            await Task.Yield();
            yield return new DepositFile(name, content);
        }
    }

    [Fact]
    public async Task A_deposit_interrupted_in_its_second_file_leaves_nothing_and_the_next_one_works()
    {
        var (server, producer) = await StartAsync();
        await using var _ = server;
        var service = Service(server);
        var bundles = FhirFiles.SyntheaBundles;
        var second = File.ReadAllBytes(bundles[1]);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => service.DepositFhirAsync("chu-rennes", "clinical",
            Files((Path.GetFileName(bundles[0]), File.OpenRead(bundles[0])), (Path.GetFileName(bundles[1]), new AbortingStream(new MemoryStream(second), second.Length / 2)))));
        Assert.IsType<IOException>(error);
        Assert.Empty(DepositObjects(server));
        Assert.Empty(await service.PartsAsync("clinical", "patient"));
        var refused = Assert.Single((await service.ShowAsync("clinical")).Deposits);
        Assert.Equal("refused", refused.Status);
        Assert.Equal("the upload was interrupted", refused.Report);

        var (status, body) = await DepositAsync(producer, "clinical", FhirFiles.Multipart(bundles[..2]));
        Assert.True(status == HttpStatusCode.OK, body);
        Assert.Equal(2, JsonSerializer.Deserialize<FhirDepositReport>(body, JsonSerializerOptions.Web)!.Tables["patient"].Rows);
    }

    [Fact]
    public async Task Objects_left_by_a_deposit_killed_mid_way_are_deleted_by_the_next_deposit_and_never_listed()
    {
        var (server, producer) = await StartAsync();
        await using var _ = server;
        var hub = server.Hub.Hub;
        var key = await hub.Keys.GetOrCreateIdAsync("dataset", "clinical"); // the dataset's own data key
        // what a server killed during pass 2 leaves: a staging object and a part, in no manifest
        foreach (var orphan in new[] { "datasets/clinical/dep-20260101000000-0123456789/staging.bin", "datasets/clinical/dep-20260101000000-0123456789/patient-1.parquet" })
            await hub.Sealed.WriteAsync(orphan, key, (s, ct) => s.WriteAsync("half a deposit"u8.ToArray(), ct).AsTask());
        Assert.Equal(2, DepositObjects(server).Count);
        Assert.Empty(await Service(server).PartsAsync("clinical", "patient"));

        var (status, body) = await DepositAsync(producer, "clinical", FhirFiles.Multipart(FhirFiles.SyntheaBundles[..1]));
        Assert.True(status == HttpStatusCode.OK, body);
        var report = JsonSerializer.Deserialize<FhirDepositReport>(body, JsonSerializerOptions.Web)!;
        Assert.DoesNotContain(DepositObjects(server), f => f.Contains("dep-20260101000000-0123456789"));
        Assert.All(DepositObjects(server), f => Assert.Contains(report.DepositId, f));
    }
}
