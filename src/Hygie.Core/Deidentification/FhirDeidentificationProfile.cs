using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hygie.Core.Errors;

namespace Hygie.Core.Deidentification;

/// <summary>
/// What a FHIR dataset stores of each resource: the same actions as the SNDS profile's columns (<c>keep</c>,
/// <c>drop</c>, <c>date-to-month</c>, <c>date-to-year</c>, <c>shift-date</c>), applied to elements named either by
/// their FHIR data type (<c>HumanName</c>, <c>Identifier</c>, <c>string</c>, <c>dateTime</c>…) or by a path (the resource
/// type or the parent data type, then element names: <c>Patient.birthDate</c>, <c>Coding.display</c>). A path rule wins
/// over a type rule; an element with no rule is kept. A date action on a complex element (a Period) applies to the
/// dates inside it. The person is never a rule: every stored resource carries its patient's <c>person_id</c>, and
/// resource ids and references are always replaced by keyed pseudonyms.
/// <para>Which resource types are stored: those of <see cref="ResourceTypes"/> marked <c>keep</c>, and, unless marked
/// <c>drop</c>, every type that belongs to a patient (Patient and the types with a patient search parameter).</para>
/// <code>
/// { "version": 1, "dateShiftMaxDays": 30,
///   "resourceTypes": { "Claim": "drop" },
///   "elements": { "HumanName": "drop", "Patient.birthDate": "date-to-month", "dateTime": "shift-date" } }
/// </code>
/// Element rules given in a profile are added to, or replace, those of <see cref="Default"/> unless
/// <c>"replaceDefaults": true</c>.
/// </summary>
public sealed partial class FhirDeidentificationProfile
{
    public const int Version = 1;

    private static readonly ColumnAction[] Allowed = [ColumnAction.Keep, ColumnAction.Drop, ColumnAction.DateToMonth, ColumnAction.DateToYear, ColumnAction.ShiftDate];

