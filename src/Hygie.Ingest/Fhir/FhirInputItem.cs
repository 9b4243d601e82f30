using Hl7.Fhir.Model;

namespace Hygie.Ingest.Fhir;

/// <summary>One resource read from a deposited file, strictly parsed, with where it came from and, for a Bundle
/// entry, its <c>fullUrl</c> and request method.</summary>
public sealed record FhirInputItem(Resource Resource, FhirLocation Location, string? FullUrl, Bundle.HTTPVerb? Method);
