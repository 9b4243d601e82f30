using System.Net;
using System.Text;
using System.Text.Json;
using Hygie.Ingest.Deposit;
using Hygie.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hygie.Ingest.Tests;

/// <summary>After a FHIR deposit, no direct identifier of the input is anywhere: not in the data directory's bytes, not in
/// the plaintext of any sealed object, not in the logs, not in the API's answers.</summary>
public class FhirPrivacyTests
{
    private sealed class CapturedLogs : ILoggerProvider
    {
        private readonly List<string> _lines = [];
        public string Text { get { lock (_lines) return string.Join("\n", _lines); } }
        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
        public void Dispose() { }

        private sealed class Logger(CapturedLogs owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner._lines) owner._lines.Add($"{category} {logLevel} {formatter(state, exception)} {exception}");
            }
        }
    }

    /// <summary>A French patient the way a hospital sends one: INS, SNDS pseudonym, name, address, phone, a contact.</summary>
    private const string FrenchPatient = """
        {"resourceType":"Patient","id":"ipp-77881","identifier":[{"system":"urn:oid:1.2.250.1.213.1.4.8","value":"269029934173285"},{"system":"urn:hygie:snds:ben-nir-psa","value":"QXFRGHTYUJ77421ZZ"},{"system":"https://chu-rennes.fr/ipp","value":"IPP-0077881"}],"name":[{"family":"Quelennec","given":["Maelwenn"]}],"telecom":[{"system":"phone","value":"0699887766"}],"gender":"female","birthDate":"1969-02-17","address":[{"line":["14 rue des Tanneurs"],"city":"Landerneau","postalCode":"29800"}],"contact":[{"name":{"family":"Kerjean","given":["Youenn"]},"telecom":[{"system":"phone","value":"0611223344"}]}]}
        """;
    private const string FrenchObservation = """
        {"resourceType":"Observation","id":"obs-1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},"subject":{"reference":"Patient/ipp-77881","display":"Maelwenn Quelennec"},"effectiveDateTime":"2024-03-02T10:00:00+01:00","valueQuantity":{"value":72,"unit":"/min"},"note":[{"text":"patient vue avec son mari Youenn Kerjean"}]}
        """;

    private static readonly string[] Members = ["family", "given", "line", "city", "postalCode", "value", "text"];

    [Fact]
    public async Task No_identifier_name_address_or_phone_of_the_input_is_in_the_data_directory_the_objects_the_logs_or_the_answers()
    {
        var (server, producer) = await FhirDepositServerTests.StartAsync();
        await using var _ = server;
        var logs = new CapturedLogs();
        server.App.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);

        var french = Path.Combine(Path.GetTempPath(), $"fr-{Guid.NewGuid():N}.ndjson");
        await File.WriteAllTextAsync(french, FrenchPatient.Trim() + "\n" + FrenchObservation.Trim() + "\n");
        try
        {
            var inputs = FhirFiles.SyntheaBundles.Append(french).ToList();
            // what the producer is answered names its own files (Synthea's names hold the patient's name and id), nothing else
            var own = new StringBuilder();
            var answers = new StringBuilder();
            var (status, body) = await FhirDepositServerTests.DepositAsync(producer, "clinical", FhirFiles.Multipart(inputs));
            own.AppendLine(body);
            Assert.True(status == HttpStatusCode.OK, body);
            var report = JsonSerializer.Deserialize<FhirDepositReport>(body, JsonSerializerOptions.Web)!;
            Assert.Equal(31, report.Persons);
            // a refused deposit's answer and report name no value either
            var bad = FrenchPatient.Replace("269029934173285", "269029934173299");
            var (refused, problem) = await FhirDepositServerTests.DepositAsync(producer, "clinical", FhirDepositServerTests.Ndjson(bad.Trim()), "?file=bad.ndjson");
            Assert.Equal(HttpStatusCode.BadRequest, refused);
            own.AppendLine(problem);
            // refused with a Synthea file named after its patient: the record of the refusal does not keep the name
            var named = FhirFiles.SyntheaBundles[0];
            var brokenBundle = File.ReadAllText(named).Replace("\"gender\": \"male\"", "\"gender\": \"mâle\"");
            var (refusedNamed, namedProblem) = await FhirDepositServerTests.DepositAsync(producer, "clinical",
                FhirFiles.Multipart([(Path.GetFileName(named), (Stream)new MemoryStream(Encoding.UTF8.GetBytes(brokenBundle)))]));
            Assert.Equal(HttpStatusCode.BadRequest, refusedNamed);
            Assert.Contains(Path.GetFileName(named), namedProblem);
            own.AppendLine(namedProblem);
            answers.AppendLine(await server.Operator().GetStringAsync("/api/datasets/clinical"));
            answers.AppendLine(await server.Operator().GetStringAsync("/api/audit/events?limit=1000"));
            using var anonymous = server.Client();
            answers.AppendLine(await anonymous.GetStringAsync("/public/datasets"));

            var synthea = FhirFiles.Values(FhirFiles.SyntheaBundles, m => Members.Contains(m) && m != "text");
            var secrets = synthea.Concat(["269029934173285", "2690299341732", "269029934173299", "QXFRGHTYUJ77421ZZ", "IPP-0077881", "ipp-77881", "Quelennec",
                "Maelwenn", "0699887766", "14 rue des Tanneurs", "Landerneau", "Kerjean", "Youenn", "0611223344", "son mari"]).Distinct().ToList();
            Assert.Contains("999-11-3534", secrets); // a Synthea social security number, to be sure the collection works

            // 1. every byte the hub wrote (ciphertext too: values of six characters and more cannot appear by chance)
            foreach (var file in Directory.EnumerateFiles(server.Hub.DataDirectory, "*", SearchOption.AllDirectories))
            {
                string content;
                try { content = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)); } catch (IOException) { continue; }
                foreach (var s in secrets.Where(s => s.Length >= 6)) Assert.False(content.Contains(Latin1(s)), $"{Path.GetFileName(file)} holds an input value");
            }
            // 2. the plaintext of every sealed object (NDJSON, Parquet)
            var objects = 0;
            await foreach (var o in server.Hub.Hub.Objects.ListAsync(""))
            {
                await using var stream = await server.Hub.Hub.Sealed.OpenReadAsync(o.Key);
                using var plain = new MemoryStream();
                await stream.CopyToAsync(plain);
                var content = Encoding.Latin1.GetString(plain.ToArray());
                foreach (var s in secrets.Where(s => s.Length >= 5)) Assert.False(HoldsWord(content, Latin1(s)), $"{o.Key} holds the input value {s}");
                objects++;
            }
            Assert.True(objects > 10);
            // 3. logs and answers
            var said = logs.Text + answers;
            foreach (var s in secrets.Where(s => s.Length >= 4)) Assert.False(HoldsWord(said, s), $"the logs or the answers hold the input value {s}");
            var ownAnswers = inputs.Select(Path.GetFileName).Aggregate(own.ToString(), (text, name) => text.Replace(name!, "FILE"));
            foreach (var s in secrets.Where(s => s.Length >= 4)) Assert.False(HoldsWord(ownAnswers, s), $"the producer's answers hold the input value {s}");
        }
        finally
        {
            File.Delete(french);
        }
    }

    /// <summary>Whether <paramref name="text"/> holds <paramref name="value"/> as a whole word: pseudonyms are hexadecimal
    /// and may hold a postal code's digits by chance, inside a longer token.</summary>
    private static bool HoldsWord(string text, string value)
    {
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + 1, StringComparison.Ordinal))
        {
            var before = i > 0 && char.IsAsciiLetterOrDigit(text[i - 1]);
            var after = i + value.Length < text.Length && char.IsAsciiLetterOrDigit(text[i + value.Length]);
            if (!before && !after) return true;
        }
        return false;
    }

    private static string Latin1(string value) => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(value));
}
