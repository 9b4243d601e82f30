using System.Net.Http.Headers;
using System.Text.Json;

namespace Hygie.Ingest.Tests;

/// <summary>The shared FHIR test files, facts about them computed here from the JSON itself (not by the code under test),
/// and multipart uploads of them.</summary>
public static class FhirFiles
{
    public static string Synthea => TestData.PathOf("fhir-synthea-r4");
    public static string EdgeCases => TestData.PathOf("fhir-ms-edgecases");

    public static string[] SyntheaBundles => [.. Directory.GetFiles(Synthea, "*.json").Order(StringComparer.Ordinal)];

    /// <summary>Distinct resources (type/id) per type across files: Synthea repeats Organizations and Practitioners.</summary>
    public static Dictionary<string, int> DistinctResources(IEnumerable<string> files)
    {
        var seen = new HashSet<string>();
        foreach (var file in files)
            foreach (var r in Resources(file))
                seen.Add(r.GetProperty("resourceType").GetString() + "/" + r.GetProperty("id").GetString());
        return seen.GroupBy(k => k[..k.IndexOf('/')]).ToDictionary(g => g.Key, g => g.Count());
    }

    public static IEnumerable<JsonElement> Resources(string bundleFile)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(bundleFile));
        return doc.RootElement.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource").Clone()).ToList();
    }

    /// <summary>Every string value under the members named <paramref name="members"/> anywhere in the files (names,
    /// identifiers, addresses…).</summary>
    public static HashSet<string> Values(IEnumerable<string> files, Func<string, bool> member)
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            Collect(doc.RootElement, null, member, values);
        }
        return values;
    }

    private static void Collect(JsonElement e, string? name, Func<string, bool> member, HashSet<string> values)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject()) Collect(p.Value, p.Name, member, values);
                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray()) Collect(item, name, member, values);
                break;
            case JsonValueKind.String when name is not null && member(name):
                values.Add(e.GetString()!);
                break;
        }
    }

    public static MultipartFormDataContent Multipart(IEnumerable<(string Name, Stream Content)> files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, content) in files)
        {
            var part = new StreamContent(content);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
            form.Add(part, "file", name);
        }
        return form;
    }

    public static MultipartFormDataContent Multipart(IEnumerable<string> paths) =>
        Multipart(paths.Select(p => (Path.GetFileName(p), (Stream)File.OpenRead(p))));
}
