namespace Hygie.Ingest.Csv;

/// <summary>The rule a refused row breaks.</summary>
public enum RowRule
{
    /// <summary>Not as many fields as the header.</summary>
    ColumnCount,
    /// <summary>RFC 4180 quoting broken: a quote inside an unquoted field, text after a closing quote, an unterminated quote.</summary>
    Quoting,
    /// <summary>Bytes that are not UTF-8.</summary>
    Utf8,
    /// <summary>A row longer than <see cref="CsvReadOptions.MaxRowBytes"/>.</summary>
    RowTooLong,
    /// <summary>A required field (primary key, or <c>constraints.required</c>) is empty.</summary>
    Required,
    Integer,
    Number,
    Boolean,
    Date,
    DateTime,
    Year,
    YearMonth,
    Month,
    /// <summary>A string longer than the field's <c>length</c> / <c>maxLength</c>.</summary>
    MaxLength,
    MinLength,
    Enum,
    Minimum,
    Maximum,
}

public static class RowRules
{
    /// <summary>A stable kebab-case name, for reports and problem details.</summary>
    public static string Name(this RowRule rule) => rule switch
    {
        RowRule.ColumnCount => "column-count",
        RowRule.Quoting => "quoting",
        RowRule.Utf8 => "utf8",
        RowRule.RowTooLong => "row-too-long",
        RowRule.Required => "required",
        RowRule.Integer => "type-integer",
        RowRule.Number => "type-number",
        RowRule.Boolean => "type-boolean",
        RowRule.Date => "type-date",
        RowRule.DateTime => "type-datetime",
        RowRule.Year => "type-year",
        RowRule.YearMonth => "type-yearmonth",
        RowRule.Month => "type-month",
        RowRule.MaxLength => "max-length",
        RowRule.MinLength => "min-length",
        RowRule.Enum => "enum",
        RowRule.Minimum => "minimum",
        RowRule.Maximum => "maximum",
        _ => rule.ToString(),
    };
}
