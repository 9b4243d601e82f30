using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hygie.Fhir.Serialization;

namespace Hygie.Fhir.Rest;

/// <summary>
/// PATCH: JSON Patch (RFC 6902: add, remove, replace, move, copy, test) applied to the resource's JSON, and FHIRPath
/// Patch (a Parameters resource) for paths made of element names and <c>[n]</c> indexes (no functions): add, insert,
/// delete, replace, move. The result is parsed strictly again before it is stored.
/// </summary>
public static partial class FhirPatch
{
    public static byte[] ApplyJsonPatch(byte[] json, byte[] patch)
    {
        JsonArray operations;
        try
        {
            operations = JsonNode.Parse(patch) as JsonArray ?? throw FhirException.BadRequest("a JSON Patch document is a JSON array of operations");
        }
        catch (JsonException)
        {
            throw FhirException.BadRequest("the JSON Patch document is not valid JSON");
        }
        var document = JsonNode.Parse(json)!;
        var index = 0;
        foreach (var operation in operations)
        {
            if (operation is not JsonObject o || o["op"]?.GetValue<string>() is not { } op || o["path"]?.GetValue<string>() is not { } path)
                throw FhirException.BadRequest($"JSON Patch operation {index} needs 'op' and 'path'");
            switch (op)
            {
                case "add": Add(ref document, Pointer(path), Required(o, "value", index)); break;
                case "remove": Remove(document, Pointer(path)); break;
                case "replace": Remove(document, Pointer(path)); Add(ref document, Pointer(path), Required(o, "value", index)); break;
                case "move":
                {
                    var from = Pointer(o["from"]?.GetValue<string>() ?? throw FhirException.BadRequest($"JSON Patch operation {index}: move needs 'from'"));
                    var value = Get(document, from);
                    Remove(document, from);
                    Add(ref document, Pointer(path), value);
                    break;
                }
                case "copy":
                {
                    var from = Pointer(o["from"]?.GetValue<string>() ?? throw FhirException.BadRequest($"JSON Patch operation {index}: copy needs 'from'"));
                    Add(ref document, Pointer(path), Get(document, from).DeepClone());
                    break;
                }
                case "test":
                    if (!JsonNode.DeepEquals(Get(document, Pointer(path)), Required(o, "value", index)))
                        throw FhirException.PreconditionFailed($"JSON Patch operation {index}: test failed at {path}");
                    break;
                default:
                    throw FhirException.BadRequest($"JSON Patch operation {index}: unknown op '{op}'");
            }
            index++;
        }
        return JsonSerializer.SerializeToUtf8Bytes(document);
    }

    private static JsonNode Required(JsonObject o, string name, int index) =>
        o.TryGetPropertyValue(name, out var v) && v is not null ? v.DeepClone() : throw FhirException.BadRequest($"JSON Patch operation {index} needs '{name}'");

    private static List<string> Pointer(string path)
    {
        if (path.Length == 0) return [];
        if (!path.StartsWith('/')) throw FhirException.BadRequest($"'{path}' is not a JSON pointer");
        return path[1..].Split('/').Select(s => s.Replace("~1", "/").Replace("~0", "~")).ToList();
    }

