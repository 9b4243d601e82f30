using System.Text.Json;
using System.Text.Json.Nodes;
using Hygie.Core.Errors;
using Hygie.Core.Pseudonymization;

namespace Hygie.Core.Deidentification;

/// <summary>
/// What a dataset stores of each column: keep, drop, pseudonymize (into <c>person_id</c>), generalize a date to its month
/// or year, generalize a commune to its département, or shift dates by a per-person offset. Columns are matched by name,
/// case-insensitively; a column with no rule gets <see cref="DefaultAction"/>. Carried by datasets as JSON
/// (<see cref="ToJson"/>, <see cref="FromJson"/>):
/// <code>
/// { "version": 1, "defaultAction": "keep", "dateShiftMaxDays": 30,
///   "columns": { "BEN_NIR_PSA": { "action": "pseudonymize", "identifier": "snds-psa" },
///                "BEN_RES_COM": { "action": "commune-to-departement", "departementColumn": "BEN_RES_DPT" },
///                "BEN_DCD_DTE": { "action": "date-to-month" } } }
/// </code>
/// </summary>
public sealed class DeidentificationProfile
{
    public const int Version = 1;
    private readonly Dictionary<string, ColumnRule> _columns;

    public DeidentificationProfile(IEnumerable<KeyValuePair<string, ColumnRule>> columns, ColumnAction defaultAction = ColumnAction.Keep, int dateShiftMaxDays = 30)
    {
        _columns = new Dictionary<string, ColumnRule>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, rule) in columns)
        {
            Check(name, rule);
            if (!_columns.TryAdd(name, rule)) throw new ValidationFailedException($"de-identification profile: column {name} has two rules", name, "deidentification-profile");
        }
        if (defaultAction is not (ColumnAction.Keep or ColumnAction.Drop))
            throw new ValidationFailedException("de-identification profile: the default action is keep or drop", "defaultAction", "deidentification-profile");
        if (dateShiftMaxDays is < 1 or > 3650)
            throw new ValidationFailedException("de-identification profile: dateShiftMaxDays is 1 to 3650", "dateShiftMaxDays", "deidentification-profile");
        DefaultAction = defaultAction;
        DateShiftMaxDays = dateShiftMaxDays;
    }

    public ColumnAction DefaultAction { get; }
    public int DateShiftMaxDays { get; }
    public IReadOnlyDictionary<string, ColumnRule> Columns => _columns;

    public ColumnRule RuleFor(string column) =>
        _columns.TryGetValue(column, out var rule) ? rule : DefaultAction == ColumnAction.Drop ? ColumnRule.Drop : ColumnRule.Keep;

    /// <summary>A copy with one column's rule set (added or replaced).</summary>
    public DeidentificationProfile With(string column, ColumnRule rule)
    {
        var columns = new Dictionary<string, ColumnRule>(_columns, StringComparer.OrdinalIgnoreCase) { [column] = rule };
        return new DeidentificationProfile(columns, DefaultAction, DateShiftMaxDays);
    }

    /// <summary>
    /// Defaults for SNDS tables. Direct identifiers become <c>person_id</c> (BEN_NIR_PSA, NIR_ANO_17, BEN_IDT_ANO,
    /// BEN_NIR_ANO); other persons' identifiers and encrypted ids are dropped (ASS_NIR_ANO of the opener of rights,
    /// NIR_ANO_MAM of the mother, DCD_IDT_ENC); the birth month is dropped (the birth year stays); the commune of
    /// residence and of death become their département; the exact date of death becomes its month; free-text labels of
    /// the death certificate are dropped. Everything else is kept: claims and stays need their exact dates.
    /// </summary>
    public static DeidentificationProfile SndsDefault { get; } = new(new Dictionary<string, ColumnRule>
    {
        ["BEN_NIR_PSA"] = ColumnRule.PersonId(PersonIdentifierKind.SndsBenNirPsa, rankColumn: "BEN_RNG_GEM"),
        ["NIR_ANO_17"] = ColumnRule.PersonId(PersonIdentifierKind.SndsNirAno17),
        ["BEN_IDT_ANO"] = ColumnRule.PersonId(PersonIdentifierKind.SndsBenIdtAno),
        ["BEN_NIR_ANO"] = ColumnRule.PersonId(PersonIdentifierKind.SndsBenNirAno),
        ["ASS_NIR_ANO"] = ColumnRule.Drop,
        ["NIR_ANO_MAM"] = ColumnRule.Drop,
        ["DCD_IDT_ENC"] = ColumnRule.Drop,
        ["BEN_NAI_MOI"] = ColumnRule.Drop,
        ["BEN_RES_COM"] = ColumnRule.Departement("BEN_RES_DPT"),
        ["DCD_COM_COD"] = ColumnRule.Departement("DCD_DPT_COD"),
        ["BEN_DCD_DTE"] = ColumnRule.ToMonth,
        ["DCD_LIE_LIB"] = ColumnRule.Drop,
        ["MER_PFG_LIB"] = ColumnRule.Drop,
        ["PER_PFG_LIB"] = ColumnRule.Drop,
    });

    private static void Check(string name, ColumnRule rule)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ValidationFailedException("de-identification profile: a column has no name", "columns", "deidentification-profile");
        if (rule.Action == ColumnAction.Pseudonymize && rule.Identifier is null)
            throw new ValidationFailedException($"de-identification profile: column {name} is pseudonymized but names no identifier kind", name, "deidentification-profile");
        if (rule.Identifier == PersonIdentifierKind.Local)
            throw new ValidationFailedException($"de-identification profile: column {name}: local identifiers are scoped by the hub, not read from a column", name, "deidentification-profile");
        if (rule.Action != ColumnAction.Pseudonymize && (rule.Identifier is not null || rule.RankColumn is not null))
            throw new ValidationFailedException($"de-identification profile: column {name}: identifier and rankColumn go with pseudonymize only", name, "deidentification-profile");
        if (rule.Action != ColumnAction.CommuneToDepartement && rule.DepartementColumn is not null)
            throw new ValidationFailedException($"de-identification profile: column {name}: departementColumn goes with commune-to-departement only", name, "deidentification-profile");
    }

    public static string IdentifierJsonName(PersonIdentifierKind kind) => kind switch
    {
        PersonIdentifierKind.SndsBenNirPsa => "snds-psa",
        PersonIdentifierKind.SndsNirAno17 => "snds-nir-ano-17",
        PersonIdentifierKind.SndsBenIdtAno => "snds-idt-ano",
        PersonIdentifierKind.SndsBenNirAno => "snds-nir-ano",
        PersonIdentifierKind.Nir => "nir",
        PersonIdentifierKind.Ins => "ins",
        PersonIdentifierKind.Local => "local",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public string ToJson()
    {
        var columns = new JsonObject();
        foreach (var (name, rule) in _columns.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            var o = new JsonObject { ["action"] = rule.Action.ToJsonName() };
            if (rule.Identifier is { } k) o["identifier"] = IdentifierJsonName(k);
            if (rule.RankColumn is not null) o["rankColumn"] = rule.RankColumn;
            if (rule.DepartementColumn is not null) o["departementColumn"] = rule.DepartementColumn;
            columns[name] = o;
        }
        var root = new JsonObject
        {
            ["version"] = Version,
            ["defaultAction"] = DefaultAction.ToJsonName(),
            ["dateShiftMaxDays"] = DateShiftMaxDays,
            ["columns"] = columns,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Reads a profile; anything unknown or ill-typed is refused with the member it concerns.</summary>
    public static DeidentificationProfile FromJson(string json)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(json); }
        catch (JsonException e) { throw new ValidationFailedException($"de-identification profile: not JSON ({e.Message})", null, "deidentification-profile"); }
        if (root is not JsonObject obj) throw Fail("the profile is a JSON object", "$");

        foreach (var (key, _) in obj)
            if (key is not ("version" or "defaultAction" or "dateShiftMaxDays" or "columns")) throw Fail($"unknown member '{key}'", key);

        if (obj["version"] is { } v && (v.GetValueKind() != JsonValueKind.Number || v.GetValue<int>() != Version))
            throw Fail($"unsupported version (this hub reads version {Version})", "version");

        var defaultAction = ColumnAction.Keep;
        if (obj["defaultAction"] is { } d && (d.GetValueKind() != JsonValueKind.String || !ColumnActions.TryParse(d.GetValue<string>(), out defaultAction)))
            throw Fail("defaultAction is \"keep\" or \"drop\"", "defaultAction");

        var shift = 30;
        if (obj["dateShiftMaxDays"] is { } s)
        {
            if (s.GetValueKind() != JsonValueKind.Number || !s.AsValue().TryGetValue(out shift)) throw Fail("dateShiftMaxDays is a whole number of days", "dateShiftMaxDays");
        }

        var rules = new List<KeyValuePair<string, ColumnRule>>();
        if (obj["columns"] is { } cols)
        {
            if (cols is not JsonObject columns) throw Fail("columns is an object of column name → rule", "columns");
            foreach (var (name, node) in columns)
            {
                if (node is not JsonObject r) throw Fail($"the rule of column {name} is an object", name);
                foreach (var (key, _) in r)
                    if (key is not ("action" or "identifier" or "rankColumn" or "departementColumn")) throw Fail($"column {name}: unknown member '{key}'", name);
                if (r["action"] is not { } a || a.GetValueKind() != JsonValueKind.String || !ColumnActions.TryParse(a.GetValue<string>(), out var action))
                    throw Fail($"column {name}: action is one of {string.Join(", ", Enum.GetValues<ColumnAction>().Select(x => x.ToJsonName()))}", name);
                PersonIdentifierKind? kind = null;
                if (r["identifier"] is { } i)
                {
                    var text = i.GetValueKind() == JsonValueKind.String ? i.GetValue<string>() : null;
                    var match = Enum.GetValues<PersonIdentifierKind>().Where(k => IdentifierJsonName(k) == text).ToList();
                    if (match.Count != 1) throw Fail($"column {name}: identifier is one of {string.Join(", ", Enum.GetValues<PersonIdentifierKind>().Where(k => k != PersonIdentifierKind.Local).Select(IdentifierJsonName))}", name);
                    kind = match[0];
                }
                rules.Add(new(name, new ColumnRule(action)
                {
                    Identifier = kind,
                    RankColumn = OptionalString(r, "rankColumn", name),
                    DepartementColumn = OptionalString(r, "departementColumn", name),
                }));
            }
        }
        return new DeidentificationProfile(rules, defaultAction, shift);
    }

    private static string? OptionalString(JsonObject rule, string member, string column)
    {
        if (rule[member] is not { } node) return null;
        if (node.GetValueKind() != JsonValueKind.String || string.IsNullOrWhiteSpace(node.GetValue<string>())) throw Fail($"column {column}: {member} is a column name", column);
        return node.GetValue<string>();
    }

    private static ValidationFailedException Fail(string message, string field) =>
        new($"de-identification profile: {message}", field, "deidentification-profile");
}
