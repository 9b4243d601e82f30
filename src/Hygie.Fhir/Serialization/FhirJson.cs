using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace Hygie.Fhir.Serialization;

/// <summary>
/// Strict FHIR R4 JSON (the Firely SDK's deserializer in strict mode: unknown elements, bad codes, bad literals and
/// missing mandatory elements are refused) and compact serialization.
/// </summary>
public static class FhirJson
{
    private static readonly FhirJsonDeserializer Strict = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));
    private static readonly FhirJsonSerializer Serializer = new();

    /// <summary>Compact output; FHIR JSON is not embedded in HTML, so '+', '&amp;' and non-ASCII letters are written as they are.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Parses one resource; refuses anything that is not valid strict FHIR R4 JSON with a 400 naming each problem.</summary>
    public static Resource Parse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) utf8 = utf8[3..];
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 128 });
            return Strict.DeserializeResource(ref reader);
        }
        catch (DeserializationFailedException e)
        {
            throw ToException(e);
        }
        catch (JsonException e)
        {
            throw FhirException.BadRequest($"the body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine})");
        }
    }

    public static T Parse<T>(ReadOnlySpan<byte> utf8) where T : Resource =>
        Parse(utf8) as T ?? throw FhirException.BadRequest($"expected a {typeof(T).Name} resource");

    /// <summary>Parses an already-parsed JSON element's resource (a Bundle entry's).</summary>
    public static Resource Parse(JsonElement element) =>
        Parse(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element));

    public static byte[] Serialize(Base resource)
    {
        using var buffer = new MemoryStream(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            Serializer.Serialize(resource, writer);
        return buffer.ToArray();
    }

    public static void Serialize(Base resource, Utf8JsonWriter writer, SerializationFilter? filter = null)
    {
        if (filter is null) Serializer.Serialize(resource, writer);
        else Serializer.Serialize(resource, writer, () => filter);
    }

    private static FhirException ToException(DeserializationFailedException e)
    {
        var issues = e.Exceptions.Select(Issue).DistinctBy(i => (i.Diagnostics, i.Expression)).ToList();
        if (issues.Count == 0) issues.Add(new FhirIssue("error", "structure", "the resource is not valid FHIR R4 JSON"));
        var first = issues[0];
        return new FhirException(400, first.Code, first.Diagnostics, first.Expression) { MoreIssues = issues.Skip(1).ToList() };
    }

    private static FhirIssue Issue(CodedException e)
    {
        string? path = (e as ExtendedCodedException)?.InstancePath;
        var message = (e as ExtendedCodedException)?.BaseErrorMessage ?? e.Message;
        var code = e.ErrorCode switch
        {
            "PVAL130" => "not-supported", // unknown resource type
            "PVAL105" => "required",
            "PVAL116" => "code-invalid",
            _ => "structure",
        };
        return new FhirIssue("error", code, path is null ? message : $"{message} (at {path})", path);
    }
}
