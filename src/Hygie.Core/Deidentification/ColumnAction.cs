namespace Hygie.Core.Deidentification;

/// <summary>What a de-identification profile does to a column. JSON names in brackets.</summary>
public enum ColumnAction
{
    /// <summary>Stored as read [keep].</summary>
    Keep,
    /// <summary>Not stored [drop].</summary>
    Drop,
    /// <summary>A direct person identifier: becomes the <c>person_id</c> column and is not stored itself [pseudonymize].</summary>
    Pseudonymize,
    /// <summary>A date (or datetime) replaced by the first day of its month [date-to-month].</summary>
    DateToMonth,
    /// <summary>A date (or datetime) replaced by the first day of its year [date-to-year].</summary>
    DateToYear,
    /// <summary>A commune code replaced by its département [commune-to-departement].</summary>
    CommuneToDepartement,
    /// <summary>A date moved by the person's own offset, the same for all of that person's dates [shift-date].</summary>
    ShiftDate,
}

public static class ColumnActions
{
    public static string ToJsonName(this ColumnAction action) => action switch
    {
        ColumnAction.Keep => "keep",
        ColumnAction.Drop => "drop",
        ColumnAction.Pseudonymize => "pseudonymize",
        ColumnAction.DateToMonth => "date-to-month",
        ColumnAction.DateToYear => "date-to-year",
        ColumnAction.CommuneToDepartement => "commune-to-departement",
        ColumnAction.ShiftDate => "shift-date",
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };

    public static bool TryParse(string? name, out ColumnAction action)
    {
        foreach (var a in Enum.GetValues<ColumnAction>())
            if (string.Equals(a.ToJsonName(), name, StringComparison.OrdinalIgnoreCase)) { action = a; return true; }
        action = default;
        return false;
    }
}