    private static JsonNode Get(JsonNode document, List<string> pointer)
    {
        var node = document;
        foreach (var token in pointer)
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(token, out var v) && v is not null => v,
                JsonArray a when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count && a[i] is { } v => v,
                _ => throw FhirException.Unprocessable($"JSON Patch path /{string.Join('/', pointer)} does not exist in the resource"),
            };
        }
        return node;
    }

    private static void Add(ref JsonNode document, List<string> pointer, JsonNode value)
    {
        if (pointer.Count == 0) { document = value; return; }
        var parent = Get(document, pointer[..^1]);
        var last = pointer[^1];
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i <= a.Count:
                a.Insert(i, value);
                break;
            default:
                throw FhirException.Unprocessable($"JSON Patch path /{string.Join('/', pointer)} cannot be added to");
        }
    }

    private static void Remove(JsonNode document, List<string> pointer)
    {
        if (pointer.Count == 0) throw FhirException.Unprocessable("JSON Patch cannot remove the whole resource");
        var parent = Get(document, pointer[..^1]);
        var last = pointer[^1];
        var removed = parent switch
        {
            JsonObject o => o.Remove(last),
            JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => RemoveAt(a, i),
            _ => false,
        };
        if (!removed) throw FhirException.Unprocessable($"JSON Patch path /{string.Join('/', pointer)} does not exist in the resource");
    }

    private static bool RemoveAt(JsonArray a, int i)
    {
        a.RemoveAt(i);
        return true;
    }

    [GeneratedRegex(@"^(?<name>[A-Za-z][A-Za-z0-9]*)(\[(?<index>\d+)\])?$")]
    private static partial Regex Step();

    /// <summary>FHIRPath Patch with simple paths (<c>Patient.name[0].given</c>), on the resource's JSON.</summary>
    public static byte[] ApplyFhirPathPatch(byte[] json, Parameters patch)
    {
        var document = JsonNode.Parse(json)!.AsObject();
        var type = document["resourceType"]!.GetValue<string>();
        var number = 0;
        foreach (var operation in patch.Parameter)
        {
            if (operation.Name != "operation")
                throw FhirException.BadRequest($"FHIRPath Patch parameter {number} must be named 'operation'");
            string? Part(string name) => operation.Part.FirstOrDefault(p => p.Name == name)?.Value?.ToString();
            var kind = Part("type") ?? throw FhirException.BadRequest($"FHIRPath Patch operation {number} has no type");
            var path = Part("path") ?? throw FhirException.BadRequest($"FHIRPath Patch operation {number} has no path");
            var steps = path.Split('.');
            if (steps[0] != type) throw FhirException.Unprocessable($"FHIRPath Patch path '{path}' must start with {type}");
            var targets = new List<(JsonNode Parent, string Name, int? Index)>();
            JsonNode node = document;
            for (var i = 1; i < steps.Length; i++)
            {
                var m = Step().Match(steps[i]);
                if (!m.Success) throw FhirException.NotSupported($"FHIRPath Patch path '{path}': only element names and [n] indexes are supported");
                var name = m.Groups["name"].Value;
                int? index = m.Groups["index"].Success ? int.Parse(m.Groups["index"].Value, CultureInfo.InvariantCulture) : null;
                var last = i == steps.Length - 1;
                if (last) { targets.Add((node, name, index)); break; }
                var child = node[name] ?? throw FhirException.Unprocessable($"FHIRPath Patch path '{path}' does not exist in the resource");
                node = index is { } at ? (child as JsonArray)?[at] ?? throw FhirException.Unprocessable($"FHIRPath Patch path '{path}' does not exist")
                    : child is JsonArray { Count: 1 } single ? single[0]! : child;
            }
            if (steps.Length == 1) targets.Add((document, "", null));
            var (parent, element, elementIndex) = targets[0];
            var value = operation.Part.FirstOrDefault(p => p.Name == "value") is { } v ? ValueJson(v) : null;
            switch (kind)
            {
                case "replace":
                    if (value is null) throw FhirException.BadRequest($"FHIRPath Patch operation {number}: replace needs a value");
                    if (parent[element] is null) throw FhirException.Unprocessable($"FHIRPath Patch: '{path}' does not exist, so it cannot be replaced");
                    if (elementIndex is { } ri) ((JsonArray)parent[element]!)[ri] = value;
                    else parent[element] = parent[element] is JsonArray ? new JsonArray(value) : value;
                    break;
                case "delete":
                    if (elementIndex is { } di) ((JsonArray)parent[element]!).RemoveAt(di);
                    else (parent as JsonObject)?.Remove(element);
                    break;
                case "add":
                {
                    var name = Part("name") ?? throw FhirException.BadRequest($"FHIRPath Patch operation {number}: add needs a name");
                    if (value is null) throw FhirException.BadRequest($"FHIRPath Patch operation {number}: add needs a value");
                    var container = elementIndex is { } ai ? ((JsonArray)parent[element]!)[ai]! : element.Length == 0 ? parent : parent[element]
                        ?? throw FhirException.Unprocessable($"FHIRPath Patch: '{path}' does not exist");
                    if (container[name] is JsonArray list) list.Add(value);
                    else if (IsList(type, name, container == document)) container[name] = new JsonArray(value);
                    else container[name] = value;
                    break;
                }
                case "insert":
                {
                    var at = int.Parse(Part("index") ?? throw FhirException.BadRequest($"FHIRPath Patch operation {number}: insert needs an index"), CultureInfo.InvariantCulture);
                    if (value is null) throw FhirException.BadRequest($"FHIRPath Patch operation {number}: insert needs a value");
                    if (parent[element] is not JsonArray list) parent[element] = list = [];
                    list.Insert(Math.Min(at, list.Count), value);
                    break;
                }
                case "move":
                {
                    var source = int.Parse(Part("source") ?? "0", CultureInfo.InvariantCulture);
                    var destination = int.Parse(Part("destination") ?? "0", CultureInfo.InvariantCulture);
                    if (parent[element] is not JsonArray list || source >= list.Count) throw FhirException.Unprocessable($"FHIRPath Patch: cannot move in '{path}'");
                    var item = list[source]!;
                    list.RemoveAt(source);
                    list.Insert(Math.Min(destination, list.Count), item);
                    break;
                }
                default:
                    throw FhirException.BadRequest($"FHIRPath Patch operation {number}: unknown type '{kind}'");
            }
            number++;
        }
        return JsonSerializer.SerializeToUtf8Bytes(document);
    }

    private static bool IsList(string type, string name, bool atRoot)
    {
        if (!atRoot) return false;
        var mapping = Hl7.Fhir.Model.ModelInfo.ModelInspector.FindClassMapping(type);
        return mapping?.FindMappedElementByName(name)?.IsCollection ?? false;
    }

    /// <summary>The JSON of a Parameters part's value[x] (a primitive or a complex datatype).</summary>
    private static JsonNode ValueJson(Parameters.ParameterComponent part)
    {
        var holder = new Parameters();
        holder.Parameter.Add(new Parameters.ParameterComponent { Name = "v", Value = part.Value });
        var json = JsonNode.Parse(FhirJson.Serialize(holder))!;
        var p = json["parameter"]![0]!.AsObject();
        foreach (var (name, value) in p)
            if (name.StartsWith("value", StringComparison.Ordinal)) return value!.DeepClone();
        throw FhirException.BadRequest("a FHIRPath Patch value must be a value[x]");
    }
}
