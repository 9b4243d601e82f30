using Hygie.Core.Errors;

namespace Hygie.Ingest.Csv;

/// <summary>The input was refused because of bad rows; <see cref="Errors"/> holds the first ones (file, line, column,
/// value class, rule — never values).</summary>
public sealed class RowErrorsException : ValidationFailedException
{
    public RowErrorsException(string file, IReadOnlyList<RowError> errors, bool more)
        : base(Describe(file, errors, more), errors.Count > 0 ? errors[0].Column : null, "row-errors")
    {
        Errors = errors;
        Truncated = more;
        Extensions["file"] = file;
        Extensions["errors"] = errors.Select(e => e.ToProblemMember()).ToList();
        Extensions["truncated"] = more;
    }

    public IReadOnlyList<RowError> Errors { get; }

    /// <summary>True when reading stopped at the error limit: there may be more bad rows.</summary>
    public bool Truncated { get; }

    private static string Describe(string file, IReadOnlyList<RowError> errors, bool more) =>
        errors.Count == 0 ? $"{file}: refused"
            : $"{file}: {(more ? "at least " : "")}{errors.Count} error{(errors.Count > 1 ? "s" : "")}; first: {errors[0].Message}";
}
