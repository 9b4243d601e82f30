using System.Collections;
using Hl7.Fhir.Model;

namespace Hygie.Fhir.Rest;

/// <summary>Visits every Reference in a resource (contained resources included) so it can be checked or rewritten.</summary>
public static class References
{
    public static IEnumerable<ResourceReference> All(Base root)
    {
        var stack = new Stack<Base>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (node is ResourceReference reference) yield return reference;
            foreach (var (_, value) in node.EnumerateElements())
            {
                switch (value)
                {
                    case Base child:
                        stack.Push(child);
                        break;
                    case IEnumerable list and not string:
                        foreach (var item in list)
                            if (item is Base b) stack.Push(b);
                        break;
                }
            }
        }
    }

    /// <summary>
    /// Makes references to this tenant's own base relative and refuses references into another tenant of this hub:
    /// a resource of one tenant never points at another tenant's data.
    /// </summary>
    public static void CheckTenant(Resource resource, FhirRequestContext ctx)
    {
        foreach (var reference in All(resource))
        {
            var value = reference.Reference;
            if (string.IsNullOrEmpty(value)) continue;
            if (value.StartsWith(ctx.BaseUrl, StringComparison.Ordinal))
            {
                reference.Reference = value[ctx.BaseUrl.Length..];
                continue;
            }
            if (value.StartsWith(ctx.FhirRoot, StringComparison.Ordinal))
                throw FhirException.Unprocessable(
                    $"a reference points into another tenant of this hub ({TenantOf(value, ctx.FhirRoot)}): references must stay within tenant {ctx.Tenant.Id}",
                    $"{resource.TypeName}");
        }
    }

    private static string TenantOf(string value, string root)
    {
        var rest = value[root.Length..];
        var slash = rest.IndexOf('/');
        return slash < 0 ? rest : rest[..slash];
    }
}
