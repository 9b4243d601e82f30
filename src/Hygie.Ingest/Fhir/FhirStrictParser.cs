using System.Text.Json;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace Hygie.Ingest.Fhir;

/// <summary>
/// Strict FHIR R4 JSON, as the FHIR store parses it (the Firely SDK's deserializer in strict mode: unknown elements,
/// bad codes, bad literals and missing mandatory elements are refused), with errors that name the element and the rule
/// but never the offending value (the SDK's messages quote it).
/// </summary>
public static partial class FhirStrictParser
{
    private static readonly FhirJsonDeserializer Strict = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));
    private static readonly FhirJsonSerializer Serializer = new();

    /// <summary>Compact JSON of a resource (what is staged and stored).</summary>
    public static byte[] Serialize(Resource resource)
    {
        using var buffer = new MemoryStream(1024);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            Serializer.Serialize(resource, writer);
        return buffer.ToArray();
    }

    /// <summary>Parses one resource; refuses invalid FHIR naming <paramref name="location"/> and the element.</summary>
    /// <param name="mapPath">turns the SDK's element path into the deposit's (a bundle entry is parsed inside a wrapper).</param>
    public static Resource Parse(ReadOnlySpan<byte> utf8, FhirLocation location, Func<string, string>? mapPath = null)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 128 });
            return Strict.DeserializeResource(ref reader);
        }
        catch (DeserializationFailedException e)
        {
            var first = e.Exceptions.FirstOrDefault();
            if (first is null) throw new FhirDepositException(location, "not valid FHIR R4 JSON");
            var path = (first as ExtendedCodedException)?.InstancePath;
            if (path is not null && mapPath is not null) path = mapPath(path);
            var more = e.Exceptions.Count > 1 ? $" (and {e.Exceptions.Count - 1} more problem{(e.Exceptions.Count > 2 ? "s" : "")})" : "";
            throw new FhirDepositException(location, SafeMessage(first) + more, path);
        }
        catch (JsonException e)
        {
            throw new FhirDepositException(location, $"not valid JSON (line {e.LineNumber + 1} of the resource, byte {e.BytePositionInLine})");
        }
    }

    [GeneratedRegex(@"\bValue '[^']*'")]
    private static partial Regex CodeValue();

    [GeneratedRegex(@"(?<!element |valueset |resource type )'[^']*'")]
    private static partial Regex QuotedValue();

    [GeneratedRegex(@"\b(integer|number|decimal|boolean|string|array|object) \S+ is not")]
    private static partial Regex TypedLiteral();

    /// <summary>The SDK's message without the values it quotes, and without its own position suffix.</summary>
    internal static string SafeMessage(CodedException e)
    {
        var message = (e as ExtendedCodedException)?.BaseErrorMessage ?? e.Message;
        var at = message.IndexOf(" At ", StringComparison.Ordinal);
        if (at > 0) message = message[..at];
        message = CodeValue().Replace(message, "the value");
        message = TypedLiteral().Replace(message, "a $1 value is not");
        message = QuotedValue().Replace(message, "the value");
        return $"{message.TrimEnd('.')} ({e.ErrorCode})";
    }
}
