namespace Hygie.Ingest.Schemas;

/// <summary>
/// One column of a table: its name and type, and the rules a value must follow. <see cref="Length"/> is the SNDS
/// <c>length</c> (Oracle precision; <see cref="Scale"/> from <c>"10,2"</c>); for strings it caps the number of
/// characters (with <c>constraints.maxLength</c>, whichever is set). Ranges, enums and minimum lengths are kept for
/// reference and enforced only when the reader is asked to (<see cref="Csv.CsvReadOptions.EnforceConstraints"/>).
/// </summary>
public sealed record FieldSchema(string Name, FieldType Type)
{
    public string Description { get; init; } = "";

    /// <summary>The schema's format (<c>default</c>, <c>%d%m%Y</c>, <c>%d%b%Y:%H:%M:%S</c>, <c>%m</c>…).</summary>
    public string Format { get; init; } = "default";

    public int? Length { get; init; }
    public int? Scale { get; init; }
    public bool Required { get; init; }
    public int? MaxLength { get; init; }
    public int? MinLength { get; init; }
    public double? Minimum { get; init; }
    public double? Maximum { get; init; }
    public IReadOnlyList<string>? Enum { get; init; }

    /// <summary>Values read as true/false (Frictionless <c>trueValues</c>/<c>falseValues</c>); null: the defaults
    /// <c>True true TRUE 1</c> / <c>False false FALSE 0</c>.</summary>
    public IReadOnlyList<string>? TrueValues { get; init; }
    public IReadOnlyList<string>? FalseValues { get; init; }

    /// <summary>The column holds a direct person identifier: its values never appear in errors, not even their shape.</summary>
    public bool IsIdentifier { get; init; }

    /// <summary>The cap on a string value's length in characters, if any.</summary>
    public int? MaxChars => Type is FieldType.String or FieldType.Any ? MaxLength ?? Length : null;

    public override string ToString() => $"{Name} {Type.ToSchemaName()}{(Length is { } l ? $"({l}{(Scale is { } s ? "," + s : "")})" : "")}";
}
