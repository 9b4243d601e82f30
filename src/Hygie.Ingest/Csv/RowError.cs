namespace Hygie.Ingest.Csv;

/// <summary>
/// Why a row was refused: where (file, line, column) and what (the value's class, the rule). Never the value itself:
/// <see cref="ValueClass"/> describes its shape only ("empty", "digits (13)", "text of 12 chars shaped 99/99/9999"),
/// and for identifier columns only its length ("text of 17 chars").
/// </summary>
/// <param name="Line">1-based line where the row starts (the header is line 1).</param>
/// <param name="Column">the column, or null for row-level rules (column count, quoting, UTF-8).</param>
/// <param name="Detail">what was expected, e.g. "expected 21 fields", "at most 3 chars".</param>
public sealed record RowError(string File, long Line, string? Column, string ValueClass, RowRule Rule, string Detail)
{
    public string Message => Column is null
        ? $"{File} line {Line}: {ValueClass}: {Detail} ({Rule.Name()})"
        : $"{File} line {Line}, column {Column}: {ValueClass}: {Detail} ({Rule.Name()})";

    public override string ToString() => Message;

    public IDictionary<string, object?> ToProblemMember() => new Dictionary<string, object?>
    {
        ["file"] = File,
        ["line"] = Line,
        ["column"] = Column,
        ["valueClass"] = ValueClass,
        ["rule"] = Rule.Name(),
        ["detail"] = Detail,
    };
}
