namespace Hygie.Ingest.Schemas;

/// <summary>The logical type of a field (Frictionless Table Schema types used by the SNDS, plus <see cref="Month"/>).</summary>
public enum FieldType
{
    String,
    /// <summary>64-bit signed integer; <c>40.00</c> (an integral value written as a decimal) is accepted.</summary>
    Integer,
    /// <summary>Double; <c>,</c> or <c>.</c> as decimal separator, exponent allowed.</summary>
    Number,
    Boolean,
    /// <summary>A calendar date, any SNDS format (see <see cref="Hygie.Ingest.Values.SndsValueParser"/>).</summary>
    Date,
    /// <summary>A date and time of day, no time zone (SNDS datetimes are local time); ISO <c>Z</c> is accepted.</summary>
    DateTime,
    /// <summary>A four-digit year.</summary>
    Year,
    /// <summary>A year and month: <c>yyyyMM</c> (SNDS) or <c>yyyy-MM</c>, stored as the integer yyyyMM.</summary>
    YearMonth,
    /// <summary>A month number 1–12 (SNDS <c>date</c> fields with format <c>%m</c>: BEN_NAI_MOI, SOR_MOI…).</summary>
    Month,
    /// <summary>Frictionless <c>any</c>: kept as text.</summary>
    Any,
}

public static class FieldTypes
{
    public static string ToSchemaName(this FieldType type) => type switch
    {
        FieldType.String => "string",
        FieldType.Integer => "integer",
        FieldType.Number => "number",
        FieldType.Boolean => "boolean",
        FieldType.Date => "date",
        FieldType.DateTime => "datetime",
        FieldType.Year => "year",
        FieldType.YearMonth => "yearmonth",
        FieldType.Month => "month",
        FieldType.Any => "any",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static bool TryParse(string? name, out FieldType type)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "string": type = FieldType.String; return true;
            case "integer": type = FieldType.Integer; return true;
            case "number": type = FieldType.Number; return true;
            case "boolean": type = FieldType.Boolean; return true;
            case "date": type = FieldType.Date; return true;
            case "datetime": type = FieldType.DateTime; return true;
            case "year": type = FieldType.Year; return true;
            case "yearmonth": type = FieldType.YearMonth; return true;
            case "month": type = FieldType.Month; return true;
            case "any": type = FieldType.Any; return true;
            default: type = default; return false;
        }
    }
}
