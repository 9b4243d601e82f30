using System.Globalization;
using System.Text.Json;
using Hygie.Core.Errors;

namespace Hygie.Storage.Operations;

/// <summary>
/// One metadata row as a JSON array, portable between stores: null, numbers, strings and booleans as themselves;
/// blobs as <c>{"b64":…}</c>, exact decimals as <c>{"dec":…}</c>, timestamps as <c>{"ts":…}</c>.
/// </summary>
public static class RowJson
{
    public static void Write(Utf8JsonWriter w, object?[] row)
    {
        w.WriteStartArray();
        foreach (var value in row)
        {
            switch (value)
            {
                case null: w.WriteNullValue(); break;
                case string s: w.WriteStringValue(s); break;
                case long l: w.WriteNumberValue(l); break;
                case int i: w.WriteNumberValue(i); break;
                case short sh: w.WriteNumberValue(sh); break;
                case byte b: w.WriteNumberValue(b); break;
                case bool flag: w.WriteBooleanValue(flag); break;
                case double d: w.WriteNumberValue(d); break;
                case float f: w.WriteNumberValue(f); break;
                case decimal m:
                    w.WriteStartObject(); w.WriteString("dec", m.ToString(CultureInfo.InvariantCulture)); w.WriteEndObject(); break;
                case byte[] bytes:
                    w.WriteStartObject(); w.WriteBase64String("b64", bytes); w.WriteEndObject(); break;
                case DateTime dt:
                    w.WriteStartObject(); w.WriteString("ts", dt.ToString("O", CultureInfo.InvariantCulture)); w.WriteEndObject(); break;
                case DateTimeOffset dto:
                    w.WriteStartObject(); w.WriteString("tstz", dto.ToString("O", CultureInfo.InvariantCulture)); w.WriteEndObject(); break;
                case Guid g: w.WriteStringValue(g.ToString()); break;
                default: throw new HubStateException($"a metadata value of type {value.GetType().Name} cannot be carried portably", "row-type");
            }
        }
        w.WriteEndArray();
    }

    public static object?[] Read(JsonElement array, int columns, string where)
    {
        if (array.ValueKind != JsonValueKind.Array || array.GetArrayLength() != columns)
            throw new IntegrityException($"{where}: a row does not have {columns} values", "backup-row");
        var row = new object?[columns];
        var i = 0;
        foreach (var v in array.EnumerateArray())
        {
            row[i++] = v.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.String => v.GetString(),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Number => v.TryGetInt64(out var l) ? l : v.GetDouble(),
                JsonValueKind.Object when v.TryGetProperty("b64", out var b) => b.GetBytesFromBase64(),
                JsonValueKind.Object when v.TryGetProperty("dec", out var d) => decimal.Parse(d.GetString()!, CultureInfo.InvariantCulture),
                JsonValueKind.Object when v.TryGetProperty("ts", out var t) => DateTime.Parse(t.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                JsonValueKind.Object when v.TryGetProperty("tstz", out var z) => DateTimeOffset.Parse(z.GetString()!, CultureInfo.InvariantCulture),
                _ => throw new IntegrityException($"{where}: a value of unknown form", "backup-row"),
            };
        }
        return row;
    }
}