    private readonly Dictionary<string, ColumnAction> _elements;
    private readonly Dictionary<string, bool> _types;

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]*(\\.[A-Za-z][A-Za-z0-9]*)*$")]
    private static partial Regex RuleKey();

    public FhirDeidentificationProfile(IEnumerable<KeyValuePair<string, ColumnAction>> elements, IEnumerable<KeyValuePair<string, bool>>? resourceTypes = null,
        int dateShiftMaxDays = 30)
    {
        _elements = new Dictionary<string, ColumnAction>(StringComparer.Ordinal);
        foreach (var (key, action) in elements)
        {
            if (!RuleKey().IsMatch(key)) throw Fail($"'{key}' is neither a FHIR data type nor a path such as Patient.birthDate", "elements");
            if (!Allowed.Contains(action)) throw Fail($"element {key}: '{action.ToJsonName()}' does not apply to FHIR elements (use keep, drop, date-to-month, date-to-year or shift-date)", key);
            if (!_elements.TryAdd(key, action)) throw Fail($"element {key} has two rules", key);
        }
        _types = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var (type, keep) in resourceTypes ?? [])
        {
            if (!RuleKey().IsMatch(type) || type.Contains('.')) throw Fail($"'{type}' is not a resource type", "resourceTypes");
            if (!_types.TryAdd(type, keep)) throw Fail($"resource type {type} has two rules", type);
        }
        if (dateShiftMaxDays is < 1 or > 3650) throw Fail("dateShiftMaxDays is 1 to 3650", "dateShiftMaxDays");
        DateShiftMaxDays = dateShiftMaxDays;
    }

    public int DateShiftMaxDays { get; }

    /// <summary>Element rules by data type or path.</summary>
    public IReadOnlyDictionary<string, ColumnAction> Elements => _elements;

    /// <summary>Resource types explicitly kept (true) or dropped (false).</summary>
    public IReadOnlyDictionary<string, bool> ResourceTypes => _types;

    /// <summary>True when some rule shifts dates (the pipeline then needs the date-shift key).</summary>
    public bool ShiftsDates => _elements.Values.Contains(ColumnAction.ShiftDate);

    /// <summary>
    /// The action for one element: the rule of <paramref name="resourcePath"/> (e.g. <c>Patient.birthDate</c>), else of
    /// <paramref name="parentPath"/> for each type the parent is (e.g. <c>Coding.display</c>; several when a type
    /// specializes another, <c>Age</c> then <c>Quantity</c>), else of the value's type <paramref name="valueType"/>, else keep.
    /// </summary>
    public ColumnAction ActionFor(string resourcePath, IReadOnlyList<string> parentPaths, string valueType)
    {
        if (_elements.TryGetValue(resourcePath, out var action)) return action;
        foreach (var path in parentPaths)
            if (_elements.TryGetValue(path, out action)) return action;
        return _elements.GetValueOrDefault(valueType, ColumnAction.Keep);
    }

    /// <summary>Whether resources of <paramref name="type"/> are stored, given whether the type belongs to a patient.</summary>
    public bool Keeps(string type, bool hasPatient) => _types.TryGetValue(type, out var keep) ? keep : hasPatient;

    /// <summary>
    /// The hub's defaults: direct identifiers and free text dropped wherever they appear — names, addresses, telecoms,
    /// identifiers, attachments (photos), signatures, narratives, annotations (notes), markdown and every plain
    /// <c>string</c> except the ones that name codes and units (<c>Coding.display</c>, <c>CodeableConcept.text</c>,
    /// <c>Quantity.unit</c>) and references (rewritten to pseudonyms); the patient's contacts and links dropped; birth
    /// and death dates generalized to their month (as <c>BEN_DCD_DTE</c> in the SNDS profile). Other dates are kept:
    /// encounters and observations need them.
    /// </summary>
    public static FhirDeidentificationProfile Default { get; } = new(DefaultElements);

    private static IEnumerable<KeyValuePair<string, ColumnAction>> DefaultElements =>
    [
        new("HumanName", ColumnAction.Drop),
        new("Address", ColumnAction.Drop),
        new("ContactPoint", ColumnAction.Drop),
        new("Identifier", ColumnAction.Drop),
        new("Attachment", ColumnAction.Drop),
        new("Signature", ColumnAction.Drop),
        new("Narrative", ColumnAction.Drop),
        new("Annotation", ColumnAction.Drop),
        new("markdown", ColumnAction.Drop),
        new("xhtml", ColumnAction.Drop),
        new("base64Binary", ColumnAction.Drop),
        new("string", ColumnAction.Drop),
        new("Coding.display", ColumnAction.Keep),
        new("Coding.version", ColumnAction.Keep),
        new("CodeableConcept.text", ColumnAction.Keep),
        new("Quantity.unit", ColumnAction.Keep),
        new("Reference.reference", ColumnAction.Keep),
        new("Patient.contact", ColumnAction.Drop),
        new("Patient.link", ColumnAction.Drop),
        new("Patient.birthDate", ColumnAction.DateToMonth),
        new("Patient.deceased", ColumnAction.DateToMonth),
    ];

    public string ToJson()
    {
        var elements = new JsonObject();
        foreach (var (key, action) in _elements.OrderBy(e => e.Key, StringComparer.Ordinal)) elements[key] = action.ToJsonName();
        var types = new JsonObject();
        foreach (var (type, keep) in _types.OrderBy(e => e.Key, StringComparer.Ordinal)) types[type] = keep ? "keep" : "drop";
        var root = new JsonObject
        {
            ["version"] = Version,
            ["dateShiftMaxDays"] = DateShiftMaxDays,
            ["replaceDefaults"] = true,
            ["resourceTypes"] = types,
            ["elements"] = elements,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Reads a profile; anything unknown or ill-typed is refused naming the member.</summary>
    public static FhirDeidentificationProfile FromJson(string json)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(json); }
        catch (JsonException x) { throw Fail($"not JSON (line {x.LineNumber + 1})", null); }
        if (root is not JsonObject obj) throw Fail("the profile is a JSON object", "$");
        foreach (var (key, _) in obj)
            if (key is not ("version" or "dateShiftMaxDays" or "replaceDefaults" or "resourceTypes" or "elements")) throw Fail($"unknown member '{key}'", key);
        if (obj["version"] is { } v && (v.GetValueKind() != JsonValueKind.Number || !v.AsValue().TryGetValue(out int version) || version != Version))
            throw Fail($"unsupported version (this hub reads version {Version})", "version");
        var shift = 30;
        if (obj["dateShiftMaxDays"] is { } s && (s.GetValueKind() != JsonValueKind.Number || !s.AsValue().TryGetValue(out shift)))
            throw Fail("dateShiftMaxDays is a whole number of days", "dateShiftMaxDays");
        var replace = false;
        if (obj["replaceDefaults"] is { } r)
        {
            if (r.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False)) throw Fail("replaceDefaults is true or false", "replaceDefaults");
            replace = r.GetValue<bool>();
        }
        var elements = replace ? new Dictionary<string, ColumnAction>(StringComparer.Ordinal)
            : new Dictionary<string, ColumnAction>(DefaultElements, StringComparer.Ordinal);
        if (obj["elements"] is { } e)
        {
            if (e is not JsonObject given) throw Fail("elements is an object of data type or path → action", "elements");
            foreach (var (key, node) in given)
            {
                if (node is null || node.GetValueKind() != JsonValueKind.String || !ColumnActions.TryParse(node.GetValue<string>(), out var action))
                    throw Fail($"element {key}: the action is one of keep, drop, date-to-month, date-to-year, shift-date", key);
                elements[key] = action;
            }
        }
        var types = new List<KeyValuePair<string, bool>>();
        if (obj["resourceTypes"] is { } t)
        {
            if (t is not JsonObject given) throw Fail("resourceTypes is an object of resource type → keep or drop", "resourceTypes");
            foreach (var (type, node) in given)
            {
                var text = node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;
                if (text is not ("keep" or "drop")) throw Fail($"resource type {type}: keep or drop", type);
                types.Add(new(type, text == "keep"));
            }
        }
        return new FhirDeidentificationProfile(elements, types, shift);
    }

    private static ValidationFailedException Fail(string message, string? field) =>
        new($"FHIR de-identification profile: {message}", field, "deidentification-profile");
}
