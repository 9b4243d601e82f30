using System.Collections.Concurrent;
using Hl7.Fhir.Model;
using Hygie.Fhir.Search;
using Hygie.Fhir.Serialization;

namespace Hygie.Fhir.Rest;

/// <summary>
/// The server's CapabilityStatement, built from what the store actually does: every R4 resource type with the same
/// interactions, and each type's search parameters as the registry compiled them (so a parameter listed here is a
/// parameter the server evaluates).
/// </summary>
public static class Capability
{
    private static readonly ConcurrentDictionary<string, byte[]> Cache = new(StringComparer.Ordinal);

    public static byte[] Json(string baseUrl, DateTimeOffset now) => Cache.GetOrAdd(baseUrl, b => FhirJson.Serialize(Build(b, now)));

    public static CapabilityStatement Build(string baseUrl, DateTimeOffset now)
    {
        var rest = new CapabilityStatement.RestComponent
        {
            Mode = CapabilityStatement.RestfulCapabilityMode.Server,
            Documentation = "Tenant-scoped FHIR R4 store of a Hygie hub. Resources are sealed per tenant; names, identifiers, telecoms and addresses " +
                            "are searchable by exact value (keyed hashes), names by prefix only where the operator allows it.",
            Security = new CapabilityStatement.SecurityComponent
            {
                Cors = false,
                Service = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/restful-security-service", "SMART-on-FHIR")],
                Description = "Bearer tokens issued by the hub for one tenant, carrying SMART scopes (patient|user|system)/(Type|*).(read|write|*|cruds).",
            },
            Interaction =
            [
                new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.Transaction },
                new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.Batch },
                new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.HistorySystem },
            ],
            Operation =
            [
                new CapabilityStatement.OperationComponent { Name = "export", Definition = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export" },
            ],
        };
        foreach (var type in ModelInfo.SupportedResources.Where(SearchParameterRegistry.IsKnownType).Order(StringComparer.Ordinal))
        {
            var parameters = SearchParameterRegistry.For(type).Values.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
            var resource = new CapabilityStatement.ResourceComponent
            {
                Type = type,
                Versioning = CapabilityStatement.ResourceVersionPolicy.Versioned,
                ReadHistory = true,
                UpdateCreate = true,
                ConditionalCreate = true,
                ConditionalUpdate = true,
                ConditionalDelete = CapabilityStatement.ConditionalDeleteStatus.Single,
                ConditionalRead = CapabilityStatement.ConditionalReadStatus.NotSupported,
                Interaction =
                [
                    .. new[]
                    {
                        CapabilityStatement.TypeRestfulInteraction.Read, CapabilityStatement.TypeRestfulInteraction.Vread,
                        CapabilityStatement.TypeRestfulInteraction.Update, CapabilityStatement.TypeRestfulInteraction.Patch,
                        CapabilityStatement.TypeRestfulInteraction.Delete, CapabilityStatement.TypeRestfulInteraction.HistoryInstance,
                        CapabilityStatement.TypeRestfulInteraction.HistoryType, CapabilityStatement.TypeRestfulInteraction.Create,
                        CapabilityStatement.TypeRestfulInteraction.SearchType,
                    }.Select(code => new CapabilityStatement.ResourceInteractionComponent { Code = code }),
                ],
                SearchInclude = parameters.Where(p => p.Type == SearchParamType.Reference).Select(p => $"{type}:{p.Name}").ToList(),
                SearchParam =
                [
                    new CapabilityStatement.SearchParamComponent { Name = "_id", Type = SearchParamType.Token, Definition = "http://hl7.org/fhir/SearchParameter/Resource-id" },
                    new CapabilityStatement.SearchParamComponent { Name = "_lastUpdated", Type = SearchParamType.Date, Definition = "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated" },
                    .. parameters.Select(p => new CapabilityStatement.SearchParamComponent
                    {
                        Name = p.Name,
                        Type = p.Type,
                        Definition = p.Url,
                        Documentation = p.Hashed
                            ? (p.NameLike ? "Indexed as keyed hashes: exact (normalized) match; prefix match where the tenant allows name search." : "Indexed as keyed hashes: exact match only.")
                            : null,
                    }),
                ],
            };
            rest.Resource.Add(resource);
        }
        // Reverse includes: the reference parameters (of any type) that can point at this type.
        var references = rest.Resource.SelectMany(r => SearchParameterRegistry.For(r.Type!).Values.Where(p => p.Type == SearchParamType.Reference)).ToList();
        foreach (var resource in rest.Resource)
            resource.SearchRevInclude = references.Where(p => p.Targets.Contains(resource.Type)).Select(p => $"{p.Resource}:{p.Name}").ToList();

        return new CapabilityStatement
        {
            Id = "hygie",
            Url = $"{baseUrl}metadata",
            Name = "HygieFhirStore",
            Title = "Hygie FHIR store",
            Status = PublicationStatus.Active,
            Date = now.ToString("yyyy-MM-dd"),
            Publisher = "Hygie",
            Kind = CapabilityStatementKind.Instance,
            Software = new CapabilityStatement.SoftwareComponent { Name = "Hygie", Version = typeof(Capability).Assembly.GetName().Version?.ToString() },
            Implementation = new CapabilityStatement.ImplementationComponent { Description = "Hygie FHIR R4 tenant store", Url = baseUrl },
            FhirVersion = FHIRVersion.N4_0_1,
            Format = ["application/fhir+json", "json"],
            PatchFormat = ["application/json-patch+json", "application/fhir+json"],
            Rest = [rest],
        };
    }
}
