using Hygie.Core.Errors;

namespace Hygie.Ingest.Fhir;

/// <summary>
/// A FHIR deposit refused because of one resource or bundle: the message names the file, the entry (or line), the
/// resource type and the element, never a value. Codes: <c>fhir-invalid</c> (not strict FHIR R4 JSON, or not a deposit's
/// content), <c>fhir-reference</c> (a reference the deposit cannot resolve), <c>fhir-duplicate</c>,
/// <c>pseudonymization</c> (an identifier the hub links on is not valid).
/// </summary>
public sealed class FhirDepositException : ValidationFailedException
{
    public FhirDepositException(FhirLocation location, string detail, string? element = null, string code = "fhir-invalid")
        : base($"{location}: {(element is null ? "" : element + ": ")}{detail}", element, code)
    {
        Location = location;
        location.AddTo(Extensions);
        if (element is not null) Extensions["element"] = element;
    }

    public FhirLocation Location { get; }
}
