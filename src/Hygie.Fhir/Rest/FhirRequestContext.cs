using Hygie.Core.Audit;
using Hygie.Fhir.Tenants;

namespace Hygie.Fhir.Rest;

/// <summary>What the client prefers back after a write (<c>Prefer: return=…</c>).</summary>
public enum ReturnPreference
{
    Representation,
    Minimal,
    OperationOutcome,
}

/// <summary>One FHIR request: tenant (keys open), caller, the tenant's base URL and the client's preferences.</summary>
public sealed class FhirRequestContext(TenantContext tenant, FhirCaller caller, string baseUrl, bool strictHandling, ReturnPreference returnPreference)
{
    public TenantContext Tenant { get; } = tenant;
    public FhirCaller Caller { get; } = caller;

    /// <summary>The tenant's FHIR base, ending with a slash (<c>http://host/fhir/clinic-a/</c>).</summary>
    public string BaseUrl { get; } = baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/";

    /// <summary>The hub's FHIR root, above every tenant (<c>http://host/fhir/</c>): references under it name a tenant.</summary>
    public string FhirRoot => BaseUrl[..(BaseUrl.TrimEnd('/').LastIndexOf('/') + 1)];

    public bool StrictHandling { get; } = strictHandling;
    public ReturnPreference Return { get; } = returnPreference;

    public string FullUrl(string type, string id) => $"{BaseUrl}{type}/{id}";

    public AuditEntry Audit(string action, string target, string? patient, IDictionary<string, string>? more = null, string outcome = AuditOutcome.Success)
    {
        var details = new Dictionary<string, string> { ["tenant"] = Tenant.Id };
        if (patient is not null) details["patient"] = $"Patient/{patient}";
        if (Caller.TokenId is not null) details["token"] = Caller.TokenId;
        if (more is not null) foreach (var (k, v) in more) details[k] = v;
        return new AuditEntry(Caller.Subject, action, $"fhir:{Tenant.Id}/{target}", outcome, Details: details);
    }
}
