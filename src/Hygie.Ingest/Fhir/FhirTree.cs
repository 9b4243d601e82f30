using System.Collections;
using System.Collections.Concurrent;
using Hl7.Fhir.Model;

namespace Hygie.Ingest.Fhir;

/// <summary>Generic walks over a resource's elements (the SDK's <see cref="Base.EnumerateElements"/>), with paths.</summary>
internal static class FhirTree
{
    private static readonly ConcurrentDictionary<Type, string[]> TypeNames = new();

    /// <summary>The FHIR type names a node is, most specific first (<c>Age</c>, <c>Quantity</c>, …, <c>Base</c>).</summary>
    public static string[] TypeNamesOf(Base node) => TypeNames.GetOrAdd(node.GetType(), t =>
    {
        var names = new List<string>();
        for (var c = t; c is not null && c != typeof(object); c = c.BaseType)
            if (!c.IsGenericType && ModelInfo.GetFhirTypeNameForType(c) is { } name && !names.Contains(name)) names.Add(name);
        if (names.Count == 0 || names[0] != node.TypeName) names.Insert(0, node.TypeName);
        return [.. names];
    });

    /// <summary>The children of a node that are elements (single or list), materialized so the walk may change them.</summary>
    public static List<(string Name, Base? Single, IList? List)> Children(Base node)
    {
        var children = new List<(string, Base?, IList?)>();
        foreach (var (name, value) in node.EnumerateElements())
        {
            if (value is Base single) children.Add((name, single, null));
            else if (value is IList list && value is not string) children.Add((name, null, list));
        }
        return children;
    }

    /// <summary>Every <see cref="ResourceReference"/> in a resource (contained resources included), with its path
    /// (<c>Observation.subject</c>, <c>Claim.item.encounter</c>), in document order.</summary>
    public static List<(ResourceReference Reference, string Path)> References(Resource resource)
    {
        var found = new List<(ResourceReference, string)>();
        Walk(resource, resource.TypeName, found);
        return found;
    }

    private static void Walk(Base node, string path, List<(ResourceReference, string)> found)
    {
        foreach (var (name, single, list) in Children(node))
        {
            if (single is not null) Visit(single, path + "." + name, found);
            else foreach (var item in list!) if (item is Base b) Visit(b, path + "." + name, found);
        }
    }

    private static void Visit(Base child, string path, List<(ResourceReference, string)> found)
    {
        if (child is ResourceReference r) found.Add((r, path));
        if (child is Resource contained) Walk(contained, contained.TypeName, found);
        else if (child is not PrimitiveType) Walk(child, path, found);
    }
}
