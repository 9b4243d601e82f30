using Hygie.Core.Errors;

namespace Hygie.Fhir;

/// <summary>
/// A FHIR interaction refused or failed: the HTTP status, the OperationOutcome issue code and a diagnostic that says
/// what and where. The FHIR routes answer it as an OperationOutcome; elsewhere it is an ordinary domain error.
/// Diagnostics may quote the caller's own input back to them, never anything else, and are never logged.
/// </summary>
public class FhirException(int status, string issueCode, string message, string? expression = null, string code = "fhir")
    : HygieException(code, message)
{
    public override int Status { get; } = status;

    /// <summary>OperationOutcome.issue.code: invalid, not-found, conflict, processing, not-supported, forbidden…</summary>
    public string IssueCode { get; } = issueCode;

    /// <summary>FHIRPath-ish location of the problem (e.g. <c>Bundle.entry[3]</c>, <c>Patient.gender</c>).</summary>
    public string? Expression { get; } = expression;

    /// <summary>More issues when one request has several problems (strict parsing reports them all).</summary>
    public IReadOnlyList<FhirIssue> MoreIssues { get; init; } = [];

    public IEnumerable<FhirIssue> Issues => [new FhirIssue("error", IssueCode, Message, Expression), .. MoreIssues];

    public static FhirException BadRequest(string message, string? expression = null) => new(400, "invalid", message, expression);
    public static FhirException NotFound(string message) => new(404, "not-found", message);
    public static FhirException Gone(string message) => new(410, "deleted", message);
    public static FhirException Conflict(string message) => new(409, "conflict", message);
    public static FhirException PreconditionFailed(string message) => new(412, "conflict", message);
    public static FhirException Unprocessable(string message, string? expression = null) => new(422, "business-rule", message, expression);
    public static FhirException Forbidden(string message) => new(403, "forbidden", message);
    public static FhirException NotSupported(string message) => new(400, "not-supported", message);
    public static FhirException TooLarge(string message) => new(413, "too-costly", message);

    /// <summary>The same problem, located inside a Bundle entry.</summary>
    public FhirException InEntry(int index, string? fullUrl)
    {
        var where = $"Bundle.entry[{index}]";
        var located = new FhirException(Status, IssueCode,
            $"entry {index}{(string.IsNullOrEmpty(fullUrl) ? "" : $" ({fullUrl})")}: {Message}",
            Expression is null ? where : $"{where}.{Expression}")
        {
            MoreIssues = MoreIssues.Select(i => i with { Expression = i.Expression is null ? where : $"{where}.{i.Expression}" }).ToList(),
        };
        return located;
    }
}

/// <summary>One OperationOutcome issue.</summary>
public sealed record FhirIssue(string Severity, string Code, string Diagnostics, string? Expression = null);
