using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using System.Xml;

namespace Hygie.Fhir.Alerts;

/// <summary>
/// A remote-monitoring rule of one tenant: an Observation code, a condition and a severity. Conditions:
/// <list type="bullet">
/// <item><c>above</c> / <c>below</c> a <c>threshold</c> (in <c>unit</c> when given); with <c>count</c> and <c>window</c>,
/// it takes that many such readings within the window (e.g. 3 readings above 140 within PT24H).</item>
/// <item><c>count</c>: <c>count</c> readings (any value) within <c>window</c>.</item>
/// <item><c>absent</c>: no reading for <c>period</c> (checked periodically against the hub clock).</item>
/// </list>
/// JSON: <c>{"id": "tachycardia", "name": "…", "code": {"system": "http://loinc.org", "code": "8867-4"},
/// "condition": {"type": "above", "threshold": 120, "unit": "/min"}, "severity": "high"}</c>.
/// </summary>
public sealed partial record AlertRule(string Id, string Name, AlertCode Code, AlertCondition Condition, string Severity)
{
    public static readonly string[] Severities = ["high", "moderate", "low"];
    public static readonly string[] ConditionTypes = ["above", "below", "count", "absent"];

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")]
    private static partial Regex IdPattern();

    /// <summary>Parses and checks a rule; anything unknown or inconsistent is refused with 422 naming the field.</summary>
    public static AlertRule Parse(ReadOnlySpan<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw FhirException.BadRequest($"the alert rule is not valid JSON (line {e.LineNumber + 1})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Invalid("the alert rule must be a JSON object", "$");
            Only(root, "$", "id", "name", "code", "condition", "severity");
            var name = String(root, "name", required: true)!;
            var id = String(root, "id", required: false) ?? Slug(name);
            if (!IdPattern().IsMatch(id)) throw Invalid($"id '{id}' must be 1 to 64 letters, digits or dashes", "id");

            if (!root.TryGetProperty("code", out var code) || code.ValueKind != JsonValueKind.Object) throw Invalid("'code' is required: {\"system\": …, \"code\": …}", "code");
            Only(code, "code", "system", "code", "display");
            var alertCode = new AlertCode(String(code, "system", required: false) ?? "http://loinc.org", String(code, "code", required: true, where: "code.code")!);

            if (!root.TryGetProperty("condition", out var condition) || condition.ValueKind != JsonValueKind.Object)
                throw Invalid("'condition' is required: {\"type\": \"above\" | \"below\" | \"count\" | \"absent\", …}", "condition");
            Only(condition, "condition", "type", "threshold", "unit", "count", "window", "period");
            var type = String(condition, "type", required: true, where: "condition.type")!;
            if (!ConditionTypes.Contains(type))
                throw Invalid($"unknown condition type '{type}': use one of {string.Join(", ", ConditionTypes)}", "condition.type");
            decimal? threshold = condition.TryGetProperty("threshold", out var t)
                ? t.ValueKind == JsonValueKind.Number ? t.GetDecimal() : throw Invalid("condition.threshold must be a number", "condition.threshold")
                : null;
            int? count = condition.TryGetProperty("count", out var c)
                ? c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out var n) && n >= 1 ? n : throw Invalid("condition.count must be a whole number ≥ 1", "condition.count")
                : null;
            var window = Duration(condition, "window");
            var period = Duration(condition, "period");
            var unit = String(condition, "unit", required: false, where: "condition.unit");
            switch (type)
            {
                case "above" or "below":
                    if (threshold is null) throw Invalid($"a '{type}' condition needs a threshold", "condition.threshold");
                    if ((count is null) != (window is null)) throw Invalid("count and window go together (N readings within a window)", count is null ? "condition.count" : "condition.window");
                    if (period is not null) throw Invalid($"period belongs to 'absent' conditions, not '{type}'", "condition.period");
                    break;
                case "count":
                    if (count is null || window is null) throw Invalid("a 'count' condition needs count and window", "condition");
                    if (threshold is not null || period is not null) throw Invalid("a 'count' condition takes count and window only", "condition");
                    break;
                case "absent":
                    if (period is null) throw Invalid("an 'absent' condition needs a period (e.g. \"P1D\")", "condition.period");
                    if (threshold is not null || count is not null || window is not null) throw Invalid("an 'absent' condition takes a period only", "condition");
                    break;
            }
            var severity = String(root, "severity", required: true)!;
            if (!Severities.Contains(severity)) throw Invalid($"unknown severity '{severity}': use one of {string.Join(", ", Severities)}", "severity");
            return new AlertRule(id, name, alertCode, new AlertCondition(type, threshold, unit, count, window, period), severity);
        }
    }

    public string ToJson() => JsonSerializer.Serialize(new
    {
        id = Id,
        name = Name,
        code = new { system = Code.System, code = Code.Code },
        condition = new
        {
            type = Condition.Type,
            threshold = Condition.Threshold,
            unit = Condition.Unit,
            count = Condition.Count,
            window = Condition.Window is { } w ? XmlConvert.ToString(w) : null,
            period = Condition.Period is { } p ? XmlConvert.ToString(p) : null,
        },
        severity = Severity,
    }, Json);

    /// <summary>Says what the rule watches, for people (CLI tables, alert details).</summary>
    public string Describe() => Condition.Type switch
    {
        "above" or "below" => $"{Code.Code} {Condition.Type} {Condition.Threshold?.ToString(CultureInfo.InvariantCulture)}{(Condition.Unit is null ? "" : " " + Condition.Unit)}" +
                              (Condition.Count is null ? "" : $", {Condition.Count} readings within {XmlConvert.ToString(Condition.Window!.Value)}"),
        "count" => $"{Condition.Count} readings of {Code.Code} within {XmlConvert.ToString(Condition.Window!.Value)}",
        _ => $"no reading of {Code.Code} for {XmlConvert.ToString(Condition.Period!.Value)}",
    };

    private static FhirException Invalid(string message, string field) => FhirException.Unprocessable($"alert rule: {message}", field);

    private static void Only(JsonElement element, string where, params string[] allowed)
    {
        foreach (var property in element.EnumerateObject())
            if (!allowed.Contains(property.Name))
                throw Invalid($"unknown member '{property.Name}' in {where} (allowed: {string.Join(", ", allowed)})", where == "$" ? property.Name : $"{where}.{property.Name}");
    }

    private static string? String(JsonElement element, string name, bool required, string? where = null)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return required ? throw Invalid($"'{where ?? name}' is required", where ?? name) : null;
        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
            throw Invalid($"'{where ?? name}' must be a non-empty string", where ?? name);
        return value.GetString();
    }

    private static TimeSpan? Duration(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value)) return null;
        try
        {
            var span = XmlConvert.ToTimeSpan(value.GetString() ?? "");
            return span > TimeSpan.Zero ? span : throw new FormatException();
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw Invalid($"condition.{name} must be a positive ISO 8601 duration such as PT1H or P1D", $"condition.{name}");
        }
    }

    private static string Slug(string name)
    {
        var slug = new string(name.ToLowerInvariant().Select(ch => char.IsAsciiLetterOrDigit(ch) ? ch : '-').ToArray()).Trim('-');
        while (slug.Contains("--", StringComparison.Ordinal)) slug = slug.Replace("--", "-", StringComparison.Ordinal);
        return slug.Length == 0 ? $"rule-{Guid.NewGuid():N}"[..13] : slug[..Math.Min(slug.Length, 64)];
    }
}

public sealed record AlertCode(string System, string Code);

public sealed record AlertCondition(string Type, decimal? Threshold, string? Unit, int? Count, TimeSpan? Window, TimeSpan? Period);
