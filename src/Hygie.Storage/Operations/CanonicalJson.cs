using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Hygie.Storage.Operations;

/// <summary>
/// A canonical byte form of a JSON document — object members sorted by name (ordinal), no whitespace, numbers as
/// written — so a signature over it survives re-indentation of the file.
/// </summary>
public static class CanonicalJson
{
    /// <summary>SHA-256 of the canonical form of <paramref name="root"/>, leaving out its top-level member <paramref name="except"/>.</summary>
    public static byte[] Digest(JsonElement root, string? except = null)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer))
            Write(w, root, except);
        return SHA256.HashData(buffer.WrittenSpan);
    }

    private static void Write(Utf8JsonWriter w, JsonElement e, string? except)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                w.WriteStartObject();
                foreach (var p in e.EnumerateObject().Where(p => p.Name != except).OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    w.WritePropertyName(p.Name);
                    Write(w, p.Value, null);
                }
                w.WriteEndObject();
                break;
            case JsonValueKind.Array:
                w.WriteStartArray();
                foreach (var item in e.EnumerateArray()) Write(w, item, null);
                w.WriteEndArray();
                break;
            case JsonValueKind.Number:
                w.WriteRawValue(e.GetRawText(), skipInputValidation: true);
                break;
            default:
                e.WriteTo(w);
                break;
        }
    }
}
